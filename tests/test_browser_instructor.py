"""The instructor with a class in front of them, in a real browser over Daphne: who is ready on the
exercise page and on the monitor, a confirmation before the exercise ends, used from the keyboard and
without JavaScript, the monitor once the round is over; then a draft's odd-student rule changed, the
draft deleted, and a student who joined twice merged, each saying what it does first."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from classrooms.services import exercise_create
from negotiations import rounds
from negotiations.models import Seat
from negotiations.planning import planning_sheet_save
from tests.base import add_students, agree, student_client
from tests.browser import WebDriverWait, assert_accessible, emulate_phone, screenshot
from tests.test_browser_negotiation import button, log_in, server, text_of, wait_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["server"]  # the Daphne fixture, shared
DEAL = {"price": 9500, "handover": "three-weeks", "warranty": "none", "tyres": "included"}


@pytest.fixture
def teacher(browsers, instructor):
    hasher = PBKDF2PasswordHasher()  # the server process knows only the default hashers
    instructor.password = hasher.encode("a-long-password", hasher.salt(), iterations=1000)
    instructor.save(update_fields=["password"])
    return browsers()


def focused_id(driver) -> str:
    return driver.switch_to.active_element.get_attribute("id") or driver.switch_to.active_element.text


# Sheets are opened and the pair agrees in the test process: Daphne, another process, hears of it through Redis.
@pytest.mark.redis
def test_the_instructor_sees_who_is_ready_and_ends_after_a_confirmation_from_the_keyboard(
    server, teacher, exercise, classroom, instructor
):
    students = add_students(classroom, *[f"Student {i}" for i in range(6)])
    rounds.exercise_pair(exercise=exercise, student_ids=[s.pk for s in students], seed=1)
    rounds.exercise_release(exercise=exercise)
    seats = list(Seat.objects.filter(exercise=exercise).select_related("student").order_by("pk"))
    student_client(seats[0].student).get(f"/s/exercises/{exercise.pk}/")  # reads the role sheet
    planning_sheet_save(exercise=exercise, student=seats[1].student, notes="Ask about the tyres")
    log_in(teacher, server)

    # The exercise page says who has read their sheet and planned, and follows by itself.
    teacher.get(f"{server}/exercises/{exercise.pk}/")
    assert "Of 6 negotiators, 1 opened their role sheet and 1 saved a planning sheet." in text_of(teacher, "#readiness")
    assert "sheet opened" in text_of(teacher, f'.readiness[data-seat="{seats[0].pk}"]')
    assert "plan saved" in text_of(teacher, f'.readiness[data-seat="{seats[1].pk}"]')
    student_client(seats[2].student).get(f"/s/exercises/{exercise.pk}/")
    wait_text(teacher, '#readiness [data-count="sheet"]', "2")
    assert "sheet opened" in text_of(teacher, f'.readiness[data-seat="{seats[2].pk}"]')
    assert_accessible(teacher, "the exercise page with the roles out")
    screenshot(teacher, "exercise-readiness")
    emulate_phone(teacher)
    screenshot(teacher, "exercise-readiness-phone")
    teacher.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

    # The monitor shows the same per seat, and a sheet opened now appears at once.
    teacher.get(f"{server}/exercises/{exercise.pk}/monitor/")
    wait_text(teacher, "#monitor-connection", "Live")
    cell = f'[data-seat="{seats[3].pk}"]'
    assert "sheet not opened" in text_of(teacher, cell)
    student_client(seats[3].student).get(f"/s/exercises/{exercise.pk}/")
    WebDriverWait(teacher, 10).until(lambda d: "sheet opened" in text_of(d, cell) and "not" not in text_of(d, cell))
    assert_accessible(teacher, "the monitor before the start")

    # The round runs; pair 1 agrees.
    rounds.exercise_start(exercise=exercise)
    agree(exercise.negotiations.get(number=1), DEAL)
    wait_text(teacher, "#pair-row-1", "joint gain 99")

    # On the exercise page the end asks first: focus on Cancel, Escape closes it and focus comes back.
    teacher.get(f"{server}/exercises/{exercise.pk}/")
    dialog = teacher.find_element(By.ID, "end-dialog")
    opener = teacher.find_element(By.ID, "end-open")
    opener.click()
    assert dialog.is_displayed() and focused_id(teacher) == "Cancel"
    assert "Ends 2 open pairs as impasse, without agreement." in dialog.text
    assert "1 pair that agreed keeps its agreement." in dialog.text
    assert_accessible(teacher, "the end confirmation")
    screenshot(teacher, "exercise-end-dialog", full=False)
    emulate_phone(teacher)
    screenshot(teacher, "exercise-end-dialog-phone", full=False)
    teacher.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    teacher.switch_to.active_element.send_keys(Keys.ESCAPE)
    WebDriverWait(teacher, 5).until(lambda d: not dialog.is_displayed())
    assert focused_id(teacher) == "end-open"
    exercise.refresh_from_db()
    assert exercise.state == "live"

    # Without JavaScript the opener is a link to a page that asks the same; opening it ends nothing.
    teacher.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    teacher.get(f"{server}/exercises/{exercise.pk}/")
    teacher.find_element(By.ID, "end-open").click()
    wait_text(teacher, "#confirm-effects", "Ends 2 open pairs as impasse, without agreement.")
    teacher.find_element(By.LINK_TEXT, "Cancel").click()
    WebDriverWait(teacher, 5).until(lambda d: d.find_elements(By.ID, "exercise-state"))
    exercise.refresh_from_db()
    assert exercise.state == "live"
    teacher.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})
    teacher.get(f"{server}/exercises/{exercise.pk}/end/")
    assert_accessible(teacher, "the end confirmation page, for a browser without JavaScript")
    teacher.get(f"{server}/exercises/{exercise.pk}/")
    dialog = teacher.find_element(By.ID, "end-dialog")
    opener = teacher.find_element(By.ID, "end-open")

    # Cancel does the same; the confirm button ends the exercise.
    opener.send_keys(Keys.ENTER)
    WebDriverWait(teacher, 5).until(lambda d: dialog.is_displayed())
    teacher.switch_to.active_element.send_keys(Keys.ENTER)  # Cancel has the focus
    WebDriverWait(teacher, 5).until(lambda d: not dialog.is_displayed())
    opener.click()
    button(teacher, "End the exercise").click()
    wait_text(teacher, "#exercise-state", "Ended")

    # The monitor shows each ended pair's points, and no control that would be refused.
    teacher.get(f"{server}/exercises/{exercise.pk}/monitor/")
    wait_text(teacher, "#pair-row-3", "joint gain 78 (BATNAs)")
    assert "joint gain 99" in text_of(teacher, "#pair-row-1")
    assert not button(teacher, "Send to everyone").is_enabled()
    assert not button(teacher, "Extend everyone").is_enabled()
    assert "no pair has time left" in text_of(teacher, "#extend-closed")
    assert teacher.find_element(By.ID, "end-debrief").is_displayed()  # an ended round's monitor leads on
    assert_accessible(teacher, "the monitor after the end")
    screenshot(teacher, "monitor-ended")
    emulate_phone(teacher)
    screenshot(teacher, "monitor-ended-phone")

    teacher.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

    # A draft of the same class: its odd-student rule changes, then it is deleted, what it does said first.
    spare = exercise_create(
        classroom=classroom, title="Spare", scenario_version=exercise.scenario_version, time_limit_minutes=20,
        created_by=instructor,
    )  # fmt: skip
    rounds.exercise_pair(exercise=spare, student_ids=[s.pk for s in students[:3]], seed=1)
    teacher.get(f"{server}/exercises/{spare.pk}/")
    Select(teacher.find_element(By.ID, "odd-rule")).select_by_value("bot")
    button(teacher, "Change the rule").click()
    wait_text(teacher, ".messages", "The pairing preview was made again under the new rule.")
    assert_accessible(teacher, "a draft whose odd-student rule has just changed")
    teacher.find_element(By.ID, "delete-open").click()
    dialog = teacher.find_element(By.ID, "delete-dialog")
    assert dialog.is_displayed() and "Deletes this draft and its pairing preview: 2 pairs, 3 students seated." in (
        dialog.text
    )
    assert_accessible(teacher, "the confirmation before a draft is deleted")
    button(teacher, "Delete the draft").click()
    wait_text(teacher, ".messages", "The draft “Spare” was deleted.")

    # A student who joined twice is merged into the record kept, what the merge does said first.
    (twice,) = add_students(classroom, "Student 0 again")
    teacher.get(f"{server}/classes/{classroom.pk}/students/merge/?keep={students[0].pk}&merge={twice.pk}")
    assert "has no seat, planning sheet or survey answer to move" in text_of(teacher, "#merge-effects")
    assert_accessible(teacher, "the merge page, what it does said first")
    teacher.find_element(By.ID, "merge-open").click()
    assert teacher.find_element(By.ID, "merge-dialog").is_displayed()
    button(teacher, "Merge").click()
    wait_text(teacher, ".messages", "Student 0 again was merged into Student 0.")
