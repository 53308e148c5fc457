from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandParser

from core import contingent
from core.analysis import report_json
from scenarios.services import version_figures, version_spec, version_table

from ._common import add_version_arguments, version_from_options


class Command(BaseCommand):
    help = "Print the scenario's figures as JSON: outcomes, frontier, feasible share, Nash and other points."

    def add_arguments(self, parser: CommandParser) -> None:
        add_version_arguments(parser)

    def handle(self, *args, **options) -> None:
        version = version_from_options(options)
        report = report_json(version_table(version), version.scenario.slug, version_figures(version))
        report["version"] = version.number
        extra = contingent.report_json(version_spec(version))
        if extra is not None:
            report["contingent"] = extra
        self.stdout.write(json.dumps(report, indent=2))
