"""The API's instructor operations that change a class's set-up: the odd-student rule of a draft,
deleting a draft, merging a student who joined twice. The same refusals as the pages."""

from __future__ import annotations

import pytest

from negotiations import rounds
from tests.base import add_coinstructor, add_students
from tests.test_api import api_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(instructor):
    return api_client(instructor)


def patch(client, url, body):
    return client.patch(url, body, content_type="application/json")


def test_the_odd_rule_of_a_draft_changes_and_is_refused_once_the_roles_are_out(api, exercise, classroom):
    students = add_students(classroom, "Ada", "Ben", "Cy")
    rounds.exercise_pair(exercise=exercise, student_ids=[s.pk for s in students], seed=1)
    response = patch(api, f"/api/exercises/{exercise.pk}", {"odd_rule": "instructor"})
    assert response.status_code == 200 and response.json()["odd_rule"] == "instructor"
    assert exercise.seats.filter(kind="instructor").count() == 1
    assert patch(api, f"/api/exercises/{exercise.pk}", {"odd_rule": "coin"}).status_code == 422
    rounds.exercise_release(exercise=exercise)
    late = patch(api, f"/api/exercises/{exercise.pk}", {"odd_rule": "bot"})
    assert late.status_code == 409 and late.json() == {
        "detail": "Cannot change the odd-student rule now: the roles are released and the pairs are fixed.",
        "field": None,
    }


def test_a_draft_is_deleted_and_an_exercise_whose_roles_are_out_is_not(api, exercise, classroom, used_car):
    from classrooms.services import exercise_create

    students = add_students(classroom, "Ada", "Ben")
    rounds.exercise_pair(exercise=exercise, student_ids=[s.pk for s in students], seed=1)
    rounds.exercise_release(exercise=exercise)
    refused = api.delete(f"/api/exercises/{exercise.pk}")
    assert refused.status_code == 409 and refused.json()["detail"].startswith("Only a draft can be deleted")
    draft = exercise_create(classroom=classroom, title="Draft", scenario_version=used_car, time_limit_minutes=20)
    assert api.delete(f"/api/exercises/{draft.pk}").status_code == 204
    assert list(classroom.exercises.values_list("pk", flat=True)) == [exercise.pk]
    assert api.delete(f"/api/exercises/{draft.pk}").status_code == 404


def test_a_second_instructor_of_another_class_gets_404_and_a_co_instructor_may(exercise, classroom, other_instructor):
    outsider = api_client(other_instructor)
    assert patch(outsider, f"/api/exercises/{exercise.pk}", {"odd_rule": "bot"}).status_code == 404
    assert outsider.delete(f"/api/exercises/{exercise.pk}").status_code == 404
    add_coinstructor(classroom, other_instructor)
    assert patch(outsider, f"/api/exercises/{exercise.pk}", {"odd_rule": "bot"}).status_code == 200
    assert outsider.delete(f"/api/exercises/{exercise.pk}").status_code == 204
