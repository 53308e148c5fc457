"""What the scenario studio shows beside a document as it is written: the same validation as an import
(every problem with its path), the check's warnings, and the figures of the scenario report with the
region of every outcome, in one answer (docs/studio.md).

A draft is a document as data (what JSON carries); it is bounded as a YAML document is (values, depth:
core.documents) before anything else, then validated by core.scenario_document as the same document
written as YAML would be (validate_data: the checks are the import's, the YAML text is skipped), so that
the studio and the import do not disagree (tests/test_studio_core.py holds the two to the same answers).
"""

from __future__ import annotations

import math
from typing import Any

import yaml

from core.analysis import ScoringTable, report_json, scenario_figures
from core.documents import (
    MAX_DEPTH,
    MAX_DOCUMENT,
    MAX_NODES,
    DocumentError,
    Problem,
    format_path,
    too_deep,
    too_many_values,
)
from core.messages import Number, message_json, msg
from core.scenario_document import validate_data
from core.spec import Scenario, plain


def draft_problems(data: Any, *, stored: bool = False) -> list[Problem]:
    """The bounds of a document, on data: too many values, too deep, or a value JSON has but a scenario
    document cannot hold; when it is to be `stored`, also a number JSON cannot carry (NaN, Infinity, which
    the validation names otherwise). Walks the data without recursion, so that no nesting can exhaust the
    stack."""
    nodes = 0
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            return [Problem("(document)", too_many_values())]
        if len(path) > MAX_DEPTH:
            return [Problem(format_path(path), too_deep())]
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str):
                    return [Problem(format_path(path), msg("every key is text"))]
                stack.append((item, (*path, key)))
        elif isinstance(value, list):
            stack.extend((item, (*path, index)) for index, item in enumerate(value))
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**100:
            return [Problem(format_path(path), msg("is too large: points and values stay within one billion"))]
        elif stored and isinstance(value, float) and not math.isfinite(value):
            return [Problem(format_path(path), msg("is not a finite number"))]
        elif not (value is None or isinstance(value, str | int | float | bool)):
            problem = msg("%(type)s is not a value a scenario document holds", type=type(value).__name__)
            return [Problem(format_path(path), problem)]
    return []


class _Plain(yaml.SafeDumper):
    """Every value written out in full: the same object twice in the data is not an alias (which the
    import refuses)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def draft_text(data: Any) -> str:
    """The draft as a YAML document, as it would be exported (keys in the order the studio keeps them).
    Raises DocumentError when the data are past a bound."""
    problems = draft_problems(data)
    if problems:
        raise DocumentError(problems)
    text = yaml.dump(data, Dumper=_Plain, sort_keys=False, allow_unicode=True, width=110)
    if len(text) > MAX_DOCUMENT:
        message = msg(
            "the document has %(count)s characters as YAML; at most %(limit)s are allowed",
            count=Number(len(text)),
            limit=Number(MAX_DOCUMENT),
        )
        raise DocumentError([Problem("(document)", message)])
    return text


def analyse_draft(data: Any) -> dict[str, Any]:
    """The studio's answer for a draft: `valid`, `problems` (path and message, as the import says them, with
    the message's template and parameters), and for a valid draft its `warnings` (their text), the same with
    each one's template and parameters (`warning_details`), and `figures` (the scenario report's, with
    `region`)."""
    problems = draft_problems(data)
    try:
        if problems:
            raise DocumentError(problems)
        validated = validate_data(data)
    except DocumentError as error:
        found = [{"path": p.path, "message": p.message, **message_json(p.message)} for p in error.problems]
        return {"valid": False, "problems": found}
    return {
        "valid": True,
        "problems": [],
        "warnings": list(validated.warnings),
        "warning_details": [{"message": w, **message_json(w)} for w in validated.warnings],
        "figures": scenario_report(validated.scenario),
    }


def scenario_report(scenario: Scenario) -> dict[str, Any]:
    """The scenario report's figures (core.analysis.report_json), with each role's name and `region`: the
    corners of the smallest convex polygon holding every outcome, anticlockwise from the leftmost."""
    table = ScoringTable.from_scenario(scenario)
    report = report_json(table, scenario.slug, scenario_figures(table))
    report["role_names"] = [role.name for role in scenario.roles]
    report["region"] = [[plain(table.real(a)), plain(table.real(b))] for a, b in outcome_hull(table)]
    return report


Point = tuple[int, int]


def outcome_hull(table: ScoringTable) -> list[Point]:
    """The convex hull of every outcome's (points of A, points of B), scaled: the Minkowski sum of the
    issues' own hulls (an outcome's point is the sum of one option's point per issue), so it costs the
    issues' options, not the outcomes."""
    hull: list[Point] = [(0, 0)]
    for column in table.columns:
        hull = _convex_hull([(a + oa, b + ob) for a, b in hull for oa, ob in _convex_hull(list(column.points))])
    return hull


def _convex_hull(points: list[Point]) -> list[Point]:
    """Andrew's monotone chain: the corners anticlockwise, from the leftmost (the lowest of those); collinear
    points dropped. One or two corners for degenerate sets."""
    unique = sorted(set(points))
    if len(unique) <= 2:
        return unique

    def cross(o: Point, a: Point, b: Point) -> int:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[Point] = []
    for p in unique:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[Point] = []
    for p in reversed(unique):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]
