"""The scenario document: its validation, which builds the dataclasses of core.spec, and the warnings
about a valid scenario that will not teach well (core.scenario_check finds them).

A document is refused with every problem found, each naming its path inside the document
(`issues[2].options[0].points.seller`), what is wrong, and the line. The format is written down
in docs/scenarios.md; keep the two together.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

from core.analysis import MAX_ANALYSIS_STEPS, ScoringTable, TooLargeToAnalyse, analysis_steps
from core.documents import DocumentError, LoadedYaml, Path, Problem, format_path, load_yaml, read_document
from core.messages import Message, Number, msg
from core.scenario_check import scenario_warnings
from core.scenario_translations import document_language, translations
from core.spec import (
    DEBRIEF_FIGURES,
    DebriefQuestion,
    Event,
    Issue,
    Linear,
    Option,
    Outcome,
    Role,
    Scenario,
    certainty_equivalent,
    exact,
    format_number,
)

KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")
MAX_ROLES = 2
MAX_GRID = 2001
MAX_ISSUES = 50  # a scenario has a handful; the studio's benchmark 30
MAX_TERMS = 5_000  # options and numeric values of all issues together: each is scored, offered and drawn
MAX_TEXT = 50_000
MAX_EVENTS = 10
MAX_OUTCOMES = 6


@dataclass(frozen=True)
class Validated:
    scenario: Scenario
    warnings: tuple[Message, ...]


TOP_REQUIRED = ("slug", "title", "summary", "situation", "roles", "issues", "teaching_notes")
TOP_KEYS = (*TOP_REQUIRED, "debrief_questions", "events", "author", "licence", "language", "translations")
QUESTION_KEYS = ("question", "figure")
MAX_QUESTIONS = 40
ROLE_REQUIRED = ("key", "name", "batna", "alternative", "sheet")
ROLE_KEYS = (*ROLE_REQUIRED, "forecasts", "caution")
ISSUE_KEYS = ("key", "name", "description", "type", "options", "min", "max", "step", "unit", "points", "event")
ISSUE_TYPES = ("options", "numeric", "contingent")
EVENT_KEYS = ("key", "question", "outcomes", "distribution")
OUTCOME_KEYS = ("key", "label")
OPTION_KEYS = ("key", "label", "points")
LINEAR_KEYS = ("at_min", "at_max")


class _Checker:
    """Walks the loaded data; collects problems instead of stopping at the first."""

    def __init__(self, loaded: LoadedYaml) -> None:
        self.loaded = loaded
        self.problems: list[Problem] = list(loaded.problems)

    def problem(self, path: Path, message: Message) -> None:
        self.problems.append(Problem(format_path(path), message, self.loaded.line_of(path)))

    def mapping(
        self, value: Any, path: Path, allowed: tuple[str, ...], required: tuple[str, ...]
    ) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.problem(
                path,
                msg("must be a mapping of keys (%(keys)s), got %(kind)s", keys=", ".join(allowed), kind=_kind(value)),
            )
            return None
        for key in value:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                self.problem(
                    (*path, key),
                    msg("unknown key '%(key)s'; did you mean '%(close)s'?", key=key, close=close[0])
                    if close
                    else msg("unknown key '%(key)s'; allowed keys: %(keys)s", key=key, keys=", ".join(allowed)),
                )
        for key in required:
            if key not in value:
                self.problem(path, msg("missing required key '%(key)s'", key=key))
        # A required key without a value (`slug:` with nothing after it: null) is said here, once, and left
        # out, so that each check after this one takes it as the missing key already said.
        empty = [key for key in required if key in value and value[key] is None]
        for key in empty:
            self.problem((*path, key), msg("must not be empty"))
        return {key: item for key, item in value.items() if key not in empty} if empty else value

    def text(self, data: dict[str, Any], key: str, path: Path, *, required: bool = True, limit: int = MAX_TEXT) -> str:
        value = data.get(key)
        if value is None:
            if required and key in data:  # a label's null (mapping() says a missing or null required key)
                self.problem((*path, key), msg("must not be empty"))
            return ""
        if not isinstance(value, str):
            self.problem((*path, key), msg("must be text, got %(kind)s", kind=_kind(value)))
            return ""
        if required and not value.strip():
            self.problem((*path, key), msg("must not be empty"))
        if len(value) > limit:
            self.problem(
                (*path, key), msg("is %(count)s characters long; the limit is %(limit)s", count=len(value), limit=limit)
            )
        return value

    def key(self, data: dict[str, Any], path: Path, field_name: str = "key") -> str:
        value = data.get(field_name)
        if value is None:
            return ""
        if not isinstance(value, str) or not KEY_PATTERN.match(value):
            self.problem(
                (*path, field_name),
                msg(
                    "must be a short key of lower-case letters, digits, '-' or '_' (at most 50), got %(value)s",
                    value=repr(value),
                ),
            )
            return str(value)
        return value

    def number(self, value: Any, path: Path) -> Fraction | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problem(path, msg("must be a number, got %(kind)s", kind=_kind(value)))
            return None
        if isinstance(value, float) and not math.isfinite(value):
            self.problem(path, msg("must be a finite number, got %(value)s", value=str(value)))
            return None
        if abs(value) > 1e9:
            self.problem(
                path, msg("is too large (%(value)s); points and values stay within one billion", value=str(value))
            )
            return None
        return exact(value)

    def unique(self, items: list[tuple[str, Path]], what: Message) -> None:
        seen: dict[str, Path] = {}
        for key, path in items:
            if not key:
                continue
            if key in seen:
                self.problem(
                    path,
                    msg(
                        "duplicate %(what)s key '%(key)s' (also at %(other)s)",
                        what=what,
                        key=key,
                        other=format_path(seen[key]),
                    ),
                )
            else:
                seen[key] = path


def _entries(
    c: _Checker, value: dict[str, Any], path: Path, keys: tuple[str, ...], unknown: Wording, missing: Wording
) -> list[str]:
    """The keys of `keys` that `value` has, in their order; each key it has that is not one of them is
    reported with `unknown(key)` and each one missing with `missing(key)`."""
    for key in value:
        if key not in keys:
            c.problem((*path, key), unknown(key))
    present = []
    for key in keys:
        if key in value:
            present.append(key)
        else:
            c.problem(path, missing(key))
    return present


Wording = Callable[[str], Message]


def _not_a_role(roles: tuple[str, ...]) -> Wording:
    return lambda key: msg(
        "'%(key)s' is not a role of this scenario (roles: %(roles)s)", key=key, roles=", ".join(roles)
    )


def _not_an_outcome(event: Event) -> Wording:
    return lambda key: msg(
        "'%(key)s' is not an outcome of '%(event)s' (outcomes: %(outcomes)s)",
        key=key,
        event=event.key,
        outcomes=", ".join(event.outcome_keys()),
    )


def _no_points(role: str) -> Message:
    return msg("the points table has no entry for role '%(role)s'", role=role)


def _kind(value: Any) -> Message:
    """What a value is, in words: "got a list"."""
    if value is None:
        return msg("nothing")
    if isinstance(value, bool):
        return msg("true/false (%(value)s)", value=str(value))
    if isinstance(value, str):
        return msg("text %(value)s", value=repr(value)) if len(value) < 40 else msg("text")
    if isinstance(value, list):
        return msg("a list")
    if isinstance(value, dict):
        return msg("a mapping")
    return msg("%(type)s %(value)s", type=type(value).__name__, value=repr(value))


def parse_scenario(text: str, source: str = "") -> Validated:
    """Validate a YAML document; raises DocumentError naming every problem, with `source` in each."""
    try:
        loaded = load_yaml(text)
    except DocumentError as exc:
        raise DocumentError(exc.problems, source) from exc
    return _validated(loaded, source)


def validate_data(data: Any) -> Validated:
    """Validate a document given as data (what JSON carries: the studio's drafts), exactly as
    parse_scenario validates the same document written as YAML, without writing and reading it again.
    The caller bounds the data first (core.studio.draft_problems); problems have no line."""
    return _validated(LoadedYaml(data=data), "")


def _validated(loaded: LoadedYaml, source: str) -> Validated:
    checker = _Checker(loaded)
    scenario = _scenario(checker, loaded.data)
    if checker.problems or scenario is None:
        raise DocumentError(checker.problems, source)
    try:
        analysis_steps(ScoringTable.from_scenario(scenario), limit=MAX_ANALYSIS_STEPS)
    except TooLargeToAnalyse:
        message = msg(
            "too large to analyse: its figures take more than %(limit)s steps (the distinct"
            " scores of the issues so far times the next issue's options); use fewer issues or options,"
            " a larger step, or points that repeat",
            limit=Number(MAX_ANALYSIS_STEPS),
        )
        raise DocumentError([Problem("issues", message, loaded.line_of(("issues",)))], source) from None
    return Validated(scenario, tuple(scenario_warnings(scenario)))


def _scenario(c: _Checker, data: Any) -> Scenario | None:
    if data is None:
        c.problem((), msg("the document is empty"))
        return None
    top = c.mapping(data, (), TOP_KEYS, TOP_REQUIRED)
    if top is None:
        return None
    slug = c.key(top, (), "slug")
    title = c.text(top, "title", (), limit=200)
    summary = c.text(top, "summary", (), limit=1000)
    situation = c.text(top, "situation", ())
    notes = c.text(top, "teaching_notes", ())
    events = _events(c, top.get("events"))
    roles = _roles(c, top.get("roles"), events)
    role_keys = tuple(r.key for r in roles)
    issues = _issues(c, top.get("issues"), role_keys, events) if roles else ()
    _events_used(c, events, issues)
    questions = _questions(c, top.get("debrief_questions"))
    author = c.text(top, "author", (), required=False, limit=200)
    licence = c.text(top, "licence", (), required=False, limit=200)
    language = document_language(c, top.get("language"))
    if c.problems:
        return None
    issues = tuple(_expected(issue, roles) for issue in issues)
    scenario = Scenario(
        slug, title, summary, situation, roles, issues, notes, questions, tuple(events.values()), author, licence,
        language,
    )  # fmt: skip
    texts = translations(c, top.get("translations"), scenario)
    if c.problems:
        return None
    return replace(scenario, translations=texts)


def _questions(c: _Checker, value: Any) -> tuple[DebriefQuestion, ...]:
    """The optional debrief questions: each a question and, optionally, the debrief figure it is asked
    beside (one of core.spec.DEBRIEF_FIGURES)."""
    path: Path = ("debrief_questions",)
    if value is None:
        return ()
    if not isinstance(value, list):
        c.problem(path, msg("must be a list of questions, got %(kind)s", kind=_kind(value)))
        return ()
    if len(value) > MAX_QUESTIONS:
        c.problem(path, msg("has %(count)s questions; the limit is %(limit)s", count=len(value), limit=MAX_QUESTIONS))
        return ()
    questions = []
    for i, item in enumerate(value):
        qpath: Path = (*path, i)
        data = c.mapping(item, qpath, QUESTION_KEYS, ("question",))
        if data is None:
            continue
        question = c.text(data, "question", qpath, limit=1000)
        figure = data.get("figure")
        if figure is not None and figure not in DEBRIEF_FIGURES:
            close = difflib.get_close_matches(str(figure), DEBRIEF_FIGURES, n=1)
            figures = ", ".join(DEBRIEF_FIGURES)
            c.problem(
                (*qpath, "figure"),
                msg(
                    "unknown figure %(figure)s; did you mean '%(close)s'? figures: %(figures)s",
                    figure=repr(figure),
                    close=close[0],
                    figures=figures,
                )
                if close
                else msg("unknown figure %(figure)s; figures: %(figures)s", figure=repr(figure), figures=figures),
            )
            figure = None
        questions.append(DebriefQuestion(question, figure))
    return tuple(questions)


def _events(c: _Checker, value: Any) -> dict[str, Event]:
    """The uncertain events by key (in document order)."""
    path: Path = ("events",)
    if value is None:
        return {}
    if not isinstance(value, list) or not value:
        c.problem(path, msg("must be a non-empty list of events, got %(kind)s", kind=_kind(value)))
        return {}
    if len(value) > MAX_EVENTS:
        c.problem(
            path,
            msg("a scenario has at most %(limit)s events, this one has %(count)s", limit=MAX_EVENTS, count=len(value)),
        )
        return {}
    events: dict[str, Event] = {}
    for i, item in enumerate(value):
        epath: Path = (*path, i)
        data = c.mapping(item, epath, EVENT_KEYS, EVENT_KEYS)
        if data is None:
            continue
        key = c.key(data, epath)
        question = c.text(data, "question", epath, limit=500)
        outcomes = _outcomes(c, data.get("outcomes"), (*epath, "outcomes"))
        if key in events:
            c.problem((*epath, "key"), msg("duplicate event key '%(key)s'", key=key))
            continue
        event = Event(key, question, outcomes, {})
        if outcomes and "distribution" in data:
            distribution = _chances(c, data["distribution"], (*epath, "distribution"), event)
            event = Event(key, question, outcomes, distribution)
        events[key] = event
    return events


def _outcomes(c: _Checker, value: Any, path: Path) -> tuple[Outcome, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not 2 <= len(value) <= MAX_OUTCOMES:
        got = len(value) if isinstance(value, list) else _kind(value)
        c.problem(
            path, msg("an event needs a list of 2 to %(limit)s outcomes, got %(got)s", limit=MAX_OUTCOMES, got=got)
        )
        return ()
    outcomes = []
    for j, item in enumerate(value):
        data = c.mapping(item, (*path, j), OUTCOME_KEYS, OUTCOME_KEYS)
        if data is not None:
            outcomes.append(Outcome(c.key(data, (*path, j)), c.text(data, "label", (*path, j), limit=200)))
    c.unique([(o.key, (*path, j, "key")) for j, o in enumerate(outcomes)], msg("outcome"))
    return tuple(outcomes)


def _chances(c: _Checker, value: Any, path: Path, event: Event) -> dict[str, Fraction]:
    """A probability for every outcome of `event`, each from 0 to 1, summing to exactly 1."""
    keys = event.outcome_keys()
    if not isinstance(value, dict):
        c.problem(
            path,
            msg(
                "must map each outcome of '%(event)s' (%(outcomes)s) to its chance, got %(kind)s",
                event=event.key,
                outcomes=", ".join(keys),
                kind=_kind(value),
            ),
        )
        return {}
    chances: dict[str, Fraction] = {}
    missing: Wording = lambda key: msg("no chance given for outcome '%(key)s' of '%(event)s'", key=key, event=event.key)  # noqa: E731
    for outcome in _entries(c, value, path, keys, _not_an_outcome(event), missing):
        number = c.number(value[outcome], (*path, outcome))
        if number is not None and not 0 <= number <= 1:
            c.problem((*path, outcome), msg("a chance is from 0 to 1, got %(value)s", value=format_number(number)))
        elif number is not None:
            chances[outcome] = number
    if len(chances) == len(keys) and sum(chances.values()) != 1:
        total = sum(chances.values(), Fraction(0))
        c.problem(
            path,
            msg(
                "the chances of '%(event)s' add up to %(total)s; they must add up to 1",
                event=event.key,
                total=format_number(total),
            ),
        )
    return chances


def _forecasts(
    c: _Checker, data: dict[str, Any], path: Path, events: dict[str, Event]
) -> dict[str, dict[str, Fraction]]:
    """A role's own forecast of every event."""
    value = data.get("forecasts")
    fpath: Path = (*path, "forecasts")
    if value is None:
        if events:
            c.problem(
                path,
                msg("missing 'forecasts': this role's chances for each event (%(events)s)", events=", ".join(events)),
            )
        return {}
    if not isinstance(value, dict):
        c.problem(
            fpath,
            msg(
                "must map each event (%(events)s) to this role's chances, got %(kind)s",
                events=", ".join(events) or msg("none"),
                kind=_kind(value),
            ),
        )
        return {}
    known = msg("events: %(events)s", events=", ".join(events)) if events else msg("the scenario has no events")
    forecasts = {}
    for key in _entries(
        c,
        value,
        fpath,
        tuple(events),
        lambda key: msg("'%(key)s' is not an event of this scenario (%(known)s)", key=key, known=known),
        lambda key: msg("no forecast for event '%(key)s'", key=key),
    ):
        if events[key].outcomes:
            forecasts[key] = _chances(c, value[key], (*fpath, key), events[key])
    return forecasts


def _caution(c: _Checker, data: dict[str, Any], path: Path) -> Fraction:
    if "caution" not in data:
        return Fraction(0)
    number = c.number(data["caution"], (*path, "caution"))
    if number is None:
        return Fraction(0)
    if not 0 <= number <= 1:
        c.problem(
            (*path, "caution"),
            msg(
                "caution is from 0 (risk-neutral) to 1 (only the worst outcome counts), got %(value)s",
                value=format_number(number),
            ),
        )
        return Fraction(0)
    return number


def _events_used(c: _Checker, events: dict[str, Event], issues: tuple[Issue, ...]) -> None:
    """Every event pays exactly one contingent issue: with two on one event, a cautious role's worst case
    of the pair would not be the sum of each one's, and a package's points would not be a sum."""
    first: dict[str, int] = {}
    for index, issue in enumerate(issues):
        if issue.kind != "contingent" or issue.event not in events:
            continue
        if issue.event in first:
            c.problem(
                ("issues", index, "event"),
                msg(
                    "event '%(event)s' already pays issues[%(index)s] (%(issue)s);"
                    " at most one contingent issue per event, so that a package's points stay the sum of its terms'",
                    event=issue.event,
                    index=first[issue.event],
                    issue=issues[first[issue.event]].key,
                ),
            )
        else:
            first[issue.event] = index
    for index, key in enumerate(events):
        if key not in first:
            c.problem(
                ("events", index), msg("no contingent issue pays by event '%(event)s'; use it or remove it", event=key)
            )


def _expected(issue: Issue, roles: tuple[Role, ...]) -> Issue:
    """A contingent issue with each option's points to each role: its certainty equivalent under the
    role's own forecast and caution."""
    if issue.kind != "contingent":
        return issue
    options = []
    for option in issue.options:
        assert option.by_outcome is not None
        points = {
            role.key: certainty_equivalent(option.by_outcome[role.key], role.forecasts[issue.event], role.caution)
            for role in roles
        }
        options.append(Option(option.key, option.label, points, option.by_outcome))
    return Issue(issue.key, issue.name, issue.description, "contingent", options=tuple(options), event=issue.event)


def _roles(c: _Checker, value: Any, events: dict[str, Event]) -> tuple[Role, ...]:
    path: Path = ("roles",)
    if value is None:
        return ()
    if not isinstance(value, list):
        c.problem(path, msg("must be a list of roles, got %(kind)s", kind=_kind(value)))
        return ()
    if len(value) != MAX_ROLES:
        c.problem(
            path,
            msg("a scenario has exactly %(limit)s roles, this one has %(count)s", limit=MAX_ROLES, count=len(value)),
        )
    roles = []
    for i, item in enumerate(value):
        rpath: Path = (*path, i)
        data = c.mapping(item, rpath, ROLE_KEYS, ROLE_REQUIRED)
        if data is None:
            continue
        key = c.key(data, rpath)
        name = c.text(data, "name", rpath, limit=100)
        batna = c.number(data["batna"], (*rpath, "batna")) if "batna" in data else None
        alternative = c.text(data, "alternative", rpath, limit=2000)
        sheet = c.text(data, "sheet", rpath)
        forecasts = _forecasts(c, data, rpath, events)
        caution = _caution(c, data, rpath)
        batna = batna if batna is not None else Fraction(0)
        roles.append(Role(key, name, batna, alternative, sheet, forecasts, caution))
    c.unique([(r.key, (*path, i, "key")) for i, r in enumerate(roles)], msg("role"))
    return tuple(roles)


def _issues(c: _Checker, value: Any, roles: tuple[str, ...], events: dict[str, Event]) -> tuple[Issue, ...]:
    path: Path = ("issues",)
    if value is None:
        return ()
    if not isinstance(value, list) or not value:
        c.problem(path, msg("must be a non-empty list of issues, got %(kind)s", kind=_kind(value)))
        return ()
    if len(value) > MAX_ISSUES:
        c.problem(path, msg("has %(count)s issues; at most %(limit)s are allowed", count=len(value), limit=MAX_ISSUES))
        return ()
    issues = []
    for i, item in enumerate(value):
        issue = _issue(c, item, (*path, i), roles, events)
        if issue is not None:
            issues.append(issue)
    c.unique([(iss.key, (*path, i, "key")) for i, iss in enumerate(issues)], msg("issue"))
    terms = sum(
        len(iss.options) if iss.kind != "numeric" else int((iss.maximum - iss.minimum) / iss.step) + 1 for iss in issues
    )
    if terms > MAX_TERMS:
        c.problem(
            path,
            msg(
                "the issues have %(count)s options and numeric values in all; at most %(limit)s are allowed"
                " (a larger step, or fewer issues)",
                count=Number(terms),
                limit=Number(MAX_TERMS),
            ),
        )
    return tuple(issues)


def _issue(c: _Checker, item: Any, path: Path, roles: tuple[str, ...], events: dict[str, Event]) -> Issue | None:
    data = c.mapping(item, path, ISSUE_KEYS, ("key", "name"))
    if data is None:
        return None
    key = c.key(data, path)
    name = c.text(data, "name", path, limit=200)
    description = c.text(data, "description", path, required=False, limit=2000)
    kind = data.get("type", "options")
    if kind not in ISSUE_TYPES:
        c.problem((*path, "type"), msg("must be 'options', 'numeric' or 'contingent', got %(value)s", value=repr(kind)))
        return None
    if kind != "contingent" and "event" in data:
        c.problem((*path, "event"), msg("'event' belongs to contingent issues; add 'type: contingent'"))
    if kind == "numeric":
        return _numeric_issue(c, data, path, roles, key, name, description)
    for field_name in ("min", "max", "step", "unit", "points"):
        if field_name in data:
            c.problem(
                (*path, field_name), msg("'%(field)s' belongs to numeric issues; add 'type: numeric'", field=field_name)
            )
    event = None
    if kind == "contingent":
        event = _issue_event(c, data, path, events)
    options_value = data.get("options")
    if not isinstance(options_value, list) or len(options_value) < 2:
        got: str | int = msg("none") if options_value is None else _kind(options_value)
        if isinstance(options_value, list):
            got = len(options_value)
        c.problem(
            (*path, "options") if "options" in data else path,
            msg(
                "an issue needs at least two options to choose between (got %(got)s), or 'type: numeric' "
                "with min, max and step",
                got=got,
            ),
        )
        return None
    options = []
    for j, raw in enumerate(options_value):
        opath: Path = (*path, "options", j)
        odata = c.mapping(raw, opath, OPTION_KEYS, OPTION_KEYS)
        if odata is None:
            continue
        okey = c.key(odata, opath)
        label = c.text(odata, "label", opath, limit=200)
        if kind == "contingent":
            by_outcome = _outcome_points(c, odata.get("points"), (*opath, "points"), roles, event)
            options.append(Option(okey, label, {}, by_outcome))
        else:
            options.append(Option(okey, label, _points(c, odata.get("points"), (*opath, "points"), roles)))
    c.unique([(o.key, (*path, "options", j, "key")) for j, o in enumerate(options)], msg("option"))
    if kind == "contingent":
        if event is None:
            return None
        return Issue(key, name, description, "contingent", options=tuple(options), event=event.key)
    return Issue(key, name, description, "options", options=tuple(options))


def _issue_event(c: _Checker, data: dict[str, Any], path: Path, events: dict[str, Event]) -> Event | None:
    value = data.get("event")
    if value is None:
        c.problem(path, msg("a contingent issue needs 'event': the key of the event its options pay by"))
        return None
    if not isinstance(value, str) or value not in events:
        known = msg("events: %(events)s", events=", ".join(events)) if events else msg("the scenario has no 'events'")
        c.problem(
            (*path, "event"),
            msg("%(value)s is not an event of this scenario (%(known)s)", value=repr(value), known=known),
        )
        return None
    event = events[value]
    return event if event.outcomes else None


def _outcome_points(
    c: _Checker, value: Any, path: Path, roles: tuple[str, ...], event: Event | None
) -> dict[str, dict[str, Fraction]]:
    """A contingent option's points: per role a number (the same whatever the outcome) or a mapping of
    every outcome of the event to the points it pays."""
    if value is None or event is None:
        return {}
    if not isinstance(value, dict):
        c.problem(path, _points_mapping(roles, value))
        return {}
    keys = event.outcome_keys()
    table: dict[str, dict[str, Fraction]] = {}
    for role in _entries(c, value, path, roles, _not_a_role(roles), _no_points):
        raw = value[role]
        if not isinstance(raw, dict):
            number = c.number(raw, (*path, role))
            if number is not None:
                table[role] = dict.fromkeys(keys, number)
            continue
        row = {}
        missing: Wording = lambda key: msg("no points for outcome '%(key)s' of '%(event)s'", key=key, event=event.key)  # noqa: E731
        for outcome in _entries(c, raw, (*path, role), keys, _not_an_outcome(event), missing):
            number = c.number(raw[outcome], (*path, role, outcome))
            if number is not None:
                row[outcome] = number
        table[role] = row
    return table


def _points_mapping(roles: tuple[str, ...], value: Any) -> Message:
    return msg("must map each role (%(roles)s) to its points, got %(kind)s", roles=", ".join(roles), kind=_kind(value))


def _points(c: _Checker, value: Any, path: Path, roles: tuple[str, ...]) -> dict[str, Fraction]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        c.problem(path, _points_mapping(roles, value))
        return {}
    points = {}
    for role in _entries(c, value, path, roles, _not_a_role(roles), _no_points):
        number = c.number(value[role], (*path, role))
        if number is not None:
            points[role] = number
    return points


def _numeric_issue(
    c: _Checker, data: dict[str, Any], path: Path, roles: tuple[str, ...], key: str, name: str, description: str
) -> Issue | None:
    for field_name in ("min", "max", "step", "points"):
        if field_name not in data:
            c.problem(path, msg("a numeric issue needs '%(field)s'", field=field_name))
    if "options" in data:
        c.problem((*path, "options"), msg("a numeric issue has no options; its values come from min, max and step"))
    unit = c.text(data, "unit", path, required=False, limit=20)
    low = c.number(data["min"], (*path, "min")) if "min" in data else None
    high = c.number(data["max"], (*path, "max")) if "max" in data else None
    step = c.number(data["step"], (*path, "step")) if "step" in data else None
    if low is None or high is None or step is None:
        return None
    if high < low:
        c.problem(
            (*path, "max"), msg("max (%(max)s) is below min (%(min)s)", max=format_number(high), min=format_number(low))
        )
        return None
    if step <= 0:
        c.problem((*path, "step"), msg("step must be positive, got %(value)s", value=format_number(step)))
        return None
    span = (high - low) / step
    if span.denominator != 1:
        c.problem(
            (*path, "step"),
            msg(
                "step %(step)s does not divide the range %(min)s to %(max)s into whole steps",
                step=format_number(step),
                min=format_number(low),
                max=format_number(high),
            ),
        )
        return None
    if span + 1 > MAX_GRID:
        c.problem(
            (*path, "step"),
            msg("the range has %(count)s values; at most %(limit)s are allowed", count=int(span) + 1, limit=MAX_GRID),
        )
        return None
    linear: dict[str, Linear] = {}
    raw = data.get("points")
    ppath: Path = (*path, "points")
    if raw is not None and not isinstance(raw, dict):
        c.problem(ppath, msg("must map each role to {at_min, at_max}, got %(kind)s", kind=_kind(raw)))
        return None
    raw = raw or {}
    for role in raw:
        if role not in roles:
            c.problem((*ppath, role), _not_a_role(roles)(role))
    for role in roles:
        if role not in raw:
            if "points" in data:
                c.problem(ppath, _no_points(role))
            continue
        line = c.mapping(raw[role], (*ppath, role), LINEAR_KEYS, LINEAR_KEYS)
        if line is None:
            continue
        at_min = c.number(line["at_min"], (*ppath, role, "at_min")) if "at_min" in line else None
        at_max = c.number(line["at_max"], (*ppath, role, "at_max")) if "at_max" in line else None
        if at_min is not None and at_max is not None:
            linear[role] = Linear(at_min, at_max)
    return Issue(key, name, description, "numeric", minimum=low, maximum=high, step=step, unit=unit, linear=linear)


def load_scenario_file(path: str) -> Validated:
    return parse_scenario(read_document(path), source=str(path))
