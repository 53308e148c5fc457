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
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from core.analysis import MAX_ANALYSIS_STEPS, ScoringTable, TooLargeToAnalyse, analysis_steps
from core.documents import DocumentError, LoadedYaml, Path, Problem, format_path, load_yaml, read_document
from core.scenario_check import scenario_warnings
from core.spec import DEBRIEF_FIGURES, DebriefQuestion, Issue, Linear, Option, Role, Scenario, exact, format_number

KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")
MAX_ROLES = 2
MAX_GRID = 2001
MAX_TEXT = 50_000


@dataclass(frozen=True)
class Validated:
    scenario: Scenario
    warnings: tuple[str, ...]


TOP_KEYS = ("slug", "title", "summary", "situation", "roles", "issues", "teaching_notes", "debrief_questions")
REQUIRED_TOP_KEYS = TOP_KEYS[:-1]
QUESTION_KEYS = ("question", "figure")
MAX_QUESTIONS = 40
ROLE_KEYS = ("key", "name", "batna", "alternative", "sheet")
ISSUE_KEYS = ("key", "name", "description", "type", "options", "min", "max", "step", "unit", "points")
OPTION_KEYS = ("key", "label", "points")
LINEAR_KEYS = ("at_min", "at_max")


class _Checker:
    """Walks the loaded data; collects problems instead of stopping at the first."""

    def __init__(self, loaded: LoadedYaml) -> None:
        self.loaded = loaded
        self.problems: list[Problem] = list(loaded.problems)

    def problem(self, path: Path, message: str) -> None:
        self.problems.append(Problem(format_path(path), message, self.loaded.line_of(path)))

    def mapping(
        self, value: Any, path: Path, allowed: tuple[str, ...], required: tuple[str, ...]
    ) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.problem(path, f"must be a mapping of keys ({', '.join(allowed)}), got {_kind(value)}")
            return None
        for key in value:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f"; did you mean '{close[0]}'?" if close else f"; allowed keys: {', '.join(allowed)}"
                self.problem((*path, key), f"unknown key '{key}'{hint}")
        for key in required:
            if key not in value:
                self.problem(path, f"missing required key '{key}'")
        return value

    def text(self, data: dict[str, Any], key: str, path: Path, *, required: bool = True, limit: int = MAX_TEXT) -> str:
        value = data.get(key)
        if value is None:
            return ""  # a missing required key is already reported by mapping()
        if not isinstance(value, str):
            self.problem((*path, key), f"must be text, got {_kind(value)}")
            return ""
        if required and not value.strip():
            self.problem((*path, key), "must not be empty")
        if len(value) > limit:
            self.problem((*path, key), f"is {len(value)} characters long; the limit is {limit}")
        return value

    def key(self, data: dict[str, Any], path: Path, field_name: str = "key") -> str:
        value = data.get(field_name)
        if value is None:
            return ""
        if not isinstance(value, str) or not KEY_PATTERN.match(value):
            self.problem(
                (*path, field_name),
                f"must be a short key of lower-case letters, digits, '-' or '_' (at most 50), got {value!r}",
            )
            return str(value)
        return value

    def number(self, value: Any, path: Path) -> Fraction | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problem(path, f"must be a number, got {_kind(value)}")
            return None
        if isinstance(value, float) and not math.isfinite(value):
            self.problem(path, f"must be a finite number, got {value}")
            return None
        if abs(value) > 1e9:
            self.problem(path, f"is too large ({value}); points and values stay within one billion")
            return None
        return exact(value)

    def unique(self, items: list[tuple[str, Path]], what: str) -> None:
        seen: dict[str, Path] = {}
        for key, path in items:
            if not key:
                continue
            if key in seen:
                self.problem(path, f"duplicate {what} key '{key}' (also at {format_path(seen[key])})")
            else:
                seen[key] = path


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"true/false ({value})"
    if isinstance(value, str):
        return f"text {value!r}" if len(value) < 40 else "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"{type(value).__name__} {value!r}"


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
        message = (
            f"too large to analyse: its figures take more than {MAX_ANALYSIS_STEPS:,} steps (the distinct"
            " scores of the issues so far times the next issue's options); use fewer issues or options,"
            " a larger step, or points that repeat"
        )
        raise DocumentError([Problem("issues", message, loaded.line_of(("issues",)))], source) from None
    return Validated(scenario, tuple(scenario_warnings(scenario)))


def _scenario(c: _Checker, data: Any) -> Scenario | None:
    if data is None:
        c.problem((), "the document is empty")
        return None
    top = c.mapping(data, (), TOP_KEYS, REQUIRED_TOP_KEYS)
    if top is None:
        return None
    slug = c.key(top, (), "slug")
    title = c.text(top, "title", (), limit=200)
    summary = c.text(top, "summary", (), limit=1000)
    situation = c.text(top, "situation", ())
    notes = c.text(top, "teaching_notes", ())
    roles = _roles(c, top.get("roles"))
    role_keys = tuple(r.key for r in roles)
    issues = _issues(c, top.get("issues"), role_keys) if roles else ()
    questions = _questions(c, top.get("debrief_questions"))
    if c.problems:
        return None
    return Scenario(slug, title, summary, situation, roles, issues, notes, questions)


def _questions(c: _Checker, value: Any) -> tuple[DebriefQuestion, ...]:
    """The optional debrief questions: each a question and, optionally, the debrief figure it is asked
    beside (one of core.spec.DEBRIEF_FIGURES)."""
    path: Path = ("debrief_questions",)
    if value is None:
        return ()
    if not isinstance(value, list):
        c.problem(path, f"must be a list of questions, got {_kind(value)}")
        return ()
    if len(value) > MAX_QUESTIONS:
        c.problem(path, f"has {len(value)} questions; the limit is {MAX_QUESTIONS}")
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
            hint = f"did you mean '{close[0]}'? " if close else ""
            c.problem((*qpath, "figure"), f"unknown figure {figure!r}; {hint}figures: {', '.join(DEBRIEF_FIGURES)}")
            figure = None
        questions.append(DebriefQuestion(question, figure))
    return tuple(questions)


def _roles(c: _Checker, value: Any) -> tuple[Role, ...]:
    path: Path = ("roles",)
    if value is None:
        return ()
    if not isinstance(value, list):
        c.problem(path, f"must be a list of roles, got {_kind(value)}")
        return ()
    if len(value) != MAX_ROLES:
        c.problem(path, f"a scenario has exactly {MAX_ROLES} roles, this one has {len(value)}")
    roles = []
    for i, item in enumerate(value):
        rpath: Path = (*path, i)
        data = c.mapping(item, rpath, ROLE_KEYS, ROLE_KEYS)
        if data is None:
            continue
        key = c.key(data, rpath)
        name = c.text(data, "name", rpath, limit=100)
        batna = c.number(data["batna"], (*rpath, "batna")) if "batna" in data else None
        alternative = c.text(data, "alternative", rpath, limit=2000)
        sheet = c.text(data, "sheet", rpath)
        roles.append(Role(key, name, batna if batna is not None else Fraction(0), alternative, sheet))
    c.unique([(r.key, (*path, i, "key")) for i, r in enumerate(roles)], "role")
    return tuple(roles)


def _issues(c: _Checker, value: Any, roles: tuple[str, ...]) -> tuple[Issue, ...]:
    path: Path = ("issues",)
    if value is None:
        return ()
    if not isinstance(value, list) or not value:
        c.problem(path, f"must be a non-empty list of issues, got {_kind(value)}")
        return ()
    issues = []
    for i, item in enumerate(value):
        issue = _issue(c, item, (*path, i), roles)
        if issue is not None:
            issues.append(issue)
    c.unique([(iss.key, (*path, i, "key")) for i, iss in enumerate(issues)], "issue")
    return tuple(issues)


def _issue(c: _Checker, item: Any, path: Path, roles: tuple[str, ...]) -> Issue | None:
    data = c.mapping(item, path, ISSUE_KEYS, ("key", "name"))
    if data is None:
        return None
    key = c.key(data, path)
    name = c.text(data, "name", path, limit=200)
    description = c.text(data, "description", path, required=False, limit=2000)
    kind = data.get("type", "options")
    if kind not in ("options", "numeric"):
        c.problem((*path, "type"), f"must be 'options' or 'numeric', got {kind!r}")
        return None
    if kind == "numeric":
        return _numeric_issue(c, data, path, roles, key, name, description)
    for field_name in ("min", "max", "step", "unit", "points"):
        if field_name in data:
            c.problem((*path, field_name), f"'{field_name}' belongs to numeric issues; add 'type: numeric'")
    options_value = data.get("options")
    if not isinstance(options_value, list) or len(options_value) < 2:
        got = "none" if options_value is None else _kind(options_value)
        if isinstance(options_value, list):
            got = f"{len(options_value)}"
        c.problem(
            (*path, "options") if "options" in data else path,
            f"an issue needs at least two options to choose between (got {got}), or 'type: numeric' "
            "with min, max and step",
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
        points = _points(c, odata.get("points"), (*opath, "points"), roles)
        options.append(Option(okey, label, points))
    c.unique([(o.key, (*path, "options", j, "key")) for j, o in enumerate(options)], "option")
    return Issue(key, name, description, "options", options=tuple(options))


def _points(c: _Checker, value: Any, path: Path, roles: tuple[str, ...]) -> dict[str, Fraction]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        c.problem(path, f"must map each role ({', '.join(roles)}) to its points, got {_kind(value)}")
        return {}
    points = {}
    for role in value:
        if role not in roles:
            c.problem((*path, role), f"'{role}' is not a role of this scenario (roles: {', '.join(roles)})")
    for role in roles:
        if role not in value:
            c.problem(path, f"the points table has no entry for role '{role}'")
            continue
        number = c.number(value[role], (*path, role))
        if number is not None:
            points[role] = number
    return points


def _numeric_issue(
    c: _Checker, data: dict[str, Any], path: Path, roles: tuple[str, ...], key: str, name: str, description: str
) -> Issue | None:
    for field_name in ("min", "max", "step", "points"):
        if field_name not in data:
            c.problem(path, f"a numeric issue needs '{field_name}'")
    if "options" in data:
        c.problem((*path, "options"), "a numeric issue has no options; its values come from min, max and step")
    unit = c.text(data, "unit", path, required=False, limit=20)
    low = c.number(data["min"], (*path, "min")) if "min" in data else None
    high = c.number(data["max"], (*path, "max")) if "max" in data else None
    step = c.number(data["step"], (*path, "step")) if "step" in data else None
    if low is None or high is None or step is None:
        return None
    if high < low:
        c.problem((*path, "max"), f"max ({format_number(high)}) is below min ({format_number(low)})")
        return None
    if step <= 0:
        c.problem((*path, "step"), f"step must be positive, got {format_number(step)}")
        return None
    span = (high - low) / step
    if span.denominator != 1:
        c.problem(
            (*path, "step"),
            f"step {format_number(step)} does not divide the range {format_number(low)} to "
            f"{format_number(high)} into whole steps",
        )
        return None
    if span + 1 > MAX_GRID:
        c.problem((*path, "step"), f"the range has {int(span) + 1} values; at most {MAX_GRID} are allowed")
        return None
    linear: dict[str, Linear] = {}
    raw = data.get("points")
    ppath: Path = (*path, "points")
    if raw is not None and not isinstance(raw, dict):
        c.problem(ppath, f"must map each role to {{at_min, at_max}}, got {_kind(raw)}")
        return None
    raw = raw or {}
    for role in raw:
        if role not in roles:
            c.problem((*ppath, role), f"'{role}' is not a role of this scenario (roles: {', '.join(roles)})")
    for role in roles:
        if role not in raw:
            if "points" in data:
                c.problem(ppath, f"the points table has no entry for role '{role}'")
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
