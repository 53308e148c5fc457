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


def test_without_javascript_end_opens_a_confirmation_page_and_ends_only_from_it(instructor_client, exercise, classroom):
    """The dialog needs JavaScript; without it the same opener is a link to a page that asks the same,
    whose form POSTs (then redirects). Opening it changes nothing."""
    start_round(exercise, classroom, 4)
    agree(exercise.negotiations.get(number=1), DEAL)
    end_url = f"/exercises/{exercise.pk}/end/"
    html = instructor_client.get(f"/exercises/{exercise.pk}/").content.decode()
    opener = re.search(r'<a [^>]*id="end-open"[^>]*>', html)
    assert opener and f'href="{end_url}"' in opener.group(0) and 'data-dialog="end-dialog"' in opener.group(0)
    assert "End exercise now" not in html  # no form that ends at one click
    monitor = instructor_client.get(f"/exercises/{exercise.pk}/monitor/").content.decode()
    assert f'href="{end_url}"' in monitor[monitor.index("<noscript>") :]

    page = instructor_client.get(end_url)
    text = re.sub(r"\s+", " ", page.content.decode())
    assert page.status_code == 200 and "End the exercise for everyone?" in text
    assert (
        "Ends 1 open pair as impasse, without agreement." in text and "1 pair that agreed keeps its agreement." in text
    )
    assert f'<form method="post" action="{end_url}"' in text and "csrfmiddlewaretoken" in text
    assert f'href="/exercises/{exercise.pk}/"' in text  # Cancel goes back
    exercise.refresh_from_db()
    assert exercise.state == "live"
    from_monitor = instructor_client.get(f"/exercises/{exercise.pk}/monitor/end/").content.decode()
    assert f'action="{end_url}"' in from_monitor  # the page's form, not the monitor's JSON action

    ended = instructor_client.post(end_url)
    assert ended.status_code == 302 and ended["Location"] == f"/exercises/{exercise.pk}/"
    exercise.refresh_from_db()
    assert exercise.state == "ended"
    again = instructor_client.get(end_url)
    assert again.status_code == 409 and "Cannot end the exercise now: the exercise is over" in again.content.decode()
    assert f'action="{end_url}"' not in again.content.decode()
    instructor_client.cookies["django_language"] = "de"
    german = instructor_client.get(end_url).content.decode()
    assert "Sie können jetzt nicht die Übung beenden: Die Übung ist beendet." in german


def test_a_live_exercise_page_says_how_many_open_pairs_ending_closes(instructor_client, exercise, classroom):
    start_round(exercise, classroom, 24)
    end = dialog(instructor_client.get(f"/exercises/{exercise.pk}/").content.decode(), "end-dialog")
    assert "Ends 12 open pairs as impasse" in end and "agreed" not in end


def test_the_odd_rule_changes_until_the_roles_are_released_and_a_preview_follows_it(
    instructor_client, exercise, classroom
):
    students = add_students(classroom, "Ada", "Ben", "Cy")
    rounds.exercise_pair(exercise=exercise, student_ids=[s.pk for s in students], seed=1)
    assert sorted(exercise.seats.values_list("kind", flat=True)) == ["observer", "student", "student"]
    response = instructor_client.post(f"/exercises/{exercise.pk}/odd-rule/", {"odd_rule": "bot"}, follow=True)
    assert "The pairing preview was made again under the new rule." in response.content.decode()
    exercise.refresh_from_db()
    assert exercise.odd_rule == "bot"
    assert sorted(exercise.seats.values_list("kind", flat=True)) == ["bot", "student", "student", "student"]
    assert set(exercise.seats.exclude(student=None).values_list("student", flat=True)) == {s.pk for s in students}

    bad = instructor_client.post(f"/exercises/{exercise.pk}/odd-rule/", {"odd_rule": "coin"})
    assert bad.status_code == 400 and "Choose an odd-student rule: triad, bot, instructor." in bad.content.decode()
    rounds.exercise_release(exercise=exercise)
    late = instructor_client.post(f"/exercises/{exercise.pk}/odd-rule/", {"odd_rule": "triad"})
    assert late.status_code == 400
    assert "Cannot change the odd-student rule now: the roles are released and the pairs are fixed." in (
        late.content.decode()
    )
    exercise.refresh_from_db()
    assert exercise.odd_rule == "bot"


def test_a_draft_is_deleted_after_a_confirmation_that_says_what_goes(instructor_client, exercise, classroom):
    students = add_students(classroom, "Ada", "Ben", "Cy", "Dee")
    rounds.exercise_pair(exercise=exercise, student_ids=[s.pk for s in students], seed=1)
    html = instructor_client.get(f"/exercises/{exercise.pk}/").content.decode()
    confirm = dialog(html, "delete-dialog")
    assert "Deletes this draft and its pairing preview: 2 pairs, 4 students seated." in confirm
    assert f'action="/exercises/{exercise.pk}/delete/"' in confirm and "csrfmiddlewaretoken" in confirm
    opener = re.search(r'<a [^>]*id="delete-open"[^>]*>', html)  # without JavaScript, a page that asks
    assert opener and f'href="/exercises/{exercise.pk}/delete/"' in opener.group(0)
    page = re.sub(r"\s+", " ", instructor_client.get(f"/exercises/{exercise.pk}/delete/").content.decode())
    assert "Delete this draft?" in page and "Deletes this draft and its pairing preview: 2 pairs" in page
    assert classroom.exercises.filter(pk=exercise.pk).exists()  # asking deletes nothing
    response = instructor_client.post(f"/exercises/{exercise.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == f"/classes/{classroom.pk}/"
    assert not classroom.exercises.exists() and classroom.students.count() == 4


def test_an_exercise_whose_roles_are_out_is_not_deleted(instructor_client, exercise, classroom):
    start_round(exercise, classroom, 2)
    html = instructor_client.get(f"/exercises/{exercise.pk}/").content.decode()
    assert "delete-dialog" not in html
    response = instructor_client.post(f"/exercises/{exercise.pk}/delete/")
    assert response.status_code == 400
    assert "Only a draft can be deleted" in response.content.decode()
    assert classroom.exercises.filter(pk=exercise.pk).exists()


def test_another_instructor_neither_changes_nor_deletes_the_draft(exercise, other_instructor):
    from django.test import Client

    outsider = Client()
    outsider.force_login(other_instructor)
    assert outsider.post(f"/exercises/{exercise.pk}/odd-rule/", {"odd_rule": "bot"}).status_code == 404
    assert outsider.post(f"/exercises/{exercise.pk}/delete/").status_code == 404
    exercise.refresh_from_db()
    assert exercise.odd_rule == "triad"
