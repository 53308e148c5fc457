from __future__ import annotations

from django.core.management.base import CommandError, CommandParser

from scenarios.models import ScenarioVersion
from scenarios.services import scenario_version_get


def add_version_arguments(parser: CommandParser) -> None:
    parser.add_argument("slug", help="the scenario's slug, e.g. used-car")
    parser.add_argument("--number", type=int, metavar="N", help="a version number (default: the latest)")


def version_from_options(options: dict) -> ScenarioVersion:
    try:
        return scenario_version_get(options["slug"], options["number"])
    except ScenarioVersion.DoesNotExist:
        which = f" version {options['number']}" if options["number"] else ""
        raise CommandError(
            f"no scenario '{options['slug']}'{which}; import_scenario or load_builtin_scenarios first"
        ) from None
