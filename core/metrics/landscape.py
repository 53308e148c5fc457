"""A scenario's landscape: its frontier, its distribution of outcomes, and per-issue facts."""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from core.analysis import FrontierPoint, ScoringTable, best_point, nash_key, outcome_distribution, pareto_frontier
from core.spec import Scenario, plain

Package = Mapping[str, str]  # issue key -> option key (a numeric issue's value as text, e.g. "9500")
Event = Mapping[str, Any]  # a stored event: seq, type, role, payload, at (docs/protocol.md)
Point = tuple[int, int]  # (u_A, u_B) in the table's scaled integers

ENDINGS = {"accept": "agreed", "walk_away": "impasse", "deadline": "impasse", "ended": "impasse"}


# The landscape of a scenario


@dataclass(frozen=True)
class IssueProfile:
    """What one issue offers each side, in scaled points."""

    key: str
    low: Point  # (A's worst, B's worst)
    high: Point  # (A's best, B's best)
    best_a: frozenset[int]  # indices of A's best options
    best_b: frozenset[int]

    @property
    def range(self) -> Point:
        return (self.high[0] - self.low[0], self.high[1] - self.low[1])

    @property
    def compatible(self) -> bool:
        """Some option is best for both sides (a flat side finds every option best)."""
        return bool(self.best_a & self.best_b)


class Landscape:
    """Everything about a scenario that the per-pair metrics look up, computed once.

    ``source`` is a Scenario (needed for the price metrics) or a ScoringTable.
    """

    def __init__(self, source: Scenario | ScoringTable) -> None:
        if isinstance(source, Scenario):
            self.scenario: Scenario | None = source
            self.table = ScoringTable.from_scenario(source)
        else:
            self.scenario = None
            self.table = source
        table = self.table
        self.roles = table.roles
        self.batna: Point = table.batna
        self.frontier: tuple[FrontierPoint, ...] = tuple(pareto_frontier(table))  # a descending, b ascending
        self._frontier_neg_a = [-p.a for p in self.frontier]
        self._frontier_b = [p.b for p in self.frontier]
        self.max_joint: int = max(p.a + p.b for p in self.frontier)
        self.nash: Point | None = best_point(((p.a, p.b) for p in self.frontier), table, nash_key)
        self.distribution: dict[Point, int] = outcome_distribution(table)
        # For counting dominating outcomes: the distinct A totals descending, each with its B totals
        # ascending and the suffix sums of their counts.
        groups: dict[int, list[tuple[int, int]]] = {}
        for (a, b), count in self.distribution.items():
            groups.setdefault(a, []).append((b, count))
        self._columns: list[tuple[int, list[int], list[int]]] = []
        for a in sorted(groups, reverse=True):
            row = sorted(groups[a])
            suffix = [0] * (len(row) + 1)
            for i in range(len(row) - 1, -1, -1):
                suffix[i] = suffix[i + 1] + row[i][1]
            self._columns.append((a, [b for b, _ in row], suffix))
        self.issues: tuple[IssueProfile, ...] = tuple(_profile(c.key, c.points) for c in table.columns)
        opposed = [issue for issue in self.issues if not issue.compatible]
        self._tradeoffs = tuple(
            (i.key, j.key)
            for i in opposed
            for j in opposed
            if i is not j and i.range[0] * j.range[1] > j.range[0] * i.range[1]
        )
        self._index = [
            {key: i for i, key in enumerate(column.option_keys)} for column in table.columns
        ]  # option key -> index

    # Lookups

    def indices(self, package: Package) -> list[int]:
        """The option index chosen on every issue; ValueError names a missing issue or unknown option."""
        chosen = []
        for column, index in zip(self.table.columns, self._index, strict=True):
            if column.key not in package:
                raise ValueError(f"the package has no option for issue {column.key!r}")
            value = package[column.key]
            found = index.get(str(value))
            if found is None:
                found = _numeric_match(column.option_keys, value)
            if found is None:
                raise ValueError(f"{value!r} is not an option of issue {column.key!r}")
            chosen.append(found)
        return chosen

    def point(self, package: Package | None) -> Point:
        """Scaled (u_A, u_B) of a complete package; the BATNA point for None (an impasse)."""
        if package is None:
            return self.batna
        return self.point_of(self.indices(package))

    def point_of(self, chosen: Sequence[int]) -> Point:
        a = b = 0
        for column, i in zip(self.table.columns, chosen, strict=True):
            a += column.points[i][0]
            b += column.points[i][1]
        return (a, b)

    def package_of(self, chosen: Sequence[int]) -> dict[str, str]:
        return {c.key: c.option_keys[i] for c, i in zip(self.table.columns, chosen, strict=True)}

    def real(self, value: int) -> Fraction:
        return self.table.real(value)

    def dominating(self, p: Point) -> Sequence[FrontierPoint]:
        """The frontier points that weakly dominate p (a contiguous run of the frontier)."""
        end = bisect.bisect_right(self._frontier_neg_a, -p[0])  # frontier[:end] has a >= p_A
        start = bisect.bisect_left(self._frontier_b, p[1])  # frontier[start:] has b >= p_B
        return self.frontier[start:end] if start < end else ()

    def dominated_by(self, p: Point) -> int:
        """How many outcomes dominate p: both sides >= and not the same point.

        Walks the distinct A totals from the top down to p_A and bisects each one's B totals, so a
        query costs (number of distinct A totals >= p_A) x log, not the number of outcomes.
        """
        total = 0
        for a, bs, suffix in self._columns:
            if a < p[0]:
                break
            total += suffix[bisect.bisect_left(bs, p[1])]
        return total - self.distribution.get(p, 0)

    def weighed_differently(self) -> tuple[tuple[str, str], ...]:
        """Pairs (i, j) of opposed issues where i matters relatively more to A and j to B.

        "Relatively more": r_A(i) * r_B(j) > r_A(j) * r_B(i), with r the range (best minus worst) of
        a side's points on an issue; an opposed issue is one that is not compatible.
        """
        return self._tradeoffs


def _profile(key: str, points: Sequence[tuple[int, int]]) -> IssueProfile:
    a_values = [a for a, _ in points]
    b_values = [b for _, b in points]
    high = (max(a_values), max(b_values))
    return IssueProfile(
        key=key,
        low=(min(a_values), min(b_values)),
        high=high,
        best_a=frozenset(i for i, (a, _) in enumerate(points) if a == high[0]),
        best_b=frozenset(i for i, (_, b) in enumerate(points) if b == high[1]),
    )


def _numeric_match(keys: Sequence[str], value: Any) -> int | None:
    """A numeric value written differently from its key ("9500.0", 9500): match it by number."""
    try:
        wanted = Fraction(repr(value) if isinstance(value, float) else str(value).strip())
    except (ValueError, ZeroDivisionError):
        return None
    for i, key in enumerate(keys):
        try:
            if Fraction(key) == wanted:
                return i
        except (ValueError, ZeroDivisionError):
            return None
    return None


def landscape(source: Scenario | ScoringTable) -> Landscape:
    return Landscape(source)


# JSON helpers


def plain_or_none(value: Fraction | None) -> int | float | None:
    return None if value is None else plain(value)


def by_role(roles: tuple[str, str], values: tuple[Fraction, Fraction]) -> dict[str, int | float]:
    return {roles[0]: plain(values[0]), roles[1]: plain(values[1])}
