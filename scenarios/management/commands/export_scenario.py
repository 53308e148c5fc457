from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from ._common import add_version_arguments, version_from_options


class Command(BaseCommand):
    help = "Print a scenario version's YAML document exactly as it was stored."

    def add_arguments(self, parser: CommandParser) -> None:
        add_version_arguments(parser)

    def handle(self, *args, **options) -> None:
        self.stdout.write(version_from_options(options).document, ending="")
