"""The accessibility check every browser test runs (tests/browser.py, `assert_accessible`): axe-core,
injected past the page's Content-Security-Policy, fails on a violation and names it."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.test import Client
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from tests.browser import WebDriverWait, assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PLANT = """const main = document.querySelector("main");
main.insertAdjacentHTML("beforeend", '<img id="planted" src="/static/nothing.png">');
main.insertAdjacentHTML("beforeend", '<a id="pressed" href="#x" aria-pressed="true">Toggle</a>');"""


def test_it_runs_on_a_page_whose_policy_forbids_inline_script_and_passes_a_clean_page(live_server, browser):
    browser.get(f"{live_server.url}/login/")
    inline = "const s = document.createElement('script'); s.textContent = 'window.inline = 1'; document.body.append(s)"
    browser.execute_script(inline)
    assert browser.execute_script("return window.inline") is None  # the policy is on: no inline script runs
    assert_accessible(browser, "the log-in page")


def test_it_fails_on_a_planted_violation_and_names_the_rule_the_impact_and_the_element(live_server, browser):
    browser.get(f"{live_server.url}/login/")
    browser.execute_script(PLANT)
    with pytest.raises(AssertionError) as failure:
        assert_accessible(browser, "the log-in page with a planted image")
    message = str(failure.value)
    assert "on the log-in page with a planted image" in message
    assert "- image-alt (critical)" in message
    assert "#planted:" in message
    assert "- aria-allowed-attr (critical)" in message
    assert "#pressed:" in message


def test_an_expected_violation_passes_only_while_it_still_fails(live_server, browser):
    browser.get(f"{live_server.url}/login/")
    browser.execute_script(PLANT)
    with pytest.raises(AssertionError, match="aria-allowed-attr"):
        assert_accessible(browser, "the log-in page", expected=["image-alt"])
    assert_accessible(browser, "the log-in page", expected=["image-alt", "aria-allowed-attr"])
    browser.get(f"{live_server.url}/login/")
    with pytest.raises(AssertionError, match="image-alt expected to fail on the log-in page but passed"):
        assert_accessible(browser, "the log-in page", expected=["image-alt"])


def test_pages_no_other_browser_test_reaches_pass_error_pages_refused_forms_and_a_new_token(
    live_server, browser, instructor
):
    """The states the journeys of the other browser tests do not meet, each checked once (DEBUG is off under
    the tests' server, so a missing page is the site's own 404)."""
    browser.get(f"{live_server.url}/s/exercises/1/")
    assert "This page is not here" in browser.find_element(By.TAG_NAME, "h1").text
    assert_accessible(browser, "the page-not-found page")
    page = render_to_string("500.html")  # a page of the site's, with the server error page's markup
    browser.execute_script("document.documentElement.innerHTML = arguments[0]", page.split('<html lang="en">', 1)[1])
    assert_accessible(browser, "the server error page")

    browser.get(f"{live_server.url}/join")
    browser.find_element(By.ID, "id_code").send_keys("NOPE")
    browser.find_element(By.ID, "id_display_name").send_keys("Ada")
    browser.find_element(By.CSS_SELECTOR, "main button[type=submit]").click()
    WebDriverWait(browser, 10).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".error-box, .errorlist")))
    assert_accessible(browser, "the join page refusing a wrong code")

    browser.get(f"{live_server.url}/login/")
    browser.find_element(By.ID, "id_username").send_keys(instructor.email)
    browser.find_element(By.ID, "id_password").send_keys("not-the-password")
    browser.find_element(By.CSS_SELECTOR, "main button[type=submit]").click()
    WebDriverWait(browser, 10).until(ec.presence_of_element_located((By.CSS_SELECTOR, "[role=alert]")))
    assert_accessible(browser, "the log-in page refusing a wrong password")

    client = Client()
    client.force_login(instructor)
    browser.add_cookie({"name": "sessionid", "value": client.cookies["sessionid"].value, "path": "/"})
    browser.get(f"{live_server.url}/account/tokens/")
    browser.find_element(By.ID, "id_name").send_keys("grading script")
    browser.find_element(By.CSS_SELECTOR, "main button[type=submit]").click()
    WebDriverWait(browser, 10).until(ec.presence_of_element_located((By.ID, "new-token")))
    assert_accessible(browser, "the API tokens page showing a new token")
