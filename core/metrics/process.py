"""Process metrics from a pair's event list, and the price issue's metrics."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any

from core.metrics.landscape import (
    ENDINGS,
    Event,
    Landscape,
    Package,
    by_role,
    plain_or_none,
)
from core.spec import Issue, plain

# Process metrics from the event list


@dataclass(frozen=True)
class FirstOffer:
    seq: int
    packages: tuple[dict[str, str], ...]
    points: tuple[Fraction, ...]  # the maker's own points for each package
    best: int  # index of the maker's best package (the first one on a tie)

    def as_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "packages": [dict(p) for p in self.packages],
            "points": [plain(x) for x in self.points],
            "best": self.best,
        }


@dataclass(frozen=True)
class SideProcess:
    role: str
    offers: int
    counter_offers: int
    meso_offers: int  # offers holding more than one package
    first_offer: FirstOffer | None
    concessions: tuple[Fraction, ...]  # own points of own successive offers (best package of each)
    concession_total: Fraction | None  # first minus last; None without offers

    def as_json(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "offers": self.offers,
            "counter_offers": self.counter_offers,
            "meso_offers": self.meso_offers,
            "first_offer": None if self.first_offer is None else self.first_offer.as_json(),
            "concessions": [plain(x) for x in self.concessions],
            "concession_total": plain_or_none(self.concession_total),
        }


@dataclass(frozen=True)
class ProcessMetrics:
    status: str  # agreed, impasse, or open (no ending event yet)
    ending: str | None  # the event type that ended it
    opener: str | None  # the role that made the first offer
    sides: tuple[SideProcess, SideProcess]
    time_to_agreement: float | None  # seconds from 'started' to 'accept'
    duration: float | None  # seconds from 'started' to the ending event
    agreement: dict[str, str] | None
    accepted_offer: int | None  # seq of the offer that was accepted
    last_seq: int  # the highest seq among the events read: the debrief was computed from events 1..last_seq

    def side(self, role: str) -> SideProcess:
        for side in self.sides:
            if side.role == role:
                return side
        raise KeyError(role)

    @property
    def offers(self) -> int:
        return sum(s.offers for s in self.sides)

    @property
    def counter_offers(self) -> int:
        return sum(s.counter_offers for s in self.sides)

    def as_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "ending": self.ending,
            "opener": self.opener,
            "offers": self.offers,
            "counter_offers": self.counter_offers,
            "sides": {s.role: s.as_json() for s in self.sides},
            "time_to_agreement": self.time_to_agreement,
            "duration": self.duration,
            "agreement": None if self.agreement is None else dict(self.agreement),
            "accepted_offer": self.accepted_offer,
            "last_seq": self.last_seq,
        }


def _when(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        return datetime.fromisoformat(value)
    return None


def process_metrics(land: Landscape, events: Iterable[Event]) -> ProcessMetrics:
    """Offers, counter-offers, timing, first offers, concessions and MESO use from stored events.

    Events are taken in `seq` order and nothing after the ending event (accept, walk_away, deadline,
    ended) counts. A counter-offer is an offer whose latest earlier offer (standing or not) was the
    partner's.
    """
    ordered = sorted(events, key=lambda e: int(e["seq"]))
    last_seq = int(ordered[-1]["seq"]) if ordered else 0
    roles = land.roles
    offers: dict[str, list[tuple[int, list[dict[str, str]]]]] = {r: [] for r in roles}
    counters = dict.fromkeys(roles, 0)
    started = ended_at = None
    ending = opener = last_offer_by = None
    agreement = None
    accepted = None
    for event in ordered:
        seq = int(event["seq"])
        kind = event.get("type")
        payload = event.get("payload") or {}
        if kind == "started" and started is None:
            started = _when(event.get("at"))
        elif kind == "offer":
            role = event.get("role")
            if role not in offers:
                continue
            packages = [{str(k): str(v) for k, v in p.items()} for p in payload.get("packages", [])]
            offers[role].append((seq, packages))
            opener = opener or role
            if last_offer_by is not None and last_offer_by != role:
                counters[role] += 1
            last_offer_by = role
        elif kind in ENDINGS:
            ending = kind
            ended_at = _when(event.get("at"))
            if kind == "accept":
                agreement = {str(k): str(v) for k, v in payload["terms"].items()}
                accepted = int(payload["offer_seq"]) if payload.get("offer_seq") is not None else None
            break
    sides = tuple(_side(land, role, index, offers[role], counters[role]) for index, role in enumerate(roles))
    duration = None
    if started is not None and ended_at is not None:
        duration = (ended_at - started).total_seconds()
    return ProcessMetrics(
        status=ENDINGS[ending] if ending else "open",
        ending=ending,
        opener=opener,
        sides=(sides[0], sides[1]),
        time_to_agreement=duration if ending == "accept" else None,
        duration=duration,
        agreement=agreement,
        accepted_offer=accepted,
        last_seq=last_seq,
    )


def _side(
    land: Landscape, role: str, index: int, made: list[tuple[int, list[dict[str, str]]]], counters: int
) -> SideProcess:
    own = [[land.real(land.point(p)[index]) for p in packages] for _, packages in made]
    best = [max(points) for points in own]
    first = None
    if made:
        seq, packages = made[0]
        first = FirstOffer(seq, tuple(packages), tuple(own[0]), own[0].index(best[0]))
    return SideProcess(
        role=role,
        offers=len(made),
        counter_offers=counters,
        meso_offers=sum(1 for _, packages in made if len(packages) > 1),
        first_offer=first,
        concessions=tuple(best),
        concession_total=best[0] - best[-1] if best else None,
    )


# Price issue


@dataclass(frozen=True)
class PriceMetrics:
    issue: str
    roles: tuple[str, str]
    agreed: Fraction | None  # the agreed value; None for an impasse
    reservation: tuple[Fraction | None, Fraction | None]  # value where each side is at its BATNA
    zone: tuple[Fraction, Fraction] | None  # values in the issue's range acceptable to both, or None
    claim_share: tuple[Fraction, Fraction] | None  # where the agreed value sits between the reservations
    opener: str | None
    first_offer: Fraction | None  # the value in the pair's first offer (the opener's best package)
    first_offers: tuple[Fraction | None, Fraction | None]  # each side's first offer value

    def as_json(self) -> dict[str, Any]:
        roles = self.roles
        return {
            "issue": self.issue,
            "agreed": plain_or_none(self.agreed),
            "reservation": {r: plain_or_none(v) for r, v in zip(roles, self.reservation, strict=True)},
            "zone": None if self.zone is None else [plain(self.zone[0]), plain(self.zone[1])],
            "claim_share": None if self.claim_share is None else by_role(roles, self.claim_share),
            "opener": self.opener,
            "first_offer": plain_or_none(self.first_offer),
            "first_offers": {r: plain_or_none(v) for r, v in zip(roles, self.first_offers, strict=True)},
        }


def price_issue(land: Landscape, key: str | None = None) -> Issue | None:
    """The numeric issue called `key`, or the scenario's first numeric issue; None if there is none."""
    if land.scenario is None:
        return None
    for issue in land.scenario.issues:
        if issue.kind == "numeric" and (key is None or issue.key == key):
            return issue
    if key is not None:
        raise ValueError(f"{key!r} is not a numeric issue of the scenario")
    return None


def price_metrics(
    land: Landscape, agreement: Package | None, process: ProcessMetrics | None = None, issue_key: str | None = None
) -> PriceMetrics | None:
    """The zone, claim share and first offers on a numeric issue, the rest of the agreement fixed.

    None when the landscape has no scenario or the scenario no numeric issue.
    """
    issue = price_issue(land, issue_key)
    if issue is None or issue.linear is None:
        return None
    roles = land.roles
    opener = process.opener if process else None
    firsts: list[Fraction | None] = [None, None]
    first = None
    if process is not None:
        for k, side in enumerate(process.sides):
            if side.first_offer is not None:
                offer = side.first_offer
                firsts[k] = Fraction(offer.packages[offer.best][issue.key])
        if opener is not None:
            first = firsts[roles.index(opener)]
    if agreement is None:
        return PriceMetrics(issue.key, roles, None, (None, None), None, None, opener, first, (firsts[0], firsts[1]))
    value = Fraction(land.package_of(land.indices(agreement))[issue.key])
    u = land.point(agreement)
    span = issue.maximum - issue.minimum
    reservations: list[Fraction | None] = []
    intervals: list[tuple[Fraction, Fraction] | None] = []
    slopes = []
    for k, role in enumerate(roles):
        line = issue.linear[role]
        slope = (line.at_max - line.at_min) / span if span else Fraction(0)
        rest = land.real(u[k]) - issue.points_at(role, value)  # points from the other issues
        base = rest + line.at_min - land.real(land.batna[k])  # surplus at the issue's minimum
        slopes.append(slope)
        if slope == 0:
            reservations.append(None)
            intervals.append((issue.minimum, issue.maximum) if base >= 0 else None)
            continue
        r = issue.minimum - base / slope  # surplus(v) = base + slope * (v - min) is 0 here
        reservations.append(r)
        low, high = (max(r, issue.minimum), issue.maximum) if slope > 0 else (issue.minimum, min(r, issue.maximum))
        intervals.append((low, high) if low <= high else None)
    zone = None
    if intervals[0] is not None and intervals[1] is not None:
        low, high = max(intervals[0][0], intervals[1][0]), min(intervals[0][1], intervals[1][1])
        zone = (low, high) if low <= high else None
    share = None
    ra, rb = reservations
    if ra is not None and rb is not None and slopes[0] * slopes[1] < 0 and (rb - ra) * slopes[0] > 0:
        a_share = (value - ra) / (rb - ra)
        share = (a_share, 1 - a_share)
    return PriceMetrics(
        issue=issue.key,
        roles=roles,
        agreed=value,
        reservation=(ra, rb),
        zone=zone,
        claim_share=share,
        opener=opener,
        first_offer=first,
        first_offers=(firsts[0], firsts[1]),
    )
