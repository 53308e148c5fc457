"""Negotiation mathematics for two parties with additive scores.

Points are exact: every number is turned into a Fraction and the whole table is scaled by one
common denominator so that the work is done on integers (fast, and two equal sums are equal).
Definitions and tie-breaks are written down in docs/scenarios.md; `core.bruteforce` is the oracle
that the tests hold every figure here against.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from core.spec import Scenario, plain


@dataclass(frozen=True)
class Column:
    """One issue of the table: its option keys and, per option, (points of A, points of B) scaled."""

    key: str
    option_keys: tuple[str, ...]
    points: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class ScoringTable:
    roles: tuple[str, str]
    batna: tuple[int, int]  # scaled like every point
    columns: tuple[Column, ...]
    scale: int  # true points = scaled / scale

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> ScoringTable:
        roles = scenario.role_keys
        rows = []
        for issue in scenario.issues:
            options = issue.choices()
            rows.append(
                (issue.key, [o.key for o in options], [(o.points[roles[0]], o.points[roles[1]]) for o in options])
            )
        batna = (scenario.roles[0].batna, scenario.roles[1].batna)
        return cls.from_points(roles, batna, rows)

    @classmethod
    def from_points(
        cls,
        roles: Sequence[str],
        batna: Sequence[Fraction | int],
        rows: Iterable[tuple[str, Sequence[str], Sequence[tuple[Fraction | int, Fraction | int]]]],
    ) -> ScoringTable:
        rows = list(rows)
        numbers = [Fraction(x) for x in batna]
        numbers += [Fraction(p) for _, _, pts in rows for pair in pts for p in pair]
        scale = math.lcm(*(n.denominator for n in numbers)) if numbers else 1

        def scaled(x: Fraction | int) -> int:
            return int(Fraction(x) * scale)

        columns = tuple(
            Column(key, tuple(keys), tuple((scaled(a), scaled(b)) for a, b in pts)) for key, keys, pts in rows
        )
        return cls((roles[0], roles[1]), (scaled(batna[0]), scaled(batna[1])), columns, scale)

    def real(self, value: int | Fraction) -> Fraction:
        return Fraction(value) / self.scale

    def outcome_count(self) -> int:
        return math.prod(len(c.points) for c in self.columns)

    def score(self, package: Mapping[str, str]) -> tuple[Fraction, Fraction]:
        """Points of both roles for a complete package {issue key: option key}."""
        a = b = 0
        for column in self.columns:
            index = column.option_keys.index(package[column.key])
            a += column.points[index][0]
            b += column.points[index][1]
        return self.real(a), self.real(b)

    def as_json(self, slug: str) -> dict[str, Any]:
        """The canonical scoring table (documented in docs/scenarios.md)."""
        return {
            "slug": slug,
            "roles": [{"key": r, "batna": plain(self.real(d))} for r, d in zip(self.roles, self.batna, strict=True)],
            "issues": [
                {
                    "key": c.key,
                    "options": [
                        {"key": k, "points": {self.roles[0]: plain(self.real(a)), self.roles[1]: plain(self.real(b))}}
                        for k, (a, b) in zip(c.option_keys, c.points, strict=True)
                    ],
                }
                for c in self.columns
            ],
        }


@dataclass(frozen=True)
class FrontierPoint:
    a: int
    b: int
    count: int  # how many outcomes score exactly (a, b)


def _prune(candidates: dict[tuple[int, int], int]) -> list[tuple[int, int, int]]:
    """Keep the points no other point weakly dominates; sorted by a descending."""
    kept = []
    best_b = None
    for (a, b), count in sorted(candidates.items(), key=lambda item: (-item[0][0], -item[0][1])):
        if best_b is None or b > best_b:
            kept.append((a, b, count))
            best_b = b
    return kept


def pareto_frontier(table: ScoringTable) -> list[FrontierPoint]:
    """The exact Pareto frontier, merged issue by issue.

    With additive scores a partial package that another one dominates cannot be part of an
    undominated outcome (the same completion of the other dominates it), so it is dropped after
    every merge. Counts multiply along the way, so each point knows how many outcomes reach it.
    """
    front: list[tuple[int, int, int]] = [(0, 0, 1)]
    for column in table.columns:
        options: dict[tuple[int, int], int] = {}
        for pair in column.points:
            options[pair] = options.get(pair, 0) + 1
        choices = _prune(options)
        candidates: dict[tuple[int, int], int] = {}
        get = candidates.get
        for a, b, count in front:
            for oa, ob, ocount in choices:
                key = (a + oa, b + ob)
                candidates[key] = get(key, 0) + count * ocount
        front = _prune(candidates)
    return [FrontierPoint(a, b, count) for a, b, count in front]


def package_at(table: ScoringTable, point: tuple[int, int]) -> dict[str, str] | None:
    """A package that scores exactly `point` (scaled), when `point` is on the Pareto frontier; None
    otherwise. Where several do, the one with each issue's earliest option, from the last issue back.

    The frontiers of the first k issues are kept; a frontier outcome's first k issues score a point on
    their own frontier (were it dominated, the same completion of the point dominating it would dominate
    the outcome), so the package is found issue by issue from the last, each step a frontier look-up."""
    fronts: list[set[tuple[int, int]]] = [{(0, 0)}]
    front: list[tuple[int, int, int]] = [(0, 0, 1)]
    for column in table.columns:
        choices = _prune({pair: 1 for pair in column.points})
        candidates: dict[tuple[int, int], int] = {}
        for a, b, _ in front:
            for oa, ob, _ in choices:
                candidates[(a + oa, b + ob)] = 1
        front = _prune(candidates)
        fronts.append({(a, b) for a, b, _ in front})
    if tuple(point) not in fronts[-1]:
        return None
    package: dict[str, str] = {}
    a, b = point
    for k in range(len(table.columns) - 1, -1, -1):
        column = table.columns[k]
        for key, (oa, ob) in zip(column.option_keys, column.points, strict=True):
            if (a - oa, b - ob) in fronts[k]:
                package[column.key] = key
                a, b = a - oa, b - ob
                break
    return {column.key: package[column.key] for column in table.columns}


# The work of the merges: at most this many steps (one step is a partial score met with an option; a
# million take about a second), so that a document cannot make its analysis run for minutes. Ten
# issues of six options with scattered whole points up to 100 take 2.2 million.
MAX_ANALYSIS_STEPS = 3_000_000


class TooLargeToAnalyse(ValueError):
    """The outcomes' distribution would take more than MAX_ANALYSIS_STEPS steps to merge."""


def outcome_distribution(table: ScoringTable, *, limit: int | None = None) -> dict[tuple[int, int], int]:
    """How many outcomes score each (a, b): exact, by merging issue by issue without pruning. With
    `limit`, raises TooLargeToAnalyse before a merge would take the steps past it."""
    return _distribution(table, limit)[0]


# A set of packed points is held as the bits of one whole number while the points fit in this many bits
# (8 MiB) and the shifts, one an option, move at most BITSET_WORDS machine words in all (about 20 ms):
# a merge is then one shift and one "or" an option, over the whole set at once.
BITSET_BITS = 1 << 26
BITSET_WORDS = 1 << 24


def analysis_steps(table: ScoringTable, *, limit: int | None = None, bitset_bits: int = BITSET_BITS) -> int:
    """The steps of the distribution's merges (the frontier's take no more: it merges fewer points): the
    distinct points so far times the next issue's distinct points, summed. Found with the points' set, not
    their counts: as the bits of one number where the packed points fit in `bitset_bits` and the shifts in
    BITSET_WORDS (a ten-by-six scenario of scattered points in a few ms instead of 160), else as a set;
    with `limit`, raises TooLargeToAnalyse as soon as it is passed."""
    columns, _, _ = _packed(table)
    top = sum(max(options) for options in columns)  # the largest packed total
    steps = 0
    if top < bitset_bits and sum(map(len, columns)) * (top // 64 + 1) <= BITSET_WORDS:
        bits = 1  # the point 0
        for offsets in columns:
            steps += bits.bit_count() * len(offsets)
            if limit is not None and steps > limit:
                raise TooLargeToAnalyse(f"more than {limit:,} steps")
            merged = 0
            for offset in offsets:
                merged |= bits << offset
            bits = merged
        return steps
    points = {0}
    for offsets in columns:
        steps += len(points) * len(offsets)
        if limit is not None and steps > limit:
            raise TooLargeToAnalyse(f"more than {limit:,} steps")
        points = {point + offset for offset in offsets for point in points}
    return steps


def feasible_outcomes(table: ScoringTable) -> int:
    """How many outcomes give both roles at least their BATNA: exact, meeting in the middle. The issues
    are split in two halves of about equal outcomes; for each point of the first half's distribution, the
    second half's points that complete it above both BATNAs are counted by a sweep down the first role's
    points with a Fenwick tree over the second role's. Costs the halves' distributions, not the whole."""
    columns = table.columns
    split, best = 0, None
    for k in range(len(columns) + 1):
        worst = max(math.prod(len(c.points) for c in columns[:k]), math.prod(len(c.points) for c in columns[k:]))
        if best is None or worst < best:
            split, best = k, worst
    left = _distribution(ScoringTable(table.roles, (0, 0), columns[:split], table.scale), None)[0]
    right = _distribution(ScoringTable(table.roles, (0, 0), columns[split:], table.scale), None)[0]
    da, db = table.batna
    b_values = sorted({b for _, b in right})
    tree = [0] * (len(b_values) + 1)  # counts by rank of b, 1-based
    waiting = sorted(right.items(), key=lambda item: -item[0][0])  # a falling
    added = total = index = 0
    for (xa, xb), count in sorted(left.items(), key=lambda item: item[0][0]):  # the a needed falls
        while index < len(waiting) and waiting[index][0][0] >= da - xa:
            (_, yb), weight = waiting[index]
            rank = bisect.bisect_left(b_values, yb) + 1
            while rank <= len(b_values):
                tree[rank] += weight
                rank += rank & -rank
            added += weight
            index += 1
        short, rank = 0, bisect.bisect_left(b_values, db - xb)  # those added with b below the need
        while rank > 0:
            short += tree[rank]
            rank -= rank & -rank
        total += count * (added - short)
    return total


def _packed(table: ScoringTable) -> tuple[list[dict[int, int]], int, tuple[int, int]]:
    """Each issue's points, shifted to start at 0 on both sides and packed as one whole number a * width
    + b (width past every partial sum of b), each with how many options score it; with the width and the
    shifts' sums to unpack a total. Adding an option is then adding one number: exact, and about five
    times quicker than pairs."""
    columns = table.columns
    low_a = [min(a for a, _ in column.points) for column in columns]
    low_b = [min(b for _, b in column.points) for column in columns]
    width = sum(max(b for _, b in column.points) - low for column, low in zip(columns, low_b, strict=True)) + 1
    packed = []
    for column, shift_a, shift_b in zip(columns, low_a, low_b, strict=True):
        options: dict[int, int] = {}
        for a, b in column.points:
            key = (a - shift_a) * width + (b - shift_b)
            options[key] = options.get(key, 0) + 1
        packed.append(options)
    return packed, width, (sum(low_a), sum(low_b))


def _distribution(table: ScoringTable, limit: int | None) -> tuple[dict[tuple[int, int], int], int]:
    columns, width, (base_a, base_b) = _packed(table)
    dist: dict[int, int] = {0: 1}
    steps = 0
    for options in columns:
        steps += len(dist) * len(options)
        if limit is not None and steps > limit:
            raise TooLargeToAnalyse(f"more than {limit:,} steps")
        merged: dict[int, int] = {}
        get = merged.get
        for offset, repeats in options.items():
            for key, count in dist.items():
                moved = key + offset
                merged[moved] = get(moved, 0) + count * repeats
        dist = merged
    return {(key // width + base_a, key % width + base_b): count for key, count in dist.items()}, steps


def beats_both_batnas(table: ScoringTable) -> bool:
    da, db = table.batna
    return any(p.a > da and p.b > db for p in pareto_frontier(table))


# Bargaining solutions: each picks the best point by its criterion over the outcomes at or above
# both BATNAs; ties go to the larger joint gain, then to more points for the first role. Each
# criterion is weakly increasing in both coordinates, so the winner is always on the frontier.


def _tie_break(a: int, b: int) -> tuple[int, int]:
    return (a + b, a)


def nash_key(a: int, b: int, da: int, db: int, ideal: tuple[int, int]) -> tuple[Any, ...]:
    return ((a - da) * (b - db), *_tie_break(a, b))


def kalai_smorodinsky_key(a: int, b: int, da: int, db: int, ideal: tuple[int, int]) -> tuple[Any, ...]:
    share_a = Fraction(a - da, ideal[0] - da) if ideal[0] > da else Fraction(1)
    share_b = Fraction(b - db, ideal[1] - db) if ideal[1] > db else Fraction(1)
    return (min(share_a, share_b), *_tie_break(a, b))


def egalitarian_key(a: int, b: int, da: int, db: int, ideal: tuple[int, int]) -> tuple[Any, ...]:
    return (min(a - da, b - db), *_tie_break(a, b))


SOLUTIONS = {"nash": nash_key, "kalai_smorodinsky": kalai_smorodinsky_key, "egalitarian": egalitarian_key}


def best_point(points: Iterable[tuple[int, int]], table: ScoringTable, key: Any) -> tuple[int, int] | None:
    da, db = table.batna
    feasible = [(a, b) for a, b in points if a >= da and b >= db]
    if not feasible:
        return None
    ideal = (max(a for a, _ in feasible), max(b for _, b in feasible))
    return max(feasible, key=lambda p: key(p[0], p[1], da, db, ideal))


def split_the_difference(table: ScoringTable) -> int:
    """Joint points if every issue were split down the middle for each side (scaled, times two)."""
    total = 0
    for column in table.columns:
        a_values = [a for a, _ in column.points]
        b_values = [b for _, b in column.points]
        total += max(a_values) + min(a_values) + max(b_values) + min(b_values)
    return total  # twice the compromise's joint gain, kept whole


@dataclass(frozen=True)
class Figures:
    outcomes: int
    max_joint: Fraction
    frontier: list[FrontierPoint]
    feasible_outcomes: int
    nash: tuple[int, int] | None
    kalai_smorodinsky: tuple[int, int] | None
    egalitarian: tuple[int, int] | None
    integrative_potential: Fraction


def scenario_figures(table: ScoringTable) -> Figures:
    frontier = pareto_frontier(table)
    feasible = feasible_outcomes(table)
    points = [(p.a, p.b) for p in frontier]
    max_joint = max(a + b for a, b in points)
    return Figures(
        outcomes=table.outcome_count(),
        max_joint=table.real(max_joint),
        frontier=frontier,
        feasible_outcomes=feasible,
        nash=best_point(points, table, nash_key),
        kalai_smorodinsky=best_point(points, table, kalai_smorodinsky_key),
        egalitarian=best_point(points, table, egalitarian_key),
        integrative_potential=table.real(Fraction(2 * max_joint - split_the_difference(table), 2)),
    )


def report_json(table: ScoringTable, slug: str, figures: Figures | None = None) -> dict[str, Any]:
    figures = figures or scenario_figures(table)

    def pair(point: tuple[int, int] | None) -> list[int | float] | None:
        return None if point is None else [plain(table.real(point[0])), plain(table.real(point[1]))]

    return {
        "slug": slug,
        "roles": list(table.roles),
        "batna": pair(table.batna),
        "outcomes": figures.outcomes,
        "max_joint": plain(figures.max_joint),
        "frontier": [pair((p.a, p.b)) for p in figures.frontier],
        "frontier_counts": [p.count for p in figures.frontier],
        "feasible_outcomes": figures.feasible_outcomes,
        "feasible_fraction": figures.feasible_outcomes / figures.outcomes,
        "nash": pair(figures.nash),
        "kalai_smorodinsky": pair(figures.kalai_smorodinsky),
        "egalitarian": pair(figures.egalitarian),
        "integrative_potential": plain(figures.integrative_potential),
    }
