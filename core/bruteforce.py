"""The oracle: every figure of core.analysis computed by enumerating every outcome.

Written for obviousness, not speed; the tests hold the fast code to it, and the frontier
benchmark times the two side by side.
"""

from __future__ import annotations

import itertools
from collections import Counter
from fractions import Fraction

from core.analysis import SOLUTIONS, Figures, FrontierPoint, ScoringTable, split_the_difference


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


def brute_figures(table: ScoringTable) -> Figures:
    sums = all_outcomes(table)
    da, db = table.batna
    feasible = [(a, b) for a, b in sums if a >= da and b >= db]

    def best(key) -> tuple[int, int] | None:  # type: ignore[no-untyped-def]
        if not feasible:
            return None
        ideal = (max(a for a, _ in feasible), max(b for _, b in feasible))
        return max(feasible, key=lambda p: key(p[0], p[1], da, db, ideal))

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
