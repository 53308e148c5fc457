"""The instructor with a class in front of them, in a real browser over Daphne: who is ready in the
lobby and on the monitor, and a confirmation before the exercise ends, used from the keyboard."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from negotiations import rounds
from tests.base import add_students, agree
from tests.browser import emulate_phone, screenshot
from tests.test_browser_negotiation import button, log_in, server, wait_text

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


def test_the_end_asks_first_says_what_it_ends_and_works_from_the_keyboard(server, teacher, exercise, classroom):
    students = add_students(classroom, *[f"Student {i}" for i in range(6)])
    rounds.exercise_pair(exercise=exercise, student_ids=[s.pk for s in students], seed=1)
    rounds.exercise_release(exercise=exercise)
    rounds.exercise_start(exercise=exercise)
    agree(exercise.negotiations.get(number=1), DEAL)
    log_in(teacher, server)
    teacher.get(f"{server}/exercises/{exercise.pk}/")
    dialog = teacher.find_element(By.ID, "end-dialog")

    # Opened, focus is on Cancel; Escape closes it, nothing ends, focus is back on the opener.
    opener = teacher.find_element(By.ID, "end-open")
    opener.click()
    assert dialog.is_displayed() and focused_id(teacher) == "Cancel"
    assert "Ends 2 open pairs as impasse, without agreement." in dialog.text
    assert "1 pair that agreed keeps its agreement." in dialog.text
    screenshot(teacher, "exercise-end-dialog")
    emulate_phone(teacher)
    screenshot(teacher, "exercise-end-dialog-phone", full=False)
    teacher.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    teacher.switch_to.active_element.send_keys(Keys.ESCAPE)
    WebDriverWait(teacher, 5).until(lambda d: not dialog.is_displayed())
    assert focused_id(teacher) == "end-open"
    exercise.refresh_from_db()
    assert exercise.state == "live"

    # Cancel does the same; the confirm button ends the exercise.
    opener.send_keys(Keys.ENTER)
    WebDriverWait(teacher, 5).until(lambda d: dialog.is_displayed())
    teacher.switch_to.active_element.send_keys(Keys.ENTER)  # Cancel has the focus
    WebDriverWait(teacher, 5).until(lambda d: not dialog.is_displayed())
    opener.click()
    button(teacher, "End the exercise").click()
    wait_text(teacher, "#exercise-state", "Ended")
    exercise.refresh_from_db()
    assert exercise.state == "ended"
