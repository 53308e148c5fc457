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
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.db import transaction

from core.documents import DocumentError, Problem, load_yaml
from core.messages import Message, msg
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
            msg("The document is a mapping of the scenario's fields (slug, title, roles, issues, ...)."), "document"
        )
    try:
        problems = draft_problems(document, stored=True)
        if problems:
            raise DocumentError(problems)
        draft_text(document)  # its length as YAML
    except DocumentError as error:
        raise Refused(_at(error.problems[0]), "document") from None
    return document


def _at(problem: Problem) -> Message:
    return msg("%(path)s: %(problem)s", path=problem.path, problem=problem.message)


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
            raise Refused(_at(error.problems[0]), "yaml") from None
    elif document is None:
        document = STARTER
    document = _checked(document)
    with transaction.atomic():
        # The owner's row is the lock: creations at once are counted one after another (a lock on the drafts
        # there were let two at once both count one short of the cap).
        get_user_model().objects.select_for_update().filter(pk=owner.pk).first()
        if ScenarioDraft.objects.filter(owner=owner).count() >= MAX_DRAFTS:
            raise Refused(
                msg("You have %(count)s drafts, the most one instructor may keep: delete one first.", count=MAX_DRAFTS)
            )
        return ScenarioDraft.objects.create(owner=owner, document=document, title=_title(document), based_on=based_on)


def draft_save(*, draft: ScenarioDraft, document: Any, revision: int) -> ScenarioDraft:
    """Store the draft as typed (valid or not, within the bounds), if `revision` is the one stored: a save
    made from an older copy (another tab, a reconnection that resends) is refused, losing nothing."""
    document = _checked(document)
    with transaction.atomic():
        stored = ScenarioDraft.objects.select_for_update().get(pk=draft.pk)
        if stored.revision != revision:
            raise Refused(
                msg(
                    "This draft was saved elsewhere since (revision %(stored)s, not %(given)s): reload it, "
                    "then make the change again.",
                    stored=stored.revision,
                    given=revision,
                ),
                "revision",
                code="stale",
            )
        stored.document, stored.title, stored.revision = document, _title(document), stored.revision + 1
        stored.save(update_fields=["document", "title", "revision", "updated_at"])
    return stored


def scenario_of(document: Any, what: str) -> tuple[str, ScenarioSpec]:
    """A document (`what`: "draft" or "document") written as YAML and the scenario it describes, or Refused
    at `document` with how many problems it has and the first of them (one past a bound that its writing
    as YAML refuses among them)."""
    try:
        text = draft_text(document)
        return text, parse_scenario(text).scenario
    except DocumentError as error:
        raise Refused(_problems_first(what, error.problems), "document") from None


def _problems_first(what: str, problems: list[Problem]) -> Message:
    first = {"path": problems[0].path, "problem": problems[0].message}
    if what == "draft" and len(problems) == 1:
        return msg("The draft has 1 problem to fix first; the first: %(path)s: %(problem)s", **first)
    if what == "draft":
        return msg(
            "The draft has %(count)s problems to fix first; the first: %(path)s: %(problem)s",
            count=len(problems),
            **first,
        )
    if len(problems) == 1:
        return msg("The document has 1 problem to fix first; the first: %(path)s: %(problem)s", **first)
    return msg(
        "The document has %(count)s problems to fix first; the first: %(path)s: %(problem)s",
        count=len(problems),
        **first,
    )


def draft_publish(*, draft: ScenarioDraft) -> ScenarioVersion:
    """The draft, valid, as the next version of its scenario: the scenario its slug names, made on the first
    publication (owned by the draft's owner, private). Refused when the draft has problems, or when its slug
    is a scenario that is built in or someone else's."""
    text, spec = scenario_of(draft.document, "draft")
    with transaction.atomic():
        scenario = Scenario.objects.select_for_update().filter(slug=spec.slug).first()
        if scenario is not None and (scenario.builtin or scenario.owner_id != draft.owner_id):
            raise Refused(
                msg(
                    "The slug '%(slug)s' belongs to another scenario (built in: adapt it to change a copy); "
                    "choose another.",
                    slug=spec.slug,
                )
                if scenario.builtin
                else msg("The slug '%(slug)s' belongs to another scenario; choose another.", slug=spec.slug),
                "document",
            )
        if scenario is None:
            scenario = Scenario.objects.create(slug=spec.slug, owner=draft.owner)
        result = scenario_version_create(document=text, source=f"studio draft {draft.pk}", created_by=draft.owner)
        ScenarioDraft.objects.filter(pk=draft.pk).update(scenario=scenario)
    return result.version


def scenario_share(*, scenario: Scenario, user: Any, shared: bool) -> Scenario:
    if scenario.owner_id != user.pk:
        raise Refused(
            msg("Only the scenario's owner shares it; built-in and imported scenarios are shared with everyone.")
        )
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


# What one_at_a_time runs, in words.
RUNNING = {
    "analysis": msg("analysis"),
    "tournament": msg("tournament"),
    "publication": msg("publication"),
    "preview": msg("preview"),
}


@contextlib.contextmanager
def one_at_a_time(user: Any, what: str, seconds: int = 60, lane: str = "figures") -> Iterator[None]:
    """Run a costly computation for `user` only if none of theirs in the same `lane` is running (on any
    process): the studio's analyses and tournaments (one lane) take a core for up to seconds each, a
    Markdown preview (its own lane) up to half a second."""
    cache = caches[settings.THROTTLE_CACHE]
    key = f"studio-busy:{lane}:{user.pk}"
    if not cache.add(key, what, timeout=seconds):
        running = cache.get(key) or what  # the one running may be of another kind in the lane
        raise Refused(
            msg(
                "Your previous %(running)s is still running: wait for it, then try again.",
                running=RUNNING.get(running, running),
            ),
            code="busy",
        )
    try:
        yield
    finally:
        cache.delete(key)
