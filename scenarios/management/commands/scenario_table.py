from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandParser

from scenarios.services import version_table

from ._common import add_version_arguments, version_from_options


class Command(BaseCommand):
    help = "Print the canonical scoring table as JSON (numeric issues expanded to their grid)."

    def add_arguments(self, parser: CommandParser) -> None:
        add_version_arguments(parser)

    def handle(self, *args, **options) -> None:
        version = version_from_options(options)
        self.stdout.write(json.dumps(version_table(version).as_json(version.scenario.slug), indent=2))
