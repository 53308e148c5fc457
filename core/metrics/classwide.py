"""One pair's full result, and the class metrics over all pairs."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from core.metrics.landscape import (
    Event,
    Landscape,
    plain_or_none,
)
from core.metrics.outcome import PairOutcome, pair_outcome
from core.metrics.process import PriceMetrics, ProcessMetrics, price_issue, price_metrics, process_metrics
from core.metrics.settlement import SettlementResult, SettlementSummary, settlement_result, settlement_summary
from core.spec import plain

# One pair, everything


@dataclass(frozen=True)
class PairResult:
    outcome: PairOutcome
    process: ProcessMetrics | None = None
    price: PriceMetrics | None = None
    settlement: SettlementResult | None = None  # its post-settlement round, if it was in one

    def as_json(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.as_json(),
            "process": None if self.process is None else self.process.as_json(),
            "price": None if self.price is None else self.price.as_json(),
            "settlement": None if self.settlement is None else self.settlement.as_json(),
        }


def debrief_pair(land: Landscape, events: Iterable[Event], issue_key: str | None = None) -> PairResult:
    """A pair's metrics from its stored events: the accepted terms are the agreement, else an impasse.
    After a post-settlement round the outcome is the agreement as it stands; the process and the price
    metrics are the negotiation's, up to its first agreement."""
    events = list(events)
    process = process_metrics(land, events)
    settlement = settlement_result(land, events)
    return PairResult(
        outcome=pair_outcome(land, process.agreement if settlement is None else settlement.after),
        process=process,
        price=price_metrics(land, process.agreement, process, issue_key),
        settlement=settlement,
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
            "slope": plain_or_none(self.slope),
            "intercept": plain_or_none(self.intercept),
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
    lose_lose_share: Fraction | None  # agreements with any lose-lose issue / agreements (0 without a compatible issue)
    options: dict[str, dict[str, int]]  # issue -> option -> agreements that chose it
    price_issue: str | None
    anchoring: Regression | None  # final value on the pair's first offer value; None without a price issue
    anchoring_by_opener: dict[str, Regression]
    # Joint points of the pairs where either side made an offer of several packages at once (MESO), and
    # of the others; every pair, impasses at the BATNAs (Leonardelli et al., 2019, on MESOs).
    meso_joint: Distribution | None = None
    no_meso_joint: Distribution | None = None
    settlement: SettlementSummary | None = None  # the post-settlement round's pairs; None without one

    def as_json(self) -> dict[str, Any]:
        def dist(value: Distribution | None) -> dict[str, Any] | None:
            return None if value is None else value.as_json()

        return {
            "roles": list(self.roles),
            "pairs": self.pairs,
            "agreements": self.agreements,
            "impasses": self.impasses,
            "impasse_rate": plain_or_none(self.impasse_rate),
            "points": {r: dist(d) for r, d in self.points.items()},
            "agreement_points": {r: dist(d) for r, d in self.agreement_points.items()},
            "joint": dist(self.joint),
            "pareto_share": plain_or_none(self.pareto_share),
            "below_batna": dict(self.below_batna),
            "logrolling_share": plain_or_none(self.logrolling_share),
            "lose_lose_rate": plain_or_none(self.lose_lose_rate),
            "lose_lose_share": plain_or_none(self.lose_lose_share),
            "options": {issue: dict(counts) for issue, counts in self.options.items()},
            "price_issue": self.price_issue,
            "anchoring": None if self.anchoring is None else self.anchoring.as_json(),
            "anchoring_by_opener": {r: reg.as_json() for r, reg in self.anchoring_by_opener.items()},
            "meso": {"with": dist(self.meso_joint), "without": dist(self.no_meso_joint)},
            "settlement": None if self.settlement is None else self.settlement.as_json(),
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
        lose_lose_share=ratio(sum(1 for o in agreed if o.lose_lose), m),
        options=options,
        price_issue=price_key,
        anchoring=anchoring,
        anchoring_by_opener=by_opener,
        meso_joint=distribution(r.outcome.joint for r in results if _used_meso(r)),
        no_meso_joint=distribution(r.outcome.joint for r in results if not _used_meso(r)),
        settlement=settlement_summary([r.settlement for r in results if r.settlement is not None]),
    )


def _used_meso(result: PairResult) -> bool:
    return result.process is not None and any(side.meso_offers > 0 for side in result.process.sides)
