"""Keyboard alone plays a negotiation in a real browser: two students sign in, chat, build and send offers,
withdraw one, and accept, with Tab, Shift+Tab, Enter, Space and the arrow keys only (never a click), and
every element that takes the focus on the way shows it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec

from classrooms import services
from tests.browser import WebDriverWait, assert_accessible, screenshot, text_shown
from tests.test_browser_negotiation import live_pair, released_pair, server, wait_text  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What has the focus, and whether it shows: a focus ring (outline) at least 2 px wide, drawn for the
# keyboard (:focus-visible).
FOCUSED = """const e = document.activeElement;
const style = getComputedStyle(e);
return {
  tag: e.tagName.toLowerCase(), id: e.id, text: (e.innerText || e.value || "").trim().slice(0, 60),
  shown: e.matches(":focus-visible") && style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
  match: arguments[0] ? e.matches(arguments[0]) : false,
};"""
MOST_TABS = 80


def press(driver, *keys: str) -> None:
    ActionChains(driver).send_keys(*keys).perform()


def focus_to(driver, selector: str, *, back: bool = False) -> dict:
    """Tab (or Shift+Tab) until the element the selector names has the focus; each stop on the way must
    show its focus."""
    key = (Keys.SHIFT, Keys.TAB) if back else (Keys.TAB,)
    for _ in range(MOST_TABS):
        if back:
            ActionChains(driver).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
        else:
            press(driver, *key)
        focused = driver.execute_script(FOCUSED, selector)
        if focused["tag"] != "body":
            assert focused["shown"], f"the focus on {focused} does not show"
        if focused["match"]:
            return focused
    raise AssertionError(f"{MOST_TABS} presses of Tab did not reach {selector}")


def sign_in_by_keyboard(driver, base: str, student, exercise_pk: int) -> None:
    driver.get(f"{base}/s/{services.student_link_token(student)}/")
    focus_to(driver, "main button[type=submit]")
    press(driver, Keys.ENTER)
    WebDriverWait(driver, 10).until(ec.title_contains("My exercises"))
    focus_to(driver, f"a[href='/s/exercises/{exercise_pk}/']")
    press(driver, Keys.ENTER)
    WebDriverWait(driver, 10).until(text_shown((By.ID, "room-connection"), "Connected"))


def value(driver, element_id: str) -> str:
    return driver.execute_script("return document.getElementById(arguments[0]).value", element_id)


def test_keyboard_alone_plays_a_negotiation_to_an_agreement(server, browsers, live_pair):  # noqa: F811
    exercise, seats = live_pair
    seller, buyer = browsers(), browsers()
    with ThreadPoolExecutor(2) as pool:
        pairs = ((seller, "seller"), (buyer, "buyer"))
        for done in [pool.submit(sign_in_by_keyboard, d, server, seats[role], exercise.pk) for d, role in pairs]:
            done.result()

    # The seller jumps to the room through the page's section links, and writes (Enter sends).
    focus_to(seller, "nav.tabs a[href='#room']")
    press(seller, Keys.ENTER)
    focus_to(seller, "#chat-text")
    press(seller, "Good morning", Keys.ENTER)
    wait_text(buyer, "#timeline", "Good morning")

    # The seller builds an offer: a price typed, terms chosen with the arrow keys; Space sends it.
    focus_to(seller, "#p0-price")
    press(seller, Keys.CONTROL, "a")
    press(seller, "10500")
    focus_to(seller, "#p0-handover")
    start = value(seller, "p0-handover")
    press(seller, Keys.ARROW_DOWN)
    assert value(seller, "p0-handover") != start
    focus_to(seller, "#send-offer")
    press(seller, Keys.SPACE)
    wait_text(buyer, "#their-offer", "Accept package 1")
    wait_text(seller, "#my-offer", "Withdraw")

    # It withdraws the offer (Shift+Tab back to it) and sends another.
    focus_to(seller, "#my-offer button", back=True)
    press(seller, Keys.ENTER)
    wait_text(buyer, "#timeline", "withdrew their offer 1.")  # not "Dana withdrew Dana's offer 1"
    wait_text(seller, "#timeline", "You withdrew your offer 1.")
    wait_text(seller, "#table-empty", "No offer on the table yet.")
    assert_accessible(seller, "the room after an offer was withdrawn")
    focus_to(seller, "#p0-price")
    press(seller, Keys.CONTROL, "a")
    press(seller, "9900")
    focus_to(seller, "#send-offer")
    press(seller, Keys.ENTER)
    wait_text(buyer, "#their-offer", "Accept package 1")

    # The buyer reaches the offer from the top of the page and accepts it.
    focus_to(buyer, "#their-offer button[data-offer-seq]")
    assert_accessible(buyer, "the room with the focus on the partner's offer")
    screenshot(buyer, "keyboard-focus-on-accept", full=False)
    press(buyer, Keys.ENTER)
    # Accepting is binding: a dialog asks first, with the focus on Cancel; Escape cancels and sends nothing.
    dialog = WebDriverWait(buyer, 10).until(ec.visibility_of_element_located((By.ID, "confirm-dialog")))
    assert buyer.execute_script(FOCUSED, "#confirm-dialog .confirm-no")["match"]
    assert_accessible(buyer, "the accept dialog")
    press(buyer, Keys.ESCAPE)
    WebDriverWait(buyer, 10).until(ec.invisibility_of_element(dialog))
    assert buyer.execute_script(FOCUSED, "#their-offer button[data-offer-seq]")["match"]
    assert "Accept package 1" in buyer.find_element(By.ID, "their-offer").text
    press(buyer, Keys.ENTER)
    WebDriverWait(buyer, 10).until(ec.visibility_of(dialog))
    focus_to(buyer, "#confirm-dialog .confirm-yes", back=True)
    press(buyer, Keys.ENTER)
    for driver in (seller, buyer):
        WebDriverWait(driver, 10).until(ec.visibility_of_element_located((By.ID, "room-outcome")))
        wait_text(driver, "#room-outcome", "Agreement reached")
        assert "9,900 EUR" in driver.find_element(By.ID, "room-outcome").text
    # The focus is not lost with the buttons that went away: the outcome has it, and shows it.
    focused = buyer.execute_script(FOCUSED, "#room-outcome")
    assert focused["match"] and focused["shown"], focused
    screenshot(buyer, "keyboard-agreed")
