"""The student's notice socket (ws/student/, docs/protocol.md "The student's notices"): the round's
release, start, end and the debrief reach every page a student has open, on the real channel layer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async

from negotiations import limits, rounds
from negotiations.acting import negotiation_close_expired
from tests.base import add_students, agree, seats_by_role, start_round, student_client
from tests.live import Live, refusal, run

pytestmark = pytest.mark.django_db(transaction=True)
PATH = "/ws/student/"
DEAL = {"price": 9500, "handover": "three-weeks", "warranty": "none", "tyres": "included"}


@pytest.mark.usefixtures("eager_tasks")
def test_a_student_hears_the_release_start_end_and_debrief(exercise, classroom):
    students = add_students(classroom, "Ada", "Ben")
    rounds.exercise_pair(exercise=exercise, student_ids=[s.pk for s in students], seed=1)
    ada, outsider = student_client(students[0]), student_client(add_students(classroom, "Cy")[0])

    async def go():
        socket = Live(PATH, ada)
        snapshot = await socket.connect()
        heard = []
        for change in (rounds.exercise_release, rounds.exercise_start, rounds.exercise_end):
            await database_sync_to_async(change)(exercise=exercise)
            heard.append(await socket.recv_type("exercise"))
        heard.append(await socket.recv_type("debrief"))
        await socket.close()
        return snapshot, heard

    snapshot, heard = run(go())
    assert snapshot["type"] == "snapshot" and snapshot["exercises"] == []  # a draft is nobody's yet
    assert snapshot["heartbeat"] == {"every": 3, "idle": 8}
    assert [f["exercise"]["state"] for f in heard[:3]] == ["released", "live", "ended"]
    assert all(f["exercise"]["id"] == exercise.pk for f in heard[:3])
    assert heard[3] == {"type": "debrief", "exercise": exercise.pk}
    state = outsider.get("/s/").context["live_state"]  # the page's own reading, which the socket's matches
    assert state == []
    assert student_client(students[1]).get("/s/").context["live_state"] == [
        {"id": exercise.pk, "state": "ended", "paused": False, "status": "impasse", "debrief": True}
    ]


def test_the_snapshot_lists_the_students_exercises_as_the_home_page_does(exercise, classroom):
    students = add_students(classroom, "Ada", "Ben")
    rounds.exercise_pair(exercise=exercise, student_ids=[s.pk for s in students], seed=1)
    rounds.exercise_release(exercise=exercise)
    ada = student_client(students[0])

    async def go():
        socket = Live(PATH, ada)
        snapshot = await socket.connect()
        await socket.close()
        return snapshot

    snapshot = run(go())
    assert snapshot["exercises"] == ada.get("/s/").context["live_state"]
    assert snapshot["exercises"][0]["state"] == "released"


def test_only_a_signed_in_student_opens_it(exercise, classroom, instructor_client):
    (student,) = add_students(classroom, "Ada")
    client = student_client(student)
    from classrooms import services

    async def go():
        codes = [await refusal(Live(PATH, None)), await refusal(Live(PATH, instructor_client))]
        await database_sync_to_async(services.student_link_revoke)(student=student)
        codes.append(await refusal(Live(PATH, client)))
        return codes

    assert run(go()) == [4401, 4401, 4401]


def test_a_revoked_link_closes_the_open_notice_socket(classroom):
    (student,) = add_students(classroom, "Ada")
    client = student_client(student)
    from classrooms import services

    async def go():
        socket = Live(PATH, client)
        await socket.connect()
        await database_sync_to_async(services.student_link_revoke)(student=student)
        closed = await socket.recv_type("close")
        await socket.close()
        return closed

    assert run(go())["code"] == 4401


def test_it_answers_heartbeats_and_refuses_anything_else(classroom):
    (student,) = add_students(classroom, "Ada")
    client = student_client(student)

    async def go():
        socket = Live(PATH, client)
        await socket.connect()
        await socket.send({"type": "heartbeat"})
        beat = await socket.recv()
        await socket.send({"type": "chat", "client_msg_id": "x", "text": "hello"})
        error = await socket.recv()
        await socket.send("not json")
        bad = await socket.recv()
        await socket.send('{"type": "heartbeat"}'.ljust(1000))  # a heartbeat, but too long to be read
        long = await socket.recv()
        await socket.close()
        return beat, error, bad, long

    beat, error, bad, long = run(go())
    assert beat == {"type": "heartbeat"}
    assert error["type"] == "error" and error["code"] == "bad_frame" and "heartbeat" in error["message"]
    assert bad["code"] == "bad_frame" and long["code"] == "bad_frame"


def test_notice_sockets_count_under_the_users_caps(classroom):
    """Eight notice sockets (home, role sheet and room in a few tabs each); the ninth is refused, and they
    count among the user's sixteen sockets, so that a new kind of socket opens no way around the cap."""
    (student,) = add_students(classroom, "Ada")
    client = student_client(student)

    async def go():
        sockets = [Live(PATH, client) for _ in range(limits.NOTICE_SOCKETS_PER_USER)]
        for socket in sockets:
            await socket.connect()
        one_more = await refusal(Live(PATH, client))
        for socket in sockets:
            await socket.close()
        return one_more

    assert run(go()) == 4430
    assert limits.notice_caps(f"student.{student.pk}")[-1] == limits.Cap(
        f"sockets.student.{student.pk}", limits.SOCKETS_PER_USER
    )


def test_a_flood_on_the_notice_socket_is_refused(classroom):
    (student,) = add_students(classroom, "Ada")
    client = student_client(student)

    async def go():
        socket = Live(PATH, client)
        await socket.connect()
        flood = limits.HEARTBEAT_BURST + limits.FRAME_BURST + 5  # past the heartbeats' own bucket, then the frames'
        for _ in range(flood):
            await socket.send({"type": "heartbeat"})
        frames = [await socket.recv() for _ in range(flood)]
        await socket.close()
        return frames

    frames = run(go())
    assert any(f.get("code") == "rate_limited" for f in frames)


def test_a_pair_that_ends_before_the_round_tells_its_students_home_page_the_survey_is_next(exercise, classroom):
    """One pair agrees while the round runs on: its students' notice sockets hear it (their pages read
    themselves again), the other pair's do not until their own time runs out, and the home card says the
    survey comes next."""
    first, second = start_round(exercise, classroom, 4)
    ada = seats_by_role(first)["buyer"].student
    other = seats_by_role(second)["buyer"].student
    ada_client, other_client = student_client(ada), student_client(other)

    async def go():
        mine, theirs = Live(PATH, ada_client), Live(PATH, other_client)
        await mine.connect()
        await theirs.connect()
        await database_sync_to_async(agree)(first, DEAL)
        heard = await mine.recv_type("pair")
        await theirs.send({"type": "heartbeat"})
        next_for_other = await theirs.recv()  # the heartbeat's answer: no notice came before it
        # The other pair's time runs out (its own deadline, the round still on): they hear it in turn.
        after_deadline = second.deadline + timedelta(seconds=1)
        await database_sync_to_async(negotiation_close_expired)(negotiation_ids=[second.pk], now=after_deadline)
        timed_out = await theirs.recv_type("pair")
        await mine.close()
        await theirs.close()
        return heard, next_for_other, timed_out

    heard, next_for_other, timed_out = run(go())
    assert heard == {"type": "pair", "exercise": exercise.pk, "status": "agreed"}
    assert next_for_other == {"type": "heartbeat"}
    assert timed_out == {"type": "pair", "exercise": exercise.pk, "status": "impasse"}
    card = ada_client.get("/s/").content.decode()
    assert "Your negotiation has ended" in card and "a short survey" in card
    assert f'href="/s/exercises/{exercise.pk}/survey/"' in card
    assert "Your negotiation has ended" in other_client.get("/s/").content.decode()  # by its deadline
