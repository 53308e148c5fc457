"""How well a negotiator read the partner's priorities, and the fixed-pie perception (Thompson & Hastie, 1990).

Before the talk a student may rank the issues by how much they think each matters to the partner. A
role's true ranking is by its point range on each issue (best option minus worst), the largest first;
issues with the same range share the average of the ranks they span. Two Spearman correlations follow
(docs/debrief.md, section 4a): the guess against the partner's true ranking (accuracy), and the guess
against the student's own true ranking (fixed-pie perception: 1 means the student assumed the partner
cares about the same issues in the same order as they do).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from core.metrics.classwide import Distribution, distribution
from core.metrics.landscape import Landscape


def average_ranks(values: Sequence[Fraction | int]) -> list[Fraction]:
    """Rank 1 for the largest value; equal values share the average of the ranks they span.

    [5, 3, 3, 1] gives [1, 2.5, 2.5, 4]."""
    order = sorted(range(len(values)), key=lambda i: -values[i])
    ranks = [Fraction(0)] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        shared = Fraction(start + 1 + end + 1, 2)  # the mean of ranks start+1 .. end+1
        for k in range(start, end + 1):
            ranks[order[k]] = shared
        start = end + 1
    return ranks


def spearman(x: Sequence[Fraction | int], y: Sequence[Fraction | int]) -> float | None:
    """Spearman's rank correlation of two rankings given as ranks (ties as average ranks): Pearson's r
    of the ranks, Sxy / sqrt(Sxx * Syy), exact with ties (unlike 1 - 6 sum d^2 / (n (n^2 - 1)), which
    holds only without them). None with fewer than 2 items or when either ranking is constant. The
    sums are exact; the result is exact whenever Sxx * Syy is a square (always without ties)."""
    n = len(x)
    if n != len(y):
        raise ValueError("the two rankings rank different numbers of items")
    if n < 2:
        return None
    mx = Fraction(sum(x, Fraction(0))) / n
    my = Fraction(sum(y, Fraction(0))) / n
    sxx = sum(((a - mx) ** 2 for a in x), Fraction(0))
    syy = sum(((b - my) ** 2 for b in y), Fraction(0))
    sxy = sum(((a - mx) * (b - my) for a, b in zip(x, y, strict=True)), Fraction(0))
    if sxx == 0 or syy == 0:
        return None
    product = sxx * syy
    top, bottom = math.isqrt(product.numerator), math.isqrt(product.denominator)
    if top * top == product.numerator and bottom * bottom == product.denominator:
        return float(sxy / Fraction(top, bottom))
    return max(-1.0, min(1.0, float(sxy) / math.sqrt(product)))


def true_ranks(land: Landscape, role: str) -> dict[str, Fraction]:
    """Issue key -> the role's true rank of it: by its point range on the issue, the largest first,
    ties sharing their average rank."""
    side = land.roles.index(role)
    ranges = [issue.range[side] for issue in land.issues]
    return dict(zip((issue.key for issue in land.issues), average_ranks(ranges), strict=True))


@dataclass(frozen=True)
class PartnerGuess:
    """One student's guess of the partner's priorities, against both roles' true rankings."""

    role: str
    partner: str
    guess: tuple[str, ...]  # issue keys, most important to the partner first (as the student ranked them)
    partner_ranks: dict[str, Fraction]  # the partner's true rank of each issue
    own_ranks: dict[str, Fraction]  # the student's own role's true rank of each issue
    accuracy: float | None  # Spearman: guess against the partner's true ranking
    fixed_pie: float | None  # Spearman: guess against the student's own true ranking

    def as_json(self) -> dict[str, Any]:
        def ranks(values: dict[str, Fraction]) -> dict[str, int | float]:
            return {key: int(r) if r.denominator == 1 else float(r) for key, r in values.items()}

        return {
            "role": self.role,
            "partner": self.partner,
            "guess": list(self.guess),
            "partner_ranks": ranks(self.partner_ranks),
            "own_ranks": ranks(self.own_ranks),
            "accuracy": self.accuracy,
            "fixed_pie": self.fixed_pie,
        }


def partner_guess(land: Landscape, role: str, guess: Sequence[str]) -> PartnerGuess:
    """Score a student's ranking of the partner's priorities (issue keys, most important first; every
    issue once). `role` is the student's own role; the partner is the other one."""
    keys = [issue.key for issue in land.issues]
    if sorted(guess) != sorted(keys):
        raise ValueError("the guess must rank every issue once")
    partner = next(r for r in land.roles if r != role)
    position = {key: Fraction(i) for i, key in enumerate(guess, start=1)}
    theirs, mine = true_ranks(land, partner), true_ranks(land, role)
    guessed = [position[k] for k in keys]
    return PartnerGuess(
        role=role,
        partner=partner,
        guess=tuple(guess),
        partner_ranks=theirs,
        own_ranks=mine,
        accuracy=spearman(guessed, [theirs[k] for k in keys]),
        fixed_pie=spearman(guessed, [mine[k] for k in keys]),
    )


@dataclass(frozen=True)
class PerceptionSummary:
    """The class's guesses: how many, and the distributions of both correlations (None-valued ones left out)."""

    guesses: int
    accuracy: Distribution | None
    fixed_pie: Distribution | None

    def as_json(self) -> dict[str, Any]:
        return {
            "guesses": self.guesses,
            "accuracy": None if self.accuracy is None else self.accuracy.as_json(),
            "fixed_pie": None if self.fixed_pie is None else self.fixed_pie.as_json(),
        }


def perception_summary(guesses: Iterable[PartnerGuess]) -> PerceptionSummary:
    """Count the guesses and summarise accuracy and fixed-pie perception (section 4's `distribution`)."""
    listed = list(guesses)
    return PerceptionSummary(
        guesses=len(listed),
        accuracy=distribution(Fraction(g.accuracy) for g in listed if g.accuracy is not None),
        fixed_pie=distribution(Fraction(g.fixed_pie) for g in listed if g.fixed_pie is not None),
    )
