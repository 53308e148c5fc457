"""Debrief metrics: what each pair achieved, how it got there, and what the class did.

Pure mathematics, no Django. Every formula and edge-case rule is written down in docs/debrief.md; keep
the two together. Conventions:

- Role A is the scenario's first role, B the second; d_A, d_B are their BATNAs.
- Points are exact. Work is done on the ScoringTable's scaled integers and results are returned as
  Fractions (``as_json`` turns them into plain JSON numbers with ``core.spec.plain``). Only the
  Euclidean distances and the correlation, which need a square root, are floats.
- An impasse (no agreement) is scored at the BATNAs: the point (d_A, d_B).
- "q weakly dominates p" means q_A >= p_A and q_B >= p_B; "q dominates p" means that and q != p.

Build one ``Landscape`` per scenario (it holds the frontier, the distribution of outcomes and the
per-issue facts) and pass it to every function here: a class debrief reuses it for every pair.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any

from core.analysis import FrontierPoint, ScoringTable, best_point, nash_key, outcome_distribution, pareto_frontier
from core.spec import Issue, Scenario, plain

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
            "points": _by_role(roles, self.points),
            "gain": _by_role(roles, self.gain),
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
            "points": _by_role(roles, self.points),
            "surplus": _by_role(roles, self.surplus),
            "share": None if self.share is None else _by_role(roles, self.share),
            "joint": plain(self.joint),
            "efficiency": _plain(self.efficiency),
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
            "concession_total": _plain(self.concession_total),
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
            "agreed": _plain(self.agreed),
            "reservation": {r: _plain(v) for r, v in zip(roles, self.reservation, strict=True)},
            "zone": None if self.zone is None else [plain(self.zone[0]), plain(self.zone[1])],
            "claim_share": None if self.claim_share is None else _by_role(roles, self.claim_share),
            "opener": self.opener,
            "first_offer": _plain(self.first_offer),
            "first_offers": {r: _plain(v) for r, v in zip(roles, self.first_offers, strict=True)},
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


# One pair, everything


@dataclass(frozen=True)
class PairResult:
    outcome: PairOutcome
    process: ProcessMetrics | None = None
    price: PriceMetrics | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.as_json(),
            "process": None if self.process is None else self.process.as_json(),
            "price": None if self.price is None else self.price.as_json(),
        }


def debrief_pair(land: Landscape, events: Iterable[Event], issue_key: str | None = None) -> PairResult:
    """A pair's metrics from its stored events: the accepted terms are the agreement, else an impasse."""
    process = process_metrics(land, events)
    return PairResult(
        outcome=pair_outcome(land, process.agreement),
        process=process,
        price=price_metrics(land, process.agreement, process, issue_key),
    )


# Class metrics


@dataclass(frozen=True)
class Distribution:
    n: int
    min: Fraction
    q1: Fraction
    median: Fraction
    q3: Fraction
    max: Fraction
    mean: Fraction

    def as_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "min": plain(self.min),
            "q1": plain(self.q1),
            "median": plain(self.median),
            "q3": plain(self.q3),
            "max": plain(self.max),
            "mean": plain(self.mean),
        }


def quantile(ordered: Sequence[Fraction], q: Fraction) -> Fraction:
    """Linear interpolation between closest ranks (R's type 7, numpy's default) on sorted values."""
    h = (len(ordered) - 1) * q
    low = math.floor(h)
    if low + 1 >= len(ordered):
        return ordered[-1]
    return ordered[low] + (h - low) * (ordered[low + 1] - ordered[low])


def distribution(values: Iterable[Fraction]) -> Distribution | None:
    ordered = sorted(values)
    if not ordered:
        return None
    return Distribution(
        n=len(ordered),
        min=ordered[0],
        q1=quantile(ordered, Fraction(1, 4)),
        median=quantile(ordered, Fraction(1, 2)),
        q3=quantile(ordered, Fraction(3, 4)),
        max=ordered[-1],
        mean=sum(ordered, Fraction(0)) / len(ordered),
    )


@dataclass(frozen=True)
class Regression:
    """Least squares of y on x: y = intercept + slope * x; Pearson's correlation."""

    n: int
    slope: Fraction | None  # None with fewer than 2 points or no variance in x
    intercept: Fraction | None
    correlation: float | None  # None with fewer than 2 points or no variance in x or in y

    def as_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "slope": _plain(self.slope),
            "intercept": _plain(self.intercept),
            "correlation": self.correlation,
        }


def regression(points: Sequence[tuple[Fraction, Fraction]]) -> Regression:
    n = len(points)
    if n < 2:
        return Regression(n, None, None, None)
    mx = sum((x for x, _ in points), Fraction(0)) / n
    my = sum((y for _, y in points), Fraction(0)) / n
    sxx = sum(((x - mx) ** 2 for x, _ in points), Fraction(0))
    syy = sum(((y - my) ** 2 for _, y in points), Fraction(0))
    sxy = sum(((x - mx) * (y - my) for x, y in points), Fraction(0))
    if sxx == 0:
        return Regression(n, None, None, None)
    slope = sxy / sxx
    correlation = None if syy == 0 else float(sxy) / math.sqrt(sxx * syy)
    return Regression(n, slope, my - slope * mx, correlation)


@dataclass(frozen=True)
class ClassMetrics:
    roles: tuple[str, str]
    pairs: int
    agreements: int
    impasses: int
    impasse_rate: Fraction | None
    points: dict[str, Distribution | None]  # every pair, impasses at the BATNA
    agreement_points: dict[str, Distribution | None]  # agreements only
    joint: Distribution | None  # every pair
    pareto_share: Fraction | None  # Pareto-optimal agreements / agreements
    below_batna: dict[str, int]  # agreements below each role's BATNA
    logrolling_share: Fraction | None  # agreements with a logroll / agreements
    lose_lose_rate: Fraction | None  # lose-lose (agreement, compatible issue) cells / all such cells
    lose_lose_share: Fraction | None  # agreements with any lose-lose issue / agreements
    options: dict[str, dict[str, int]]  # issue -> option -> agreements that chose it
    price_issue: str | None
    anchoring: Regression | None  # final value on the pair's first offer value; None without a price issue
    anchoring_by_opener: dict[str, Regression]

    def as_json(self) -> dict[str, Any]:
        def dist(value: Distribution | None) -> dict[str, Any] | None:
            return None if value is None else value.as_json()

        return {
            "roles": list(self.roles),
            "pairs": self.pairs,
            "agreements": self.agreements,
            "impasses": self.impasses,
            "impasse_rate": _plain(self.impasse_rate),
            "points": {r: dist(d) for r, d in self.points.items()},
            "agreement_points": {r: dist(d) for r, d in self.agreement_points.items()},
            "joint": dist(self.joint),
            "pareto_share": _plain(self.pareto_share),
            "below_batna": dict(self.below_batna),
            "logrolling_share": _plain(self.logrolling_share),
            "lose_lose_rate": _plain(self.lose_lose_rate),
            "lose_lose_share": _plain(self.lose_lose_share),
            "options": {issue: dict(counts) for issue, counts in self.options.items()},
            "price_issue": self.price_issue,
            "anchoring": None if self.anchoring is None else self.anchoring.as_json(),
            "anchoring_by_opener": {r: reg.as_json() for r, reg in self.anchoring_by_opener.items()},
        }


def class_metrics(land: Landscape, results: Sequence[PairResult]) -> ClassMetrics:
    """The class's figures from its pairs' results (every pair, agreed or not)."""
    roles = land.roles
    outcomes = [r.outcome for r in results]
    agreed = [o for o in outcomes if not o.impasse]
    n, m = len(outcomes), len(agreed)

    def ratio(part: int, whole: int) -> Fraction | None:
        return Fraction(part, whole) if whole else None

    options = {c.key: dict.fromkeys(c.option_keys, 0) for c in land.table.columns}
    for o in agreed:
        assert o.agreement is not None
        for issue, option in o.agreement.items():
            options[issue][option] += 1
    compatible = sum(1 for issue in land.issues if issue.compatible)
    prices = [r.price for r in results if r.price is not None]
    numeric = price_issue(land)
    price_key = prices[0].issue if prices else (numeric.key if numeric is not None else None)
    anchoring = None
    by_opener: dict[str, Regression] = {}
    if price_key is not None:
        anchors = [
            (p.first_offer, p.agreed, p.opener) for p in prices if p.agreed is not None and p.first_offer is not None
        ]
        anchoring = regression([(x, y) for x, y, _ in anchors if x is not None and y is not None])
        by_opener = {
            role: regression([(x, y) for x, y, who in anchors if who == role and x is not None and y is not None])
            for role in roles
        }
    return ClassMetrics(
        roles=roles,
        pairs=n,
        agreements=m,
        impasses=n - m,
        impasse_rate=ratio(n - m, n),
        points={role: distribution(o.points[k] for o in outcomes) for k, role in enumerate(roles)},
        agreement_points={role: distribution(o.points[k] for o in agreed) for k, role in enumerate(roles)},
        joint=distribution(o.joint for o in outcomes),
        pareto_share=ratio(sum(1 for o in agreed if o.pareto_optimal), m),
        below_batna={role: sum(1 for o in agreed if role in o.below_batna) for role in roles},
        logrolling_share=ratio(sum(1 for o in agreed if o.logrolling), m),
        lose_lose_rate=ratio(sum(len(o.lose_lose_issues) for o in agreed), m * compatible),
        lose_lose_share=ratio(sum(1 for o in agreed if o.lose_lose), m) if compatible else None,
        options=options,
        price_issue=price_key,
        anchoring=anchoring,
        anchoring_by_opener=by_opener,
    )


# JSON helpers


def _plain(value: Fraction | None) -> int | float | None:
    return None if value is None else plain(value)


def _by_role(roles: tuple[str, str], values: tuple[Fraction, Fraction]) -> dict[str, int | float]:
    return {roles[0]: plain(values[0]), roles[1]: plain(values[1])}
