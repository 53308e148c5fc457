"""Guarantees at the edges of the live relay: a seat taken over while its socket is open, a Celery send
that fails after the commit, and (on PostgreSQL) an offer racing whatever can end or freeze the pair."""

from __future__ import annotations

from unittest import mock

import pytest
from channels.db import database_sync_to_async
from django.test import Client
from django.utils import timezone
from kombu.exceptions import OperationalError

from core.negotiation import Action
from core.refusal import Refused
from negotiations import consumers, rounds
from negotiations.acting import close_expired, negotiation_act, negotiation_close_expired
from negotiations.debrief import compute_debrief, compute_outcome
from negotiations.models import Event, Negotiation, Seat
from negotiations.rounds import round_pause
from tests.base import add_students, race, seats_by_role, start_round, student_client
from tests.live import Live, run

PACKAGE = {"price": "9500", "handover": "three-weeks", "warranty": "none", "tyres": "included"}


def cookie_client(cookie: str) -> Client:
    client = Client()
    name, _, value = cookie.partition("=")
    client.cookies[name] = value
    return client


def seqs(negotiation) -> list[int]:
    return list(Event.objects.filter(negotiation=negotiation).order_by("seq").values_list("seq", flat=True))


def assert_gapless(negotiation) -> None:
    numbers = seqs(negotiation)
    assert numbers == list(range(1, len(numbers) + 1))
    negotiation.refresh_from_db()
    assert negotiation.last_seq == len(numbers)


# A seat taken over while a socket of its former occupant is open


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("told", [True, False], ids=["closed-at-once", "closing-message-lost"])
def test_a_bot_seat_taken_over_by_a_late_student_stops_the_bots_open_socket(
    bot_pair, exercise, classroom, monkeypatch, told
):
    from negotiations.bots import bot_session_mint

    if not told:  # the layer dropped the message that closes the seat's sockets: the next action is refused
        monkeypatch.setattr(rounds, "seat_sockets_close", lambda **kwargs: None)
    negotiation, bot, _ = bot_pair
    cookie = bot_session_mint(bot, hours=1)
    (late,) = add_students(classroom, "Late Lou")

    async def go() -> tuple[dict, dict, list[dict]]:
        live = Live(f"/ws/negotiations/{negotiation.pk}/", cookie_client(cookie))
        await live.connect()
        await live.send({"type": "chat", "client_msg_id": "b-1", "text": "Hello, I am a bot."})
        first = await live.recv_type("ack")
        await database_sync_to_async(rounds.exercise_place)(
            exercise=exercise, student=late, negotiation=negotiation, role=bot.role_key
        )
        if not told:
            await live.send({"type": "chat", "client_msg_id": "b-2", "text": "Still me."})
            await live.send({"type": "offer", "client_msg_id": "b-3", "packages": [PACKAGE]})
        rest = []
        while not rest or rest[-1]["type"] != "close":
            rest.append(await live.recv_type("ack", "error", "close"))
        return first, rest[0], rest

    first, answer, rest = run(go())
    assert first["type"] == "ack"
    if told:
        assert answer == {"type": "close", "code": 4409}
    else:
        assert answer["type"] == "error" and answer["code"] == "seat_changed" and answer["client_msg_id"] == "b-2"
    assert not [f for f in rest if f["type"] == "ack"], rest
    assert rest[-1] == {"type": "close", "code": 4409}  # not final: reconnecting, it is identified afresh
    # Only the bot's first message stands: nothing was stored in the student's name after the takeover.
    assert list(Event.objects.filter(negotiation=negotiation).exclude(client_msg_id=None)
                .values_list("client_msg_id", flat=True)) == ["b-1"]  # fmt: skip
    assert_gapless(negotiation)


@pytest.mark.django_db(transaction=True)
def test_a_stale_seat_cannot_act_through_the_service(bot_pair, exercise, classroom):
    negotiation, bot, _ = bot_pair
    (late,) = add_students(classroom, "Late Lou")
    stale = Seat.objects.get(pk=bot.pk)  # what a socket opened before the takeover holds
    rounds.exercise_place(exercise=exercise, student=late, negotiation=negotiation, role=bot.role_key)
    for action in (Action("chat", "c", text="hi"), Action("offer", "o", packages=(PACKAGE,))):
        with pytest.raises(Refused) as refused:
            negotiation_act(negotiation_id=negotiation.pk, seat=stale, action=action)
        assert refused.value.code == "seat_changed"
    assert not Event.objects.filter(negotiation=negotiation).exclude(client_msg_id=None).exists()


# The Celery send after the commit fails (Redis down): the stored action is still acknowledged


@pytest.fixture
def broker_down(monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(compute_outcome, "delay", refuse)
    monkeypatch.setattr(compute_debrief, "delay", refuse)
    monkeypatch.setattr(close_expired, "apply_async", refuse)


@pytest.mark.django_db(transaction=True)
def test_an_accept_is_acknowledged_when_the_outcome_task_cannot_be_sent(started_pair, broker_down):
    negotiation, students = started_pair
    seller, buyer = student_client(students["seller"]), student_client(students["buyer"])

    async def go() -> dict:
        s = Live(f"/ws/negotiations/{negotiation.pk}/", seller)
        b = Live(f"/ws/negotiations/{negotiation.pk}/", buyer)
        await s.connect()
        await b.connect()
        await s.send({"type": "offer", "client_msg_id": "o", "packages": [PACKAGE]})
        offer = await s.recv_type("ack")
        await b.send({"type": "accept", "client_msg_id": "a", "offer_seq": offer["event"]["seq"], "package": 0})
        answer = await b.recv_type("ack", "error")
        await s.close()
        await b.close()
        return answer

    answer = run(go())
    assert answer["type"] == "ack", answer
    negotiation.refresh_from_db()
    assert negotiation.status == "agreed"
    assert Event.objects.filter(negotiation=negotiation, type="accept").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_walk_away_and_a_deadline_close_survive_a_failing_task_send(exercise, classroom, broker_down):
    first, second = start_round(exercise, classroom, 4)
    ack = negotiation_act(
        negotiation_id=first.pk, seat=seats_by_role(first)["buyer"], action=Action("walk_away", "w", reason="no")
    )
    assert ack.event["type"] == "walk_away"
    Negotiation.objects.filter(pk=second.pk).update(deadline=timezone.now())
    assert negotiation_close_expired(negotiation_ids=[second.pk]) == [second.pk]
    # The round's end and its controls, too: stored, announced, and the view's caller is not told otherwise.
    round_pause(exercise=exercise, paused=True, now=timezone.now())
    round_pause(exercise=exercise, paused=False, now=timezone.now())
    rounds.exercise_end(exercise=exercise)
    exercise.refresh_from_db()
    assert exercise.state == "ended"


# The acting socket's acknowledgement cannot be sent (the socket went away): the others are still told


@pytest.mark.django_db(transaction=True)
def test_the_partner_is_told_even_when_the_senders_ack_cannot_be_sent(started_pair, monkeypatch):
    negotiation, students = started_pair
    seller, buyer = student_client(students["seller"]), student_client(students["buyer"])
    real_send = consumers.NegotiationConsumer.send_frame

    async def send_frame(self, frame):
        if frame["type"] == "ack":
            raise ConnectionResetError("the socket went away")
        await real_send(self, frame)

    monkeypatch.setattr(consumers.NegotiationConsumer, "send_frame", send_frame)

    async def go() -> dict:
        s = Live(f"/ws/negotiations/{negotiation.pk}/", seller)
        b = Live(f"/ws/negotiations/{negotiation.pk}/", buyer)
        await s.connect()
        await b.connect()
        await s.send({"type": "chat", "client_msg_id": "c", "text": "hello"})
        event = await b.recv_type("event")
        await s.close()
        await b.close()
        return event

    event = run(go())
    assert event["event"]["payload"] == {"text": "hello"}


# Races on PostgreSQL: an offer (stored by the one statement) against what ends or freezes the pair

ROUNDS = 8


def offer_by(negotiation, seat, key, price="9600"):
    return lambda: negotiation_act(
        negotiation_id=negotiation.pk, seat=seat, action=Action("offer", key, packages=({**PACKAGE, "price": price},))
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_offer_racing_the_accept_of_the_offer_it_replaces_never_leaves_both(exercise, classroom):
    for negotiation in start_round(exercise, classroom, 2 * ROUNDS):
        seats = seats_by_role(negotiation)
        standing = offer_by(negotiation, seats["seller"], "o1", "10000")().event["seq"]
        accept = lambda n=negotiation, s=seats, q=standing: negotiation_act(  # noqa: E731
            negotiation_id=n.pk, seat=s["buyer"], action=Action("accept", "a", offer_seq=q, package=0)
        )
        new_offer, accepted = race(offer_by(negotiation, seats["seller"], "o2", "11000"), accept)
        stored = [r for r in (new_offer, accepted) if not isinstance(r, Refused)]
        assert len(stored) == 1, (new_offer, accepted)
        negotiation.refresh_from_db()
        if isinstance(accepted, Refused):
            assert accepted.code == "not_standing" and negotiation.status == "negotiating"
            assert negotiation.standing["seller"]["seq"] == new_offer.event["seq"]
        else:
            assert new_offer.code == "ended" and negotiation.agreement["price"] == "10000"
        assert_gapless(negotiation)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_offer_racing_a_walk_away_or_a_deadline_is_stored_before_the_end_or_refused(exercise, classroom):
    pairs = start_round(exercise, classroom, 4 * ROUNDS)
    for i, negotiation in enumerate(pairs):
        seats = seats_by_role(negotiation)
        if i % 2:
            end = lambda n=negotiation, s=seats: negotiation_act(  # noqa: E731
                negotiation_id=n.pk, seat=s["buyer"], action=Action("walk_away", "w")
            )
        else:
            at = timezone.now()
            Negotiation.objects.filter(pk=negotiation.pk).update(deadline=at)
            end = lambda n=negotiation, at=at: negotiation_close_expired(negotiation_ids=[n.pk], now=at)  # noqa: E731
            # The offer was sent a moment before the deadline.
            offer = lambda n=negotiation, s=seats, at=at: negotiation_act(  # noqa: E731
                negotiation_id=n.pk,
                seat=s["seller"],
                action=Action("offer", "o", packages=(PACKAGE,)),
                now=at - timezone.timedelta(milliseconds=1),
            )
        result, _ = race(offer if not i % 2 else offer_by(negotiation, seats["seller"], "o"), end)
        events = list(Event.objects.filter(negotiation=negotiation).order_by("seq").values_list("type", flat=True))
        assert events[-1] in ("walk_away", "deadline"), events
        assert events.count("offer") == (0 if isinstance(result, Refused) else 1)
        negotiation.refresh_from_db()
        assert negotiation.status == "impasse" and negotiation.standing == {}
        assert_gapless(negotiation)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_offers_racing_a_pause_and_the_round_end_are_numbered_before_them_or_refused(exercise, classroom):
    pairs = start_round(exercise, classroom, 2 * ROUNDS)
    offers = [offer_by(n, seats_by_role(n)["seller"], "o") for n in pairs]
    pause = lambda: round_pause(exercise=exercise, paused=True, now=timezone.now())  # noqa: E731
    results = race(pause, *offers)[1:]
    for negotiation, result in zip(pairs, results, strict=True):
        types = list(Event.objects.filter(negotiation=negotiation).order_by("seq").values_list("type", flat=True))
        if isinstance(result, Refused):
            assert result.code == "paused" and "offer" not in types
        else:
            assert types.index("offer") < types.index("paused")
        assert_gapless(negotiation)
    round_pause(exercise=exercise, paused=False, now=timezone.now())
    offers = [offer_by(n, seats_by_role(n)["seller"], "o2") for n in pairs]
    end = lambda: rounds.exercise_end(exercise=exercise)  # noqa: E731
    results = race(end, *offers)[1:]
    for negotiation, result in zip(pairs, results, strict=True):
        types = list(Event.objects.filter(negotiation=negotiation).order_by("seq").values_list("type", flat=True))
        assert types[-1] == "ended"
        if isinstance(result, Refused):
            assert result.code in ("ended", "paused") and types.count("offer") <= 1
        assert_gapless(negotiation)


# The monitor: two summaries of one pair forwarded by different sockets may arrive out of order


@pytest.mark.django_db(transaction=True)
def test_the_monitor_never_shows_an_older_summary_of_a_pair_after_a_newer_one(exercise, classroom, instructor_client):
    from negotiations.publishing import events_forward

    (negotiation,) = start_round(exercise, classroom, 2)
    seats = seats_by_role(negotiation)

    def act(seat, action):
        return negotiation_act(negotiation_id=negotiation.pk, seat=seat, action=action, notify=False)

    async def go() -> tuple[list[dict], list[dict]]:
        monitor = Live(f"/ws/exercises/{exercise.pk}/monitor/", instructor_client)
        await monitor.connect()
        offered = await database_sync_to_async(act)(seats["seller"], Action("offer", "o", packages=(PACKAGE,)))
        walked = await database_sync_to_async(act)(seats["buyer"], Action("walk_away", "w"))
        # The walk-away's socket forwards first; the offer's socket, slower, afterwards.
        for ack in (walked, offered):
            await events_forward(negotiation.pk, exercise.pk, ack.pair, [ack.event])
        frames = [await monitor.recv_type("pair")]
        assert await monitor.nothing(0.3)
        # A reconnecting monitor's snapshot is newer than both: neither shows after it.
        await monitor.send({"type": "resync"})
        snapshot = await monitor.recv_type("snapshot")
        for ack in (walked, offered):
            await events_forward(negotiation.pk, exercise.pk, ack.pair, [ack.event])
        assert await monitor.nothing(0.3)
        await monitor.close()
        return frames, snapshot["pairs"]

    frames, pairs = run(go())
    assert [(f["pair"]["status"], f["events"]) for f in frames] == [("impasse", ["walk_away"])]
    assert pairs[0]["status"] == "impasse"


# The snapshot: an event stored between its reading of the pair's row and of the events


@pytest.mark.django_db
def test_the_snapshot_lists_no_event_beyond_its_last_seq(started_pair):
    from negotiations import participants, snapshots

    negotiation, _ = started_pair
    seat = seats_by_role(negotiation)["seller"]
    participant = participants.Participant(negotiation.pk, negotiation.exercise_id, seat, "seller", "student", "S")
    counted = Negotiation.objects.get(pk=negotiation.pk).last_seq
    # Another process's chat, committed after this snapshot read the row: here, its event is stored
    # first and the row counts it a moment later.
    real_get = Negotiation.objects.with_offers().select_related("exercise").get

    def row_then_a_new_event(*args, **kwargs):
        row = real_get(*args, **kwargs)
        Event.objects.create(negotiation_id=negotiation.pk, seq=counted + 1, type="chat", role="buyer",
                             payload={"text": "meanwhile"})  # fmt: skip
        Negotiation._base_manager.filter(pk=negotiation.pk).update(last_seq=counted + 1)
        return row

    class Rows:
        def with_offers(self):
            return self

        def defer(self, *args):
            return self

        def select_related(self, *args):
            return type("Q", (), {"get": staticmethod(row_then_a_new_event)})()

    with mock.patch.object(snapshots.Negotiation, "objects", Rows()):
        snapshot = snapshots.snapshot(participant)
    assert snapshot["last_seq"] == counted
    assert [e["seq"] for e in snapshot["events"]] == list(range(1, counted + 1))


@pytest.mark.django_db(transaction=True)
def test_an_observers_seat_cannot_act_through_the_service(started_pair, exercise, classroom):
    negotiation, _ = started_pair
    (late,) = add_students(classroom, "Watcher Wu")
    observer = rounds.exercise_place(exercise=exercise, student=late, negotiation=negotiation, role="seller")
    assert observer.kind == "observer"
    for action in (Action("chat", "c", text="hi"), Action("walk_away", "w")):
        with pytest.raises(Refused) as refused:
            negotiation_act(negotiation_id=negotiation.pk, seat=observer, action=action)
        assert refused.value.code == "not_a_negotiator"
    negotiation.refresh_from_db()
    assert negotiation.status == "negotiating"
