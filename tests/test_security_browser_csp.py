"""In Chromium with the Content-Security-Policy on (docs/operations.md, "Headers"): the main pages of an
instructor and of a student, live sockets, charts and the API docs included, work and break no rule of
the policy. The browser reports each violation to the page (`securitypolicyviolation`) and to its console;
the test fails on either. On the way, axe-core checks the pages no other browser test checks."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.test import Client
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from classrooms import services
from negotiations import rounds
from tests.base import agree, seats_by_role, start_round
from tests.browser import WebDriverWait, assert_accessible, text_shown

pytestmark = [pytest.mark.browser, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

RECORD = """window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`);
});"""
PACKAGE = {"price": "10000", "handover": "five-weeks", "warranty": "three-months", "tyres": "included"}


def signed_in(driver, base: str, client: Client) -> None:
    driver.get(f"{base}/healthz")
    driver.add_cookie({"name": "sessionid", "value": client.cookies["sessionid"].value, "path": "/"})


# Pages in a state no other browser test checks for accessibility (the others are checked where their
# journeys reach them; the third-party API docs and Django's admin are not ours to fix).
UNCHECKED = ("/", "/password-reset/", "/s/forged/", "/account/verify/forged/", "/account/tokens/")


def visit(driver, url: str, ready: tuple[str, str], violations: list[str], *, accessible: bool = False) -> None:
    """Open a page and note what it broke of the policy; check its accessibility too where asked."""
    driver.get(url)
    WebDriverWait(driver, 15).until(ec.presence_of_element_located(ready))
    if accessible or urlsplit(url).path in UNCHECKED:
        assert_accessible(driver, url)
    found = driver.execute_script("return window.__csp") or []
    found += [entry["message"] for entry in driver.get_log("browser") if "Content Security Policy" in entry["message"]]
    violations += [f"{url}: {v}" for v in found]


def test_the_main_pages_break_no_rule_of_the_content_security_policy(
    live_daphne, exercise, classroom, instructor, admin_user, browsers, eager_tasks
):
    (negotiation,) = start_round(exercise, classroom, 2)
    student = seats_by_role(negotiation)["buyer"].student
    teacher_client = Client()
    teacher_client.force_login(instructor)
    teacher, pupil = browsers(), browsers()
    violations: list[str] = []
    port = live_daphne
    base = f"http://127.0.0.1:{port}"
    for driver in (teacher, pupil):
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD})
        driver.get_log("browser")  # what earlier tests left in the console
    main = (By.TAG_NAME, "main")
    for path in ["/", "/join", "/login/", "/signup/", "/password-reset/", "/s/forged/", "/account/verify/forged/"]:
        visit(pupil, base + path, main, violations)
    visit(teacher, f"{base}/api/docs", (By.CSS_SELECTOR, ".swagger-ui .info"), violations)
    visit(teacher, f"{base}/admin/login/", (By.ID, "id_username"), violations)

    signed_in(teacher, base, teacher_client)
    live = (By.CSS_SELECTOR, ".connection-online")
    for path, ready in [
        ("/dashboard/", main),
        ("/scenarios/", main),
        ("/scenarios/used-car/", main),
        ("/classes/new/", (By.ID, "id_name")),
        (f"/classes/{classroom.pk}/", (By.ID, "join-code")),
        (f"/classes/{classroom.pk}/exercises/new/", (By.ID, "id_scenario_version")),
        (f"/exercises/{exercise.pk}/", main),
        (f"/exercises/{exercise.pk}/monitor/", live),
        (f"/exercises/{exercise.pk}/pairs/1/", main),
        ("/account/tokens/", main),
    ]:
        visit(teacher, base + path, ready, violations)

    visit(pupil, f"{base}/s/{services.student_link_token(student)}/", main, violations)
    pupil.find_element(By.XPATH, "//button[starts-with(normalize-space(), 'Continue as')]").click()
    WebDriverWait(pupil, 10).until(ec.title_contains("My exercises"))
    visit(pupil, f"{base}/s/", main, violations)
    visit(pupil, f"{base}/s/welcome/", main, violations)
    pupil.get(f"{base}/s/exercises/{exercise.pk}/")
    WebDriverWait(pupil, 15).until(text_shown((By.ID, "room-connection"), "Connected"))
    visit(pupil, pupil.current_url, (By.ID, "room-connection"), violations)

    agree(negotiation, PACKAGE)
    rounds.exercise_end(exercise=exercise)
    chart = (By.CSS_SELECTOR, ".chart svg")
    visit(teacher, f"{base}/exercises/{exercise.pk}/debrief/", chart, violations)  # checked by the debrief test
    visit(teacher, f"{base}/exercises/{exercise.pk}/debrief/?projector=1", chart, violations)
    visit(
        teacher,
        f"{base}/exercises/{exercise.pk}/debrief/present/",
        (By.CSS_SELECTOR, "#deck[data-current]"),
        violations,
    )
    # A student's survey, then (skipped: the results come after it) their debrief, at a desktop's width
    visit(pupil, f"{base}/s/exercises/{exercise.pk}/survey/", (By.TAG_NAME, "form"), violations, accessible=True)
    pupil.find_element(By.CSS_SELECTOR, "#survey-skip button[name=skip]").click()
    # The skip is a form's post: wait for its answer, the results, before reading the page again (a page read
    # while the post is under way could be the survey again).
    WebDriverWait(pupil, 15).until(ec.presence_of_element_located((By.ID, "my-debrief")))
    visit(pupil, f"{base}/s/exercises/{exercise.pk}/", (By.CSS_SELECTOR, "#my-chart svg"), violations, accessible=True)

    admin_client = Client()
    admin_client.force_login(admin_user)
    signed_in(teacher, base, admin_client)
    for path in ["/admin/", "/admin/classrooms/user/", f"/admin/classrooms/user/{instructor.pk}/change/"]:
        visit(teacher, base + path, (By.ID, "content"), violations)
    assert violations == []
