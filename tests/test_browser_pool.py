"""The suite's browsers are shared between tests (tests/browser.py): each test gets one back clean."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from selenium.webdriver.common.by import By

from tests.browser import emulate_phone, gone, shown_text, text_shown, texts

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_browser_given_back_is_handed_out_again_without_what_the_test_left_in_it(live_server, browser_pool):
    """The session's own pool: a browser of its own would cost the run a Chromium started and stopped."""
    pool = browser_pool
    driver = pool.take(1280, 900)
    held = [driver]  # what the test holds, given back however it ends
    try:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": "window.__left = 1;"})
        driver.get(f"{live_server.url}/login/")
        driver.add_cookie({"name": "left", "value": "behind"})
        driver.execute_script("localStorage.setItem('left', 'behind'); sessionStorage.setItem('left', 'behind')")
        emulate_phone(driver)
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        driver.switch_to.new_window("tab")
        pool.give_back(held.pop())

        held.append(again := pool.take(800, 700))
        assert again is driver  # the same browser, not a new one
        assert len(again.window_handles) == 1
        assert again.current_url == "about:blank"
        again.get(f"{live_server.url}/login/")
        assert again.get_cookie("left") is None
        stored = again.execute_script("return [localStorage.getItem('left'), sessionStorage.getItem('left')]")
        assert stored == [None, None]
        assert again.execute_script("return window.__left") is None
        assert again.execute_script("return window.innerWidth") == 800
        assert again.execute_script("return matchMedia('screen').matches")  # not left printing
    finally:
        for browser in held:
            pool.give_back(browser)


def test_the_text_a_wait_reads_in_one_script_is_the_text_selenium_reads(browser):
    page = (
        "<main id='main'><p id='spaced'>  10\u00a0100   EUR <span style='display:none'>hidden</span>"
        "<br> next\tline </p><p id='gone' style='display:none'>gone</p>"
        "<ul class='list'><li>one</li><li> two  words</li></ul></main><p id='clear' style='opacity:0'>clear</p>"
    )
    browser.get("data:text/html;charset=utf-8," + quote(page))
    for locator in [(By.ID, "spaced"), (By.CSS_SELECTOR, ".list li:nth-child(2)"), (By.TAG_NAME, "main")]:
        assert shown_text(browser, locator) == browser.find_element(*locator).text, locator
    for hidden in [(By.ID, "gone"), (By.ID, "clear")]:
        assert browser.find_element(*hidden).text == "" and shown_text(browser, hidden) is None
    assert shown_text(browser, (By.ID, "missing")) is None
    assert texts(browser, ".list li") == ["one", "two words"]
    assert text_shown((By.ID, "spaced"), "10 100 EUR")(browser)
    assert not text_shown((By.ID, "spaced"), "hidden")(browser)


def test_an_element_of_a_replaced_page_is_gone_however_chromium_says_so(browser):
    from selenium.common.exceptions import WebDriverException

    browser.get("data:text/html;charset=utf-8,<p id='here'>here</p>")
    here = browser.find_element(By.ID, "here")
    assert not gone(here)(browser)
    browser.get("data:text/html;charset=utf-8,<p id='next'>next</p>")
    assert gone(here)(browser)

    class Replaced:  # Chromium's answer for a node of a page being replaced, seen in CI, not a stale element
        def is_enabled(self):
            raise WebDriverException("unhandled inspector error: Node with given id does not belong to the document")

    class Broken:
        def is_enabled(self):
            raise WebDriverException("chrome not reachable")

    assert gone(Replaced())(browser)
    with pytest.raises(WebDriverException, match="not reachable"):
        gone(Broken())(browser)
