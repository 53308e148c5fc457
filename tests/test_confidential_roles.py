"""A student sees the public situation and their own role only; everyone else gets 404."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from classrooms import services
from negotiations import rounds
from negotiations.models import Seat
from scenarios.services import version_spec
from tests.base import add_students, student_client


@pytest.fixture
def released(exercise, classroom, other_instructor, used_car):
    ada, ben, cy, dee = add_students(classroom, "Ada", "Ben", "Cy", "Dee")
    rounds.exercise_pair(exercise=exercise, student_ids=[ada.pk, ben.pk, cy.pk, dee.pk], seed=7)
    rounds.exercise_release(exercise=exercise)
    spec = version_spec(used_car)
    return exercise, markers(spec)


def markers(spec) -> dict[str, str]:
    """A run of plain words from each role's confidential sheet, as it appears in the rendered page."""
    return {role.key: re.search(r"[A-Za-z][A-Za-z ,]{40,}", role.sheet).group(0) for role in spec.roles}


def seat_of(exercise, number, role):
    return Seat.objects.select_related("student").get(exercise=exercise, negotiation__number=number, role_key=role)


def test_a_student_sees_the_situation_their_sheet_and_their_points_only(released):
    exercise, sheets = released
    seller = seat_of(exercise, 1, "seller").student
    page = student_client(seller).get(f"/s/exercises/{exercise.pk}/").content.decode()
    assert sheets["seller"] in page
    assert sheets["buyer"] not in page
    assert "My points" in page and "Buyer (Sami" not in page


def test_the_partner_sees_their_own_sheet_not_mine(released):
    exercise, sheets = released
    buyer = seat_of(exercise, 1, "buyer").student
    page = student_client(buyer).get(f"/s/exercises/{exercise.pk}/").content.decode()
    assert sheets["buyer"] in page and sheets["seller"] not in page


@pytest.mark.parametrize(
    "who", ["student of another pair", "student of another class", "student not seated", "anonymous"]
)
def test_outsiders_get_404_and_learn_nothing(released, who, other_instructor, classroom):
    exercise, sheets = released
    if who == "student of another pair":
        client = student_client(seat_of(exercise, 2, "seller").student)
        other_exercise = services.exercise_create(
            classroom=classroom, title="Other", scenario_version=exercise.scenario_version, time_limit_minutes=5
        )
        target = other_exercise.pk  # an exercise of the same class they are not seated in
    elif who == "student of another class":
        other = services.classroom_create(owner=other_instructor, name="Other")
        (mallory,) = add_students(other, "Mallory")
        client, target = student_client(mallory), exercise.pk
    elif who == "student not seated":
        (late,) = add_students(classroom, "Late")
        client, target = student_client(late), exercise.pk
    else:
        client, target = Client(), exercise.pk
    response = client.get(f"/s/exercises/{target}/")
    assert response.status_code == 404
    page = response.content.decode()
    assert sheets["seller"] not in page and sheets["buyer"] not in page


def test_a_student_of_another_pair_reads_only_their_own_pairs_page(released):
    exercise, sheets = released
    other = seat_of(exercise, 2, "buyer").student
    page = student_client(other).get(f"/s/exercises/{exercise.pk}/").content.decode()
    assert sheets["buyer"] in page and sheets["seller"] not in page
    assert seat_of(exercise, 1, "seller").student.display_name not in page


def test_a_students_page_names_their_negotiation_for_the_socket(released):
    exercise, _ = released
    for number in (1, 2):
        seat = seat_of(exercise, number, "buyer")
        page = student_client(seat.student).get(f"/s/exercises/{exercise.pk}/").content.decode()
        assert f'data-negotiation="{seat.negotiation_id}"' in page
        assert f'data-socket="/ws/negotiations/{seat.negotiation_id}/"' in page


def test_nothing_is_shown_before_the_roles_are_released(exercise, classroom):
    ada, ben = add_students(classroom, "Ada", "Ben")
    rounds.exercise_pair(exercise=exercise, student_ids=[ada.pk, ben.pk])
    assert student_client(ada).get(f"/s/exercises/{exercise.pk}/").status_code == 404


def test_an_observer_sees_the_side_they_observe(exercise, classroom, used_car):
    ids = [s.pk for s in add_students(classroom, "Ada", "Ben", "Cy")]
    rounds.exercise_pair(exercise=exercise, student_ids=ids, seed=3)
    rounds.exercise_release(exercise=exercise)
    observer = Seat.objects.select_related("student").get(exercise=exercise, kind="observer")
    sheets = markers(version_spec(used_car))
    other_role = "buyer" if observer.role_key == "seller" else "seller"
    page = student_client(observer.student).get(f"/s/exercises/{exercise.pk}/").content.decode()
    assert sheets[observer.role_key] in page and sheets[other_role] not in page


def test_instructor_pages_of_another_instructors_exercise_are_404(released, other_instructor):
    exercise, _ = released
    client = Client()
    client.force_login(other_instructor)
    for url in (f"/exercises/{exercise.pk}/", f"/exercises/{exercise.pk}/presence.json"):
        assert client.get(url).status_code == 404
    assert client.post(f"/exercises/{exercise.pk}/start/").status_code == 404


def test_a_student_cannot_reach_instructor_pages(released):
    exercise, _ = released
    client = student_client(seat_of(exercise, 1, "seller").student)
    response = client.get(f"/exercises/{exercise.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
