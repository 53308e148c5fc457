from __future__ import annotations

import re

import pytest
from django.utils import translation

from classrooms import services
from classrooms.models import Exercise
from core.refusal import Refused
from negotiations import rounds
from negotiations.models import Negotiation, Seat
from tests.base import add_students


def kinds(exercise):
    return sorted(Seat.objects.filter(exercise=exercise).values_list("kind", flat=True))


def test_the_instructor_creates_an_exercise_pinned_to_the_scenario_version(instructor_client, classroom, used_car):
    response = instructor_client.post(
        f"/classes/{classroom.pk}/exercises/new/",
        {"scenario_version": used_car.pk, "time_limit_minutes": 25, "pairing_rule": "balanced", "odd_rule": "bot"},
    )
    exercise = Exercise.objects.get()
    assert response["Location"] == f"/exercises/{exercise.pk}/"
    assert (exercise.scenario_version, exercise.title, exercise.state) == (used_car, "The Used Car", "draft")


def test_a_bad_time_limit_is_refused_next_to_its_field(instructor_client, classroom, used_car):
    response = instructor_client.post(
        f"/classes/{classroom.pk}/exercises/new/",
        {"scenario_version": used_car.pk, "time_limit_minutes": 0, "pairing_rule": "random", "odd_rule": "bot"},
    )
    assert "Ensure this value is greater than or equal to 1." in response.content.decode()
    assert not Exercise.objects.exists()


def test_only_students_marked_present_are_paired(instructor_client, exercise, classroom):
    students = add_students(classroom, "Ada", "Ben", "Chloe", "Dev", "Emi", "Finn")
    present = [s.pk for s in students[:5]]
    instructor_client.post(f"/exercises/{exercise.pk}/pair/", {"students": present})
    seated = set(Seat.objects.filter(exercise=exercise).values_list("student_id", flat=True))
    assert seated == set(present)
    assert exercise.negotiations.count() == 2
    assert kinds(exercise) == ["observer", "student", "student", "student", "student"]
    page = instructor_client.get(f"/exercises/{exercise.pk}/").content.decode()
    assert "Pairing preview (2)" in page and "observer" in page


def test_pairing_again_replaces_the_preview(exercise, classroom):
    ids = [s.pk for s in add_students(classroom, "Ada", "Ben", "Chloe", "Dev")]
    rounds.exercise_pair(exercise=exercise, student_ids=ids, seed=1)
    rounds.exercise_pair(exercise=exercise, student_ids=ids[:2], seed=2)
    assert exercise.negotiations.count() == 1
    assert Seat.objects.filter(exercise=exercise).count() == 2


def test_the_instructor_swaps_two_students(exercise, classroom):
    ids = [s.pk for s in add_students(classroom, "Ada", "Ben", "Chloe", "Dev")]
    rounds.exercise_pair(exercise=exercise, student_ids=ids, seed=1)
    a, b = (
        Seat.objects.filter(exercise=exercise, negotiation__number=1)[:1].get(),
        Seat.objects.filter(exercise=exercise, negotiation__number=2).first(),
    )
    before = {a.pk: a.student_id, b.pk: b.student_id}
    rounds.exercise_swap(exercise=exercise, seat_a=a.pk, seat_b=b.pk)
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.student_id, b.student_id) == (before[b.pk], before[a.pk])
    assert (a.kind, b.kind) == ("student", "student")


def test_the_lifecycle_runs_in_order_and_refuses_steps_out_of_order(exercise, classroom):
    ids = [s.pk for s in add_students(classroom, "Ada", "Ben")]
    with pytest.raises(Refused, match="Pair the class before releasing"):
        rounds.exercise_release(exercise=exercise)
    with pytest.raises(Refused, match=r"Cannot start the negotiations now: the exercise is still a draft\."):
        rounds.exercise_start(exercise=exercise)
    rounds.exercise_pair(exercise=exercise, student_ids=ids)
    rounds.exercise_release(exercise=exercise)
    with pytest.raises(Refused, match=r"Cannot pair the class now: the exercise is released but not started\."):
        rounds.exercise_pair(exercise=exercise, student_ids=ids)
    live = rounds.exercise_start(exercise=exercise)
    assert live.deadline is not None and (live.deadline - live.started_at).total_seconds() == 20 * 60
    assert set(exercise.negotiations.values_list("status", flat=True)) == {"negotiating"}
    rounds.exercise_end(exercise=exercise)
    assert set(exercise.negotiations.values_list("status", flat=True)) == {"impasse"}
    with pytest.raises(Refused, match=r"Cannot end the exercise now: the exercise is over\."):
        rounds.exercise_end(exercise=exercise)


def test_a_refused_step_on_the_page_says_why_beside_its_button(instructor_client, exercise):
    response = instructor_client.post(f"/exercises/{exercise.pk}/release/")
    assert response.status_code == 400
    assert "Pair the class before releasing the roles." in response.content.decode()


def test_a_failed_pairing_keeps_the_ticks_and_says_why(instructor_client, exercise, classroom):
    students = add_students(classroom, "Ada", "Ben")
    response = instructor_client.post(f"/exercises/{exercise.pk}/pair/", {"students": ["99999"]})
    page = response.content.decode()
    assert response.status_code == 400 and 'id="pair-error"' in page and "Tick at least one student" in page
    assert page.count("checked") == 0 and all(s.display_name in page for s in students)


def test_pairing_late_arrivals_needs_a_tick_and_reports_what_it_made(instructor_client, exercise, classroom):
    ids = [s.pk for s in add_students(classroom, "Ada", "Ben")]
    rounds.exercise_pair(exercise=exercise, student_ids=ids)
    rounds.exercise_release(exercise=exercise)
    late = add_students(classroom, "Cy", "Dee", "Eve")
    response = instructor_client.post(f"/exercises/{exercise.pk}/pair-late/", {"students": ["²"]})
    assert response.status_code == 400 and "Tick the late arrivals to pair." in response.content.decode()
    response = instructor_client.post(
        f"/exercises/{exercise.pk}/pair-late/", {"students": [s.pk for s in late]}, follow=True
    )
    assert (
        "1 new pair." in response.content.decode() and "is left over: place them by hand" in response.content.decode()
    )


def test_placing_by_hand_from_the_page(instructor_client, exercise, classroom):
    ids = [s.pk for s in add_students(classroom, "Ada", "Ben")]
    rounds.exercise_pair(exercise=exercise, student_ids=ids)
    rounds.exercise_release(exercise=exercise)
    (late,) = add_students(classroom, "Cy")
    pair = exercise.negotiations.get()
    response = instructor_client.post(
        f"/exercises/{exercise.pk}/place/", {"student": late.pk, "negotiation": pair.pk, "role": "buyer"}, follow=True
    )
    assert "Cy placed in pair 1." in response.content.decode()
    assert Seat.objects.get(student=late).kind == "observer"


def test_an_unknown_action_is_404(instructor_client, exercise):
    assert instructor_client.post(f"/exercises/{exercise.pk}/explode/").status_code == 404


def test_late_arrivals_are_paired_with_each_other_and_one_left_over_is_placed_by_hand(exercise, classroom):
    ids = [s.pk for s in add_students(classroom, "Ada", "Ben")]
    rounds.exercise_pair(exercise=exercise, student_ids=ids)
    rounds.exercise_release(exercise=exercise)
    rounds.exercise_start(exercise=exercise)
    late = [s.pk for s in add_students(classroom, "Cy", "Dee", "Eve")]
    (left,) = rounds.exercise_pair_late(exercise=exercise, student_ids=late)
    assert exercise.negotiations.count() == 2
    assert exercise.negotiations.get(number=2).status == Negotiation.Status.NEGOTIATING
    seat = rounds.exercise_place(
        exercise=exercise, student=left, negotiation=exercise.negotiations.get(number=1), role="buyer"
    )
    assert (seat.kind, seat.role_key) == ("observer", "buyer")
    with pytest.raises(Refused, match="already has a seat"):
        rounds.exercise_place(exercise=exercise, student=left, negotiation=seat.negotiation, role="buyer")


def test_placing_a_student_takes_over_a_bot_seat(exercise, classroom):
    exercise.odd_rule = "bot"
    exercise.save()
    ids = [s.pk for s in add_students(classroom, "Ada", "Ben", "Cy")]
    rounds.exercise_pair(exercise=exercise, student_ids=ids)
    bot = Seat.objects.get(exercise=exercise, kind="bot")
    (late,) = add_students(classroom, "Dee")
    seat = rounds.exercise_place(exercise=exercise, student=late, negotiation=bot.negotiation, role=bot.role_key)
    assert seat.pk == bot.pk and seat.kind == "student" and seat.student == late


def test_students_of_another_class_cannot_be_paired(exercise, other_instructor):
    other = services.classroom_create(owner=other_instructor, name="Other")
    (stranger,) = add_students(other, "Mallory")
    with pytest.raises(Refused, match="Not students of this class"):
        rounds.exercise_pair(exercise=exercise, student_ids=[stranger.pk])


def test_the_lobby_reports_who_is_connected(instructor_client, exercise, classroom):
    ada, _ben = add_students(classroom, "Ada", "Ben")
    services.student_seen(student=ada)
    response = instructor_client.get(f"/exercises/{exercise.pk}/presence.json")
    assert response.json() == {"connected": [ada.pk]}


def test_the_swap_and_placing_forms_speak_the_pages_language_and_name_the_roles(exercise, classroom, instructor):
    """The exercise page's swap list names each seat by its pair and the scenario's role, and the forms'
    labels, like the rest of the page, are in its language."""
    from django.test import Client

    from negotiations.forms import PlaceForm, PresentForm, SwapForm

    students = add_students(classroom, "Ana", "Bea", "Cruz")
    rounds.exercise_pair(exercise=exercise, student_ids=[s.pk for s in students], seed=1)  # a triad
    client = Client(headers={"accept-language": "es"})
    client.force_login(instructor)
    page = client.get(f"/exercises/{exercise.pk}/").content.decode()
    observer = Seat.objects.get(exercise=exercise, kind=Seat.Kind.OBSERVER)
    name = {"seller": "Seller (Dana Whitlock)", "buyer": "Buyer (Sami Okoro)"}[observer.role_key]
    assert f"Pareja 1: {observer.student.display_name} ({name}, observador)</option>" in page
    assert "Pair 1:" not in page and ">Swap:</label>" not in page and ">with:</label>" not in page
    with translation.override("de"):
        forms = [SwapForm(), PlaceForm(), PresentForm()]
        labels = [str(field.label) for form in forms for field in form.fields.values()]
    assert labels == ["Tauschen", "mit", "Studierende(r)", "Paar", "Rolle", "Anwesende Studierende"]


def test_the_swap_form_offers_a_student_of_another_pair_to_swap_with(exercise, classroom, instructor):
    """Both lists started on the same student ("Swap Ben with Ben"); the second starts on the first student
    of another pair."""
    from django.test import Client

    students = add_students(classroom, "Ana", "Bea", "Cruz", "Dov")
    rounds.exercise_pair(exercise=exercise, student_ids=[s.pk for s in students], seed=1)
    client = Client()
    client.force_login(instructor)
    page = client.get(f"/exercises/{exercise.pk}/").content.decode()
    first = re.search(r'<select name="seat_a"[^>]*>\s*<option value="(\d+)"', page).group(1)
    chosen = re.search(r'<select name="seat_b"[^>]*>.*?<option value="(\d+)" selected>', page, re.S)
    assert chosen, "the second list chooses nobody"
    a, b = Seat.objects.get(pk=first), Seat.objects.get(pk=chosen.group(1))
    assert a.negotiation_id != b.negotiation_id
