"""The instructor's live monitor: its socket, its actions, and the transcript."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from negotiations import rounds
from negotiations.models import Broadcast, Event, Seat
from tests.base import add_students, start_round, student_client
from tests.live import Live, run

pytestmark = pytest.mark.django_db(transaction=True)
PACKAGE = {"price": 9500, "handover": "three-weeks", "warranty": "none", "tyres": "included"}


@pytest.fixture
def live_round(exercise, classroom):
    start_round(exercise, classroom, 4)
    return exercise


def seller_of(exercise, number):
    return Seat.objects.get(exercise=exercise, negotiation__number=number, role_key="seller").student


def test_the_monitor_shows_every_pair_and_each_change(live_round, instructor_client):
    exercise = live_round
    pair = exercise.negotiations.get(number=1)
    seller = student_client(seller_of(exercise, 1))

    async def go():
        monitor = Live(f"/ws/exercises/{exercise.pk}/monitor/", instructor_client)
        snapshot = await monitor.connect()
        student = Live(f"/ws/negotiations/{pair.pk}/", seller)
        await student.connect()
        await student.send({"type": "offer", "client_msg_id": "o1", "packages": [PACKAGE]})
        update = await monitor.recv_type("pair")
        await student.close()
        await monitor.close()
        return snapshot, update

    snapshot, update = run(go())
    assert [p["number"] for p in snapshot["pairs"]] == [1, 2]
    assert all(p["status"] == "negotiating" and p["offers"] == 0 for p in snapshot["pairs"])
    assert update["pair"]["id"] == pair.pk and update["events"] == ["offer"]


def test_students_and_other_instructors_never_reach_the_monitor(live_round, other_instructor):
    exercise = live_round
    outsider = Client()
    outsider.force_login(other_instructor)

    clients = (student_client(seller_of(exercise, 1)), outsider, None)

    async def go():
        codes = []
        for client in clients:
            try:
                await Live(f"/ws/exercises/{exercise.pk}/monitor/", client).connect()
                codes.append("connected")
            except ConnectionRefusedError as refused:
                codes.append(refused.args[0])
        return codes

    assert run(go()) == [4401, 4404, 4401]
    assert outsider.get(f"/exercises/{exercise.pk}/monitor/").status_code == 404


def test_extending_one_pair_moves_only_its_deadline(live_round, instructor_client):
    exercise = live_round
    one, two = exercise.negotiations.order_by("number")
    response = instructor_client.post(
        f"/exercises/{exercise.pk}/monitor/extend/", {"minutes": "5", "negotiation": str(one.pk)}
    )
    assert response.json() == {"message": "1 pair got 5 more minutes."}
    one_after, two_after = exercise.negotiations.order_by("number")
    assert (one_after.deadline - one.deadline).total_seconds() == 300
    assert two_after.deadline == two.deadline
    assert Event.objects.filter(negotiation=one, type="extended").count() == 1


def test_extending_everyone_and_bad_minutes(live_round, instructor_client):
    exercise = live_round
    response = instructor_client.post(f"/exercises/{exercise.pk}/monitor/extend/", {"minutes": "3"})
    assert response.json() == {"message": "2 pairs got 3 more minutes."}
    for bad in ("0", "abc", "500", "²"):
        response = instructor_client.post(f"/exercises/{exercise.pk}/monitor/extend/", {"minutes": bad})
        assert response.status_code == 400 and "from 1 to 120" in response.json()["error"]


def test_pausing_refuses_actions_and_resuming_gives_the_time_back(live_round, instructor_client):
    exercise = live_round
    pair = exercise.negotiations.get(number=1)
    seller = student_client(seller_of(exercise, 1))
    instructor_client.post(f"/exercises/{exercise.pk}/monitor/pause/")

    async def act():
        student = Live(f"/ws/negotiations/{pair.pk}/", seller)
        await student.connect()
        await student.send({"type": "chat", "client_msg_id": "c1", "text": "hello?"})
        frame = await student.recv_type("error", "ack")
        await student.close()
        return frame

    assert run(act())["code"] == "paused"
    before = pair.deadline
    instructor_client.post(f"/exercises/{exercise.pk}/monitor/resume/")
    pair.refresh_from_db()
    assert pair.deadline > before
    assert run(act())["type"] == "ack"


def test_a_broadcast_reaches_every_pair(live_round, instructor_client):
    exercise = live_round
    pair = exercise.negotiations.get(number=2)
    seller = student_client(seller_of(exercise, 2))

    async def go():
        student = Live(f"/ws/negotiations/{pair.pk}/", seller)
        await student.connect()
        post = database_sync_to_async(instructor_client.post)
        await post(f"/exercises/{exercise.pk}/monitor/broadcast/", {"text": "Five minutes left"})
        frame = await student.recv_type("broadcast")
        await student.close()
        return frame

    assert run(go())["text"] == "Five minutes left"
    empty = instructor_client.post(f"/exercises/{exercise.pk}/monitor/broadcast/", {"text": "  "})
    assert empty.status_code == 400
    long = instructor_client.post(f"/exercises/{exercise.pk}/monitor/broadcast/", {"text": "x" * 501})
    assert long.status_code == 400  # refused whole, not cut to 500 characters behind the instructor's back
    assert long.json()["error"] == "A broadcast is at most 500 characters; this one has 501."
    assert [b.text for b in Broadcast.objects.filter(exercise=exercise)] == ["Five minutes left"]


def test_ending_the_round_from_the_monitor_closes_open_pairs(live_round, instructor_client):
    exercise = live_round
    assert instructor_client.post(f"/exercises/{exercise.pk}/monitor/end/").json() == {
        "message": "The round has ended."
    }
    assert set(exercise.negotiations.values_list("status", flat=True)) == {"impasse"}
    again = instructor_client.post(f"/exercises/{exercise.pk}/monitor/end/")
    assert again.status_code == 400 and "over" in again.json()["error"]


def test_the_instructor_reads_a_pairs_transcript(live_round, instructor_client):
    exercise = live_round
    page = instructor_client.get(f"/exercises/{exercise.pk}/pairs/1/")
    assert page.status_code == 200
    assert instructor_client.get(f"/exercises/{exercise.pk}/pairs/9/").status_code == 404
    seller = student_client(seller_of(exercise, 1))
    assert seller.get(f"/exercises/{exercise.pk}/pairs/1/").status_code == 302  # to the instructor login


@pytest.fixture
def instructor_seat(exercise, classroom) -> Seat:
    """Three students: the odd one negotiates against the instructor, who takes a seat."""
    exercise.odd_rule = "instructor"
    exercise.save()
    students = add_students(classroom, "Ada", "Ben", "Cy")
    rounds.exercise_pair(exercise=exercise, student_ids=[s.pk for s in students], seed=1)
    rounds.exercise_release(exercise=exercise)
    rounds.exercise_start(exercise=exercise)
    return Seat.objects.get(exercise=exercise, kind="instructor")


def test_the_pairs_page_loads_the_room_once_as_a_module_and_its_title_is_plain(
    exercise, instructor_seat, instructor_client
):
    page = instructor_client.get(f"/exercises/{exercise.pk}/pairs/{instructor_seat.negotiation.number}/")
    html = page.content.decode()
    title = html[html.index("<title>") : html.index("</title>")]
    assert "script" not in title, title
    assert html.count("js/room.js") == 1 and html.count("js/live.js") == 1
    assert '<script type="module" src="/static/js/room.js">' in html


def test_the_instructor_plays_the_instructor_seat_from_the_pairs_page(exercise, instructor_seat, instructor_client):
    seat = instructor_seat
    page = instructor_client.get(f"/exercises/{exercise.pk}/pairs/{seat.negotiation.number}/").content.decode()
    assert f'data-socket="/ws/negotiations/{seat.negotiation_id}/"' in page

    async def go():
        live = Live(f"/ws/negotiations/{seat.negotiation_id}/", instructor_client)
        snapshot = await live.connect()
        await live.send({"type": "chat", "client_msg_id": "i1", "text": "I am your counterpart today."})
        ack = await live.recv_type("ack")
        await live.close()
        return snapshot, ack

    snapshot, ack = run(go())
    assert snapshot["me"]["kind"] == "instructor" and snapshot["me"]["can_act"] is True
    assert ack["event"]["role"] == seat.role_key


def test_a_pair_whose_time_is_up_is_closed_not_revived_by_an_extension(live_round, instructor_client):
    from datetime import timedelta

    from django.utils import timezone

    from negotiations.models import Negotiation

    exercise = live_round
    late = exercise.negotiations.get(number=1)
    Negotiation.objects.filter(pk=late.pk).update(deadline=timezone.now() - timedelta(seconds=5))
    response = instructor_client.post(f"/exercises/{exercise.pk}/monitor/extend/", {"minutes": "5"})
    assert response.json() == {"message": "1 pair got 5 more minutes."}
    late.refresh_from_db()
    assert (late.status, late.end_reason) == ("impasse", "deadline")


def test_ending_a_paused_round_leaves_it_unpaused(live_round, instructor_client):
    exercise = live_round
    instructor_client.post(f"/exercises/{exercise.pk}/monitor/pause/")
    instructor_client.post(f"/exercises/{exercise.pk}/monitor/end/")
    exercise.refresh_from_db()
    assert exercise.state == "ended" and exercise.paused_at is None


def test_extending_a_pair_of_another_exercise_or_pausing_a_round_not_live_is_refused(
    live_round, instructor_client, exercise
):
    response = instructor_client.post(f"/exercises/{exercise.pk}/monitor/extend/", {"minutes": "5", "negotiation": "x"})
    assert response.status_code == 400 and response.json()["error"] == "No such pair in this exercise."
    instructor_client.post(f"/exercises/{exercise.pk}/monitor/end/")
    response = instructor_client.post(f"/exercises/{exercise.pk}/monitor/pause/")
    assert response.status_code == 400 and response.json()["error"] == "Only a live round can be paused or resumed."
