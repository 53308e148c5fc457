"""Instructor pages cost a fixed number of SQL queries, whatever the class size."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from negotiations import rounds
from tests.base import add_students, long_history, seats_by_role, start_round, student_client


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def grow(classroom, exercise, names: list[str]) -> None:
    add_students(classroom, *names)
    rounds.exercise_pair(exercise=exercise, student_ids=list(classroom.students.values_list("pk", flat=True)))


def test_the_dashboard_class_and_exercise_pages_do_not_grow_with_the_class(instructor_client, classroom, exercise):
    urls = ["/dashboard/", f"/classes/{classroom.pk}/", f"/exercises/{exercise.pk}/"]
    grow(classroom, exercise, ["Ada", "Ben", "Cy"])
    small = [queries(instructor_client, url) for url in urls]
    grow(classroom, exercise, [f"Student {i}" for i in range(60)])
    large = [queries(instructor_client, url) for url in urls]
    assert small == large


def join_queries(negotiation, student) -> list[str]:
    """The SQL of one student's join (the session, identifying the seat, the snapshot, the scenario)."""
    from classrooms.sessions import SessionStore
    from negotiations import consumers

    session = SessionStore(student_client(student).session.session_key)  # not loaded, as a socket's
    with CaptureQueriesContext(connection) as captured:
        joined = consumers._join(session, negotiation.pk)
    assert not isinstance(joined, int), joined
    return [q["sql"] for q in captured]


@pytest.mark.postgres  # the one statement is PostgreSQL's; other databases take the ORM's way (negotiations/joining.py)
@pytest.mark.django_db
def test_a_students_join_is_one_statement_whatever_the_class_or_the_history(exercise, classroom):
    pairs = start_round(exercise, classroom, 40)
    first, last = pairs[0], pairs[-1]
    join_queries(first, seats_by_role(first)["buyer"].student)  # the process reads the scenario once
    small = join_queries(first, seats_by_role(first)["seller"].student)
    long_history(last, 200, "message {seq}")
    large = join_queries(last, seats_by_role(last)["seller"].student)
    assert len(small) == len(large) == 2, large  # the session's row, then the seat and its snapshot
    assert not any("document" in sql for sql in large), "the scenario is parsed once per process, not per join"


@pytest.mark.django_db
def test_a_notice_sockets_join_reads_the_student_and_their_rounds_in_one_statement_each(
    exercise, classroom, used_car, instructor
):
    """The session's row, the student (their link checked) and their exercises, whatever the number of
    exercises: each page opens one, so a class joining opens one a student."""
    from django.utils import timezone

    from classrooms.services import exercise_create
    from classrooms.sessions import SessionStore
    from negotiations.models import Debrief
    from negotiations.notices import _student_of, student_rounds

    def new(title: str):  # type: ignore[no-untyped-def]
        return exercise_create(classroom=classroom, title=title, scenario_version=used_car,
                               time_limit_minutes=20, created_by=instructor)  # fmt: skip

    (pair,) = start_round(exercise, classroom, 2)
    student = seats_by_role(pair)["buyer"].student
    later, draft = new("Later"), new("Draft")
    for other in (later, draft):
        rounds.exercise_pair(exercise=other, student_ids=[student.pk, seats_by_role(pair)["seller"].student_id])
    rounds.exercise_release(exercise=later)
    rounds.exercise_start(exercise=later)
    rounds.round_pause(exercise=later, paused=True, now=timezone.now())
    rounds.exercise_end(exercise=exercise)
    Debrief.objects.create(exercise=exercise, data={}, sources={})
    session = SessionStore(student_client(student).session.session_key)  # not loaded, as a socket's
    with CaptureQueriesContext(connection) as captured:
        who, found = _student_of(session)
        shown = student_rounds(student.pk)
    assert len(captured) == 3, [q["sql"] for q in captured]  # the session's row, the student, the rounds
    assert (who, found) == (f"student.{student.pk}", (student.pk, classroom.pk))
    assert shown == [  # newest first, the draft not shown
        {"id": later.pk, "state": "live", "paused": True, "status": "negotiating", "debrief": False},
        {"id": exercise.pk, "state": "ended", "paused": False, "status": "impasse", "debrief": True},
    ]
