"""The script that puts a scrolling box (a wide table on a phone) in the keyboard's reach, on any page.

Pages redraw their tables (the debrief's panels, the monitor's rows): the box stays, its table is replaced.
The script must neither fail on the table that left the page nor lose sight of the one that came.
"""

from __future__ import annotations

import pytest

from tests.browser import WebDriverWait

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

CATCH_ERRORS = """
window.__errors = [];
window.addEventListener("error", (e) => window.__errors.push(String(e.message)));
"""

# Styles set through the DOM: the pages' Content-Security-Policy refuses style attributes in markup.
DRAW = """
const [box, width] = arguments;
const table = document.createElement("table");
table.createCaption().textContent = "Figures";
const cell = table.insertRow().insertCell();
cell.textContent = "x";
cell.style.minWidth = width + "px";
box.replaceChildren(table);
"""


def put_box(driver):
    box = driver.execute_script(
        """
        const box = document.createElement("div");
        box.className = "table-wrap";
        box.style.width = "400px";
        document.querySelector("main").append(box);
        return box;
        """
    )
    driver.execute_script(DRAW, box, 100)
    return box


def test_a_box_whose_table_is_redrawn_is_watched_again_without_an_error(live_server, browser):
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CATCH_ERRORS})
    browser.get(f"{live_server.url}/login/")
    box = put_box(browser)
    assert box.get_attribute("tabindex") is None  # its table fits: no stop that does nothing

    # The page redraws the table, wider than the box: the box now scrolls and takes the focus, named after it.
    browser.execute_script(DRAW, box, 800)
    WebDriverWait(browser, 5).until(lambda d: box.get_attribute("tabindex") == "0")
    assert box.get_attribute("aria-label") == "Figures"

    # Redrawn narrow again (the old table leaves the page, and its size with it): the box leaves the tab order.
    browser.execute_script(DRAW, box, 100)
    WebDriverWait(browser, 5).until(lambda d: box.get_attribute("tabindex") is None)
    # The observer has reported the detached table by now (two frames later at most).
    browser.execute_script("return new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
    assert browser.execute_script("return window.__errors") == []

    # Taken off the page and put back by a script, with a wide table: watched again.
    # (Held by the page meanwhile: Selenium takes an element off the page for a stale one.)
    browser.execute_script("window.__box = arguments[0]; window.__box.remove()", box)  # heard before the next script
    box = browser.execute_script("document.querySelector('main').append(window.__box); return window.__box")
    browser.execute_script(DRAW, box, 800)
    WebDriverWait(browser, 5).until(lambda d: box.get_attribute("tabindex") == "0")
    assert browser.execute_script("return window.__errors") == []
