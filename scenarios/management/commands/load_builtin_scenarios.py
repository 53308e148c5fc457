from __future__ import annotations

from django.core.management.base import BaseCommand

from scenarios.services import builtin_scenarios_load


class Command(BaseCommand):
    help = "Store the built-in scenarios; a scenario whose document has not changed is left as it is."

    def handle(self, *args, **options) -> None:
        for result in builtin_scenarios_load():
            version = result.version
            state = "stored" if result.created else "unchanged"
            self.stdout.write(f"{version.scenario.slug}: {state}, version {version.number}")
