from __future__ import annotations

import getpass
import os

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from classrooms.accounts import instructor_create
from core.refusal import Refused


class Command(BaseCommand):
    help = (
        "Create a verified instructor account. The password is asked for, or read from PARLEY_PASSWORD with --no-input."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--no-input", action="store_true", help="read the password from PARLEY_PASSWORD")

    def handle(self, *args, email: str, first_name: str, last_name: str, no_input: bool, **options) -> None:
        if no_input:
            password = os.environ.get("PARLEY_PASSWORD", "")
            if not password:
                raise CommandError("--no-input needs the password in the PARLEY_PASSWORD environment variable")
        else:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The two passwords differ")
        try:
            validate_password(password)
            user = instructor_create(
                email=email, password=password, first_name=first_name, last_name=last_name, verified=True
            )
        except ValidationError as exc:
            raise CommandError("Password refused: " + " ".join(exc.messages)) from None
        except Refused as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"Instructor {user.email} created and verified; log in at /login/")
