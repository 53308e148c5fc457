"""An instructor reads the built-in scenarios in a real browser."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from classrooms.management.commands.demo_setup import DEMO_EMAIL, DEMO_PASSWORD
from scenarios.services import BUILTIN_DIR
from tests.browser import WebDriverWait, assert_accessible, emulate_phone, screenshot

SLUGS = sorted(p.stem for p in BUILTIN_DIR.glob("*.yaml"))

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_demo_instructor_reads_every_scenario(live_server, browser):
    call_command("demo_setup", stdout=open("/dev/null", "w"))  # noqa: SIM115
    wait = WebDriverWait(browser, 10)
    browser.get(f"{live_server.url}/scenarios/")
    wait.until(ec.visibility_of_element_located((By.ID, "id_username")))
    assert_accessible(browser, "the log-in page")
    browser.find_element(By.ID, "id_username").send_keys(DEMO_EMAIL)
    browser.find_element(By.ID, "id_password").send_keys(DEMO_PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "main button[type=submit]").click()

    wait.until(ec.title_contains("Scenarios"))
    titles = [el.text for el in browser.find_elements(By.CSS_SELECTOR, ".card h2")]
    assert len(titles) == len(SLUGS)
    assert_accessible(browser, "the scenario list")
    screenshot(browser, "scenario-list")

    for slug in SLUGS:
        browser.get(f"{live_server.url}/scenarios/{slug}/")
        situation = wait.until(ec.visibility_of_element_located((By.ID, "situation")))
        assert len(situation.text) > 200
        sheets = browser.find_elements(By.CSS_SELECTOR, "section[id^=role-]")
        assert len(sheets) == 2 and all(len(s.text) > 500 for s in sheets)
        assert len(browser.find_element(By.ID, "notes").text) > 200
        assert browser.find_elements(By.CSS_SELECTOR, "#scoring table")
        assert_accessible(browser, f"the scenario {slug}")
        screenshot(browser, f"scenario-{slug}")

    emulate_phone(browser)
    browser.get(f"{live_server.url}/scenarios/used-car/")
    wait.until(ec.visibility_of_element_located((By.ID, "situation")))
    # Nothing wider than the screen: the page does not scroll sideways.
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 390
    assert_accessible(browser, "a scenario on a phone")
    screenshot(browser, "scenario-used-car-phone", full=False)
