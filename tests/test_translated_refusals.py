"""The services' refusals and messages read in the page's language (docs/operations.md, "Languages"): merging
a student who joined twice, the planning sheet, a class's name, co-instructors, size and an exercise's limits;
the API answers the same in English whatever the client asks (docs/api.md)."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from classrooms import services
from classrooms.models import CoInstructorInvitation, Student
from core.negotiation import Action
from core.refusal import Refused
from negotiations import rounds
from negotiations.acting import SEAT_CHANGED, negotiation_act
from negotiations.models import Seat
from negotiations.planning import planning_sheet_save
from tests.base import add_students, start_round
from tests.test_api import api_client

pytestmark = pytest.mark.django_db

GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de"}


def merge_page(client: Client, classroom, keep: Student, merge: Student) -> tuple[int, str]:
    response = client.get(f"/classes/{classroom.pk}/students/merge/", {"keep": keep.pk, "merge": merge.pk}, **GERMAN)
    return response.status_code, re.sub(r"\s+", " ", response.content.decode())


def test_a_merge_previews_and_refuses_in_german_and_the_api_in_english(
    instructor, instructor_client, classroom, exercise
):
    (pair,) = start_round(exercise, classroom, 2)
    one, two = (seat.student for seat in Seat.objects.filter(negotiation=pair).order_by("role_key"))
    status, html = merge_page(instructor_client, classroom, one, two)
    assert status == 400
    assert (
        f"{one.display_name} und {two.display_name} haben beide einen Platz in „Used car“ (Paar 1), die gerade "
        "läuft: Beim Zusammenführen würde eine der beiden Personen aus ihrem Paar genommen."
    ) in html
    rounds.exercise_end(exercise=exercise)
    (again,) = add_students(classroom, "Ada L.")
    status, html = merge_page(instructor_client, classroom, again, one)
    assert status == 200
    assert "Überträgt 1 Platz an Ada L.: Paar 1 von „Used car“ (beendet)." in html
    assert f"Entfernt {one.display_name} aus dem Kurs: Der persönliche Link funktioniert nicht mehr" in html
    status, html = merge_page(instructor_client, classroom, again, again)
    assert status == 400 and "Wählen Sie zwei verschiedene Personen" in html

    api = api_client(instructor)
    url = f"/api/classes/{classroom.pk}/students/merge"
    dry = api.post(url, {"keep": again.pk, "merge": one.pk, "dry_run": True}, content_type="application/json", **GERMAN)
    assert "Moves 1 seat to Ada L.: pair 1 of “Used car” (ended)." in dry.json()["effects"]
    same = api.post(url, {"keep": again.pk, "merge": again.pk}, content_type="application/json", **GERMAN)
    assert same.status_code == 400 and same.json()["detail"].startswith("Choose two different students")
    assert Student.objects.filter(pk=one.pk).exists()


def test_a_planning_sheet_ranking_refused_in_german(exercise, classroom):
    (pair,) = start_round(exercise, classroom, 2)
    student = Seat.objects.filter(negotiation=pair).first().student
    with translation.override("de"), pytest.raises(Refused) as refused:
        planning_sheet_save(exercise=exercise, student=student, priorities=["price", "price"])
    assert refused.value.message == "Ordnen Sie jeden Verhandlungspunkt genau einmal ein."
    assert refused.value.field == "priorities"


def refusal(act) -> str:
    with pytest.raises(Refused) as refused:
        act()
    return refused.value.message


def test_a_class_and_its_limits_refuse_in_the_language_asked(instructor, classroom, used_car, monkeypatch):
    monkeypatch.setattr(services, "MAX_CLASS_STUDENTS", 1)
    services.student_add(classroom=classroom, display_name="Ada")
    with translation.override("de"):
        named = refusal(lambda: services.classroom_create(owner=instructor, name="  "))
        timed = refusal(
            lambda: services.exercise_create(
                classroom=classroom, title="", scenario_version=used_car, time_limit_minutes=241
            )
        )
        full = refusal(lambda: services.student_add(classroom=classroom, display_name="Ben"))
    assert named == "Geben Sie dem Kurs einen Namen."
    assert timed == "Das Zeitlimit muss zwischen 1 und 240 Minuten liegen."
    assert full == "Der Kurs ist voll: Er hat 1 Studierende, die Höchstzahl für einen Kurs."
    with translation.override("es"):
        assert refusal(lambda: services.classroom_create(owner=instructor, name="")) == "Ponle un nombre a la clase."
    assert classroom.students.count() == 1


def test_the_co_instructor_form_refuses_in_german(instructor_client, classroom, instructor):
    response = instructor_client.post(
        f"/classes/{classroom.pk}/instructors/", {"email": "nobody@example.com"}, **GERMAN
    )
    assert "Keine bestätigte Lehrperson hat ein Konto mit dieser E-Mail-Adresse" in response.content.decode()
    mine = instructor_client.post(f"/classes/{classroom.pk}/instructors/", {"email": instructor.email}, **GERMAN)
    assert f"{instructor.email} leitet diesen Kurs bereits." in mine.content.decode()
    assert not CoInstructorInvitation.objects.exists()


def test_the_sockets_refusals_stay_english_and_the_room_translates_them_by_code(exercise, classroom):
    """A live socket's error frame is English with a code (docs/protocol.md); the room words each code of
    the acting service in the page's language (static/js/room.js)."""
    (pair,) = start_round(exercise, classroom, 2)
    observer = Seat.objects.filter(negotiation=pair).first()
    observer.kind = Seat.Kind.OBSERVER
    with translation.override("de"), pytest.raises(Refused) as refused:
        negotiation_act(negotiation_id=pair.pk, seat=observer, action=Action("chat", "c-1", text="Hallo"))
    assert (refused.value.code, refused.value.message) == (
        "not_a_negotiator",
        "observers watch; only the negotiators act",
    )
    room = (Path(settings.BASE_DIR) / "static/js/room.js").read_text()
    german = {
        e.msgid: e.msgstr for e in polib.pofile(str(Path(settings.BASE_DIR) / "locale/de/LC_MESSAGES/djangojs.po"))
    }
    for code in ("not_a_negotiator", SEAT_CHANGED):
        words = re.search(rf'^  {code}: \(\) => gettext\("([^"]+)"\),$', room, re.MULTILINE)
        assert words, f"the room has no words for {code}"
        assert german.get(words.group(1)), f"{code}: no German for {words.group(1)!r}"
