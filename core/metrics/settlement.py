"""A pair's post-settlement round (Raiffa, 1985): its agreement before and after, and the joint gain the
round found (docs/debrief.md, section 1.11); and the class's sum of it (section 4)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from core.metrics.landscape import Event, Landscape, by_role
from core.spec import plain

LEAVING = ("accept", "keep", "settlement_closed")  # how a pair leaves the round


@dataclass(frozen=True)
class SettlementResult:
    roles: tuple[str, str]
    before: dict[str, str]  # the agreement the round opened on
    after: dict[str, str]  # the agreement as it stands: a package accepted in the round, or `before`
    points_before: tuple[Fraction, Fraction]
    points_after: tuple[Fraction, Fraction]
    ending: str | None  # accept, keep or settlement_closed; None while the pair is in the round

    @property
    def joint_gain(self) -> Fraction:
        return sum(self.points_after, Fraction(0)) - sum(self.points_before, Fraction(0))

    @property
    def improved(self) -> bool:
        """Whether the round changed the agreement's points for either side (never down: the rules)."""
        return self.points_after != self.points_before

    def as_json(self) -> dict[str, Any]:
        return {
            "before": dict(self.before),
            "after": dict(self.after),
            "points_before": by_role(self.roles, self.points_before),
            "points_after": by_role(self.roles, self.points_after),
            "joint_before": plain(sum(self.points_before, Fraction(0))),
            "joint_after": plain(sum(self.points_after, Fraction(0))),
            "joint_gain": plain(self.joint_gain),
            "improved": self.improved,
            "ending": self.ending,
        }


def settlement_result(land: Landscape, events: Iterable[Event]) -> SettlementResult | None:
    """The pair's post-settlement round from its events, or None when it was not in one. The agreement
    before is the last `accept` before `settlement_opened`; after, the `accept` of the round, if any."""
    before = after = None
    opened = False
    ending = None
    for event in sorted(events, key=lambda e: int(e["seq"])):
        kind = event.get("type")
        if kind == "settlement_opened":
            opened, after = True, before
        elif kind == "accept":
            terms = {str(k): str(v) for k, v in (event.get("payload") or {})["terms"].items()}
            if opened:
                after = terms
            else:
                before = terms
        if opened and kind in LEAVING:
            ending = kind
            break
    if not opened or before is None or after is None:
        return None
    return SettlementResult(
        roles=land.roles,
        before=before,
        after=after,
        points_before=_points(land, before),
        points_after=_points(land, after),
        ending=ending,
    )


def _points(land: Landscape, package: dict[str, str]) -> tuple[Fraction, Fraction]:
    a, b = land.point(package)
    return (land.real(a), land.real(b))


@dataclass(frozen=True)
class SettlementSummary:
    """The class's post-settlement round: how many agreed pairs were in it, how many improved, and the
    joint points of their agreements before and after."""

    pairs: int
    improved: int
    joint_before: Fraction
    joint_after: Fraction

    def as_json(self) -> dict[str, Any]:
        return {
            "pairs": self.pairs,
            "improved": self.improved,
            "joint_before": plain(self.joint_before),
            "joint_after": plain(self.joint_after),
            "joint_gain": plain(self.joint_after - self.joint_before),
        }


def settlement_summary(rounds: Sequence[SettlementResult]) -> SettlementSummary | None:
    if not rounds:
        return None
    return SettlementSummary(
        pairs=len(rounds),
        improved=sum(1 for r in rounds if r.improved),
        joint_before=sum((sum(r.points_before, Fraction(0)) for r in rounds), Fraction(0)),
        joint_after=sum((sum(r.points_after, Fraction(0)) for r in rounds), Fraction(0)),
    )
