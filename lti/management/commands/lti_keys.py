"""`manage.py lti_keys`: Parley's RSA key pair for LTI 1.3, made once; `--rotate` makes a new one that signs
from then on (the older stay published until `--retire-older`). Prints the public key set's address and
the key ids, never a private key."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from lti.models import ToolKey
from lti.tool import key_create, signing_key


class Command(BaseCommand):
    help = "Make Parley's LTI 1.3 signing key (once), or rotate it; the private key is never printed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rotate", action="store_true", help="Make a new key that signs from now on.")
        parser.add_argument(
            "--retire-older",
            action="store_true",
            help="Withdraw every key but the newest from the key set (after platforms have fetched the new one).",
        )

    def handle(self, *args: object, rotate: bool = False, retire_older: bool = False, **options: object) -> None:
        if rotate or not ToolKey.objects.filter(is_active=True).exists():
            key = key_create()
            self.stdout.write(f"Made the key {key.kid}; it signs from now on.")
        if retire_older:
            newest = signing_key()
            retired = ToolKey.objects.filter(is_active=True).exclude(pk=newest.pk).update(is_active=False)
            self.stdout.write(f"Withdrew {retired} older key(s) from the key set.")
        for key in ToolKey.objects.filter(is_active=True):
            self.stdout.write(f"Published: {key.kid} (made {key.created_at:%Y-%m-%d %H:%M} UTC)")
        self.stdout.write("Key set URL: https://YOUR-PARLEY-HOST/lti/jwks.json")
