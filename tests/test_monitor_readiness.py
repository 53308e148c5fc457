"""What the monitor tells the instructor beyond the pairs' status: who has opened their role sheet and
saved a planning sheet (to know when to start), and each ended pair's points and joint gain."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from negotiations import rounds
from negotiations.planning import planning_sheet_save
from negotiations.snapshots import monitor_snapshot
from tests.base import add_students, agree, seats_by_role, student_client
from tests.live import Live, run

pytestmark = pytest.mark.django_db(transaction=True)
DEAL = {"price": 9500, "handover": "three-weeks", "warranty": "none", "tyres": "included"}


@pytest.fixture
def released(exercise, classroom):
    students = add_students(classroom, "Ada", "Ben", "Cy", "Dee")
    rounds.exercise_pair(exercise=exercise, student_ids=[s.pk for s in students], seed=1)
    rounds.exercise_release(exercise=exercise)
    return exercise


def test_the_monitor_is_told_who_opened_their_sheet_and_who_saved_a_plan(released, instructor_client):
    exercise = released
    one = exercise.negotiations.get(number=1)
    seller = seats_by_role(one)["seller"]
    browser = student_client(seller.student)

    async def go():
        monitor = Live(f"/ws/exercises/{exercise.pk}/monitor/", instructor_client)
        snapshot = await monitor.connect()
        await database_sync_to_async(browser.get)(f"/s/exercises/{exercise.pk}/")
        opened = await monitor.recv_type("seat")
        await database_sync_to_async(browser.get)(f"/s/exercises/{exercise.pk}/")  # again: nothing new
        await database_sync_to_async(planning_sheet_save)(
            exercise=exercise, student=seller.student, notes="Anchor high"
        )
        planned = await monitor.recv_type("seat")
        await monitor.close()
        return snapshot, opened, planned

    snapshot, opened, planned = run(go())
    seats = [seat for pair in snapshot["pairs"] for seat in pair["seats"]]
    assert len(seats) == 4 and not any(s["sheet_opened"] or s["planning_saved"] for s in seats)
    assert opened == {
        "type": "seat",
        "pair": one.pk,
        "seat": {"id": seller.pk, "role": "seller", "kind": "student", "name": seller.student.display_name,
                 "sheet_opened": True, "planning_saved": False},
    }  # fmt: skip
    assert planned["seat"]["sheet_opened"] is True and planned["seat"]["planning_saved"] is True
    (after,) = [s for p in monitor_snapshot(exercise.pk)["pairs"] for s in p["seats"] if s["id"] == seller.pk]
    assert after["sheet_opened"] and after["planning_saved"]


def test_an_ended_pair_shows_its_points_and_joint_gain(released, instructor_client):
    exercise = released
    rounds.exercise_start(exercise=exercise)
    one = exercise.negotiations.get(number=1)

    async def go():
        monitor = Live(f"/ws/exercises/{exercise.pk}/monitor/", instructor_client)
        await monitor.connect()
        await database_sync_to_async(agree)(one, DEAL)
        while (frame := await monitor.recv_type("pair"))["pair"]["status"] != "agreed":
            assert frame["pair"]["result"] is None  # the offer: still open
        await monitor.close()
        return frame

    frame = run(go())
    assert frame["pair"]["result"] == {"points": {"seller": 50, "buyer": 49}, "joint_gain": 99}
    rounds.exercise_end(exercise=exercise)
    pairs = monitor_snapshot(exercise.pk)["pairs"]
    assert [p["result"] for p in pairs] == [
        {"points": {"seller": 50, "buyer": 49}, "joint_gain": 99},
        {"points": {"seller": 43, "buyer": 35}, "joint_gain": 78},  # an impasse: the BATNAs
    ]


def test_the_monitor_is_told_of_pairs_and_seats_added_after_the_release(released, classroom, instructor_client):
    """Late arrivals paired, or a student placed, before the start: the monitor shows them without a reload."""
    exercise = released
    one = exercise.negotiations.get(number=1)
    eve, fay, gus = add_students(classroom, "Eve", "Fay", "Gus")

    async def go():
        monitor = Live(f"/ws/exercises/{exercise.pk}/monitor/", instructor_client)
        await monitor.connect()
        pair_late = database_sync_to_async(rounds.exercise_pair_late)
        await pair_late(exercise=exercise, student_ids=[eve.pk, fay.pk], seed=1)
        paired = await monitor.recv_type("pair")
        place = database_sync_to_async(rounds.exercise_place)
        await place(exercise=exercise, student=gus, negotiation=one, role="seller")
        placed = await monitor.recv_type("seat")
        await monitor.close()
        return paired, placed

    paired, placed = run(go())
    assert (paired["pair"]["number"], paired["pair"]["status"], paired["events"]) == (3, "waiting", [])
    assert placed["pair"] == one.pk
    assert (placed["seat"]["role"], placed["seat"]["kind"], placed["seat"]["name"]) == ("seller", "observer", "Gus")


def test_the_exercise_page_links_the_monitor_once_the_roles_are_out(released, instructor_client):
    """The monitor shows who is ready before the start: the exercise page links it from the release on."""
    page = instructor_client.get(f"/exercises/{released.pk}/").content.decode()
    assert f'id="monitor-link" href="/exercises/{released.pk}/monitor/"' in page
    assert 'id="debrief-link"' not in page  # nothing to debrief before the start
