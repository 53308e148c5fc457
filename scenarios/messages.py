"""The messages core writes for a person (core.messages: the scenario check's problems and warnings) and the
studio's refusals, in the language of the page that shows them (docs/operations.md, "Languages").

A page translates a message itself (`translated`) or hands its script the translations of every template
(`catalogue`), which the studio's script puts the API's `template` and `params` into (docs/api.md). The API
stays English."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from django.utils.translation import gettext

import core
from core.documents import Problem
from core.messages import all_templates, localised
from scenarios import studio
from scenarios.labels import number_text

# The modules whose messages reach a page: the pure core, the studio's refusals (its services' and its API's),
# and the throttles' refusals (the API and the classrooms app, read as files: both are above this one).
SOURCES = (
    *sorted(Path(core.__file__).parent.glob("*.py")),
    Path(studio.__file__),
    Path(core.__file__).parent.parent / "api" / "studio.py",
    Path(core.__file__).parent.parent / "classrooms" / "throttles.py",
)


@lru_cache(maxsize=1)
def templates() -> frozenset[str]:
    """Every template that core.messages.msg is called with in SOURCES (read once)."""
    return all_templates(path.read_text(encoding="utf-8") for path in SOURCES)


def translated(text: str) -> str:
    """A message in the active language, its numbers written as the language writes them; plain text as it is."""
    return localised(text, gettext, number_text)


def catalogue() -> dict[str, str]:
    """Each template's translation in the active language, those that differ from the English."""
    found = {}
    for template in sorted(templates()):
        text = gettext(template)
        if text != template:
            found[template] = text
    return found


def described(problem: Problem) -> str:
    """A problem with its path and line, in the active language (as Problem.describe says it in English)."""
    values = {"path": problem.path, "problem": translated(problem.message), "line": problem.line}
    if problem.line:
        return gettext("%(path)s: %(problem)s (line %(line)s)") % values
    return gettext("%(path)s: %(problem)s") % values
