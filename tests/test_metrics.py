"""The debrief metrics against brute-force enumeration, on random scenarios and on the built-ins,
and a class debrief worked out by hand."""

from __future__ import annotations

import functools
import itertools
import json
import math
import random
import statistics
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.analysis import ScoringTable
from core.bruteforce import all_outcomes, brute_figures, brute_frontier
from core.metrics import (
    Landscape,
    PairResult,
    better_for_both,
    class_metrics,
    debrief_pair,
    distribution,
    pair_outcome,
    price_metrics,
    process_metrics,
    regression,
)
from core.negotiation import OPEN, Action, Refused, State, after_offer, decide, package_points
from core.spec import Issue, Linear, Option, Role, Scenario, load_scenario_file

BUILTIN = Path(__file__).resolve().parent.parent / "scenarios" / "builtin"
T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)

# Random small scenarios: up to three options issues and maybe a numeric one, roles a and b.

points = st.one_of(st.integers(-5, 20), st.sampled_from([Fraction(1, 2), Fraction(5, 2), Fraction(-3, 4)]))


@st.composite
def scenarios(draw, numeric: bool | None = None) -> Scenario:
    issues = []
    with_numeric = draw(st.booleans()) if numeric is None else numeric
    for i in range(draw(st.integers(0 if with_numeric else 1, 3))):
        count = draw(st.integers(1, 4))
        options = tuple(Option(f"o{j}", f"O{j}", {"a": draw(points), "b": draw(points)}) for j in range(count))
        issues.append(Issue(f"i{i}", f"I{i}", "", "options", options=options))
    if with_numeric:
        low = Fraction(draw(st.integers(0, 100)))
        step = Fraction(draw(st.sampled_from([1, 5, 100, Fraction(1, 2)])))
        count = draw(st.integers(2, 5))
        ends = st.integers(-10, 30)
        linear = {"a": Linear(draw(ends), draw(ends)), "b": Linear(draw(ends), draw(ends))}
        place = draw(st.integers(0, len(issues)))
        high = low + step * (count - 1)
        issues.insert(
            place, Issue("price", "Price", "", "numeric", minimum=low, maximum=high, step=step, linear=linear)
        )
    batna = (draw(st.integers(-5, 50)), draw(st.integers(-5, 50)))
    roles = tuple(Role(k, k.upper(), Fraction(d), "", "") for k, d in zip(("a", "b"), batna, strict=True))
    return Scenario("s", "S", "", "", roles, tuple(issues), "")


def packages(scenario: Scenario) -> list[dict[str, str]]:
    issues = scenario.issues
    return [
        {i.key: o.key for i, o in zip(issues, combo, strict=True)}
        for combo in itertools.product(*(i.choices() for i in issues))
    ]


def score(scenario: Scenario, package: dict[str, str] | None) -> tuple[Fraction, Fraction]:
    if package is None:
        return (scenario.roles[0].batna, scenario.roles[1].batna)
    a, b = scenario.role_keys
    return (package_points(scenario, package, a), package_points(scenario, package, b))


def pick(data: st.DataObject, scenario: Scenario, impasse: bool = True) -> dict[str, str] | None:
    if impasse and data.draw(st.integers(0, 5)) == 0:
        return None
    return {i.key: data.draw(st.sampled_from([o.key for o in i.choices()])) for i in scenario.issues}


# The oracle: every outcome metric by enumerating every package, written from the definitions.


class Enumerated:
    """Every package of a scenario with its points (scored by core.negotiation), and the brute-force figures."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.every = [(pkg, score(scenario, pkg)) for pkg in packages(scenario)]
        table = ScoringTable.from_scenario(scenario)
        self.frontier = [(table.real(f.a), table.real(f.b)) for f in brute_frontier(table)]
        nash = brute_figures(table).nash
        self.nash = None if nash is None else (table.real(nash[0]), table.real(nash[1]))


def oracle(known: Enumerated, agreement: dict[str, str] | None) -> dict:
    scenario, every, frontier, nash = known.scenario, known.every, known.frontier, known.nash
    a_key, b_key = scenario.role_keys
    d = score(scenario, None)
    p = score(scenario, agreement)
    weakly = [(pkg, q) for pkg, q in every if q[0] >= p[0] and q[1] >= p[1]]
    dominating = [(pkg, q) for pkg, q in weakly if q != p]
    max_joint = max(q[0] + q[1] for _, q in every)
    surplus = (p[0] - d[0], p[1] - d[1])
    total = surplus[0] + surplus[1]
    near = [math.dist(q, p) for q in frontier if q[0] >= p[0] and q[1] >= p[1]]
    result = {
        "points": p,
        "surplus": surplus,
        "share": (surplus[0] / total, surplus[1] / total) if total > 0 else None,
        "joint": p[0] + p[1],
        "efficiency": (p[0] + p[1]) / max_joint if max_joint > 0 else None,
        "pareto_optimal": not dominating,
        "value_left": max(q[0] + q[1] for _, q in weakly) - (p[0] + p[1]) if weakly else 0,
        "distance_to_frontier": min(near) if near else 0.0,
        "distance_to_nash": None if nash is None else math.dist(nash, p),
        "dominated_by": len(dominating),
        "below_batna": tuple(r for r, s in zip(scenario.role_keys, surplus, strict=True) if s < 0),
    }
    compatible, lose_lose, logrolls = [], [], []
    opposed = []
    for issue in scenario.issues:
        choices = issue.choices()
        pts = {o.key: (o.points[a_key], o.points[b_key]) for o in choices}
        if any(all(x[0] >= y[0] and x[1] >= y[1] for y in pts.values()) for x in pts.values()):
            compatible.append(issue.key)
            if agreement is not None:
                c = pts[agreement[issue.key]]
                if any(x[0] > c[0] and x[1] > c[1] for x in pts.values()):
                    lose_lose.append(issue.key)
        else:
            opposed.append((issue.key, list(pts.values()), None if agreement is None else pts[agreement[issue.key]]))
    if agreement is not None:
        for (i, pi, ci), (j, pj, cj) in itertools.permutations(opposed, 2):
            ra_i = max(x[0] for x in pi) - min(x[0] for x in pi)
            rb_i = max(x[1] for x in pi) - min(x[1] for x in pi)
            ra_j = max(x[0] for x in pj) - min(x[0] for x in pj)
            rb_j = max(x[1] for x in pj) - min(x[1] for x in pj)
            a_wins_i = ci[0] - min(x[0] for x in pi) > max(x[0] for x in pi) - ci[0]
            b_wins_j = cj[1] - min(x[1] for x in pj) > max(x[1] for x in pj) - cj[1]
            if ra_i * rb_j > ra_j * rb_i and a_wins_i and b_wins_j:
                logrolls.append((i, j))
    result.update(compatible_issues=tuple(compatible), lose_lose_issues=tuple(lose_lose), logrolls=tuple(logrolls))
    # The suggestion: the dominating point with the largest joint gain (then the larger smaller gain,
    # then more for A), reached by a package that changes as few agreed options as possible.
    suggestion = None
    if dominating:
        target = max((q for _, q in dominating), key=lambda q: (q[0] + q[1], min(q[0] - p[0], q[1] - p[1]), q[0]))
        fewest = min(
            sum(agreement is not None and pkg[k] != agreement[k] for k in pkg) for pkg, q in every if q == target
        )
        suggestion = (target, fewest)
    result["suggestion"] = suggestion
    return result


def check_outcome(known: Enumerated, land: Landscape, agreement: dict[str, str] | None) -> None:
    scenario = known.scenario
    got = pair_outcome(land, agreement)
    want = oracle(known, agreement)
    for name, value in want.items():
        if name == "suggestion":
            continue
        mine = getattr(got, name)
        if name.startswith("distance") and value is not None:
            assert math.isclose(mine, value, rel_tol=1e-9, abs_tol=1e-9), name
        else:
            assert mine == value, (name, mine, value)
    assert got.impasse == (agreement is None)
    if want["suggestion"] is None:
        assert got.suggestion is None
    else:
        target, fewest = want["suggestion"]
        s = got.suggestion
        assert s is not None
        assert s.points == target == score(scenario, s.package)
        assert s.gain == (target[0] - got.points[0], target[1] - got.points[1])
        if agreement is None:
            assert s.changed is None
        else:
            assert s.changed == tuple(k for k in agreement if s.package[k] != agreement[k])
            assert len(s.changed) == fewest
        assert better_for_both(land, agreement) == s
    json.dumps(got.as_json())


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


# Process metrics against a plain re-reading of random legal event lists


@st.composite
def event_lists(draw, scenario: Scenario) -> list[dict]:
    roles = scenario.role_keys
    state = State(status=OPEN, roles=roles)
    every = packages(scenario)
    at = T0
    events = [{"seq": 1, "type": "started", "role": None, "payload": {"deadline": None}, "at": at.isoformat()}]
    for _ in range(draw(st.integers(0, 12))):
        role = draw(st.sampled_from(roles))
        kind = draw(st.sampled_from(["offer", "offer", "offer", "chat", "reject", "withdraw", "accept", "walk_away"]))
        standing = state.standing.get(role if kind == "withdraw" else state.partner(role))
        if kind == "offer":
            chosen = draw(st.lists(st.sampled_from(range(len(every))), min_size=1, max_size=3, unique=True))
            action = Action("offer", "x", packages=tuple(every[i] for i in chosen))
        elif kind in ("reject", "withdraw", "accept"):
            seq = standing.seq if standing is not None else 1
            index = draw(st.integers(0, len(standing.packages) - 1)) if standing is not None else 0
            action = Action(kind, "x", offer_seq=seq, package=index)
        else:
            action = Action(kind, "x", text="hi")
        at = at + timedelta(seconds=draw(st.integers(1, 120)))
        try:
            decision = decide(state, role, action, at)
        except Refused:
            continue
        seq = len(events) + 1
        events.append(
            {"seq": seq, "type": decision.type, "role": role, "payload": decision.payload, "at": at.isoformat()}
        )
        state = decision.state
        if decision.type == "offer":
            state = after_offer(state, role, seq, action.packages)
        if state.status != OPEN:
            break
    if draw(st.booleans()):  # an event after the end (a late chat) changes nothing
        events.append(
            {"seq": len(events) + 1, "type": "chat", "role": roles[0], "payload": {"text": "bye"}, "at": at.isoformat()}
        )
    return draw(st.permutations(events))  # stored order does not matter: seq does


def reread(scenario: Scenario, events: list[dict]) -> dict:
    """Process metrics from the definitions, the slow way."""
    ordered = sorted(events, key=lambda e: e["seq"])
    end = next((k for k, e in enumerate(ordered) if e["type"] in ("accept", "walk_away", "deadline", "ended")), None)
    counted = ordered if end is None else ordered[: end + 1]
    offers = [e for e in counted if e["type"] == "offer"]
    result = {}
    for k, role in enumerate(scenario.role_keys):
        mine = [e for e in offers if e["role"] == role]
        counters = 0
        for e in mine:
            before = [o for o in offers if o["seq"] < e["seq"]]
            counters += bool(before) and before[-1]["role"] != role
        best = [max(score(scenario, p)[k] for p in e["payload"]["packages"]) for e in mine]
        result[role] = (len(mine), counters, sum(len(e["payload"]["packages"]) > 1 for e in mine), tuple(best))
    seconds = None
    if end is not None:
        seconds = (
            datetime.fromisoformat(ordered[end]["at"]) - datetime.fromisoformat(ordered[0]["at"])
        ).total_seconds()
    result["end"] = None if end is None else ordered[end]["type"]
    result["seconds"] = seconds
    result["opener"] = offers[0]["role"] if offers else None
    return result


@settings(max_examples=120, deadline=None)
@given(st.data())
def test_process_metrics_against_a_plain_rereading(data):
    scenario = data.draw(scenarios())
    events = data.draw(event_lists(scenario))
    land = Landscape(scenario)
    got = process_metrics(land, events)
    want = reread(scenario, events)
    for side in got.sides:
        offers, counters, meso, best = want[side.role]
        assert (side.offers, side.counter_offers, side.meso_offers, side.concessions) == (offers, counters, meso, best)
        assert side.concession_total == (best[0] - best[-1] if best else None)
        if offers:
            assert side.first_offer is not None and side.first_offer.points[side.first_offer.best] == best[0]
    assert got.ending == want["end"]
    assert got.duration == want["seconds"]
    assert got.time_to_agreement == (want["seconds"] if want["end"] == "accept" else None)
    assert got.opener == want["opener"]
    assert got.status == {"accept": "agreed", None: "open"}.get(got.ending, "impasse")
    pair = debrief_pair(land, events)
    assert pair.outcome.impasse == (got.agreement is None)
    if got.agreement is not None:
        accept = next(e for e in events if e["type"] == "accept")
        assert pair.outcome.agreement == accept["payload"]["terms"]
    json.dumps(pair.as_json())


def offer(seq: int, role: str, minute: float, *packages: dict[str, str]) -> dict:
    at = (T0 + timedelta(minutes=minute)).isoformat()
    return {"seq": seq, "type": "offer", "role": role, "payload": {"packages": list(packages)}, "at": at}


def car(price: int, handover: str, warranty: str, tyres: str) -> dict[str, str]:
    return {"price": str(price), "handover": handover, "warranty": warranty, "tyres": tyres}


def test_process_metrics_of_a_hand_made_negotiation():
    scenario = load_scenario_file(str(BUILTIN / "used-car.yaml")).scenario
    land = Landscape(scenario)
    agreed = car(10000, "five-weeks", "three-months", "included")
    events = [
        {"seq": 1, "type": "started", "role": None, "payload": {"deadline": None}, "at": "2026-11-24T10:00:00+00:00"},
        {"seq": 2, "type": "chat", "role": "buyer", "payload": {"text": "Hello"}, "at": "2026-11-24T10:01:00+00:00"},
        # seller: price 10800 -> 46, five weeks 25, no warranty 12, keeps tyres 0 = 83
        offer(3, "seller", 2, car(10800, "five-weeks", "none", "seller-keeps")),
        # buyer, a MESO: 9000 -> 40 + 10 + 22 + 12 = 84; 9200 -> 36 + 7 + 22 + 12 = 77; best 84
        offer(
            4,
            "buyer",
            3,
            car(9000, "saturday", "three-months", "included"),
            car(9200, "three-weeks", "three-months", "included"),
        ),
        {
            "seq": 5,
            "type": "reject",
            "role": "seller",
            "payload": {"offer_seq": 4, "reason": ""},
            "at": "2026-11-24T10:04:00Z",
        },
        offer(6, "seller", 5, car(10400, "five-weeks", "three-months", "included")),  # 38 + 25 + 0 + 6 = 69, a counter
        offer(
            7, "seller", 6, car(10200, "five-weeks", "three-months", "included")
        ),  # 34 + 25 + 0 + 6 = 65, not a counter
        offer(8, "buyer", 8, agreed),  # 20 + 0 + 22 + 12 = 54, a counter
        {
            "seq": 9,
            "type": "accept",
            "role": "seller",
            "payload": {"offer_seq": 8, "package": 0, "terms": agreed},
            "at": "2026-11-24T10:12:30+00:00",
        },
        {"seq": 10, "type": "chat", "role": "buyer", "payload": {"text": "Thanks"}, "at": "2026-11-24T10:13:00+00:00"},
    ]
    pair = debrief_pair(land, events)
    process = pair.process
    assert process is not None
    seller, buyer = process.sides
    assert (seller.offers, seller.counter_offers, seller.meso_offers) == (3, 1, 0)
    assert (buyer.offers, buyer.counter_offers, buyer.meso_offers) == (2, 2, 1)
    assert seller.concessions == (83, 69, 65) and seller.concession_total == 18
    assert buyer.concessions == (84, 54) and buyer.concession_total == 30
    assert buyer.first_offer is not None and buyer.first_offer.points == (84, 77) and buyer.first_offer.best == 0
    assert (process.offers, process.counter_offers, process.opener) == (5, 3, "seller")
    assert process.time_to_agreement == 750.0 and process.status == "agreed" and process.last_seq == 10
    assert process.accepted_offer == 8 and process.agreement == agreed
    # Price: the rest gives the seller 25 + 0 + 6 = 31 and the buyer 0 + 22 + 12 = 34.
    # Seller at BATNA 43 needs 12 price points: 8500 + 600 = 9100. Buyer at BATNA 35 needs 1: 10950.
    price = pair.price
    assert price is not None
    assert price.reservation == (9100, 10950) and price.zone == (9100, 10950)
    assert price.claim_share == (Fraction(900, 1850), Fraction(950, 1850))  # 18/37: surplus 18 of 18 + 19
    assert pair.outcome.share == price.claim_share
    assert (price.agreed, price.first_offer, price.opener, price.first_offers) == (
        10000,
        10800,
        "seller",
        (10800, 9000),
    )
    # An impasse: no agreed value, but the first offers are still there.
    walked = [
        *events[:8],
        {"seq": 9, "type": "walk_away", "role": "buyer", "payload": {"reason": ""}, "at": "2026-11-24T10:20:00Z"},
    ]
    pair = debrief_pair(land, walked)
    assert pair.outcome.impasse and pair.process is not None and pair.process.status == "impasse"
    assert pair.process.time_to_agreement is None and pair.process.duration == 1200.0
    assert pair.price is not None and pair.price.agreed is None and pair.price.first_offer == 10800


# The built-in scenarios: hand-picked packages, worked out by hand and against brute force


@functools.cache
def builtin(name: str) -> tuple[Enumerated, Landscape]:
    scenario = load_scenario_file(str(BUILTIN / f"{name}.yaml")).scenario
    return Enumerated(scenario), Landscape(scenario)


def test_the_orange_dispute_by_hand():
    known, land = builtin("orange-dispute")
    best = {
        "peel": "all-aubrelle",
        "juice": "all-tallis",
        "cost-share": "50",
        "processing": "cooperative",
        "publicity": "tallis-only",
    }
    # 40 + 0 + 15 + 10 + 10 = 75 for Aubrelle, 0 + 40 + 15 + 8 + 10 = 73 for Tallis: the Nash point.
    o = pair_outcome(land, best)
    assert o.points == (75, 73) and o.joint == 148 and o.efficiency == 1 and o.pareto_optimal
    assert o.share == (Fraction(30, 58), Fraction(28, 58)) and o.distance_to_nash == 0 and o.dominated_by == 0
    assert o.compatible_issues == ("processing",) and not o.lose_lose and o.suggestion is None
    assert set(o.logrolls) == {("peel", "juice"), ("peel", "publicity"), ("publicity", "juice")}
    split = {
        "peel": "half-each",
        "juice": "half-each",
        "cost-share": "50",
        "processing": "tallis-lab",
        "publicity": "silence",
    }
    # 14 + 3 + 15 + 0 + 14 = 46 and 3 + 14 + 15 + 5 + 0 = 37: Tallis below its BATNA of 45.
    o = pair_outcome(land, split)
    assert o.points == (46, 37) and o.below_batna == ("tallis",) and o.share is None  # joint surplus 1 - 8 < 0
    assert o.lose_lose_issues == ("processing",) and o.logrolls == () and not o.pareto_optimal
    assert o.value_left == 148 - 83
    s = o.suggestion
    assert s is not None and s.points[0] + s.points[1] == 148 and s.better_for_both
    check_outcome(known, land, best)
    check_outcome(known, land, split)


def test_the_farm_by_hand():
    known, land = builtin("farm-expansion")
    sale = {"tenure": "sale", "payment": "100", "land": "60-ha", "access": "yard-weekdays", "hedgerows": "edith"}
    # farmer 24 + 16 + 12 + 8 + 0 = 60, owner 0 + 16 + 5 + 8 + 0 = 29 (below 44)
    o = pair_outcome(land, sale)
    assert o.points == (60, 29) and o.below_batna == ("owner",) and o.lose_lose_issues == ("hedgerows",)
    assert o.surplus == (10, -15) and o.share is None
    s = o.suggestion
    # the best joint gain above (60, 29) is the maximum, 132; among those the one with the larger smaller gain
    assert s is not None and s.points[0] + s.points[1] == 132 and s.points[0] >= 60 and s.points[1] >= 29
    for package in [
        sale,
        None,
        {**sale, "tenure": "lease-20", "land": "80-ha", "access": "new-track", "hedgerows": "gwen"},
    ]:
        check_outcome(known, land, package)
    nash = pair_outcome(
        land, {"tenure": "lease-20", "payment": "100", "land": "80-ha", "access": "new-track", "hedgerows": "gwen"}
    )
    assert nash.points == (69, 63) and nash.distance_to_nash == 0 and nash.pareto_optimal


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


@pytest.mark.parametrize("name", ["orange-dispute", "farm-expansion", "used-car"])
def test_builtin_packages_against_brute_force(name):
    known, land = builtin(name)
    sample = random.Random(name).sample(packages(known.scenario), 12)
    for package in [None, *sample]:
        check_outcome(known, land, package)


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
