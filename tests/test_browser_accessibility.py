"""The accessibility check every browser test runs (tests/browser.py, `assert_accessible`): axe-core,
injected past the page's Content-Security-Policy, fails on a violation and names it."""

from __future__ import annotations

import pytest

from tests.browser import assert_accessible

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
