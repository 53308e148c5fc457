"""The class debrief's metrics: worked out by hand, at the edges, and against the statistics module."""

from __future__ import annotations

import json
import math
import statistics
from datetime import timedelta
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from core.analysis import ScoringTable
from core.metrics import Landscape, PairResult, class_metrics, debrief_pair, distribution, pair_outcome, regression
from tests.metric_cases import T0, builtin, car, offer, pick, scenarios, score

# Class metrics


def test_a_class_debrief_worked_out_by_hand():
    _, land = builtin("used-car")
    started = {"seq": 1, "type": "started", "role": None, "payload": {"deadline": None}, "at": T0.isoformat()}

    def agreed(opener: str, first: dict[str, str], terms: dict[str, str]) -> list[dict]:
        other = "buyer" if opener == "seller" else "seller"
        accept = {"offer_seq": 3, "package": 0, "terms": terms}
        end = {
            "seq": 4,
            "type": "accept",
            "role": opener,
            "payload": accept,
            "at": (T0 + timedelta(minutes=9)).isoformat(),
        }
        return [started, offer(2, opener, 1, first), offer(3, other, 5, terms), end]

    p1 = car(10000, "five-weeks", "three-months", "included")  # seller 30+25+0+6 = 61, buyer 20+0+22+12 = 54
    p2 = car(9500, "three-weeks", "none", "seller-keeps")  # seller 20+12+12+0 = 44, buyer 30+7+0+0 = 37
    p4 = car(9800, "three-weeks", "one-month", "included")  # seller 26+12+8+6 = 52, buyer 24+7+10+12 = 53
    walk = {"seq": 3, "type": "walk_away", "role": "seller", "payload": {"reason": ""}, "at": T0.isoformat()}
    pairs = [
        agreed("seller", car(10800, "five-weeks", "none", "seller-keeps"), p1),
        agreed("buyer", car(9000, "saturday", "three-months", "included"), p2),
        [started, offer(2, "buyer", 1, car(9000, "saturday", "three-months", "included")), walk],  # impasse (43, 35)
        agreed("seller", car(10500, "five-weeks", "none", "included"), p4),
    ]
    results = [debrief_pair(land, events) for events in pairs]
    c = class_metrics(land, results)
    assert (c.pairs, c.agreements, c.impasses, c.impasse_rate) == (4, 3, 1, Fraction(1, 4))
    # Seller, sorted: 43 44 52 61. Quartiles by linear interpolation at (n-1)p = 0.75, 1.5, 2.25:
    # q1 = 43 + 0.75 * 1 = 43.75, median = 44 + 0.5 * 8 = 48, q3 = 52 + 0.25 * 9 = 54.25, mean 200/4 = 50.
    s = c.points["seller"]
    assert s is not None and (s.min, s.q1, s.median, s.q3, s.max, s.mean) == (
        43,
        Fraction(175, 4),
        48,
        Fraction(217, 4),
        61,
        50,
    )
    # Buyer, sorted: 35 37 53 54: q1 = 35 + 0.75 * 2 = 36.5, median = 37 + 0.5 * 16 = 45, q3 = 53.25, mean 179/4.
    b = c.points["buyer"]
    assert b is not None and (b.min, b.q1, b.median, b.q3, b.max, b.mean) == (
        35,
        Fraction(73, 2),
        45,
        Fraction(213, 4),
        54,
        Fraction(179, 4),
    )
    # Joint, sorted: 78 81 105 115: q1 = 80.25, median = 93, q3 = 107.5, mean 379/4.
    j = c.joint
    assert j is not None and (j.q1, j.median, j.q3, j.mean) == (
        Fraction(321, 4),
        93,
        Fraction(215, 2),
        Fraction(379, 4),
    )
    a = c.agreement_points["seller"]
    assert a is not None and (a.n, a.median, a.mean) == (3, 52, Fraction(157, 3))
    # No pair made an offer of several packages: every pair is on the side without a MESO.
    assert c.meso_joint is None and c.no_meso_joint == c.joint

    # Pareto-optimal: only p1 (joint 115 is the maximum). p4 (52, 53) is beaten by e.g. price 9800 with
    # five weeks, three months and tyres: (26 + 31, 24 + 34) = (57, 58).
    assert c.pareto_share == Fraction(1, 3)
    # Compatible issues: only the tyres (included is best for both). p2 keeps them: 1 lose-lose cell of 3.
    assert c.lose_lose_rate == Fraction(1, 3) and c.lose_lose_share == Fraction(1, 3)
    # Logrolls: only p1 (seller takes the price and the handover, buyer the warranty).
    assert results[0].outcome.logrolls == (("price", "warranty"), ("handover", "warranty"))
    assert c.logrolling_share == Fraction(1, 3) and c.below_batna == {"seller": 0, "buyer": 0}
    assert c.options["tyres"] == {"included": 2, "seller-keeps": 1}
    assert c.options["handover"] == {"saturday": 0, "three-weeks": 2, "five-weeks": 1}
    assert c.options["warranty"] == {"none": 1, "one-month": 1, "three-months": 1}
    assert sum(c.options["price"].values()) == 3 and c.options["price"]["9800"] == 1 and len(c.options["price"]) == 26
    # Anchoring, first offer x against final price y: (10800, 10000), (9000, 9500), (10500, 9800).
    # mean x = 30300 / 3 = 10100, mean y = 29300 / 3; dx = 700, -1100, 400; dy = 700/3, -800/3, 100/3.
    # Sxx = 490000 + 1210000 + 160000 = 1860000; Sxy = (490000 + 880000 + 40000) / 3 = 470000;
    # Syy = (490000 + 640000 + 10000) / 9 = 1140000 / 9. Slope 470000 / 1860000 = 47/186;
    # intercept 29300/3 - 47/186 * 10100; r = 470000 / sqrt(1860000 * 1140000 / 9) = 0.9683...
    anchoring = c.anchoring
    assert anchoring is not None and anchoring.n == 3 and anchoring.slope == Fraction(47, 186)
    assert anchoring.intercept == Fraction(29300, 3) - Fraction(47, 186) * 10100
    assert anchoring.correlation is not None
    assert math.isclose(anchoring.correlation, 470000 / math.sqrt(1860000 * 1140000 / 9))
    assert math.isclose(anchoring.correlation, 0.96830, abs_tol=5e-6)
    # The seller opened p1 and p4: (10800, 10000) and (10500, 9800): slope 200 / 300, r = 1.
    by_seller = c.anchoring_by_opener["seller"]
    assert (
        by_seller.slope == Fraction(2, 3)
        and by_seller.correlation is not None
        and math.isclose(by_seller.correlation, 1)
    )
    by_buyer = c.anchoring_by_opener["buyer"]
    assert (by_buyer.n, by_buyer.slope, by_buyer.correlation) == (1, None, None)  # one point: no line
    json.dumps(c.as_json())
    assert class_metrics(land, results).as_json() == c.as_json()  # the same input, the same debrief


def test_class_edge_cases():
    _, land = builtin("used-car")
    empty = class_metrics(land, [])
    assert empty.impasse_rate is None and empty.pareto_share is None and empty.points["seller"] is None
    assert empty.anchoring is not None and (empty.anchoring.n, empty.anchoring.slope) == (0, None)
    bare = Landscape(ScoringTable.from_points(("a", "b"), (0, 0), [("x", ["p", "q"], [(1, 2), (2, 1)])]))
    assert class_metrics(bare, [PairResult(pair_outcome(bare, {"x": "p"}))]).anchoring is None  # no price issue
    only_impasse = class_metrics(land, [PairResult(pair_outcome(land, None))])
    assert only_impasse.impasse_rate == 1 and only_impasse.pareto_share is None and only_impasse.lose_lose_rate is None
    assert regression([(Fraction(1), Fraction(2)), (Fraction(1), Fraction(3))]).slope is None  # no variance in x
    flat = regression([(Fraction(1), Fraction(2)), (Fraction(3), Fraction(2))])
    assert flat.slope == 0 and flat.correlation is None  # no variance in y: a slope, no correlation
    one = distribution([Fraction(7)])
    assert one is not None and (one.min, one.q1, one.median, one.q3, one.max, one.mean) == (7, 7, 7, 7, 7, 7)


def test_the_lose_lose_share_is_over_agreements_even_without_a_compatible_issue():
    # docs/debrief.md: agreements with at least one lose-lose issue / agreements. Without a compatible issue
    # no agreement is lose-lose: the share is 0, while the rate, per (agreement, compatible issue) cell, has
    # no cell and is null. Without agreements both are null.
    bare = Landscape(ScoringTable.from_points(("a", "b"), (0, 0), [("x", ["p", "q"], [(1, 2), (2, 1)])]))
    agreed = class_metrics(bare, [PairResult(pair_outcome(bare, {"x": "p"}))])
    assert (agreed.lose_lose_share, agreed.lose_lose_rate) == (0, None)
    none_agreed = class_metrics(bare, [PairResult(pair_outcome(bare, None))])
    assert (none_agreed.lose_lose_share, none_agreed.lose_lose_rate) == (None, None)


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_class_metrics_against_the_statistics_module(data):
    scenario = data.draw(scenarios(numeric=True))
    land = Landscape(scenario)
    roles = scenario.role_keys
    drawn = []
    results = []
    for n in range(data.draw(st.integers(0, 8))):
        opener = data.draw(st.sampled_from(roles))
        first = pick(data, scenario, impasse=False)
        terms = pick(data, scenario)
        events = [
            {"seq": 1, "type": "started", "role": None, "payload": {}, "at": T0.isoformat()},
            offer(2, opener, 1, first),
        ]
        if terms is None:
            events.append(
                {"seq": 3, "type": "deadline", "role": None, "payload": {"status": "impasse"}, "at": T0.isoformat()}
            )
        else:
            other = roles[1] if opener == roles[0] else roles[0]
            events.append(offer(3, other, 2, terms))
            accept = {"offer_seq": 3, "package": 0, "terms": terms}
            events.append({"seq": 4, "type": "accept", "role": opener, "payload": accept, "at": T0.isoformat()})
        drawn.append((opener, first, terms))
        results.append(debrief_pair(land, events))
        assert results[-1].outcome.agreement == terms, n
    c = class_metrics(land, results)
    scored = [score(scenario, terms) for _, _, terms in drawn]
    agreed = [(o, f, t) for o, f, t in drawn if t is not None]
    assert c.pairs == len(drawn) and c.agreements == len(agreed)
    for k, role in enumerate(roles):
        values = [s[k] for s in scored]
        dist = c.points[role]
        if not values:
            assert dist is None
            continue
        assert dist is not None and (dist.min, dist.max, dist.mean) == (
            min(values),
            max(values),
            statistics.mean(values),
        )
        assert dist.median == statistics.median(values)
        if len(values) >= 2:
            assert [dist.q1, dist.median, dist.q3] == statistics.quantiles(values, n=4, method="inclusive")
    outcomes = [r.outcome for r in results if not r.outcome.impasse]
    if agreed:
        assert c.pareto_share == Fraction(sum(o.pareto_optimal for o in outcomes), len(agreed))
        for issue in scenario.issues:
            for option in issue.choices():
                assert c.options[issue.key][option.key] == sum(t[issue.key] == option.key for _, _, t in agreed)
    # Anchoring: the pair's first offer's price against the agreed price, by least squares.
    for who in (None, *roles):
        pts = [(Fraction(f["price"]), Fraction(t["price"])) for o, f, t in agreed if who is None or o == who]
        reg = c.anchoring if who is None else c.anchoring_by_opener[who]
        assert reg is not None and reg.n == len(pts)
        xs, ys = [float(x) for x, _ in pts], [float(y) for _, y in pts]
        if len(pts) < 2 or len(set(xs)) == 1:
            assert reg.slope is None and reg.correlation is None
            continue
        slope, intercept = statistics.linear_regression(xs, ys)
        assert math.isclose(float(reg.slope), slope, rel_tol=1e-9, abs_tol=1e-9)
        assert math.isclose(float(reg.intercept), intercept, rel_tol=1e-9, abs_tol=1e-6)
        if len(set(ys)) == 1:
            assert reg.correlation is None
        else:
            assert math.isclose(reg.correlation, statistics.correlation(xs, ys), rel_tol=1e-9, abs_tol=1e-9)
    json.dumps(c.as_json())


def test_the_class_compares_the_joint_gain_of_pairs_that_used_a_meso_with_the_others():
    _, land = builtin("used-car")
    started = {"seq": 1, "type": "started", "role": None, "payload": {"deadline": None}, "at": T0.isoformat()}
    nash = car(10000, "five-weeks", "three-months", "included")  # 61 + 54 = 115
    split = car(9800, "three-weeks", "one-month", "included")  # 52 + 53 = 105

    def agreed(*packages: dict[str, str], chosen: int) -> list[dict]:
        accept = {"offer_seq": 2, "package": chosen, "terms": packages[chosen]}
        end = {"seq": 3, "type": "accept", "role": "buyer", "payload": accept, "at": T0.isoformat()}
        return [started, offer(2, "seller", 1, *packages), end]

    walk = {"seq": 3, "type": "walk_away", "role": "buyer", "payload": {"reason": ""}, "at": T0.isoformat()}
    pairs = [
        agreed(split, nash, chosen=1),  # a MESO, the Nash package chosen: 115
        agreed(nash, split, chosen=1),  # a MESO, the split chosen: 105
        agreed(split, chosen=0),  # one package: 105
        [started, offer(2, "seller", 1, split), walk],  # one package, then an impasse at the BATNAs: 43 + 35 = 78
    ]
    c = class_metrics(land, [debrief_pair(land, events) for events in pairs])
    assert c.meso_joint is not None and (c.meso_joint.n, c.meso_joint.mean, c.meso_joint.median) == (2, 110, 110)
    assert c.no_meso_joint is not None and (c.no_meso_joint.n, c.no_meso_joint.mean) == (2, Fraction(183, 2))
    assert c.as_json()["meso"]["with"]["mean"] == 110 and c.as_json()["meso"]["without"]["min"] == 78
