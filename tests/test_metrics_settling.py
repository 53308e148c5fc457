"""Whether a pair settled the price before its other terms (core.metrics.settling, docs/debrief.md section 2)."""

from __future__ import annotations

from core.metrics.settling import settled_first


def offer(seq: int, role: str, *packages: dict[str, str]) -> dict:
    return {"seq": seq, "type": "offer", "role": role, "payload": {"packages": list(packages)}}


def accept(seq: int, terms: dict[str, str]) -> dict:
    return {"seq": seq, "type": "accept", "role": "seller", "payload": {"terms": terms, "offer_seq": seq - 1}}


def terms(price: str, handover: str, tyres: str = "included") -> dict[str, str]:
    return {"price": price, "handover": handover, "tyres": tyres}


def test_the_price_fixed_while_the_handover_still_moved_is_settled_first():
    events = [
        offer(2, "seller", terms("10800", "five-weeks")),
        offer(3, "buyer", terms("9000", "saturday")),
        offer(4, "seller", terms("10000", "five-weeks")),
        offer(5, "buyer", terms("10000", "saturday")),
        offer(6, "seller", terms("10000", "three-weeks")),
        accept(7, terms("10000", "three-weeks")),
    ]
    assert settled_first(events, "price") is True
    assert settled_first(events, "handover") is False
    assert settled_first(list(reversed(events)), "price") is True  # read in seq order


def test_the_price_settled_with_the_last_package_is_not_first():
    events = [
        offer(2, "seller", terms("10800", "five-weeks")),
        offer(3, "buyer", terms("9000", "saturday")),
        offer(4, "seller", terms("10000", "three-weeks")),
        accept(5, terms("10000", "three-weeks")),
    ]
    assert settled_first(events, "price") is False


def test_a_price_that_never_moved_or_a_price_the_only_moving_issue_is_not_settled_first():
    same_price = [offer(2, "seller", terms("10000", "five-weeks")), offer(3, "buyer", terms("10000", "saturday"))]
    assert settled_first([*same_price, accept(4, terms("10000", "saturday"))], "price") is False
    only_price = [offer(2, "seller", terms("10800", "saturday")), offer(3, "buyer", terms("10000", "saturday"))]
    assert settled_first([*only_price, accept(4, terms("10000", "saturday"))], "price") is False


def test_every_package_of_a_meso_must_name_the_price_for_it_to_have_settled():
    events = [
        offer(2, "seller", terms("10800", "five-weeks")),
        offer(3, "buyer", terms("10000", "saturday"), terms("9800", "five-weeks")),  # the price still open
        offer(4, "seller", terms("10000", "five-weeks")),
        offer(5, "buyer", terms("10000", "three-weeks")),
        accept(6, terms("10000", "three-weeks")),
    ]
    assert settled_first(events, "price") is True  # settled at seq 4, the handover at seq 5
    events[3] = offer(5, "buyer", terms("10000", "five-weeks"), terms("10000", "three-weeks"))
    assert settled_first(events, "price") is True


def test_an_impasse_or_an_open_pair_has_no_answer_and_nothing_after_the_ending_counts():
    moves = [offer(2, "seller", terms("10800", "five-weeks")), offer(3, "buyer", terms("9000", "saturday"))]
    assert settled_first(moves, "price") is None
    walked = [*moves, {"seq": 4, "type": "walk_away", "role": "buyer", "payload": {}}]
    assert settled_first([*walked, accept(5, terms("9000", "saturday"))], "price") is None
