"""The process metrics against a plain re-reading of random event lists, and a negotiation worked out by hand."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from core.metrics import Landscape, debrief_pair, process_metrics
from core.negotiation import OPEN, Action, State, after_offer, decide
from core.refusal import Refused
from core.scenario_document import load_scenario_file
from core.spec import Scenario
from tests.metric_cases import BUILTIN, T0, car, offer, packages, scenarios, score

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
