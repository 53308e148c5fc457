"""The scenario studio's writes: drafts made new, adapted from a scenario or imported from YAML, saved as
they are typed, published as a scenario's next version, and shared (docs/studio.md).

A draft is its owner's alone until published; a published scenario its owner's until shared. Built-in
scenarios and those an administrator imported are never changed from here: adapting one copies it.
"""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import transaction

from core.documents import DocumentError, load_yaml
from core.refusal import Refused
from core.scenario_document import parse_scenario
from core.spec import Scenario as ScenarioSpec
from core.studio import draft_problems, draft_text
from scenarios.models import Scenario, ScenarioDraft, ScenarioVersion
from scenarios.services import scenario_version_create

MAX_DRAFTS = 200  # an instructor's drafts at most

STARTER: dict[str, Any] = {
    "slug": "",
    "title": "",
    "summary": "",
    "situation": "",
    "roles": [
        {"key": "first", "name": "", "batna": 0, "alternative": "", "sheet": ""},
        {"key": "second", "name": "", "batna": 0, "alternative": "", "sheet": ""},
    ],
    "issues": [],
    "teaching_notes": "",
}


def _checked(document: Any) -> Any:
    """A document the studio may store: a mapping within the bounds of any document (core.studio)."""
    if not isinstance(document, dict):
        raise Refused(
            "The document is a mapping of the scenario's fields (slug, title, roles, issues, ...).", "document"
        )
    try:
        problems = draft_problems(document, stored=True)
        if problems:
            raise DocumentError(problems)
        draft_text(document)  # its length as YAML
    except DocumentError as error:
        problem = error.problems[0]
        raise Refused(f"{problem.path}: {problem.message}", "document") from None
    return document


def _title(document: dict[str, Any]) -> str:
    title = document.get("title")
    return title.strip()[:200] if isinstance(title, str) else ""


def draft_create(
    *, owner: Any, document: Any = None, adapt: ScenarioVersion | None = None, yaml: str | None = None
) -> ScenarioDraft:
    """A new draft: the starter document, the given one, a copy of a scenario's version (its slug taken
    with "-copy" added, so that publishing it makes a scenario of its own), or an imported YAML document
    (it may be invalid: the studio shows its problems; it must parse as YAML)."""
    based_on = None
    if adapt is not None:
        document = load_yaml(adapt.document).data
        document["slug"] = f"{document['slug']}-copy"[:50]
        based_on = adapt
    elif yaml is not None:
        try:
            document = load_yaml(yaml).data
        except DocumentError as error:
            problem = error.problems[0]
            raise Refused(f"{problem.path}: {problem.message}", "yaml") from None
    elif document is None:
        document = STARTER
    document = _checked(document)
    with transaction.atomic():
        if ScenarioDraft.objects.select_for_update().filter(owner=owner).count() >= MAX_DRAFTS:
            raise Refused(f"You have {MAX_DRAFTS} drafts, the most one instructor may keep: delete one first.")
        return ScenarioDraft.objects.create(owner=owner, document=document, title=_title(document), based_on=based_on)


def draft_save(*, draft: ScenarioDraft, document: Any, revision: int) -> ScenarioDraft:
    """Store the draft as typed (valid or not, within the bounds), if `revision` is the one stored: a save
    made from an older copy (another tab, a reconnection that resends) is refused, losing nothing."""
    document = _checked(document)
    with transaction.atomic():
        stored = ScenarioDraft.objects.select_for_update().get(pk=draft.pk)
        if stored.revision != revision:
            raise Refused(
                f"This draft was saved elsewhere since (revision {stored.revision}, not {revision}): reload it, "
                "then make the change again.",
                "revision",
                code="stale",
            )
        stored.document, stored.title, stored.revision = document, _title(document), stored.revision + 1
        stored.save(update_fields=["document", "title", "revision", "updated_at"])
    return stored


def scenario_of(text: str, what: str) -> ScenarioSpec:
    """The scenario a document (`what`: the draft, the document) written as YAML describes, or Refused at
    `document` with how many problems it has and the first of them."""
    try:
        return parse_scenario(text).scenario
    except DocumentError as error:
        count = len(error.problems)
        first = error.problems[0]
        raise Refused(
            f"The {what} has {count} problem{'s' if count != 1 else ''} to fix first; the first: {first.path}: "
            f"{first.message}",
            "document",
        ) from None


def draft_publish(*, draft: ScenarioDraft) -> ScenarioVersion:
    """The draft, valid, as the next version of its scenario: the scenario its slug names, made on the first
    publication (owned by the draft's owner, private). Refused when the draft has problems, or when its slug
    is a scenario that is built in or someone else's."""
    text = draft_text(draft.document)
    spec = scenario_of(text, "draft")
    with transaction.atomic():
        scenario = Scenario.objects.select_for_update().filter(slug=spec.slug).first()
        if scenario is not None and (scenario.builtin or scenario.owner_id != draft.owner_id):
            raise Refused(
                f"The slug '{spec.slug}' belongs to another scenario"
                f"{' (built in: adapt it to change a copy)' if scenario.builtin else ''}; choose another.",
                "document",
            )
        if scenario is None:
            scenario = Scenario.objects.create(slug=spec.slug, owner=draft.owner)
        result = scenario_version_create(document=text, source=f"studio draft {draft.pk}", created_by=draft.owner)
        ScenarioDraft.objects.filter(pk=draft.pk).update(scenario=scenario)
    return result.version


def scenario_share(*, scenario: Scenario, user: Any, shared: bool) -> Scenario:
    if scenario.owner_id != user.pk:
        raise Refused("Only the scenario's owner shares it; built-in and imported scenarios are shared with everyone.")
    Scenario.objects.filter(pk=scenario.pk).update(shared=shared)
    scenario.shared = shared
    return scenario


def version_diff(older: ScenarioVersion, newer: ScenarioVersion) -> str:
    """The lines that differ between two versions' documents, as a unified diff."""
    lines = difflib.unified_diff(
        older.document.splitlines(keepends=True),
        newer.document.splitlines(keepends=True),
        fromfile=f"{older.scenario.slug} version {older.number}",
        tofile=f"{newer.scenario.slug} version {newer.number}",
    )
    return "".join(lines)


@contextlib.contextmanager
def one_at_a_time(user: Any, what: str, seconds: int = 60, lane: str = "figures") -> Iterator[None]:
    """Run a costly computation for `user` only if none of theirs in the same `lane` is running (on any
    process): the studio's analyses and tournaments (one lane) take a core for up to seconds each, a
    Markdown preview (its own lane) up to half a second."""
    cache = caches[settings.THROTTLE_CACHE]
    key = f"studio-busy:{lane}:{user.pk}"
    if not cache.add(key, what, timeout=seconds):
        running = cache.get(key) or what  # the one running may be of another kind in the lane
        raise Refused(f"Your previous {running} is still running: wait for it, then try again.", code="busy")
    try:
        yield
    finally:
        cache.delete(key)
