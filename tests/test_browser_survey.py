"""A student answers the post-negotiation survey on a phone, in a real browser."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from classrooms import services
from negotiations import rounds
from surveys.models import SurveyResponse
from tests.base import seats_by_role, start_round
from tests.browser import WebDriverWait, assert_accessible, emulate_phone, screenshot, text_shown

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def tap(driver, number: int, value: int) -> None:
    """Tap the number: the radio button covers its whole box."""
    driver.find_element(By.CSS_SELECTOR, f"#q{number} input[value='{value}']").click()


def test_a_student_answers_the_survey_on_a_phone(live_server, browser, exercise, classroom):
    (negotiation,) = start_round(exercise, classroom, 2)
    rounds.exercise_end(exercise=exercise)
    student = seats_by_role(negotiation)["buyer"].student
    wait = WebDriverWait(browser, 10)
    emulate_phone(browser)
    browser.get(f"{live_server.url}/s/{services.student_link_token(student)}/")
    browser.find_element(By.XPATH, f"//button[normalize-space()='Continue as {student.display_name}']").click()
    wait.until(ec.title_contains("My exercises"))

    browser.get(f"{live_server.url}/s/exercises/{exercise.pk}/survey/")
    wait.until(ec.visibility_of_element_located((By.ID, "survey-credit")))
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 390
    target = browser.find_element(By.CSS_SELECTOR, "#q1 .svi-option span").size
    assert target["height"] >= 44 and target["width"] >= 40  # a finger's width
    assert_accessible(browser, "the survey on a phone")
    screenshot(browser, "survey-phone")
    screenshot(browser, "survey-phone-top", full=False)

    for number in range(1, 17):
        if number not in (6, 11):
            tap(browser, number, (number % 7) + 1)
    browser.find_element(By.CSS_SELECTOR, "button.svi-submit").click()
    error = wait.until(ec.visibility_of_element_located((By.ID, "q6-error")))
    assert "Question 6 has no answer" in error.text
    assert browser.find_element(By.ID, "q11-error").is_displayed()
    assert len(browser.find_elements(By.CSS_SELECTOR, "input[type=radio]:checked")) == 14  # nothing lost
    assert not SurveyResponse.objects.exists()
    assert "2 questions marked below need an answer" in browser.find_element(By.ID, "survey-errors").text
    assert_accessible(browser, "the survey with unanswered questions marked")
    screenshot(browser, "survey-phone-error-summary", full=False)
    browser.execute_script("document.getElementById('q6').scrollIntoView()")
    screenshot(browser, "survey-phone-error", full=False)

    tap(browser, 6, 5)
    tap(browser, 11, 2)
    browser.find_element(By.CSS_SELECTOR, "button.svi-submit").click()
    wait.until(text_shown((By.CSS_SELECTOR, ".messages"), "your answers are saved"))
    assert_accessible(browser, "the page after the survey is saved")
    saved = SurveyResponse.objects.get().answer_map()
    assert saved[6] == 5 and saved[11] == 2 and saved[1] == 2
