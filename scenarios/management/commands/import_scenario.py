from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.documents import DocumentError, read_document
from scenarios.services import scenario_version_create


class Command(BaseCommand):
    help = "Validate scenario documents (YAML) and store each as a new version of its scenario."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH")

    def handle(self, *args, paths: list[str], **options) -> None:
        failed = 0
        for name in paths:
            path = Path(name)
            try:
                result = scenario_version_create(document=read_document(path), source=str(path))
            except (OSError, UnicodeDecodeError) as exc:
                self.stderr.write(f"{name}: cannot be read: {exc}")
                failed += 1
                continue
            except DocumentError as exc:
                self.stderr.write(str(exc))
                failed += 1
                continue
            for warning in result.warnings:
                self.stderr.write(f"{name}: warning: {warning}")
            version = result.version
            if result.created:
                self.stdout.write(f"{name}: stored {version.scenario.slug} version {version.number}")
            else:
                self.stdout.write(f"{name}: unchanged, {version.scenario.slug} stays at version {version.number}")
        if failed:
            raise CommandError(f"{failed} of {len(paths)} documents refused; nothing was stored for them")
