from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandParser

from core.documents import DocumentError, read_document
from core.scenario_document import parse_scenario


class Command(BaseCommand):
    help = "Check scenario documents without storing them. Exit 0 when all are valid, 1 otherwise."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH")

    def handle(self, *args, paths: list[str], **options) -> None:
        ok = True
        for name in paths:
            try:
                text = read_document(name)
                validated = parse_scenario(text, source=name)
            except (OSError, UnicodeDecodeError) as exc:
                self.stderr.write(f"{name}: cannot be read: {exc}")
                ok = False
                continue
            except DocumentError as exc:
                self.stderr.write(str(exc))
                self.stderr.write(f"{name}: refused, {len(exc.problems)} problem(s)")
                ok = False
                continue
            for warning in validated.warnings:
                self.stderr.write(f"{name}: warning: {warning}")
            self.stdout.write(f"{name}: valid ({validated.scenario.slug})")
        sys.exit(0 if ok else 1)
