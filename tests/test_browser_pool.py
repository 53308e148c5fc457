"""The suite's browsers are shared between tests (tests/browser.py): each test gets one back clean."""

from __future__ import annotations

import pytest

from tests.browser import Browsers, emulate_phone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_browser_given_back_is_handed_out_again_without_what_the_test_left_in_it(live_server):
    pool = Browsers()
    try:
        driver = pool.take(1280, 900)
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": "window.__left = 1;"})
        driver.get(f"{live_server.url}/login/")
        driver.add_cookie({"name": "left", "value": "behind"})
        driver.execute_script("localStorage.setItem('left', 'behind'); sessionStorage.setItem('left', 'behind')")
        emulate_phone(driver)
        driver.switch_to.new_window("tab")
        pool.give_back(driver)

        again = pool.take(800, 700)
        assert again is driver  # the same browser, not a new one
        assert len(again.window_handles) == 1
        assert again.current_url == "about:blank"
        again.get(f"{live_server.url}/login/")
        assert again.get_cookie("left") is None
        stored = again.execute_script("return [localStorage.getItem('left'), sessionStorage.getItem('left')]")
        assert stored == [None, None]
        assert again.execute_script("return window.__left") is None
        assert again.execute_script("return window.innerWidth") == 800
    finally:
        pool.quit_all()
