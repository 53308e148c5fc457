"""An instructor sets up a class and an exercise; five students join and each reads only their own role."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select

from scenarios.services import scenario_version_get, version_spec
from tests.browser import WebDriverWait, assert_accessible, emulate_phone, screenshot, text_shown

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NAMES = ["Ada", "Ben", "Chloe", "Dev", "Emi"]


def fill(driver, field_id: str, text: str) -> None:
    element = driver.find_element(By.ID, field_id)
    element.clear()
    element.send_keys(text)


def submit(driver, label: str) -> None:
    driver.find_element(By.XPATH, f"//button[normalize-space()='{label}']").click()


def test_a_class_is_set_up_paired_and_released_and_each_student_sees_only_their_role(
    live_server, browsers, builtin_scenarios, settings
):
    settings.INSTRUCTOR_EMAIL_DOMAINS = ["uni.example"]
    spec = version_spec(scenario_version_get("used-car"))
    marker = {r.key: re.search(r"[A-Za-z][A-Za-z ,]{40,}", r.sheet).group(0) for r in spec.roles}
    role_name = {r.key: r.name for r in spec.roles}
    url = live_server.url
    teacher, student = browsers(), browsers()
    wait_t, wait_s = WebDriverWait(teacher, 10), WebDriverWait(student, 10)

    # The instructor signs up, opens the link sent to their address, and creates a class.
    teacher.get(f"{url}/signup/")
    assert_accessible(teacher, "the sign-up page")
    fill(teacher, "id_email", "nia@uni.example")
    fill(teacher, "id_first_name", "Nia")
    fill(teacher, "id_password", "tangerine-harbour-7")
    fill(teacher, "id_password_again", "tangerine-harbour-7")
    submit(teacher, "Create account")
    wait_t.until(ec.title_contains("Confirm your address"))
    assert_accessible(teacher, "the page after sign-up")
    (message,) = mail.outbox
    teacher.get(next(word for word in message.body.split() if "/account/verify/" in word))
    assert_accessible(teacher, "the page that confirms an address")
    submit(teacher, "Confirm my address")
    wait_t.until(ec.title_contains("Dashboard"))
    assert_accessible(teacher, "the dashboard of a new instructor")
    teacher.find_element(By.LINK_TEXT, "New class").click()
    assert_accessible(teacher, "the new class form")
    fill(teacher, "id_name", "Negotiation 101")
    fill(teacher, "id_term", "Spring 2027")
    submit(teacher, "Create class")
    code = wait_t.until(ec.visibility_of_element_located((By.ID, "join-code"))).text
    class_url = teacher.current_url
    assert_accessible(teacher, "a new class's page")
    screenshot(teacher, "class-created")

    # Five students join with the code, each on their own device (a fresh session).
    links = {}
    for name in NAMES:
        student.delete_all_cookies()
        student.get(f"{url}/join")
        if name == NAMES[0]:
            assert_accessible(student, "the join page")
        fill(student, "id_code", code.lower())
        fill(student, "id_display_name", name)
        submit(student, "Join")
        links[name] = wait_s.until(ec.presence_of_element_located((By.ID, "personal-link"))).get_attribute("value")
        if name == NAMES[0]:
            assert_accessible(student, "the page with a new student's personal link")
        student.get(f"{url}/s/")  # the student's page tells the lobby they are here
        wait_s.until(ec.title_contains("My exercises"))
    assert_accessible(student, "a student's home, no exercise yet")
    screenshot(student, "student-waiting")

    # The instructor creates a used-car exercise, sees everyone in the lobby and previews the pairing.
    teacher.get(class_url)
    teacher.find_element(By.LINK_TEXT, "New exercise").click()
    assert_accessible(teacher, "the new exercise form")
    Select(teacher.find_element(By.ID, "id_scenario_version")).select_by_visible_text("The Used Car (version 1)")
    fill(teacher, "id_time_limit_minutes", "20")
    Select(teacher.find_element(By.ID, "id_odd_rule")).select_by_value("triad")
    submit(teacher, "Create exercise")
    wait_t.until(ec.visibility_of_element_located((By.ID, "lobby")))

    def everyone_here(driver):
        driver.refresh()
        return len(driver.find_elements(By.CSS_SELECTOR, ".presence .dot.on")) == len(NAMES)

    WebDriverWait(teacher, 15).until(everyone_here)
    for box in teacher.find_elements(By.CSS_SELECTOR, "#lobby input[type=checkbox]"):
        assert box.is_selected()
    assert_accessible(teacher, "the exercise's lobby, everyone present")
    screenshot(teacher, "exercise-lobby")
    submit(teacher, "Preview pairing")
    wait_t.until(ec.visibility_of_element_located((By.CSS_SELECTOR, ".pairs")))
    assert len(teacher.find_elements(By.CSS_SELECTOR, ".pair")) == 2
    assert len(teacher.find_elements(By.CSS_SELECTOR, ".seat-observer")) == 1
    assert_accessible(teacher, "the pairing preview")
    screenshot(teacher, "pairing-preview")
    submit(teacher, "Release roles")
    wait_t.until(text_shown((By.ID, "exercise-state"), "Roles released"))
    assert_accessible(teacher, "the exercise page, roles released")
    screenshot(teacher, "roles-released")

    # Each student signs in with their link and sees their own role's sheet, never the other's.
    seen_roles = []
    for name in NAMES:
        student.delete_all_cookies()
        student.get(links[name])
        if name == NAMES[0]:
            assert_accessible(student, "the personal link's page")
        submit(student, f"Continue as {name}")
        wait_s.until(ec.title_contains("My exercises"))
        if name == NAMES[0]:
            assert_accessible(student, "a student's home with an exercise")
        student.find_element(By.CSS_SELECTOR, ".card h2 a").click()
        my_role = wait_s.until(ec.visibility_of_element_located((By.ID, "my-role"))).text
        key = next(k for k, v in role_name.items() if v == my_role)
        other = next(k for k in role_name if k != key)
        page = student.find_element(By.TAG_NAME, "body").text
        assert marker[key] in page
        assert marker[other] not in page
        seen_roles.append(key)
        if name == "Ada":
            assert_accessible(student, "the role sheet and planning sheet, before the round")
            screenshot(student, "student-role-sheet")
    assert sorted(set(seen_roles)) == ["buyer", "seller"]

    emulate_phone(student)
    student.refresh()
    wait_s.until(ec.visibility_of_element_located((By.ID, "my-role")))
    assert student.execute_script("return document.documentElement.scrollWidth") <= 390
    assert_accessible(student, "the role sheet on a phone")
    screenshot(student, "student-role-sheet-phone", full=False)


def test_a_double_click_on_create_makes_one_exercise(live_server, browsers, classroom, builtin_scenarios):
    """With ten minutes left a hurried double click on "Create exercise" made two identical drafts; a form
    marked data-once (static/js/forms.js) is sent once."""
    from classrooms.models import Exercise
    from tests.browser import log_in

    teacher = browsers(1280, 900)
    log_in(teacher, live_server.url)
    teacher.get(f"{live_server.url}/classes/{classroom.pk}/exercises/new/")
    fill(teacher, "id_title", "Hurried")
    Select(teacher.find_element(By.ID, "id_scenario_version")).select_by_visible_text("The Used Car (version 1)")
    # Two sends in a row, as a double click makes them: the second is not sent (counted after forms.js).
    sent = teacher.execute_script(
        "const form = document.querySelector('form[data-once]'); let sent = 0;"
        "document.addEventListener('submit', (e) => { if (!e.defaultPrevented) sent += 1; });"
        "form.requestSubmit(); form.requestSubmit(); return sent;"
    )
    assert sent == 1
    WebDriverWait(teacher, 15).until(lambda d: re.search(r"/exercises/\d+/$", d.current_url))
    WebDriverWait(teacher, 10).until(text_shown((By.TAG_NAME, "h1"), "Hurried"))
    assert Exercise.objects.filter(classroom=classroom, title="Hurried").count() == 1


def test_a_send_that_the_pages_own_script_stopped_does_not_lock_the_form(live_server, browsers, classroom):
    from tests.browser import log_in

    teacher = browsers(1280, 900)
    log_in(teacher, live_server.url)
    teacher.get(f"{live_server.url}/classes/{classroom.pk}/exercises/new/")
    sent = teacher.execute_script(
        "const form = document.querySelector('form[data-once]'); let sent = 0; let stop = true;"
        "form.addEventListener('submit', (e) => { if (stop) { e.preventDefault(); stop = false; } });"
        "document.addEventListener('submit', (e) => { if (!e.defaultPrevented) sent += 1; });"
        "form.requestSubmit(); form.requestSubmit(); return sent;"
    )
    assert sent == 1  # the first stopped by the page, the second sent


def test_a_wrong_code_keeps_the_tab_drafts_and_a_join_that_works_takes_them(live_server, browsers, classroom):
    """A shared computer: Ada is signed in, her half-typed message in the tab. Someone types a wrong class
    code: nobody is signed out, and her draft stays. The right code signs her out, and the page after it
    drops the tab's drafts (static/js/forms.js)."""
    from classrooms.services import student_link_token
    from tests.base import add_students

    (ada,) = add_students(classroom, "Ada")
    driver = browsers()
    driver.get(f"{live_server.url}/s/{student_link_token(ada)}/")
    submit(driver, "Continue as Ada")
    WebDriverWait(driver, 10).until(ec.title_contains("My exercises"))
    kept = "return Object.keys(sessionStorage).filter((k) => k.startsWith('parley.'))"
    draft = "parley.chat-draft.1.1"
    driver.execute_script("sessionStorage.setItem(arguments[0], 'Half a sentence')", draft)
    driver.get(f"{live_server.url}/join")
    fill(driver, "id_code", "ZZZZZZ")
    fill(driver, "id_display_name", "Zoe")
    submit(driver, "Join")
    WebDriverWait(driver, 10).until(text_shown((By.TAG_NAME, "main"), "No class open to joining has this code"))
    assert driver.execute_script(kept) == [draft]
    fill(driver, "id_code", classroom.join_code)
    submit(driver, "Join")
    WebDriverWait(driver, 10).until(lambda d: d.current_url.endswith("/s/welcome/"))
    assert driver.execute_script(kept) == []
    assert driver.execute_script("return window.__errors || []") == []
