"""The post-settlement round's rule in the pure core: a package replaces the agreement only when it is
at least as good for both sides; an offer's packages are at least as good for the side that makes it;
nobody walks away; either side may keep the agreement. Random small scenarios and the used car."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.negotiation import (
    AGREED,
    SETTLING,
    Action,
    FrameError,
    Offer,
    State,
    after_round_event,
    below_agreement,
    decide,
    parse_frame,
)
from core.refusal import Refused
from core.replay import ReplayError, replay
from core.scenario_document import load_scenario_file
from tests.metric_cases import BUILTIN, pick, scenarios, score

NOW = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
CAR = load_scenario_file(str(BUILTIN / "used-car.yaml")).scenario
assert CAR is not None
SELLER, BUYER = CAR.role_keys


def settling(scenario, agreement, offers=None) -> State:
    roles = scenario.role_keys
    state = State(status=AGREED, roles=(roles[0], roles[1]), agreement=agreement)
    state = after_round_event(state, "settlement_opened")
    if offers:
        state = State(SETTLING, state.roles, standing=offers, agreement=agreement)
    return state


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_an_accepted_package_replaces_the_agreement_exactly_when_it_is_at_least_as_good_for_both(data):
    scenario = data.draw(scenarios())
    agreement = pick(data, scenario, impasse=False)
    package = pick(data, scenario, impasse=False)
    a, b = scenario.role_keys
    floor, offered = score(scenario, agreement), score(scenario, package)
    state = settling(scenario, agreement, {a: Offer(7, a, (package,))})
    better_for_both = offered[0] >= floor[0] and offered[1] >= floor[1]
    assert (below_agreement(scenario, agreement, package) == ()) is better_for_both
    if better_for_both:
        decision = decide(state, b, Action("accept", "x", offer_seq=7, package=0), NOW, scenario)
        assert decision.type == "accept"
        assert decision.state.status == AGREED and decision.state.agreement == package
    else:
        with pytest.raises(Refused) as refused:
            decide(state, b, Action("accept", "x", offer_seq=7, package=0), NOW, scenario)
        assert refused.value.code == "below_agreement"


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_an_offer_in_the_round_is_refused_when_a_package_is_worse_for_the_side_making_it(data):
    scenario = data.draw(scenarios())
    agreement = pick(data, scenario, impasse=False)
    drawn = [pick(data, scenario, impasse=False) for _ in range(2)]
    packages = tuple({frozenset(p.items()): p for p in drawn}.values())  # the packages of one offer differ
    a = scenario.role_keys[0]
    state = settling(scenario, agreement)
    worse = [p for p in packages if score(scenario, p)[0] < score(scenario, agreement)[0]]
    if worse:
        with pytest.raises(Refused) as refused:
            decide(state, a, Action("offer", "x", packages=packages), NOW, scenario)
        assert refused.value.code == "below_agreement"
    else:
        assert decide(state, a, Action("offer", "x", packages=packages), NOW, scenario).type == "offer"


def price_step() -> tuple[dict[str, str], dict[str, str]]:
    """An agreement at the lowest price, and the same package one step dearer (better for the seller)."""
    first = {i.key: i.choices()[0].key for i in CAR.issues}
    price = next(i for i in CAR.issues if i.key == "price")
    dearer = {**first, "price": price.choices()[1].key}
    assert score(CAR, dearer)[0] > score(CAR, first)[0] and score(CAR, dearer)[1] < score(CAR, first)[1]
    return first, dearer


def test_the_refusal_names_the_acting_sides_own_points_and_never_the_partners():
    agreement, dearer = price_step()
    state = settling(CAR, agreement, {SELLER: Offer(9, SELLER, (dearer,))})
    with pytest.raises(Refused) as own:
        decide(state, BUYER, Action("accept", "x", offer_seq=9, package=0), NOW, CAR)
    assert own.value.code == "below_agreement" and "less than the" in own.value.message
    state = settling(CAR, agreement, {BUYER: Offer(9, BUYER, (dearer,))})  # as if it had come through
    with pytest.raises(Refused) as theirs:
        decide(state, SELLER, Action("accept", "x", offer_seq=9, package=0), NOW, CAR)
    assert theirs.value.code == "below_agreement"
    assert "partner" in theirs.value.message and "points" not in theirs.value.message


def test_nobody_walks_away_in_the_round_and_keeping_ends_it_with_the_agreement():
    agreement, _ = price_step()
    state = settling(CAR, agreement)
    with pytest.raises(Refused) as walked:
        decide(state, SELLER, Action("walk_away", "x"), NOW, CAR)
    assert walked.value.code == "keep_instead"
    kept = decide(state, BUYER, Action("keep", "x"), NOW, CAR)
    assert kept.type == "keep" and kept.payload == {}
    assert kept.state.status == AGREED and kept.state.agreement == agreement
    with pytest.raises(Refused) as again:
        decide(kept.state, SELLER, Action("keep", "y"), NOW, CAR)
    assert again.value.code == "not_settling"


def test_a_keep_frame_has_a_client_id_and_nothing_else():
    assert parse_frame({"type": "keep", "client_msg_id": "k1"}, CAR) == Action("keep", "k1")
    with pytest.raises(FrameError) as extra:
        parse_frame({"type": "keep", "client_msg_id": "k1", "terms": {}}, CAR)
    assert extra.value.field == "terms"


def test_only_an_agreed_pair_enters_the_round_and_its_close_keeps_the_agreement():
    roles = (SELLER, BUYER)
    with pytest.raises(ValueError, match="negotiating"):
        after_round_event(State(status="negotiating", roles=roles), "settlement_opened")
    with pytest.raises(ValueError, match="impasse"):
        after_round_event(State(status="impasse", roles=roles), "settlement_opened")
    agreement, _ = price_step()
    state = settling(CAR, agreement, {SELLER: Offer(3, SELLER, (agreement,))})
    closed = after_round_event(state, "settlement_closed")
    assert closed.status == AGREED and closed.agreement == agreement and not closed.standing


def test_a_replayed_round_is_checked_against_the_scenarios_points():
    first, dearer = price_step()
    events = [
        {"seq": 1, "type": "started", "role": None, "payload": {"deadline": None}},
        {"seq": 2, "type": "offer", "role": SELLER, "payload": {"packages": [first]}},
        {"seq": 3, "type": "accept", "role": BUYER, "payload": {"offer_seq": 2, "package": 0, "terms": first}},
        {"seq": 4, "type": "settlement_opened", "role": None, "payload": {"deadline": None}},
        {"seq": 5, "type": "offer", "role": BUYER, "payload": {"packages": [dearer]}},
    ]
    with pytest.raises(ReplayError, match="event 5"):
        replay(events, (SELLER, BUYER), CAR)  # a dearer price is worse for the buyer who offers it
    events[4] = {"seq": 5, "type": "keep", "role": BUYER, "payload": {}}
    replayed = replay(events, (SELLER, BUYER), CAR)
    assert replayed.row()["status"] == AGREED and replayed.row()["agreement"] == first
    with pytest.raises(ReplayError, match="scenario"):
        replay(events, (SELLER, BUYER))
