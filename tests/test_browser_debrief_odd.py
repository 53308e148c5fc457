"""The debrief pages in a real browser on odd classes: names that look like HTML, a class of impasses only,
a scenario whose numeric issue is not a price; on a desktop and on a phone."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from classrooms import services
from negotiations import rounds
from tests.base import add_students, seats_by_role
from tests.browser import WebDriverWait, assert_accessible, emulate_phone, log_in, screenshot, skip_survey
from tests.test_browser_debrief import element_shot
from tests.test_debrief_odd_cases import agree, begin, nash_package, new_exercise

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("eager_tasks", "builtin_scenarios"),
]

CATCH = """
window.__errors = [];
window.addEventListener("error", (e) => window.__errors.push(String(e.message)));
window.addEventListener("unhandledrejection", (e) => window.__errors.push(String(e.reason)));
"""
TRAP = '<img src=x onerror="window.__xss=1">'
BOLD = "<b>Bold</b> & Co"


def open_debrief(driver, base: str, exercise, query: str = "") -> None:
    driver.get(f"{base}/exercises/{exercise.pk}/debrief/{query}")
    WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "debrief").get_attribute("data-ready") == "1")


def no_trouble(driver) -> None:
    assert driver.execute_script("return window.__errors") == []
    assert driver.execute_script("return window.__xss") is None


def test_names_that_look_like_html_are_text_in_every_chart_and_table(live_server, browser, classroom, instructor):
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CATCH})
    exercise = new_exercise(classroom, instructor)
    students = add_students(classroom, TRAP, BOLD, "Plain Name", "Other Name")
    rounds.exercise_pair(exercise=exercise, student_ids=[s.pk for s in students], seed=1)
    rounds.exercise_release(exercise=exercise)
    rounds.exercise_start(exercise=exercise)
    first, _ = exercise.negotiations.order_by("number")
    agree(first, nash_package(exercise))
    rounds.exercise_end(exercise=exercise)

    log_in(browser, live_server.url)
    open_debrief(browser, live_server.url, exercise)
    no_trouble(browser)
    table = browser.find_element(By.ID, "pairs-body").text
    assert TRAP in table and BOLD in table
    assert not browser.find_elements(By.CSS_SELECTOR, "#pairs-body img, #pairs-body b, svg img, svg b")
    titles = browser.execute_script(
        "return [...document.querySelectorAll('svg[data-chart=chart-outcomes] .point title')].map(t => t.textContent)"
    )
    assert any(TRAP in t for t in titles) and any(BOLD in t for t in titles)
    assert_accessible(browser, "the debrief with names that look like HTML")
    screenshot(browser, "debrief-odd-html-names")
    element_shot(browser, "debrief-odd-html-names-outcomes", "#panel-outcomes")
    element_shot(browser, "debrief-odd-html-names-pairs", "#pairs-table")

    open_debrief(browser, live_server.url, exercise, "?projector=1")
    no_trouble(browser)
    assert TRAP not in browser.page_source and "Bold" not in browser.page_source

    # The student with the odd name reads their debrief on a phone.
    seat = next(s for s in seats_by_role(first).values() if s.student.display_name in (TRAP, BOLD))
    emulate_phone(browser)
    browser.delete_all_cookies()
    browser.get(f"{live_server.url}/s/{services.student_link_token(seat.student)}/")
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    WebDriverWait(browser, 10).until(lambda d: "My exercises" in d.title)  # signed in: the student's home
    skip_survey(browser, live_server.url, exercise.pk)
    WebDriverWait(browser, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, "svg[data-chart=chart-mine]"))
    no_trouble(browser)
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 391
    assert_accessible(browser, "the debrief of a student with a name like HTML, on a phone")
    screenshot(browser, "debrief-odd-student-phone")
    element_shot(browser, "debrief-odd-student-phone-result", "#my-debrief")


@pytest.mark.parametrize("slug", ["used-car", "orange-dispute"])
def test_a_class_of_impasses_only_draws_without_errors_on_a_phone(live_server, browser, classroom, instructor, slug):
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CATCH})
    exercise = new_exercise(classroom, instructor, slug=slug)
    begin(exercise, classroom, 4)
    rounds.exercise_end(exercise=exercise)

    log_in(browser, live_server.url)
    emulate_phone(browser)
    open_debrief(browser, live_server.url, exercise)
    no_trouble(browser)
    assert len(browser.find_elements(By.CSS_SELECTOR, "#pairs-body tr")) == 2
    assert_accessible(browser, f"the debrief of a class of impasses only ({slug}) on a phone")
    screenshot(browser, f"debrief-odd-impasses-{slug}-phone")
    for panel in ("panel-outcomes", "panel-price", "panel-heatmap", "pairs-table"):
        element_shot(browser, f"debrief-odd-impasses-{slug}-{panel}", f"#{panel}")
    assert browser.find_elements(By.CSS_SELECTOR, "svg[data-chart=chart-outcomes]")
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 391
    assert browser.find_element(By.ID, "panel-anchoring").get_attribute("hidden") is not None
