from __future__ import annotations

import pytest

from classrooms.models import PlanningSheet
from core.refusal import Refused
from negotiations import rounds
from negotiations.planning import planning_sheet_save
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


def partner(**ranks):
    order = {"partner_rank_price": "1", "partner_rank_warranty": "2", "partner_rank_tyres": "3"}
    return {**order, "partner_rank_handover": "4", **ranks}


def test_a_student_ranks_the_partners_priorities_and_sees_them_again(seller, exercise):
    response = seller.post(f"/s/exercises/{exercise.pk}/", plan(**partner()))
    assert response.status_code == 302
    sheet = PlanningSheet.objects.get()
    assert sheet.partner_priorities == ["price", "warranty", "tyres", "handover"]
    assert sheet.priorities == ["price", "handover", "warranty", "tyres"]
    page = seller.get(f"/s/exercises/{exercise.pk}/").content.decode()
    assert "as you think they matter to the other side" in page
    assert (
        '<option value="4" selected>4</option>' in page.split('name="partner_rank_handover"')[1].split("</select>")[0]
    )


def test_the_partners_priorities_may_be_left_unranked(seller, exercise):
    assert seller.post(f"/s/exercises/{exercise.pk}/", plan()).status_code == 302
    assert PlanningSheet.objects.get().partner_priorities == []


def test_a_bad_partner_ranking_is_refused_and_nothing_else_is_lost(seller, exercise):
    seller.post(f"/s/exercises/{exercise.pk}/", plan(**partner()))
    response = seller.post(f"/s/exercises/{exercise.pk}/", plan(target="80", **partner(partner_rank_handover="1")))
    page = response.content.decode()
    assert response.status_code == 200 and "Rank 1 is given to more than one issue." in page
    assert 'value="80"' in page and "Ask about timing." in page  # what was typed is still there
    sheet = PlanningSheet.objects.get()
    assert sheet.target == 70 and sheet.partner_priorities == ["price", "warranty", "tyres", "handover"]
    response = seller.post(f"/s/exercises/{exercise.pk}/", plan(partner_rank_price="2"))
    assert "Rank every issue, or none." in response.content.decode()


def test_the_service_refuses_a_partner_ranking_that_misses_an_issue(seller, exercise):
    student = exercise.seats.get(role_key="seller", kind="student").student
    planning_sheet_save(
        exercise=exercise, student=student, target=70, partner_priorities=["tyres", "price", "warranty", "handover"]
    )
    with pytest.raises(Refused) as refused:
        planning_sheet_save(
            exercise=exercise, student=student, target=90, partner_priorities=["price", "price", "tyres"]
        )
    assert (refused.value.message, refused.value.field) == ("Rank every issue once.", "partner_priorities")
    sheet = PlanningSheet.objects.get()
    assert sheet.target == 70 and sheet.partner_priorities == ["tyres", "price", "warranty", "handover"]
