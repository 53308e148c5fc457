"""Django's makemessages, also reading the messages that the pure core marks with core.messages.msg (core
cannot call gettext): their templates land in the django catalogues beside every other message."""

from __future__ import annotations

from typing import Any

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("domain", "django") == "django":
            self.xgettext_options = [*self.xgettext_options, "--keyword=msg"]
        super().handle(*args, **options)
