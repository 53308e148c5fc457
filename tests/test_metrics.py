"""The outcome and price metrics against brute-force enumeration, on random scenarios and on the built-ins."""

from __future__ import annotations

import json
import math
import random
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.analysis import ScoringTable
from core.bruteforce import all_outcomes
from core.metrics import Landscape, pair_outcome, price_metrics
from core.scenario_document import load_scenario_file
from tests.metric_cases import BUILTIN, Enumerated, builtin, car, check_outcome, packages, pick, scenarios, score


@settings(max_examples=150, deadline=None)
@given(scenarios(), st.data())
def test_every_outcome_metric_agrees_with_brute_force(scenario, data):
    land, known = Landscape(scenario), Enumerated(scenario)
    for _ in range(3):
        check_outcome(known, land, pick(data, scenario))


@settings(max_examples=50, deadline=None)
@given(scenarios())
def test_the_batna_point_and_every_package_of_a_small_scenario(scenario):
    land, known = Landscape(scenario), Enumerated(scenario)
    every = packages(scenario)
    if len(every) > 30:
        every = random.Random(len(every)).sample(every, 30)
    for package in [None, *every]:
        check_outcome(known, land, package)


def test_counting_dominating_outcomes_on_a_larger_grid():
    rng = random.Random(7)
    rows = [
        (f"i{i}", [f"o{j}" for j in range(5)], [(rng.randint(0, 30), rng.randint(0, 30)) for _ in range(5)])
        for i in range(6)
    ]
    table = ScoringTable.from_points(("a", "b"), (60, 60), rows)
    land = Landscape(table)
    sums = all_outcomes(table)  # 15,625 outcomes
    for a, b in [*rng.sample(sorted(sums), 40), (0, 0), (60, 60), (500, 500), table.batna]:
        want = sum(c for (x, y), c in sums.items() if x >= a and y >= b and (x, y) != (a, b))
        assert land.dominated_by((a, b)) == want
    for _ in range(20):
        package = {key: rng.choice(keys) for key, keys, _ in rows}
        got = pair_outcome(land, package)
        p = land.point(package)
        above = [q for q in sums if q[0] >= p[0] and q[1] >= p[1] and q != p]
        assert got.pareto_optimal == (not above)
        if above:
            best = max(q[0] + q[1] for q in above)
            assert got.value_left == best - p[0] - p[1]
            assert (
                got.suggestion is not None
                and land.point(got.suggestion.package)[0] + land.point(got.suggestion.package)[1] == best
            )
        assert price_metrics(land, package) is None  # a bare table has no numeric issue to speak of


def test_a_package_must_be_complete_and_valid():
    land = Landscape(load_scenario_file(str(BUILTIN / "used-car.yaml")).scenario)
    with pytest.raises(ValueError, match="handover"):
        pair_outcome(land, {"price": "9500", "warranty": "none", "tyres": "included"})
    with pytest.raises(ValueError, match="not an option"):
        pair_outcome(land, {"price": "9550", "handover": "saturday", "warranty": "none", "tyres": "included"})
    # A numeric value written as a number or with a decimal point is the same grid value.
    same = pair_outcome(land, {"price": 9500.0, "handover": "saturday", "warranty": "none", "tyres": "included"})
    assert same.agreement is not None and same.agreement["price"] == "9500"


# Price metrics against the grid


@settings(max_examples=150, deadline=None)
@given(scenarios(numeric=True), st.data())
def test_price_zone_and_claim_share_against_the_grid(scenario, data):
    land = Landscape(scenario)
    agreement = pick(data, scenario, impasse=False)
    got = price_metrics(land, agreement)
    assert got is not None and got.agreed == Fraction(agreement["price"])
    issue = next(i for i in scenario.issues if i.key == "price")
    d = score(scenario, None)
    u = score(scenario, agreement)
    rest = [u[k] - issue.points_at(r, got.agreed) for k, r in enumerate(scenario.role_keys)]
    for k, role in enumerate(scenario.role_keys):
        line = issue.linear[role]
        r = got.reservation[k]
        if line.at_min == line.at_max:
            assert r is None
        else:  # at the reservation value the side has exactly its BATNA
            assert rest[k] + issue.points_at(role, r) == d[k]
    for value in issue.grid():  # the zone holds exactly the grid values that both sides accept
        ok = all(rest[k] + issue.points_at(r, value) >= d[k] for k, r in enumerate(scenario.role_keys))
        inside = got.zone is not None and got.zone[0] <= value <= got.zone[1]
        assert ok == inside
    # Claim share: each side's surplus measured in units of the issue (surplus / |slope|).
    slopes = [(issue.linear[r].at_max - issue.linear[r].at_min) for r in scenario.role_keys]
    if slopes[0] * slopes[1] < 0:
        units = [(u[k] - d[k]) / abs(slopes[k]) for k in range(2)]
        if units[0] + units[1] > 0:
            assert got.claim_share == (units[0] / sum(units), units[1] / sum(units))
            if slopes[0] == -slopes[1]:  # a purely distributive issue: the same as the surplus share
                assert got.claim_share == pair_outcome(land, agreement).share
        else:
            assert got.claim_share is None
    else:
        assert got.claim_share is None
    json.dumps(got.as_json())


# The built-in scenarios: hand-picked packages, worked out by hand and against brute force


def test_the_orange_dispute_by_hand():
    known, land = builtin("orange-dispute")
    best = {
        "fruit": "rinds-aubrelle",
        "cost-share": "60",
        "processing": "cooperative",
        "publicity": "tallis-only",
    }
    # Aubrelle: rinds 32 + its 60% share (60 - 6 * 6 = 24) + shed 10 + Tallis's announcement 10 = 76.
    # Tallis: juice 20 + Aubrelle's 60% (6 * 6 = 36) + shed 8 + announcement 10 = 74. Joint 150, the
    # maximum, and the Nash point: surpluses over the BATNAs (60, 60) are 16 and 14, of 30.
    o = pair_outcome(land, best)
    assert o.points == (76, 74) and o.joint == 150 and o.efficiency == 1 and o.pareto_optimal
    assert o.share == (Fraction(16, 30), Fraction(14, 30)) and o.distance_to_nash == 0 and o.dominated_by == 0
    # With no option giving one side all the fruit, the separation is the best fruit option for both: the fruit
    # is a compatible issue, like processing, though each side expects the other to want the same oranges.
    assert o.compatible_issues == ("fruit", "processing") and not o.lose_lose and o.suggestion is None
    # Left to trade are the price (60, 60) and publicity (14, 14), which weigh the same for both: no logroll.
    assert o.logrolls == ()
    split = {
        "fruit": "half-each",
        "cost-share": "50",
        "processing": "tallis-lab",
        "publicity": "tallis-only",
    }
    # Half the oranges each (Aubrelle 16, Tallis 12), 50% (30 each), Tallis's laboratory (0, 5), Tallis's
    # announcement (10, 10): 16 + 30 + 0 + 10 = 56 and 12 + 30 + 5 + 10 = 57, both below their BATNAs of 60.
    o = pair_outcome(land, split)
    assert o.points == (56, 57) and o.below_batna == ("aubrelle", "tallis") and o.share is None
    # Half the oranges and the laboratory are each worse for both than the separation and the shed.
    assert o.lose_lose_issues == ("fruit", "processing") and o.logrolls == () and not o.pareto_optimal
    assert o.value_left == 150 - 113
    s = o.suggestion
    assert s is not None and s.points[0] + s.points[1] == 150 and s.better_for_both
    check_outcome(known, land, best)
    check_outcome(known, land, split)


def test_the_farm_by_hand():
    known, land = builtin("farm-expansion")
    sale = {"tenure": "sale", "payment": "0", "land": "60-ha", "access": "yard-weekdays", "hedgerows": "edith"}
    # At the valuer's figure (20 points each): farmer 20 + 20 + 10 + 7 + 0 = 57, owner 0 + 20 + 5 + 8 + 0 = 33
    # (below her BATNA of 49)
    o = pair_outcome(land, sale)
    assert o.points == (57, 33) and o.below_batna == ("owner",) and o.lose_lose_issues == ("hedgerows",)
    assert o.surplus == (5, -16) and o.share is None
    s = o.suggestion
    # the best joint gain above (57, 33) is the maximum, 127 (the efficient terms score 44 / 43 before the
    # money, which divides 40 more); among those the one with the larger smaller gain
    assert s is not None and s.points[0] + s.points[1] == 127 and s.points[0] >= 57 and s.points[1] >= 33
    for package in [
        sale,
        None,
        {**sale, "tenure": "lease-20", "land": "80-ha", "access": "new-track", "hedgerows": "gwen"},
    ]:
        check_outcome(known, land, package)
    # The Nash point: with BATNAs 52 / 49, the efficient terms at a discount of €2,000 (of the money's 40
    # points, 21 to Gwen and 19 to Edith): farmer 18 + 21 + 20 + 0 + 6 = 65, owner 12 + 19 + 3 + 18 + 10 = 62;
    # surpluses of 13 and 13, the largest product on the line farmer + owner = 127.
    nash = pair_outcome(
        land, {"tenure": "lease-20", "payment": "-2000", "land": "80-ha", "access": "new-track", "hedgerows": "gwen"}
    )
    assert nash.points == (65, 62) and nash.distance_to_nash == 0 and nash.pareto_optimal


def test_the_used_car_by_hand():
    known, land = builtin("used-car")
    o = pair_outcome(land, car(9500, "three-weeks", "none", "seller-keeps"))
    # seller 20 + 12 + 12 + 0 = 44, buyer 30 + 7 + 0 + 0 = 37; joint 81 of 115
    assert o.points == (44, 37) and o.surplus == (1, 2) and o.share == (Fraction(1, 3), Fraction(2, 3))
    assert o.efficiency == Fraction(81, 115) and o.value_left == 34 and o.lose_lose_issues == ("tyres",)
    # The suggestion: joint 115 with the gains split as evenly as possible: (61, 54), +17 each.
    assert o.suggestion is not None and o.suggestion.points == (61, 54) and o.suggestion.gain == (17, 17)
    # (61, 54) is also the Nash point: distance sqrt(17^2 + 17^2)
    assert math.isclose(o.distance_to_nash, 17 * math.sqrt(2))
    impasse = pair_outcome(land, None)
    # At the BATNAs (43, 35): 149 feasible outcomes dominate it, none of them exactly at (43, 35).
    assert impasse.impasse and impasse.points == (43, 35) and impasse.dominated_by == 149 and impasse.share is None
    assert impasse.value_left == 115 - 78 and impasse.suggestion is not None and impasse.suggestion.changed is None
    for package in [
        None,
        car(9500, "three-weeks", "none", "seller-keeps"),
        car(8500, "saturday", "three-months", "included"),
    ]:
        check_outcome(known, land, package)


@pytest.mark.parametrize("name", sorted(p.stem for p in BUILTIN.glob("*.yaml")))
def test_builtin_packages_against_brute_force(name):
    known, land = builtin(name)
    sample = random.Random(name).sample(packages(known.scenario), 12)
    for package in [None, *sample]:
        check_outcome(known, land, package)
