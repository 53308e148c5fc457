"""Merging a student who joined twice: what moves and what is lost is said first, nothing changes
without the confirmation's POST, and a merge that would lose a negotiation is refused with the reason."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from classrooms.models import PlanningSheet, Student
from negotiations import rounds
from negotiations.models import Seat
from negotiations.planning import planning_sheet_save
from surveys.models import SurveyAnswer, SurveyResponse
from surveys.services import survey_due, survey_refusal, survey_settled, survey_skip
from tests.base import add_students, start_round
from tests.test_api import api_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def twice(exercise, classroom):
    """Ada negotiated in an ended exercise, planned and answered its survey; she joined again as 'Ada L.'."""
    (pair,) = start_round(exercise, classroom, 2)
    seat = Seat.objects.filter(negotiation=pair).order_by("role_key").first()
    planning_sheet_save(exercise=exercise, student=seat.student, notes="Open high")
    rounds.exercise_end(exercise=exercise)
    response = SurveyResponse.objects.create(exercise=exercise, seat=seat, student=seat.student, role_key=seat.role_key)
    SurveyAnswer.objects.bulk_create(SurveyAnswer(response=response, item=i, value=4) for i in range(1, 17))
    (again,) = add_students(classroom, "Ada L.")
    return seat.student, again, seat


def page(client, classroom, keep, merge):
    return client.get(f"/classes/{classroom.pk}/students/merge/", {"keep": keep.pk, "merge": merge.pk})


def test_the_preview_says_what_moves_and_only_the_confirmed_post_merges(instructor_client, classroom, twice):
    first, again, seat = twice
    html = re.sub(r"\s+", " ", page(instructor_client, classroom, again, first).content.decode())
    assert "Moves 1 seat to Ada L.: pair 1 of “Used car” (ended)." in html
    assert "Moves 1 planning sheet." in html
    assert "Moves 1 survey response (16 answers) with their seats." in html
    assert f"Removes {first.display_name} from the class: their personal link stops working" in html
    assert '<dialog id="merge-dialog"' in html and "csrfmiddlewaretoken" in html
    # Without JavaScript the dialog cannot open: the preview is the confirmation, and its button POSTs.
    opener = re.search(r'<form method="post" id="merge-form"[^>]*>(.*?)</form>', html)
    assert opener and 'id="merge-open"' in opener.group(1) and 'type="submit"' in opener.group(1)
    fields = opener.group(1)
    assert f'name="keep" value="{again.pk}"' in fields and f'name="merge" value="{first.pk}"' in fields
    assert Student.objects.filter(pk=first.pk).exists()  # a preview changes nothing

    response = instructor_client.post(f"/classes/{classroom.pk}/students/merge/", {"keep": again.pk, "merge": first.pk})
    assert response.status_code == 302 and response["Location"] == f"/classes/{classroom.pk}/"
    assert not Student.objects.filter(pk=first.pk).exists()
    seat.refresh_from_db()
    assert seat.student_id == again.pk
    assert PlanningSheet.objects.get(exercise=seat.exercise).student_id == again.pk
    assert SurveyResponse.objects.get(seat=seat).student_id == again.pk
    assert SurveyAnswer.objects.filter(response__student=again).count() == 16


def test_a_skipped_survey_stays_skipped_for_the_student_kept(instructor_client, classroom, exercise):
    """The survey comes before the results and closes once skipped: a merge must not open it again, or
    the kept student would answer it after seeing their results."""
    (pair,) = start_round(exercise, classroom, 2)
    seat = Seat.objects.filter(negotiation=pair).first()
    rounds.exercise_end(exercise=exercise)
    survey_skip(seat=seat)
    (again,) = add_students(classroom, "Ada again")
    html = page(instructor_client, classroom, again, seat.student).content.decode()
    assert "Moves 1 skipped survey: the survey stays closed to Ada again there." in html
    instructor_client.post(f"/classes/{classroom.pk}/students/merge/", {"keep": again.pk, "merge": seat.student_id})
    seat.refresh_from_db()
    assert seat.student_id == again.pk
    assert survey_settled(seat=seat) and not survey_due(seat=seat)
    assert (survey_refusal(seat=seat) or "").startswith("You skipped the survey")


def test_a_planning_sheet_the_kept_student_also_has_is_said_to_be_lost(instructor_client, classroom, exercise):
    (pair,) = start_round(exercise, classroom, 2)
    seated = Seat.objects.filter(negotiation=pair).first().student
    (again,) = add_students(classroom, "Ada again")
    planning_sheet_save(exercise=exercise, student=seated, notes="mine")
    PlanningSheet.objects.create(exercise=exercise, student=again, notes="from a draft of the other record")
    html = page(instructor_client, classroom, seated, again).content.decode()
    assert f"Loses Ada again&#x27;s planning sheet for “Used car”: {seated.display_name} has one of their own" in html
    instructor_client.post(f"/classes/{classroom.pk}/students/merge/", {"keep": seated.pk, "merge": again.pk})
    assert list(PlanningSheet.objects.filter(exercise=exercise).values_list("notes", flat=True)) == ["mine"]


def test_both_seated_in_one_running_exercise_is_refused_and_nothing_moves(instructor_client, classroom, exercise):
    one, two = (s.student for s in Seat.objects.filter(negotiation=start_round(exercise, classroom, 2)[0]))
    response = page(instructor_client, classroom, one, two)
    assert response.status_code == 400
    assert "are both seated in “Used car” (pair 1), which is running" in response.content.decode()
    assert "merge-dialog" not in response.content.decode()
    post = instructor_client.post(f"/classes/{classroom.pk}/students/merge/", {"keep": one.pk, "merge": two.pk})
    assert post.status_code == 400 and Student.objects.filter(pk=two.pk).exists()
    same = instructor_client.post(f"/classes/{classroom.pk}/students/merge/", {"keep": one.pk, "merge": one.pk})
    assert same.status_code == 400 and "Choose two different students" in same.content.decode()


def test_the_api_previews_merges_and_refuses_alike(instructor, classroom, twice, exercise):
    first, again, _ = twice
    api = api_client(instructor)
    url = f"/api/classes/{classroom.pk}/students/merge"
    dry = api.post(url, {"keep": again.pk, "merge": first.pk, "dry_run": True}, content_type="application/json")
    assert dry.status_code == 200 and dry.json()["merged"] is False
    assert "Moves 1 seat to Ada L.: pair 1 of “Used car” (ended)." in dry.json()["effects"]
    assert Student.objects.filter(pk=first.pk).exists()
    done = api.post(url, {"keep": again.pk, "merge": first.pk}, content_type="application/json")
    assert done.status_code == 200 and done.json()["merged"] is True and done.json()["kept"]["id"] == again.pk
    assert not Student.objects.filter(pk=first.pk).exists()
    gone = api.post(url, {"keep": again.pk, "merge": first.pk}, content_type="application/json")
    assert gone.status_code == 400 and gone.json() == {
        "detail": f"No student {first.pk} in this class.",
        "field": "merge",
    }
    kept_gone = api.post(url, {"keep": first.pk, "merge": again.pk}, content_type="application/json")
    assert kept_gone.status_code == 400 and kept_gone.json()["field"] == "keep"


def test_the_api_refuses_a_merge_that_would_lose_a_negotiation(instructor, classroom, exercise):
    one, two = (s.student for s in Seat.objects.filter(negotiation=start_round(exercise, classroom, 2)[0]))
    rounds.exercise_end(exercise=exercise)
    response = api_client(instructor).post(
        f"/api/classes/{classroom.pk}/students/merge",
        {"keep": one.pk, "merge": two.pk},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["detail"].endswith("and both negotiated: a merge would lose one of the negotiations.")


def test_another_instructor_gets_404_on_the_page_and_the_api(classroom, twice, other_instructor):
    first, again, _ = twice
    outsider = Client()
    outsider.force_login(other_instructor)
    assert page(outsider, classroom, again, first).status_code == 404
    data = {"keep": again.pk, "merge": first.pk}
    assert outsider.post(f"/classes/{classroom.pk}/students/merge/", data).status_code == 404
    url = f"/api/classes/{classroom.pk}/students/merge"
    assert api_client(other_instructor).post(url, data, content_type="application/json").status_code == 404
    assert Student.objects.filter(pk=first.pk).exists()
