"""A pair's outcome: points, surplus, efficiency, Pareto-optimality, and a better-for-both package."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from core.analysis import FrontierPoint
from core.metrics.landscape import (
    IssueProfile,
    Landscape,
    Package,
    Point,
    by_role,
    plain_or_none,
)
from core.spec import plain

# Per-pair outcome


@dataclass(frozen=True)
class Suggestion:
    """A complete package that would have left both sides at least as well off."""

    package: dict[str, str]
    points: tuple[Fraction, Fraction]
    gain: tuple[Fraction, Fraction]  # over the pair's result
    changed: tuple[str, ...] | None  # issues whose option differs from the agreement; None for an impasse

    @property
    def better_for_both(self) -> bool:
        """Strictly better for both, not only better for one and no worse for the other."""
        return self.gain[0] > 0 and self.gain[1] > 0

    def as_json(self, roles: tuple[str, str]) -> dict[str, Any]:
        return {
            "package": dict(self.package),
            "points": by_role(roles, self.points),
            "gain": by_role(roles, self.gain),
            "changed": None if self.changed is None else list(self.changed),
            "better_for_both": self.better_for_both,
        }


@dataclass(frozen=True)
class PairOutcome:
    roles: tuple[str, str]
    agreement: dict[str, str] | None  # None: impasse
    points: tuple[Fraction, Fraction]  # (u_A, u_B); (d_A, d_B) for an impasse
    surplus: tuple[Fraction, Fraction]  # u - d
    share: tuple[Fraction, Fraction] | None  # of the joint surplus; None when it is <= 0
    joint: Fraction
    efficiency: Fraction | None  # joint / max joint; None when max joint <= 0
    pareto_optimal: bool
    value_left: Fraction
    distance_to_frontier: float
    distance_to_nash: float | None  # None when no outcome is feasible (no Nash point)
    dominated_by: int
    compatible_issues: tuple[str, ...]
    lose_lose_issues: tuple[str, ...]
    logrolls: tuple[tuple[str, str], ...]  # (A's priority issue, B's priority issue)
    below_batna: tuple[str, ...]  # roles whose points are below their BATNA
    suggestion: Suggestion | None

    @property
    def impasse(self) -> bool:
        return self.agreement is None

    @property
    def lose_lose(self) -> bool:
        return bool(self.lose_lose_issues)

    @property
    def logrolling(self) -> bool:
        return bool(self.logrolls)

    def as_json(self) -> dict[str, Any]:
        roles = self.roles
        return {
            "impasse": self.impasse,
            "agreement": None if self.agreement is None else dict(self.agreement),
            "points": by_role(roles, self.points),
            "surplus": by_role(roles, self.surplus),
            "share": None if self.share is None else by_role(roles, self.share),
            "joint": plain(self.joint),
            "efficiency": plain_or_none(self.efficiency),
            "pareto_optimal": self.pareto_optimal,
            "value_left": plain(self.value_left),
            "distance_to_frontier": self.distance_to_frontier,
            "distance_to_nash": self.distance_to_nash,
            "dominated_by": self.dominated_by,
            "compatible_issues": list(self.compatible_issues),
            "lose_lose_issues": list(self.lose_lose_issues),
            "lose_lose": self.lose_lose,
            "logrolls": [list(pair) for pair in self.logrolls],
            "logrolling": self.logrolling,
            "below_batna": list(self.below_batna),
            "suggestion": None if self.suggestion is None else self.suggestion.as_json(roles),
        }


def pair_outcome(land: Landscape, agreement: Package | None) -> PairOutcome:
    """Every outcome metric of one pair: a complete package agreed, or None for an impasse."""
    chosen = None if agreement is None else land.indices(agreement)
    p = land.batna if chosen is None else land.point_of(chosen)
    da, db = land.batna
    surplus = (p[0] - da, p[1] - db)
    joint_surplus = surplus[0] + surplus[1]
    share = None
    if joint_surplus > 0:
        share = (Fraction(surplus[0], joint_surplus), Fraction(surplus[1], joint_surplus))
    above = land.dominating(p)
    strictly_above = [q for q in above if (q.a, q.b) != p]
    value_left = max(q.a + q.b for q in above) - (p[0] + p[1]) if above else 0
    distance = min((_squared(q.a - p[0], q.b - p[1]) for q in above), default=0)
    nash = land.nash
    compatible = tuple(issue.key for issue in land.issues if issue.compatible)
    return PairOutcome(
        roles=land.roles,
        agreement=None if chosen is None else land.package_of(chosen),
        points=(land.real(p[0]), land.real(p[1])),
        surplus=(land.real(surplus[0]), land.real(surplus[1])),
        share=share,
        joint=land.real(p[0] + p[1]),
        efficiency=Fraction(p[0] + p[1], land.max_joint) if land.max_joint > 0 else None,
        pareto_optimal=not strictly_above,
        value_left=land.real(value_left),
        distance_to_frontier=math.sqrt(distance) / land.table.scale,
        distance_to_nash=None
        if nash is None
        else math.sqrt(_squared(nash[0] - p[0], nash[1] - p[1])) / land.table.scale,
        dominated_by=land.dominated_by(p),
        compatible_issues=compatible,
        lose_lose_issues=() if chosen is None else _lose_lose(land, chosen),
        logrolls=() if chosen is None else _logrolls(land, chosen),
        below_batna=tuple(role for role, s in zip(land.roles, surplus, strict=True) if s < 0),
        suggestion=_suggest(land, p, chosen, strictly_above),
    )


def _squared(x: int, y: int) -> int:
    return x * x + y * y


def _lose_lose(land: Landscape, chosen: Sequence[int]) -> tuple[str, ...]:
    """Compatible issues where the agreed option is below the common best option for both sides."""
    found = []
    for issue, column, i in zip(land.issues, land.table.columns, chosen, strict=True):
        a, b = column.points[i]
        if issue.compatible and a < issue.high[0] and b < issue.high[1]:
            found.append(issue.key)
    return tuple(found)


def wins(issue: IssueProfile, option: tuple[int, int]) -> tuple[bool, bool]:
    """Whether each side got its better half of the issue: strictly above the middle of its range."""
    return (2 * option[0] > issue.low[0] + issue.high[0], 2 * option[1] > issue.low[1] + issue.high[1])


def _logrolls(land: Landscape, chosen: Sequence[int]) -> tuple[tuple[str, str], ...]:
    won = {
        issue.key: wins(issue, column.points[i])
        for issue, column, i in zip(land.issues, land.table.columns, chosen, strict=True)
    }
    return tuple((i, j) for i, j in land.weighed_differently() if won[i][0] and won[j][1])


def better_for_both(land: Landscape, agreement: Package | None) -> Suggestion | None:
    """The package that dominates the result with the largest joint gain (docs/debrief.md), or None."""
    chosen = None if agreement is None else land.indices(agreement)
    p = land.batna if chosen is None else land.point_of(chosen)
    return _suggest(land, p, chosen, [q for q in land.dominating(p) if (q.a, q.b) != p])


def _suggest(
    land: Landscape, p: Point, chosen: Sequence[int] | None, candidates: Sequence[FrontierPoint]
) -> Suggestion | None:
    if not candidates:
        return None
    target = max(candidates, key=lambda q: (q.a + q.b, min(q.a - p[0], q.b - p[1]), q.a))
    options = _closest_package(land, (target.a, target.b), chosen)
    changed = None
    if chosen is not None:
        changed = tuple(c.key for c, i, j in zip(land.table.columns, chosen, options, strict=True) if i != j)
    return Suggestion(
        package=land.package_of(options),
        points=(land.real(target.a), land.real(target.b)),
        gain=(land.real(target.a - p[0]), land.real(target.b - p[1])),
        changed=changed,
    )


def _closest_package(land: Landscape, target: Point, chosen: Sequence[int] | None) -> list[int]:
    """A package scoring exactly `target` (a frontier point) that changes the fewest agreed options.

    The frontier merge again, issue by issue, pruning weakly dominated partial sums, but carrying for
    every partial sum the fewest changes from the agreement and a back-pointer. Every package that
    reaches a frontier point passes only through undominated partial sums (a dominating prefix with
    the same completion would dominate the point), so the minimum is exact and nothing is enumerated.
    """
    stages: list[dict[Point, tuple[int, Point, int]]] = []
    front: dict[Point, int] = {(0, 0): 0}
    for k, column in enumerate(land.table.columns):
        candidates: dict[Point, tuple[int, Point, int]] = {}
        for (a, b), cost in front.items():
            for i, (oa, ob) in enumerate(column.points):
                total = cost + (0 if chosen is None or chosen[k] == i else 1)
                key = (a + oa, b + ob)
                old = candidates.get(key)
                if old is None or total < old[0]:
                    candidates[key] = (total, (a, b), i)
        kept: dict[Point, tuple[int, Point, int]] = {}
        best_b = None
        for key in sorted(candidates, key=lambda q: (-q[0], -q[1])):
            if best_b is None or key[1] > best_b:
                kept[key] = candidates[key]
                best_b = key[1]
        stages.append(kept)
        front = {key: value[0] for key, value in kept.items()}
    picked: list[int] = []
    point = target
    for stage in reversed(stages):
        _, point, i = stage[point]
        picked.append(i)
    picked.reverse()
    return picked
