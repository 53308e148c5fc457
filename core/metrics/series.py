"""Rounds compared: did joint gain, Pareto-optimal agreements, MESO use and the fixed-pie guess improve
from one round of a series to the next, for the class and per student (docs/debrief.md, section 4c).

A round's figures are distributions (section 4's `distribution`: n, min, q1, median, q3, max, mean)
where a figure varies by pair or by student, and a count with its share where it is yes or no. From one
round to the next, each student present in both has a change of each figure, and the class has the
distribution of those changes beside the change of its own figures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from core.metrics.classwide import Distribution, distribution
from core.metrics.landscape import plain_or_none
from core.spec import plain


@dataclass(frozen=True)
class PairRecord:
    """One pair of a round, as its outcome stands (an impasse at the BATNAs)."""

    joint: Fraction
    efficiency: Fraction | None
    agreed: bool
    pareto_optimal: bool


@dataclass(frozen=True)
class StudentRecord:
    """One negotiator's round: their pair's result, their own side's MESO offers, their guess."""

    student: int
    role: str
    joint: Fraction
    efficiency: Fraction | None
    agreed: bool
    pareto_optimal: bool  # an agreement on the Pareto frontier (never an impasse)
    meso_offers: int
    fixed_pie: float | None  # section 4a; None without a guess

    def as_json(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "joint": plain(self.joint),
            "efficiency": plain_or_none(self.efficiency),
            "agreed": self.agreed,
            "pareto_optimal": self.pareto_optimal,
            "meso_offers": self.meso_offers,
            "fixed_pie": self.fixed_pie,
        }


def _dist(value: Distribution | None) -> dict[str, Any] | None:
    return None if value is None else value.as_json()


def _guess(value: float) -> Fraction:
    """A fixed-pie guess (section 4a's Spearman, a float) as the decimal it is written as: 0.4 is 2/5, so
    that a change from -0.2 to 0.4 is 0.6, as a reader works it out, not 0.6000000000000001."""
    return Fraction(repr(value))


def _ratio(part: int, whole: int) -> Fraction | None:
    return Fraction(part, whole) if whole else None


@dataclass(frozen=True)
class RoundFigures:
    pairs: int
    agreements: int
    joint: Distribution | None  # over every pair
    efficiency: Distribution | None  # over every pair, where defined
    pareto_optimal: int  # Pareto-optimal agreements
    pareto_share: Fraction | None  # of agreements
    negotiators: int
    meso_users: int  # negotiators who made at least one offer of several packages
    meso_share: Fraction | None  # of negotiators
    meso_offers: Distribution | None  # each negotiator's MESO offers
    guesses: int  # negotiators who ranked the partner's priorities
    fixed_pie: Distribution | None  # over the guesses where it is defined

    def as_json(self) -> dict[str, Any]:
        return {
            "pairs": self.pairs,
            "agreements": self.agreements,
            "joint": _dist(self.joint),
            "efficiency": _dist(self.efficiency),
            "pareto_optimal": self.pareto_optimal,
            "pareto_share": plain_or_none(self.pareto_share),
            "negotiators": self.negotiators,
            "meso_users": self.meso_users,
            "meso_share": plain_or_none(self.meso_share),
            "meso_offers": _dist(self.meso_offers),
            "guesses": self.guesses,
            "fixed_pie": _dist(self.fixed_pie),
        }


def round_figures(pairs: Sequence[PairRecord], students: Sequence[StudentRecord]) -> RoundFigures:
    """A round's class figures from its finished pairs and its negotiators."""
    agreed = [p for p in pairs if p.agreed]
    optimal = sum(1 for p in agreed if p.pareto_optimal)
    users = sum(1 for s in students if s.meso_offers > 0)
    guesses = [s.fixed_pie for s in students if s.fixed_pie is not None]
    return RoundFigures(
        pairs=len(pairs),
        agreements=len(agreed),
        joint=distribution(p.joint for p in pairs),
        efficiency=distribution(p.efficiency for p in pairs if p.efficiency is not None),
        pareto_optimal=optimal,
        pareto_share=_ratio(optimal, len(agreed)),
        negotiators=len(students),
        meso_users=users,
        meso_share=_ratio(users, len(students)),
        meso_offers=distribution(Fraction(s.meso_offers) for s in students),
        guesses=len(guesses),
        fixed_pie=distribution(_guess(g) for g in guesses),
    )


@dataclass(frozen=True)
class StudentChange:
    """A student's change from one round to the next (the later minus the earlier). Pareto: 1 when they
    reached a Pareto-optimal agreement only in the later round, -1 only in the earlier, else 0."""

    joint: Fraction
    efficiency: Fraction | None
    pareto: int
    meso_offers: int
    fixed_pie: float | None  # None unless they guessed in both rounds; lower is less fixed-pie

    def as_json(self) -> dict[str, Any]:
        return {
            "joint": plain(self.joint),
            "efficiency": plain_or_none(self.efficiency),
            "pareto": self.pareto,
            "meso_offers": self.meso_offers,
            "fixed_pie": self.fixed_pie,
        }


def student_change(before: StudentRecord, after: StudentRecord) -> StudentChange:
    efficiency = None
    if before.efficiency is not None and after.efficiency is not None:
        efficiency = after.efficiency - before.efficiency
    fixed_pie = None
    if before.fixed_pie is not None and after.fixed_pie is not None:
        fixed_pie = float(_guess(after.fixed_pie) - _guess(before.fixed_pie))
    return StudentChange(
        joint=after.joint - before.joint,
        efficiency=efficiency,
        pareto=int(after.pareto_optimal) - int(before.pareto_optimal),
        meso_offers=after.meso_offers - before.meso_offers,
        fixed_pie=fixed_pie,
    )


def _median_change(before: Distribution | None, after: Distribution | None) -> Fraction | None:
    return None if before is None or after is None else after.median - before.median


def _share_change(before: Fraction | None, after: Fraction | None) -> Fraction | None:
    return None if before is None or after is None else after - before


@dataclass(frozen=True)
class Step:
    """From one round to the next: the class's own change, and the distribution of the changes of the
    students who negotiated in both."""

    students: int
    joint: Distribution | None
    efficiency: Distribution | None
    pareto_gained: int
    pareto_lost: int
    meso_offers: Distribution | None
    fixed_pie: Distribution | None
    class_change: dict[str, Fraction | None]

    def as_json(self) -> dict[str, Any]:
        return {
            "students": self.students,
            "joint": _dist(self.joint),
            "efficiency": _dist(self.efficiency),
            "pareto_gained": self.pareto_gained,
            "pareto_lost": self.pareto_lost,
            "meso_offers": _dist(self.meso_offers),
            "fixed_pie": _dist(self.fixed_pie),
            "class": {key: plain_or_none(value) for key, value in self.class_change.items()},
        }


def round_step(
    before: RoundFigures,
    after: RoundFigures,
    earlier: Mapping[int, StudentRecord],
    later: Mapping[int, StudentRecord],
) -> tuple[Step, dict[int, StudentChange]]:
    """The step from `before` to `after` (their figures) and each student's change, for the students in
    both `earlier` and `later` (student id -> record)."""
    changes = {s: student_change(earlier[s], later[s]) for s in earlier if s in later}
    listed = list(changes.values())
    step = Step(
        students=len(listed),
        joint=distribution(c.joint for c in listed),
        efficiency=distribution(c.efficiency for c in listed if c.efficiency is not None),
        pareto_gained=sum(1 for c in listed if c.pareto > 0),
        pareto_lost=sum(1 for c in listed if c.pareto < 0),
        meso_offers=distribution(Fraction(c.meso_offers) for c in listed),
        fixed_pie=distribution(_guess(c.fixed_pie) for c in listed if c.fixed_pie is not None),
        class_change={
            "joint_median": _median_change(before.joint, after.joint),
            "efficiency_median": _median_change(before.efficiency, after.efficiency),
            "pareto_share": _share_change(before.pareto_share, after.pareto_share),
            "meso_share": _share_change(before.meso_share, after.meso_share),
            "fixed_pie_median": _median_change(before.fixed_pie, after.fixed_pie),
        },
    )
    return step, changes


# The class's changes that a step's "moved most" compares, each over its figure's whole range: a share runs
# from 0 to 1, the fixed-pie guess from -1 to 1 (the joint points are left out: their range is the
# scenario's, and rounds may play different scenarios).
MOVED_SPANS = {"efficiency_median": 1, "pareto_share": 1, "meso_share": 1, "fixed_pie_median": 2}


def moved_most(class_change: Mapping[str, Fraction | float | int | None]) -> str | None:
    """Of a step's class changes (Step.class_change, or its JSON), the key of the one that moved most as a
    share of its figure's whole range; the first of MOVED_SPANS on a tie; None when none moved."""
    moved = [
        (abs(Fraction(str(change))) / span, key)
        for key, span in MOVED_SPANS.items()
        if (change := class_change.get(key)) is not None
    ]
    most = max((share for share, _ in moved), default=0)
    return next(key for share, key in moved if share == most) if most else None
