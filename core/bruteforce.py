"""The oracle: every figure of core.analysis computed by enumerating every outcome.

Written for obviousness, not speed; the tests hold the fast code to it, and the frontier
benchmark times the two side by side.
"""

from __future__ import annotations

import functools
import itertools
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from core.analysis import SOLUTIONS, Figures, FrontierPoint, ScoringTable, split_the_difference
from core.spec import exact, format_number


def all_outcomes(table: ScoringTable) -> Counter[tuple[int, int]]:
    sums: Counter[tuple[int, int]] = Counter()
    for combo in itertools.product(*(column.points for column in table.columns)):
        sums[(sum(a for a, _ in combo), sum(b for _, b in combo))] += 1
    return sums


def brute_frontier(table: ScoringTable) -> list[FrontierPoint]:
    """Every outcome enumerated, then one sweep: by a descending, keep a point whose b beats all before."""
    sums = all_outcomes(table)
    frontier = []
    best_b = None
    for a, b in sorted(sums, key=lambda p: (-p[0], -p[1])):
        if best_b is None or b > best_b:
            frontier.append(FrontierPoint(a, b, sums[(a, b)]))
            best_b = b
    return frontier


def _solution(feasible: list[tuple[Any, Any]], da: Any, db: Any, key: Any) -> Any:
    """The feasible point that maximises a bargaining solution's criterion (None when none is)."""
    if not feasible:
        return None
    ideal = (max(a for a, _ in feasible), max(b for _, b in feasible))
    return max(feasible, key=lambda p: key(p[0], p[1], da, db, ideal))


def brute_figures(table: ScoringTable) -> Figures:
    sums = all_outcomes(table)
    da, db = table.batna
    feasible = [(a, b) for a, b in sums if a >= da and b >= db]
    best = functools.partial(_solution, feasible, da, db)
    max_joint = max(a + b for a, b in sums)
    return Figures(
        outcomes=sum(sums.values()),
        max_joint=table.real(max_joint),
        frontier=brute_frontier(table),
        feasible_outcomes=sum(sums[p] for p in feasible),
        nash=best(SOLUTIONS["nash"]),
        kalai_smorodinsky=best(SOLUTIONS["kalai_smorodinsky"]),
        egalitarian=best(SOLUTIONS["egalitarian"]),
        integrative_potential=table.real(Fraction(2 * max_joint - split_the_difference(table), 2)),
    )


# The oracle of contingent terms: every package of a raw scenario document (the dict its YAML loads
# to, in the format of docs/scenarios.md) scored from the document's own numbers, without
# core.scenario_document or core.spec.Issue. A role's points for a package are its certainty
# equivalent of the whole package over every combination of the events' outcomes (its forecasts taken
# as independent): (1 - c) * expectation + c * worst case, so the rule's being a sum over issues is
# checked, not assumed.

Package = tuple[str, ...]  # an option key per issue, in document order


def _terms(issue: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every term of a raw issue with its raw points per role (a number, or points by outcome)."""
    if issue.get("type") != "numeric":
        return [(option["key"], option["points"]) for option in issue["options"]]
    low, high, step = exact(issue["min"]), exact(issue["max"]), exact(issue["step"])
    terms = []
    for i in range(int((high - low) / step) + 1):
        value = low + i * step
        points = {}
        for role, line in issue["points"].items():
            at_min, at_max = exact(line["at_min"]), exact(line["at_max"])
            points[role] = at_min if high == low else at_min + (at_max - at_min) * (value - low) / (high - low)
        terms.append((format_number(value), points))
    return terms


def _paid(raw: Any, issue: dict[str, Any], world: dict[str, str]) -> Fraction:
    """What a raw points entry pays when the events came out as `world`."""
    if isinstance(raw, dict):
        return exact(raw[world[issue["event"]]])
    return exact(raw)


def _worlds(document: dict[str, Any]) -> list[dict[str, str]]:
    events = document.get("events") or []
    keys = [event["key"] for event in events]
    outcomes = [[o["key"] for o in event["outcomes"]] for event in events]
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*outcomes)]


def _chance(role: dict[str, Any], world: dict[str, str]) -> Fraction:
    chance = Fraction(1)
    for event, outcome in world.items():
        chance *= exact(role["forecasts"][event][outcome])
    return chance


def document_points(document: dict[str, Any]) -> dict[Package, tuple[Fraction, Fraction]]:
    """Every package of the document with the points of both roles (certainty equivalents)."""
    roles = document["roles"]
    issues = document["issues"]
    worlds = _worlds(document)
    result = {}
    for combo in itertools.product(*(_terms(issue) for issue in issues)):
        scores = []
        for role in roles:
            totals = [
                sum(
                    (_paid(pts[role["key"]], issue, w) for issue, (_, pts) in zip(issues, combo, strict=True)),
                    Fraction(0),
                )
                for w in worlds
            ]
            scores.append(_certainty(role, worlds, totals))
        result[tuple(key for key, _ in combo)] = (scores[0], scores[1])
    return result


def document_realised(document: dict[str, Any], package: Package, world: dict[str, str]) -> tuple[Fraction, Fraction]:
    """The points both roles got from a package once every event came out as in `world`."""
    scores = []
    for role in document["roles"]:
        total = Fraction(0)
        for issue, key in zip(document["issues"], package, strict=True):
            total += _paid(dict(_terms(issue))[key][role["key"]], issue, world)
        scores.append(total)
    return scores[0], scores[1]


@dataclass(frozen=True)
class DocumentFigures:
    """The figures of docs/scenarios.md in true points (not scaled)."""

    outcomes: int
    max_joint: Fraction
    frontier: list[tuple[Fraction, Fraction, int]]
    feasible_outcomes: int
    nash: tuple[Fraction, Fraction] | None
    kalai_smorodinsky: tuple[Fraction, Fraction] | None
    egalitarian: tuple[Fraction, Fraction] | None
    integrative_potential: Fraction
    max_joint_flat: Fraction | None  # the most joint points with a flat option on every contingent issue


def document_figures(document: dict[str, Any]) -> DocumentFigures:
    every = document_points(document)
    sums = Counter(every.values())
    da, db = (exact(role["batna"]) for role in document["roles"])
    frontier = []
    best_b = None
    for a, b in sorted(sums, key=lambda p: (-p[0], -p[1])):
        if best_b is None or b > best_b:
            frontier.append((a, b, sums[(a, b)]))
            best_b = b
    feasible = [(a, b) for a, b in sums if a >= da and b >= db]
    best = functools.partial(_solution, feasible, da, db)

    max_joint = max(a + b for a, b in sums)
    middle = Fraction(0)  # each side's mean of its best and worst points on every issue, over the issues
    for index in range(len(document["issues"])):
        for side in (0, 1):
            alone = [_alone(document, index, side, key) for key, _ in _terms(document["issues"][index])]
            middle += (max(alone) + min(alone)) / 2
    flat = [p for p in every if all(_flat(document, i, p[i]) for i in range(len(p)))]
    return DocumentFigures(
        outcomes=len(every),
        max_joint=max_joint,
        frontier=frontier,
        feasible_outcomes=sum(sums[p] for p in feasible),
        nash=best(SOLUTIONS["nash"]),
        kalai_smorodinsky=best(SOLUTIONS["kalai_smorodinsky"]),
        egalitarian=best(SOLUTIONS["egalitarian"]),
        integrative_potential=max_joint - middle,
        max_joint_flat=max((every[p][0] + every[p][1] for p in flat), default=None),
    )


def _alone(document: dict[str, Any], index: int, side: int, key: str) -> Fraction:
    """A term's points to one side, by the rule applied to that term alone."""
    role = document["roles"][side]
    issue = document["issues"][index]
    raw = dict(_terms(issue))[key][role["key"]]
    worlds = _worlds(document)
    return _certainty(role, worlds, [_paid(raw, issue, w) for w in worlds])


def _certainty(role: dict[str, Any], worlds: list[dict[str, str]], totals: list[Fraction]) -> Fraction:
    caution = exact(role.get("caution", 0))
    expected = sum((_chance(role, w) * t for w, t in zip(worlds, totals, strict=True)), Fraction(0))
    return (1 - caution) * expected + caution * min(totals)


def _flat(document: dict[str, Any], index: int, key: str) -> bool:
    issue = document["issues"][index]
    if issue.get("type") != "contingent":
        return True
    raw = dict(_terms(issue))[key]
    return all(not isinstance(p, dict) or len({exact(x) for x in p.values()}) == 1 for p in raw.values())
