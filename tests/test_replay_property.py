"""The state a negotiation's row keeps beside its event log never drifts from the log: after any sequence
of actions, valid or refused, by either side, and of the round's own events, the stored standing offers,
agreement, status and last seq equal `core.replay.replay` of the stored events, on both write paths,
and so do the status, last seq and offers of the pair's summary that the monitor is sent.

On PostgreSQL a chat or an offer is stored by one statement (`_store_at_once`) and every other action
through the ORM under the row lock; with that statement switched off every action takes the ORM path,
which is also the only one on SQLite.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from classrooms.models import Exercise
from classrooms.services import exercise_create
from core.negotiation import Action
from core.refusal import Refused
from core.replay import replay
from negotiations import acting
from negotiations.acting import negotiation_act, negotiation_close_expired
from negotiations.models import Event, Negotiation, Seat
from negotiations.publishing import event_json
from negotiations.rounds import exercise_end, exercise_start, round_pause, time_extend
from negotiations.settlement import settlement_open
from scenarios.services import version_spec

ROLES = ("seller", "buyer")  # the used car's, in its order
PACKAGES = [
    {"price": price, "handover": handover, "warranty": warranty, "tyres": tyres}
    for price, handover, warranty, tyres in [
        ("10900", "five-weeks", "none", "seller-keeps"),
        ("9000", "saturday", "three-months", "included"),
        ("9600", "five-weeks", "three-months", "included"),
        ("10200", "three-weeks", "one-month", "included"),
        ("9800", "five-weeks", "one-month", "seller-keeps"),
    ]
]

role = st.sampled_from(ROLES)
# Which offer an answer names: the partner's standing one, my own, or any number at all.
target = st.one_of(st.sampled_from(["theirs", "mine"]), st.integers(min_value=1, max_value=25))
chat = st.tuples(st.just("chat"), role, st.sampled_from(["Hello", "ça va ? ✓", "a 'quoted' \"text\""]))
packages = st.lists(st.integers(0, len(PACKAGES) - 1), min_size=1, max_size=3, unique=True)
offer = st.tuples(st.just("offer"), role, packages)
accept = st.tuples(
    st.just("accept"), role, st.one_of(st.just("theirs"), target), st.one_of(st.just(0), st.integers(0, 3))
)
answer = st.tuples(st.sampled_from(["reject", "withdraw"]), role, target)
walk_away = st.tuples(st.just("walk_away"), role)
deal = st.tuples(st.just("deal"), role, packages)  # an offer, and the partner accepting its first package
retry = st.tuples(st.just("retry"), role)  # the side's last action again, under the same client id
round_event = st.tuples(st.sampled_from(["pause", "resume", "extend", "time_up", "sweep", "end"]))
settle = st.tuples(st.just("settle"))  # the round ends and an agreed pair goes into a post-settlement round
keep = st.tuples(st.just("keep"), role)
# Offers and answers come more often than the steps that end the negotiation, so that many examples
# get as far as an agreement.
step = st.one_of(chat, offer, offer, accept, accept, answer, answer, deal, walk_away, retry, round_event, settle, keep)
# Half the examples start with an agreement taken into a post-settlement round, so that the round's rules
# and events meet every other step.
steps = st.one_of(
    st.lists(step, max_size=14),
    st.tuples(deal, settle, st.lists(step, max_size=10)).map(lambda first: [first[0], first[1], *first[2]]),
)


def partner(who: str) -> str:
    return ROLES[1] if who == ROLES[0] else ROLES[0]


class Play:
    """One negotiation, fresh for each example, between two bot seats of a live exercise."""

    def __init__(self, classroom: Any, version: Any, instructor: Any) -> None:
        exercise = exercise_create(
            classroom=classroom, title="Replay", scenario_version=version, time_limit_minutes=20, created_by=instructor
        )
        self.negotiation = Negotiation.objects.create(exercise=exercise, number=1)
        self.seats = {
            r: Seat.objects.create(negotiation=self.negotiation, exercise=exercise, role_key=r, kind=Seat.Kind.BOT)
            for r in ROLES
        }
        Exercise.objects.filter(pk=exercise.pk).update(state=Exercise.State.RELEASED)
        exercise.refresh_from_db()
        self.exercise = exercise_start(exercise=exercise)
        self.sent: dict[str, Action] = {}
        self.pair: dict[str, Any] | None = None  # the pair's summary for the monitor, from the last action stored
        self.count = 0

    def standing_seq(self, whose: str) -> int:
        self.negotiation.refresh_from_db(fields=["standing"])
        offer = self.negotiation.standing.get(whose)
        return int(offer["seq"]) if offer else 1

    def offer_seq(self, who: str, aim: str | int) -> int:
        if isinstance(aim, int):
            return aim
        return self.standing_seq(partner(who) if aim == "theirs" else who)

    def act(self, who: str, action: Action) -> None:
        self.sent[who] = action
        with contextlib.suppress(Refused):
            ack = negotiation_act(negotiation_id=self.negotiation.pk, seat=self.seats[who], action=action)
            self.pair = None if ack.duplicate else dict(ack.pair or {})

    def run(self, move: tuple[Any, ...]) -> None:
        kind, now = move[0], timezone.now()
        self.pair = None
        self.count += 1
        cid = f"m{self.count}"
        if kind == "chat":
            self.act(move[1], Action("chat", cid, text=move[2]))
        elif kind == "offer":
            self.act(move[1], Action("offer", cid, packages=tuple(dict(PACKAGES[i]) for i in move[2])))
        elif kind == "accept":
            self.act(move[1], Action("accept", cid, offer_seq=self.offer_seq(move[1], move[2]), package=move[3]))
        elif kind in ("reject", "withdraw"):
            self.act(move[1], Action(kind, cid, offer_seq=self.offer_seq(move[1], move[2]), reason="no"))
        elif kind == "deal":
            self.run(("offer", move[1], move[2]))
            self.run(("accept", partner(move[1]), "theirs", 0))
        elif kind == "walk_away":
            self.act(move[1], Action("walk_away", cid, reason="enough"))
        elif kind == "keep":
            self.act(move[1], Action("keep", cid))
        elif kind == "settle":
            self.run(("end",))
            with contextlib.suppress(Refused):  # no agreement, or the exercise has had its round
                settlement_open(exercise=self.exercise, minutes=5, now=now)
                event("a post-settlement round was opened")
        elif kind == "retry":
            if move[1] in self.sent:
                self.act(move[1], self.sent[move[1]])
        elif kind in ("pause", "resume"):
            with contextlib.suppress(Refused):  # the round has ended
                round_pause(exercise=self.exercise, paused=kind == "pause", now=now)
        elif kind == "extend":
            with contextlib.suppress(Refused):  # the round has ended
                time_extend(exercise=self.exercise, minutes=5, now=now)
        elif kind == "time_up":  # the clock passes the deadline; the next action or the sweep closes the pair
            Negotiation.objects.filter(pk=self.negotiation.pk).update(deadline=now - timedelta(seconds=1))
        elif kind == "sweep":
            negotiation_close_expired(negotiation_ids=[self.negotiation.pk], now=now)
        elif kind == "end":
            self.exercise.refresh_from_db()
            if self.exercise.state == Exercise.State.LIVE:
                self.exercise = exercise_end(exercise=self.exercise)

    def check(self) -> None:
        row = Negotiation.objects.get(pk=self.negotiation.pk)
        events = [event_json(e) for e in Event.objects.filter(negotiation=row).order_by("seq")]
        replayed = replay(events, ROLES, version_spec(self.exercise.scenario_version))
        stored = {"status": row.status, "standing": row.standing, "agreement": row.agreement, "last_seq": row.last_seq}
        assert stored == replayed.row(), [(e["seq"], e["type"], e["role"], e["payload"]) for e in events]
        assert Negotiation.objects.with_offers().get(pk=row.pk).offers == replayed.offers
        assert row.chat_characters == replayed.state.chat_characters  # what the chat limit counts
        if self.pair is not None:  # what the monitor is sent agrees too
            assert (self.pair["status"], self.pair["last_seq"], self.pair["offers"]) == (
                replayed.state.status,
                replayed.last_seq,
                replayed.offers,
            )


def play_and_check(classroom: Any, version: Any, instructor: Any, moves: list[tuple[Any, ...]]) -> None:
    play = Play(classroom, version, instructor)
    play.check()
    for move in moves:
        play.run(move)
        play.check()
    event(f"the pair is {Negotiation.objects.get(pk=play.negotiation.pk).status}")  # --hypothesis-show-statistics


# Each example makes its own exercise and negotiation: the function-scoped fixtures are only the class,
# the instructor and the scenario, which no example changes.
PROPERTY = settings(
    max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.mark.postgres
@pytest.mark.django_db
@PROPERTY
@given(moves=steps)
def test_on_postgresql_chat_and_offers_in_one_statement_the_rest_by_the_orm(
    classroom, used_car, instructor, moves
) -> None:
    assert connection.vendor == "postgresql"
    play_and_check(classroom, used_car, instructor, moves)


@pytest.mark.django_db
@PROPERTY
@given(moves=steps)
def test_every_action_by_the_orm(classroom, used_car, instructor, monkeypatch, moves) -> None:
    monkeypatch.setattr(acting, "_store_at_once", lambda *args: None)  # on SQLite it never runs anyway
    play_and_check(classroom, used_car, instructor, moves)
