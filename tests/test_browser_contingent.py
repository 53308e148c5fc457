"""A contingent scenario's debrief in a real browser at a projector's 1280x720: the instructor draws the
event and sees each pair's expected and then realised points; a student reads theirs on a phone."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from classrooms import resolutions, services
from classrooms.models import EventResolution
from tests.base import seats_by_role
from tests.browser import WebDriverWait, assert_accessible, emulate_phone, log_in, screenshot, skip_survey, texts
from tests.test_browser_debrief import element_shot
from tests.test_contingent_debrief import ended_sale

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_tasks")]


def cells(driver, number: int) -> list[str]:
    return texts(driver, f"#contingent-pair-{number} td")


def test_the_instructor_draws_the_event_and_sees_expected_and_realised_points(
    live_server, browsers, classroom, instructor
):
    exercise, _ = ended_sale(classroom, instructor)
    driver = browsers(1280, 720)
    log_in(driver, live_server.url)
    driver.get(f"{live_server.url}/exercises/{exercise.pk}/debrief/")
    WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "debrief").get_attribute("data-ready") == "1")
    assert driver.find_element(By.ID, "outcome-revenue").text == "Not resolved yet."
    # Pair 1 took the earn-out: seller 20 + 24, buyer 20 - 1.6, 22.4 above the 40 of any package without it.
    assert cells(driver, 1) == ["yes", "44", "18.4", "62.4", "+22.4", "-", "-", "-"]
    assert cells(driver, 2) == ["no", "30", "10", "40", "0", "-", "-", "-"]
    assert cells(driver, 3) == ["impasse", "20", "10", "30", "-10", "-", "-", "-"]
    assert "without a contingent term" in driver.find_element(By.ID, "contingent-gain").text

    driver.execute_script("document.getElementById('draw-revenue').click()")
    WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "outcome-revenue").text.startswith("Drawn"))
    outcome = EventResolution.objects.get(exercise=exercise).outcome
    label = {"beats": "Beats 2M", "misses": "Misses"}[outcome]
    assert driver.find_element(By.ID, "outcome-revenue").text == f"Drawn: {label} (a draw is final)"
    realised = ["50", "10", "60"] if outcome == "beats" else ["20", "26", "46"]
    assert cells(driver, 1) == ["yes", "44", "18.4", "62.4", "+22.4", *realised]
    assert cells(driver, 2)[-3:] == ["30", "10", "40"] and cells(driver, 3)[-3:] == ["20", "10", "30"]
    assert not driver.find_elements(By.ID, "draw-revenue")  # final: no second draw
    assert_accessible(driver, "the debrief of a contingent scenario after the draw")
    driver.execute_script("document.getElementById('panel-contingent').scrollIntoView()")
    screenshot(driver, "debrief-contingent-1280x720", full=False)
    element_shot(driver, "debrief-contingent-panel", "#panel-contingent")
    emulate_phone(driver)
    driver.refresh()
    WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "debrief").get_attribute("data-ready") == "1")
    assert driver.execute_script("return document.documentElement.scrollWidth") <= 391
    element_shot(driver, "debrief-contingent-panel-390", "#panel-contingent")


def test_a_student_reads_what_their_earn_out_realised_on_a_phone(live_server, browsers, classroom, instructor):
    exercise, pairs = ended_sale(classroom, instructor)
    resolutions.event_set(exercise=exercise, event="revenue", outcome="misses", user=instructor)
    driver = browsers(1280, 720)
    emulate_phone(driver)
    student = seats_by_role(pairs[0])["buyer"].student
    driver.get(f"{live_server.url}/s/{services.student_link_token(student)}/")
    driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    WebDriverWait(driver, 10).until(lambda d: "My exercises" in d.title)
    skip_survey(driver, live_server.url, exercise.pk)
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.ID, "my-contingent"))
    text = driver.find_element(By.ID, "my-contingent").text
    assert "(Misses)" in text and "you realised 26 points and Seller 20." in text
    assert driver.execute_script("return document.documentElement.scrollWidth") <= 390
    assert_accessible(driver, "a student's debrief with a contingent term")
    element_shot(driver, "debrief-contingent-student-390", "#my-debrief")
