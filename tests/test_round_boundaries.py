"""Rounds at their edges: a next round asked of the wrong exercise says why on the page, and the rounds
compared ask the database a bounded number of times (docs/debrief.md, section 4c)."""

from __future__ import annotations

import pytest

from classrooms.models import Exercise
from tests.test_series import ended, six  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def next_round_form(exercise, students) -> dict:
    return {
        "rematch": "switch",
        "scenario_version": exercise.scenario_version_id,
        "time_limit_minutes": 15,
        "students": [s.pk for s in students],
    }


def test_a_next_round_refused_on_the_page_says_why(ended, six, instructor_client):  # noqa: F811
    data = next_round_form(ended, six)
    assert instructor_client.post(f"/exercises/{ended.pk}/next-round/", data).status_code == 302
    twice = instructor_client.post(f"/exercises/{ended.pk}/next-round/", data)  # the form sent again
    assert twice.status_code == 400
    assert "Round 2 of this series exists already: the next round follows the latest one." in twice.content.decode()
    following = Exercise.objects.get(series=ended)
    early = instructor_client.post(f"/exercises/{following.pk}/next-round/", next_round_form(following, six))
    assert early.status_code == 400
    page = early.content.decode()
    assert "A next round follows an exercise that has ended: end this one first." in page
    assert 'id="next-round-error"' in page
    assert Exercise.objects.count() == 2


def test_a_deleted_draft_round_can_be_made_again(ended, six, instructor_client):  # noqa: F811
    from negotiations import rounds

    data = next_round_form(ended, six)
    assert instructor_client.post(f"/exercises/{ended.pk}/next-round/", data).status_code == 302
    draft = Exercise.objects.get(series=ended)
    rounds.exercise_delete(exercise=draft)
    page = instructor_client.get(f"/exercises/{ended.pk}/").content.decode()
    assert 'id="next-round-form"' in page and "Round 2 follows" not in page
    assert instructor_client.post(f"/exercises/{ended.pk}/next-round/", data).status_code == 302
    again = Exercise.objects.get(series=ended)
    assert again.round_number == 2 and again.pk != draft.pk and again.negotiations.count() == 3
