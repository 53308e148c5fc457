"""What only a real PostgreSQL shows: actions of one pair racing each other."""

from __future__ import annotations

import pytest

from core.negotiation import Action
from core.refusal import Refused
from negotiations.acting import negotiation_act
from negotiations.models import Event
from tests.base import race, seats_by_role, start_round

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
PACKAGE = {"price": "9500", "handover": "three-weeks", "warranty": "none", "tyres": "included"}
ROUNDS = 15


@pytest.fixture
def pairs(exercise, classroom):
    return start_round(exercise, classroom, 2 * ROUNDS)


def test_when_both_sides_accept_at_once_there_is_one_agreement(pairs):
    for negotiation in pairs:
        seats = seats_by_role(negotiation)
        offers = {}
        for role, price in (("seller", "10000"), ("buyer", "9000")):
            ack = negotiation_act(
                negotiation_id=negotiation.pk,
                seat=seats[role],
                action=Action("offer", f"o-{role}", packages=({**PACKAGE, "price": price},)),
            )
            offers[role] = ack.event["seq"]

        def accept(role, partner, negotiation=negotiation, seats=seats, offers=offers):
            return lambda: negotiation_act(
                negotiation_id=negotiation.pk,
                seat=seats[role],
                action=Action("accept", f"x-{role}", offer_seq=offers[partner], package=0),
            )

        results = race(accept("seller", "buyer"), accept("buyer", "seller"))
        accepted = [r for r in results if not isinstance(r, Refused)]
        refused = [r for r in results if isinstance(r, Refused)]
        assert len(accepted) == 1 and len(refused) == 1 and refused[0].code == "ended"
        assert Event.objects.filter(negotiation=negotiation, type="accept").count() == 1
        negotiation.refresh_from_db()
        assert negotiation.status == "agreed"


def test_the_same_action_sent_twice_at_once_takes_effect_once(pairs):
    negotiation = pairs[0]
    seat = seats_by_role(negotiation)["seller"]

    def offer():
        return negotiation_act(
            negotiation_id=negotiation.pk, seat=seat, action=Action("offer", "same", packages=(PACKAGE,))
        )

    first, second = race(offer, offer)
    assert first.event == second.event and {first.duplicate, second.duplicate} == {False, True}
    assert Event.objects.filter(negotiation=negotiation, type="offer").count() == 1


def test_many_chats_at_once_get_distinct_gapless_numbers(pairs):
    negotiation = pairs[0]
    seats = seats_by_role(negotiation)

    def chat(i):
        role = "seller" if i % 2 else "buyer"
        return lambda: negotiation_act(
            negotiation_id=negotiation.pk, seat=seats[role], action=Action("chat", f"c{i}", text=f"message {i}")
        )

    race(*(chat(i) for i in range(12)))
    seqs = list(Event.objects.filter(negotiation=negotiation).values_list("seq", flat=True))
    assert seqs == list(range(1, 14))  # "started", then twelve chats
