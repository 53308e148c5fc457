from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandParser

from core.contingent import table_json
from scenarios.services import version_spec, version_table

from ._common import add_version_arguments, version_from_options


class Command(BaseCommand):
    help = "Print the canonical scoring table as JSON (numeric issues expanded to their grid)."

    def add_arguments(self, parser: CommandParser) -> None:
        add_version_arguments(parser)

    def handle(self, *args, **options) -> None:
        version = version_from_options(options)
        self.stdout.write(json.dumps(table_json(version_spec(version), version_table(version)), indent=2))
