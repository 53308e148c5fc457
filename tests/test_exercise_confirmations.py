"""The exercise page's actions that cannot be taken back: each sits in a confirmation dialog that says
what it will do, with its numbers, away from the buttons used in the normal run of a class."""

from __future__ import annotations

import re

import pytest

from negotiations import rounds
from tests.base import add_students, agree, start_round

pytestmark = pytest.mark.django_db

DEAL = {"price": 9500, "handover": "three-weeks", "warranty": "none", "tyres": "included"}


def section(html: str, heading_id: str) -> str:
    start = html.index(f'aria-labelledby="{heading_id}"')
    return html[start : html.index("</section>", start)]


def dialog(html: str, dialog_id: str) -> str:
    start = html.index(f'<dialog id="{dialog_id}"')
    return re.sub(r"\s+", " ", html[start : html.index("</dialog>", start)])


def test_end_is_a_confirmation_apart_from_start_and_says_what_it_ends(instructor_client, exercise, classroom):
    students = add_students(classroom, "Ada", "Ben", "Cy", "Dee")
    rounds.exercise_pair(exercise=exercise, student_ids=[s.pk for s in students], seed=1)
    rounds.exercise_release(exercise=exercise)
    html = instructor_client.get(f"/exercises/{exercise.pk}/").content.decode()
    run = section(html, "run-heading")
    assert "Start negotiations" in run and "End" not in run
    end = dialog(html, "end-dialog")
    assert "all 2 pairs end as impasse, unplayed" in end
    assert f'action="/exercises/{exercise.pk}/end/"' in end and "csrfmiddlewaretoken" in end
    assert 'data-dialog="end-dialog"' in section(html, "end-heading")

    rounds.exercise_start(exercise=exercise)
    agree(exercise.negotiations.get(number=1), DEAL)
    end = dialog(instructor_client.get(f"/exercises/{exercise.pk}/").content.decode(), "end-dialog")
    assert "Ends 1 open pair as impasse, without agreement." in end
    assert "1 pair that agreed keeps its agreement." in end


def test_a_live_exercise_page_says_how_many_open_pairs_ending_closes(instructor_client, exercise, classroom):
    start_round(exercise, classroom, 24)
    end = dialog(instructor_client.get(f"/exercises/{exercise.pk}/").content.decode(), "end-dialog")
    assert "Ends 12 open pairs as impasse" in end and "agreed" not in end
