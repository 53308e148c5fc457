"""Instructor pages cost a fixed number of SQL queries, whatever the class size."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from negotiations import rounds
from tests.base import add_students


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
