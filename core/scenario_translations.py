"""A scenario's texts in several languages (docs/scenarios.md, "Translations"): the optional
`translations:` mapping of a document, validated, and the scenario as a student reads it in their language.

A translation names every text a student reads, by the keys of the roles, issues, options and events; it
carries no points, so a translated scenario is scored, analysed and debriefed exactly as the original.
"""

from __future__ import annotations

import difflib
from dataclasses import replace
from typing import Any, Protocol

from core.documents import Path
from core.messages import Message, msg
from core.spec import (
    LANGUAGES,
    DebriefQuestion,
    Event,
    EventText,
    Issue,
    IssueText,
    Option,
    Outcome,
    Role,
    RoleText,
    Scenario,
    Translation,
)

TRANSLATION_KEYS = (
    "title", "summary", "situation", "roles", "issues", "events", "debrief_questions", "teaching_notes",
)  # fmt: skip
TRANSLATION_REQUIRED = ("title", "summary", "situation", "roles", "issues")
ROLE_TEXT_KEYS = ("name", "alternative", "sheet")
ISSUE_TEXT_KEYS = ("name", "description", "unit", "options")
EVENT_TEXT_KEYS = ("question", "outcomes")
# What a translation names by key, in words: one and several.
Kind = tuple[Message, Message]
ROLE: Kind = (msg("role"), msg("roles"))
ISSUE: Kind = (msg("issue"), msg("issues"))
EVENT: Kind = (msg("event"), msg("events"))
OPTION: Kind = (msg("option"), msg("options"))
OUTCOME: Kind = (msg("outcome"), msg("outcomes"))


class Checks(Protocol):
    """What the document's checker (core.scenario_document) lends: problems collected with their paths."""

    def problem(self, path: Path, message: Message) -> None: ...

    def mapping(
        self, value: Any, path: Path, allowed: tuple[str, ...], required: tuple[str, ...]
    ) -> dict[str, Any] | None: ...

    def text(self, data: dict[str, Any], key: str, path: Path, *, required: bool = True, limit: int = ...) -> str: ...


def document_language(c: Checks, value: Any) -> str:
    """The optional `language:` of a document: one of LANGUAGES, English when left out."""
    if value is None:
        return "en"
    if value not in LANGUAGES:
        c.problem(("language",), _unknown_language(value, None))
        return "en"
    return str(value)


def translations(c: Checks, value: Any, scenario: Scenario) -> dict[str, Translation]:
    """The `translations:` of a valid scenario's document: language -> its texts, each complete."""
    path: Path = ("translations",)
    if value is None:
        return {}
    if not isinstance(value, dict):
        c.problem(
            path,
            msg("must map languages (%(languages)s) to the scenario's texts in each", languages=", ".join(LANGUAGES)),
        )
        return {}
    found: dict[str, Translation] = {}
    for language, texts in value.items():
        lpath: Path = (*path, str(language))
        if language not in LANGUAGES:
            close = difflib.get_close_matches(str(language), LANGUAGES, n=1)
            c.problem(lpath, _unknown_language(language, close[0] if close else None))
            continue
        if language == scenario.language:
            c.problem(
                lpath,
                msg(
                    "'%(language)s' is the document's own language (language: %(own)s)",
                    language=language,
                    own=scenario.language,
                ),
            )
            continue
        translation = _translation(c, texts, lpath, scenario)
        if translation is not None:
            found[language] = translation
    return found


def _unknown_language(value: Any, close: str | None) -> Message:
    languages = ", ".join(LANGUAGES)
    if close is None:
        return msg("unknown language %(value)s; languages: %(languages)s", value=repr(value), languages=languages)
    return msg(
        "unknown language %(value)s; did you mean '%(close)s'? languages: %(languages)s",
        value=repr(value),
        close=close,
        languages=languages,
    )


def _translation(c: Checks, value: Any, path: Path, scenario: Scenario) -> Translation | None:
    required: tuple[str, ...] = TRANSLATION_REQUIRED
    if scenario.events:
        required = (*required, "events")
    if scenario.debrief_questions:
        required = (*required, "debrief_questions")
    data = c.mapping(value, path, TRANSLATION_KEYS, required)
    if data is None:
        return None
    title = c.text(data, "title", path, limit=200)
    summary = c.text(data, "summary", path, limit=1000)
    situation = c.text(data, "situation", path)
    notes = c.text(data, "teaching_notes", path, required=False)
    roles = {
        role.key: RoleText(
            c.text(item, "name", rpath, limit=100),
            c.text(item, "alternative", rpath, limit=2000),
            c.text(item, "sheet", rpath),
        )
        for role, item, rpath in _by_key(
            c, data.get("roles"), (*path, "roles"), scenario.roles, ROLE, ROLE_TEXT_KEYS, ROLE_TEXT_KEYS
        )
    }
    issues = {
        issue.key: _issue_text(c, issue, item, ipath)
        for issue, item, ipath in _by_key(
            c, data.get("issues"), (*path, "issues"), scenario.issues, ISSUE, ISSUE_TEXT_KEYS, ("name",)
        )
    }
    events = {}
    for event, item, epath in _by_key(c, data.get("events"), (*path, "events"), scenario.events, EVENT,
                                      EVENT_TEXT_KEYS, EVENT_TEXT_KEYS):  # fmt: skip
        outcomes = _labels(c, item.get("outcomes"), (*epath, "outcomes"), event.outcomes, OUTCOME)
        events[event.key] = EventText(c.text(item, "question", epath, limit=500), outcomes)
    questions = _questions(c, data.get("debrief_questions"), (*path, "debrief_questions"), scenario)
    return Translation(title, summary, situation, roles, issues, events, questions, notes)


def _issue_text(c: Checks, issue: Issue, item: dict[str, Any], path: Path) -> IssueText:
    name = c.text(item, "name", path, limit=200)
    description = c.text(item, "description", path, required=False, limit=2000)
    if issue.description and "description" not in item:
        c.problem(path, msg("missing required key 'description' (the issue has one)"))
    unit = c.text(item, "unit", path, required=False, limit=20) if "unit" in item else None
    if issue.kind == "numeric":
        if "options" in item:
            c.problem(
                (*path, "options"),
                msg("'options' belongs to issues with options; '%(issue)s' is numeric", issue=issue.key),
            )
        return IssueText(name, description, unit, {})
    if unit is not None:
        c.problem((*path, "unit"), msg("'unit' belongs to numeric issues; '%(issue)s' has options", issue=issue.key))
    if "options" not in item:
        c.problem(path, msg("missing required key 'options' (a label for each option)"))
        return IssueText(name, description, None, {})
    return IssueText(name, description, None, _labels(c, item["options"], (*path, "options"), issue.options, OPTION))


def _by_key(
    c: Checks,
    value: Any,
    path: Path,
    items: tuple[Any, ...],
    kind: Kind,
    allowed: tuple[str, ...],
    required: tuple[str, ...],
) -> list[tuple[Any, dict[str, Any], Path]]:
    """The mapping `value` of each of `items`' keys to its texts: every key there, none other."""
    if value is None:
        return []
    keys = [item.key for item in items]
    what, whats = kind
    listed = ", ".join(keys)
    if not isinstance(value, dict):
        c.problem(path, msg("must map each %(what)s key (%(keys)s) to its texts", what=what, keys=listed))
        return []
    for key in value:
        if key not in keys:
            close = difflib.get_close_matches(str(key), keys, n=1)
            named = {"key": str(key), "what": what, "whats": whats, "keys": listed}
            c.problem(
                (*path, str(key)),
                msg(
                    "'%(key)s' is not a %(what)s of this scenario; did you mean '%(close)s'? %(whats)s: %(keys)s",
                    close=close[0],
                    **named,
                )
                if close
                else msg("'%(key)s' is not a %(what)s of this scenario; %(whats)s: %(keys)s", **named),
            )
    found = []
    for item in items:
        if item.key not in value:
            c.problem(path, msg("missing the texts of %(what)s '%(key)s'", what=what, key=item.key))
            continue
        data = c.mapping(value[item.key], (*path, item.key), allowed, required)
        if data is not None:
            found.append((item, data, (*path, item.key)))
    return found


def _labels(
    c: Checks, value: Any, path: Path, items: tuple[Option, ...] | tuple[Outcome, ...], kind: Kind
) -> dict[str, str]:
    """A label for each option (or outcome) by its key: every key there, none other."""
    keys = [item.key for item in items]
    what, whats = kind
    listed = ", ".join(keys)
    if not isinstance(value, dict):
        c.problem(path, msg("must map each %(what)s key (%(keys)s) to its label", what=what, keys=listed))
        return {}
    for key in value:
        if key not in keys:
            named = {"key": str(key), "what": what, "whats": whats, "keys": listed}
            c.problem((*path, str(key)), msg("'%(key)s' is not an %(what)s here; %(whats)s: %(keys)s", **named))
    labels = {}
    for key in keys:
        if key not in value:
            c.problem(path, msg("missing the label of %(what)s '%(key)s'", what=what, key=key))
        else:
            labels[key] = c.text(value, key, path, limit=200)
    return labels


def _questions(c: Checks, value: Any, path: Path, scenario: Scenario) -> tuple[str, ...]:
    if value is None:
        return ()
    count = len(scenario.debrief_questions)
    if not isinstance(value, list) or len(value) != count:
        got = len(value) if isinstance(value, list) else msg("something else")
        c.problem(
            path,
            msg(
                "must be a list of the %(count)s debrief questions, in the document's order (got %(got)s)",
                count=count,
                got=got,
            ),
        )
        return ()
    return tuple(c.text({"question": q}, "question", (*path, i), limit=1000) for i, q in enumerate(value))


def best_language(scenario: Scenario, wanted: str) -> str:
    """The language of `scenario` closest to `wanted` ("de", "de-at"): itself, else its primary language,
    else the document's own."""
    for code in (wanted.lower(), wanted.lower().split("-")[0]):
        if code in scenario.languages:
            return code
    return scenario.language


def in_language(scenario: Scenario, wanted: str) -> Scenario:
    """The scenario with the texts of the language closest to `wanted`, or as written when it has none.
    Keys, points, numbers and events' chances are the document's, whatever the language."""
    language = best_language(scenario, wanted)
    texts = scenario.translations.get(language)
    if texts is None or language == scenario.language:
        return scenario

    def role(r: Role) -> Role:
        t = texts.roles[r.key]
        return replace(r, name=t.name, alternative=t.alternative, sheet=t.sheet)

    def issue(i: Issue) -> Issue:
        t: IssueText = texts.issues[i.key]
        options = tuple(replace(o, label=t.options.get(o.key, o.label)) for o in i.options)
        return replace(
            i, name=t.name, description=t.description, unit=i.unit if t.unit is None else t.unit, options=options
        )

    def event(e: Event) -> Event:
        t: EventText | None = texts.events.get(e.key)
        if t is None:
            return e
        return replace(e, question=t.question, outcomes=tuple(replace(o, label=t.outcomes[o.key]) for o in e.outcomes))

    questions = scenario.debrief_questions
    if texts.debrief_questions:
        questions = tuple(
            DebriefQuestion(text, q.figure) for text, q in zip(texts.debrief_questions, questions, strict=True)
        )
    return replace(
        scenario,
        title=texts.title,
        summary=texts.summary,
        situation=texts.situation,
        teaching_notes=texts.teaching_notes or scenario.teaching_notes,
        roles=tuple(role(r) for r in scenario.roles),
        issues=tuple(issue(i) for i in scenario.issues),
        events=tuple(event(e) for e in scenario.events),
        debrief_questions=questions,
    )
