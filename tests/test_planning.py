from __future__ import annotations

import pytest

from classrooms.models import PlanningSheet
from negotiations import rounds
from tests.base import add_students, student_client


@pytest.fixture
def seller(exercise, classroom):
    ada, ben = add_students(classroom, "Ada", "Ben")
    rounds.exercise_pair(exercise=exercise, student_ids=[ada.pk, ben.pk])
    rounds.exercise_release(exercise=exercise)
    return student_client(ada)


def plan(**extra):
    data = {"batna": "43", "reservation_value": "50", "target": "70", "notes": "Ask about timing."}
    ranks = {"rank_price": "1", "rank_handover": "2", "rank_warranty": "3", "rank_tyres": "4"}
    return {**data, **ranks, **extra}


def test_a_student_saves_and_edits_a_planning_sheet(seller, exercise):
    response = seller.post(f"/s/exercises/{exercise.pk}/", plan())
    assert response.status_code == 302
    sheet = PlanningSheet.objects.get()
    assert (sheet.batna, sheet.target, sheet.priorities) == (43, 70, ["price", "handover", "warranty", "tyres"])
    seller.post(f"/s/exercises/{exercise.pk}/", plan(target="80", rank_price="4", rank_tyres="1"))
    sheet.refresh_from_db()
    assert sheet.target == 80 and sheet.priorities[0] == "tyres"
    page = seller.get(f"/s/exercises/{exercise.pk}/").content.decode()
    assert 'value="80.00"' in page


def test_a_rank_used_twice_is_refused_next_to_the_field(seller, exercise):
    response = seller.post(f"/s/exercises/{exercise.pk}/", plan(rank_tyres="1"))
    page = response.content.decode()
    assert response.status_code == 200 and "Rank 1 is given to more than one issue." in page
    assert not PlanningSheet.objects.exists()


def test_a_number_that_is_not_a_number_is_refused(seller, exercise):
    response = seller.post(f"/s/exercises/{exercise.pk}/", plan(target="lots"))
    assert "Enter a number." in response.content.decode()
    assert not PlanningSheet.objects.exists()


def test_the_sheet_is_locked_when_the_exercise_ends(seller, exercise):
    rounds.exercise_end(exercise=exercise)
    response = seller.post(f"/s/exercises/{exercise.pk}/", plan())
    assert "The negotiation has ended" in response.content.decode()
    assert not PlanningSheet.objects.exists()


def test_an_observer_cannot_save_a_planning_sheet(exercise, classroom):
    ids = [s.pk for s in add_students(classroom, "Ada", "Ben", "Cy")]
    rounds.exercise_pair(exercise=exercise, student_ids=ids, seed=3)
    rounds.exercise_release(exercise=exercise)
    from negotiations.models import Seat

    observer = Seat.objects.get(exercise=exercise, kind="observer").student
    response = student_client(observer).post(f"/s/exercises/{exercise.pk}/", plan())
    assert "the planning sheet belongs to the negotiators" in response.content.decode()
    assert not PlanningSheet.objects.exists()
