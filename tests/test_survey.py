"""The post-negotiation survey (SVI): pure scoring by hand, the student's page, and the debrief summary."""

from __future__ import annotations

from fractions import Fraction

import pytest

from classrooms import services as classroom_services
from core import survey as svi
from core.negotiation import Action
from core.refusal import Refused
from negotiations.acting import negotiation_act
from negotiations.debrief import outcome_refresh
from negotiations.models import Seat
from surveys.models import SurveyAnswer, SurveyResponse
from surveys.services import survey_save, survey_summary
from tests.base import seats_by_role, start_round, student_client

PACKAGE = {"price": "9500", "handover": "five-weeks", "warranty": "one-month", "tyres": "included"}


def answers_of(values: list[int]) -> dict[int, int]:
    return {number: value for number, value in zip(svi.ITEM_NUMBERS, values, strict=True)}


def form_of(values: dict[int, int]) -> dict[str, str]:
    return {f"item_{n}": str(v) for n, v in values.items()}


# Scoring, worked by hand


def test_items_3_and_5_are_reversed_and_no_other():
    assert [n for n in svi.ITEM_NUMBERS if svi.scored(n, 1) != 1] == [3, 5]
    assert (svi.scored(3, 1), svi.scored(3, 7), svi.scored(5, 2), svi.scored(4, 2)) == (7, 1, 6, 2)
    assert [item.number for item in svi.ITEMS if item.reversed] == [3, 5]


def test_subscales_are_the_four_blocks_of_four_items():
    assert [(s.key, s.items) for s in svi.SUBSCALES] == [
        ("instrumental", (1, 2, 3, 4)),
        ("self", (5, 6, 7, 8)),
        ("process", (9, 10, 11, 12)),
        ("relationship", (13, 14, 15, 16)),
    ]
    assert [svi.ITEMS[i - 1].subscale for i in (1, 5, 12, 13)] == ["instrumental", "self", "process", "relationship"]


def test_a_set_of_answers_scored_by_hand():
    # items:   1  2  3  4 | 5  6  7  8 | 9 10 11 12 | 13 14 15 16
    values = [7, 6, 2, 5, 1, 4, 6, 3, 5, 5, 4, 6, 7, 7, 6, 5]
    scores = svi.score(answers_of(values))
    # instrumental: 7 + 6 + (8-2=6) + 5 = 24 / 4 = 6
    # self: (8-1=7) + 4 + 6 + 3 = 20 / 4 = 5
    # process: 5 + 5 + 4 + 6 = 20 / 4 = 5
    # relationship: 7 + 7 + 6 + 5 = 25 / 4 = 6.25
    assert scores.subscales == {
        "instrumental": Fraction(6),
        "self": Fraction(5),
        "process": Fraction(5),
        "relationship": Fraction(25, 4),
    }
    # global: (24 + 20 + 20 + 25) / 16 = 89 / 16
    assert scores.global_ == Fraction(89, 16)
    assert scores.as_json() == {
        "instrumental": 6.0,
        "self": 5.0,
        "process": 5.0,
        "relationship": 6.25,
        "global": 5.5625,
    }


def test_all_sevens_scores_lower_than_seven_because_of_the_reversals():
    scores = svi.score(answers_of([7] * 16))
    assert scores.subscales["instrumental"] == Fraction(7 + 7 + 1 + 7, 4)
    assert scores.subscales["self"] == Fraction(1 + 7 + 7 + 7, 4)
    assert scores.global_ == Fraction(14 * 7 + 2, 16)


@pytest.mark.parametrize(
    ("change", "item", "words"),
    [
        ({4: None}, 4, "Item 4 has no answer"),
        ({6: 0}, 6, "from 1 to 7"),
        ({6: 8}, 6, "from 1 to 7"),
        ({2: True}, 2, "whole number"),
        ({17: 3}, None, "no item 17"),
    ],
)
def test_incomplete_or_out_of_range_answers_are_refused_naming_the_item(change, item, words):
    answers = answers_of([4] * 16)
    for number, value in change.items():
        if value is None:
            del answers[number]
        else:
            answers[number] = value
    with pytest.raises(svi.SurveyError) as caught:
        svi.score(answers)
    assert caught.value.item == item
    assert words in caught.value.message


def test_means_over_nobody_are_none():
    assert svi.mean_scores([]) == dict.fromkeys([*svi.SUBSCALE_KEYS, "global"])


def test_every_item_has_its_own_wording_and_end_labels():
    assert len(svi.ITEMS) == 16 and len({item.text for item in svi.ITEMS}) == 16
    assert all(item.low and item.high and item.text.endswith("?") for item in svi.ITEMS)
    assert "Curhan" in svi.CREDIT and "91(3)" in svi.CREDIT


# The student's page


@pytest.fixture
def ended_pair(exercise, classroom):
    """Two pairs: pair 1 agreed (with its outcome computed), pair 2 still negotiating."""
    pairs = start_round(exercise, classroom, 4)
    seats = seats_by_role(pairs[0])
    offer = negotiation_act(
        negotiation_id=pairs[0].pk, seat=seats["seller"], action=Action("offer", "o", packages=(PACKAGE,))
    )
    negotiation_act(
        negotiation_id=pairs[0].pk,
        seat=seats["buyer"],
        action=Action("accept", "a", offer_seq=offer.event["seq"], package=0),
    )
    outcome_refresh(negotiation_id=pairs[0].pk)  # what the task does when the pair ends
    return pairs[0], pairs[1]


def url(exercise) -> str:
    return f"/s/exercises/{exercise.pk}/survey/"


def test_the_survey_waits_for_the_end_of_the_negotiation(ended_pair, exercise):
    _, open_pair = ended_pair
    client = student_client(seats_by_role(open_pair)["seller"].student)
    page = client.get(url(exercise))
    assert page.status_code == 200
    assert "The survey opens when your negotiation has ended." in page.text
    assert 'name="item_1"' not in page.text
    refused = client.post(url(exercise), form_of(answers_of([4] * 16)))
    assert refused.status_code == 409
    assert not SurveyResponse.objects.exists()


def test_a_student_answers_once_and_a_second_submission_edits_the_answers(ended_pair, exercise):
    agreed, _ = ended_pair
    seat = seats_by_role(agreed)["buyer"]
    client = student_client(seat.student)
    page = client.get(url(exercise))
    assert page.status_code == 200
    assert page.text.count('type="radio"') == 16 * 7
    assert "Subjective Value Inventory" in page.text and "Curhan" in page.text
    assert "csrfmiddlewaretoken" in page.text

    first = answers_of([5] * 16)
    response = client.post(url(exercise), form_of(first), follow=True)
    assert "Thank you: your answers are saved." in response.text
    saved = SurveyResponse.objects.get()
    assert (saved.seat_id, saved.student_id, saved.role_key) == (seat.pk, seat.student_id, "buyer")
    assert saved.answer_map() == first

    again = client.get(url(exercise))
    assert "Sending the form again replaces them." in again.text
    assert again.text.count("checked") == 16

    second = {**first, 3: 2, 16: 7}
    response = client.post(url(exercise), form_of(second), follow=True)
    assert "Your answers are updated." in response.text
    assert SurveyResponse.objects.count() == 1 and SurveyAnswer.objects.count() == 16
    assert SurveyResponse.objects.get().answer_map() == second


def test_a_missing_answer_is_named_beside_its_item_and_nothing_entered_is_lost(ended_pair, exercise):
    agreed, _ = ended_pair
    client = student_client(seats_by_role(agreed)["seller"].student)
    data = form_of(answers_of([3, 4, 5, 6, 7, 1, 2, 3, 4, 5, 6, 7, 1, 2, 3, 4]))
    del data["item_7"], data["item_12"]
    data["item_9"] = "9"
    page = client.post(url(exercise), data)
    assert page.status_code == 400
    assert "3 questions marked below need an answer from 1 to 7" in page.text
    assert 'id="q7-error"' in page.text and "Question 7 has no answer" in page.text
    assert 'id="q9-error"' in page.text and "Question 9 needs a whole number from 1 to 7." in page.text
    assert 'id="q12-error"' in page.text
    assert 'id="q1-error"' not in page.text
    assert page.text.count("checked") == 13  # every valid answer is still ticked
    assert 'name="item_1" value="3" checked' in page.text.replace("\n", "").replace("  ", "")
    assert not SurveyResponse.objects.exists()


def test_the_page_is_only_for_a_student_with_a_seat(ended_pair, exercise, classroom, client, instructor_client):
    (outsider,) = classroom_services.roster_import(classroom=classroom, text="name\nLate Comer\n").created
    assert student_client(outsider).get(url(exercise)).status_code == 404
    assert client.get(url(exercise)).status_code == 404
    assert instructor_client.get(url(exercise)).status_code == 404


def test_observers_are_told_the_survey_is_for_negotiators(ended_pair, exercise):
    agreed, _ = ended_pair
    seat = seats_by_role(agreed)["buyer"]
    Seat.objects.filter(pk=seat.pk).update(kind=Seat.Kind.OBSERVER)
    page = student_client(seat.student).get(url(exercise))
    assert "observers do not take it" in page.text
    seat.refresh_from_db()
    with pytest.raises(Refused):
        survey_save(seat=seat, answers=answers_of([4] * 16))


def test_the_form_needs_its_csrf_token(ended_pair, exercise):
    from django.test import Client

    from classrooms.services import student_link_token

    agreed, _ = ended_pair
    client = Client(enforce_csrf_checks=True)
    student = seats_by_role(agreed)["seller"].student
    client.post(f"/s/{student_link_token(student)}/")
    assert client.post(url(exercise), form_of(answers_of([4] * 16))).status_code == 403


# The summary for the debrief


def test_the_summary_has_means_by_role_and_scores_beside_points(ended_pair, exercise):
    agreed, _ = ended_pair
    seats = seats_by_role(agreed)
    survey_save(seat=seats["seller"], answers=answers_of([7, 6, 2, 5, 1, 4, 6, 3, 5, 5, 4, 6, 7, 7, 6, 5]))
    survey_save(seat=seats["buyer"], answers=answers_of([4] * 16))
    summary = survey_summary(exercise)
    assert set(summary) == {"credit", "subscales", "responses", "by_role", "points"}
    assert summary["responses"] == 2
    assert [s["key"] for s in summary["subscales"]] == ["instrumental", "self", "process", "relationship"]
    by_role = {r["role"]: r for r in summary["by_role"]}
    assert by_role["seller"]["n"] == 1 and by_role["seller"]["role_name"]
    assert by_role["seller"]["means"] == {
        "instrumental": 6.0,
        "self": 5.0,
        "process": 5.0,
        "relationship": 6.25,
        "global": 5.5625,
    }
    assert by_role["buyer"]["means"]["global"] == 4.0
    outcome = agreed.outcome.data["outcome"]["points"]
    points = {p["role"]: p for p in summary["points"]}
    assert points["seller"]["points"] == float(outcome["seller"])
    assert points["buyer"]["points"] == float(outcome["buyer"])
    assert points["seller"]["negotiation"] == agreed.pk and points["seller"]["number"] == agreed.number
    assert points["seller"]["scores"]["global"] == 5.5625


def test_the_summary_of_nobody_has_empty_means_and_points_without_an_outcome(ended_pair, exercise):
    empty = survey_summary(exercise)
    assert empty["responses"] == 0 and empty["points"] == []
    assert all(r["n"] == 0 and r["means"]["global"] is None for r in empty["by_role"])
    agreed, _ = ended_pair
    agreed.outcome.delete()
    survey_save(seat=seats_by_role(agreed)["seller"], answers=answers_of([4] * 16))
    assert survey_summary(exercise)["points"][0]["points"] is None


def test_the_scoring_imports_no_django():
    import subprocess
    import sys

    code = "import sys, core.survey; sys.exit(1 if any(m.split('.')[0] == 'django' for m in sys.modules) else 0)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_a_student_who_answered_reads_so_beside_the_debrief_and_may_change_the_answers(ended_pair, exercise):
    """The debrief asked a student who had answered to "Answer the short survey", as if nothing was saved."""
    from negotiations import rounds
    from negotiations.debrief import debrief_refresh

    agreed, _ = ended_pair
    seat = seats_by_role(agreed)["buyer"]
    client = student_client(seat.student)
    rounds.exercise_end(exercise=exercise)
    debrief_refresh(exercise_id=exercise.pk)
    client.post(url(exercise), form_of(answers_of([5] * 16)))
    page = client.get(f"/s/exercises/{exercise.pk}/").text
    assert 'id="my-debrief"' in page or "my-debrief-data" in page
    assert "Answer the short survey" not in page
    assert '<p class="meta" id="survey-answered">Thank you: your answers are saved.' in page
    assert f'href="{url(exercise)}" id="survey-link">Update my answers</a>' in page
    skipper = student_client(seats_by_role(agreed)["seller"].student)
    skipper.post(url(exercise), {"skip": "1"})
    skipped = skipper.get(f"/s/exercises/{exercise.pk}/").text  # skipped, the results seen: no answers now
    assert 'id="survey-link"' not in skipped and "your answers are saved" not in skipped
