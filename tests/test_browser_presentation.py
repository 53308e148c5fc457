"""The presentation of a class debrief in a real browser at a projector's 1280 x 720: stepped with the
keys, large text, no name anywhere, the best deal on a slide of its own, a slide downloaded as SVG and
PNG; and the debrief page's questions beside their figures."""

from __future__ import annotations

import base64
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.sessions.models import Session
from selenium.common.exceptions import JavascriptException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from negotiations import rounds
from tests.base import agree, start_round
from tests.browser import WebDriverWait, assert_accessible, emulate_phone, log_in, screenshot
from tests.test_browser_debrief import CATCH_ERRORS, element_shot
from tests.test_debrief_page import BUYER_OPENS, LOSE_LOSE, NASH

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_tasks")]

# The smallest text of the slide shown, in CSS pixels: each text's font size times the SVG's scale.
SMALLEST_TEXT = """const svg = document.querySelector(".slide:not([hidden]) svg");
const scale = svg.getScreenCTM().a;
return Math.min(...[...svg.querySelectorAll("text")].map((t) => parseFloat(getComputedStyle(t).fontSize) * scale));"""
SLIDE_IN_VIEW = """const box = document.querySelector(".slide:not([hidden]) svg").getBoundingClientRect();
return box.top >= 0 && box.bottom <= innerHeight && box.left >= 0 && box.right <= innerWidth;"""


@pytest.fixture
def downloads() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="parley-downloads-") as folder:
        yield Path(folder)


def current(driver) -> tuple[int, str]:
    deck = driver.find_element(By.ID, "deck")
    shown = driver.find_element(By.CSS_SELECTOR, ".slide:not([hidden])")
    return int(deck.get_attribute("data-current")), shown.get_attribute("data-key")


def press(driver, key: str) -> None:
    driver.find_element(By.TAG_NAME, "body").send_keys(key)


def test_the_presentation_steps_through_large_anonymous_slides(live_server, browsers, downloads, exercise, classroom):
    pairs = start_round(exercise, classroom, 8)
    agree(pairs[0], LOSE_LOSE)
    agree(pairs[1], NASH)
    agree(pairs[2], BUYER_OPENS, opener="buyer")
    rounds.exercise_end(exercise=exercise)
    names = [s.student.display_name for s in exercise.seats.select_related("student") if s.student]
    driver = browsers(1280, 720)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CATCH_ERRORS})
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    driver.execute_cdp_cmd(  # the page's inner size exactly 1280 x 720, as on a projector
        "Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 720, "deviceScaleFactor": 1, "mobile": False}
    )
    log_in(driver, live_server.url)

    # From the debrief page, its Present button.
    driver.get(f"{live_server.url}/exercises/{exercise.pk}/debrief/")
    driver.execute_script("document.getElementById('present-link').click()")
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#deck[data-current]"))
    assert driver.current_url.endswith("/debrief/present/#1")
    keys = [s.get_attribute("data-key") for s in driver.find_elements(By.CSS_SELECTOR, ".slide")]
    assert keys[:4] == ["pie", "claimed", "question", "best-deal"] and "meso" in keys and "lose-lose" in keys
    assert driver.find_element(By.ID, "deck-counter").text == f"1 / {len(keys)}"

    seen = []
    for index, key in enumerate(keys, start=1):
        assert current(driver) == (index, key)
        assert driver.find_element(By.ID, "deck-counter").text == f"{index} / {len(keys)}"
        assert driver.execute_script(SMALLEST_TEXT) >= 24, key
        assert driver.execute_script(SLIDE_IN_VIEW), key  # the whole slide on the screen, nothing to scroll
        assert len(driver.find_elements(By.CSS_SELECTOR, ".slide:not([hidden])")) == 1
        seen.append(driver.find_element(By.CSS_SELECTOR, ".slide:not([hidden])").text)
        screenshot(driver, f"presentation-{index}-{key}", full=False)
        press(driver, Keys.ARROW_RIGHT if index % 2 else Keys.PAGE_DOWN)
    assert current(driver) == (len(keys), keys[-1])  # past the end it stays on the last slide

    # The question comes a slide before its answer.
    assert "What would a deal that shares the gains evenly" in seen[2] and "In five weeks" not in seen[2]
    assert "In five weeks" in seen[3] and "10,000 EUR" in seen[3]
    assert not any(name in text for name in names for text in seen)
    assert not any(name in driver.page_source for name in names) and "ines@example.com" not in driver.page_source

    def ends() -> tuple[str | None, str | None]:  # Previous and Next, each said to do nothing at its end
        return tuple(driver.find_element(By.ID, i).get_attribute("aria-disabled") for i in ("deck-prev", "deck-next"))

    press(driver, Keys.HOME)
    assert current(driver)[0] == 1
    assert ends() == ("true", None)
    press(driver, Keys.END)
    assert current(driver)[0] == len(keys)
    assert ends() == (None, "true")
    press(driver, Keys.ARROW_LEFT)
    press(driver, Keys.PAGE_UP)
    assert current(driver)[0] == len(keys) - 2
    driver.execute_script("document.getElementById('deck-next').click()")
    assert current(driver)[0] == len(keys) - 1
    driver.execute_script("document.getElementById('deck-prev').click()")
    assert current(driver)[0] == len(keys) - 2
    assert ends() == (None, None)
    assert_accessible(driver, "the presentation")

    # The best deal's slide, by its address, downloaded as SVG and as PNG.
    driver.get(f"{live_server.url}/exercises/{exercise.pk}/debrief/present/#4")
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#deck[data-current='4']"))
    assert current(driver) == (4, "best-deal")
    driver.execute_script("document.getElementById('deck-svg').click()")
    driver.execute_script("document.getElementById('deck-png').click()")
    svg_file = downloads / f"{exercise.title.lower().replace(' ', '-')}-best-deal.svg"
    png_file = downloads / f"{exercise.title.lower().replace(' ', '-')}-best-deal.png"
    WebDriverWait(driver, 10).until(lambda d: svg_file.exists() and png_file.exists())
    svg_text = svg_file.read_text()
    assert "In five weeks" in svg_text and "<desc" in svg_text
    assert not any(name in svg_text for name in names)
    png = png_file.read_bytes()
    assert png.startswith(b"\x89PNG") and int.from_bytes(png[16:20], "big") == 2400  # twice the slide's width
    assert driver.execute_script("return window.__errors") == []
    assert driver.find_element(By.ID, "deck-print").text == "Print all (PDF)"

    # Printed (or saved as a PDF), every slide is shown, one to a page.
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    assert driver.execute_script("return [...document.querySelectorAll('.slide')].every((s) => s.offsetHeight > 0)")
    pdf = base64.b64decode(driver.execute_cdp_cmd("Page.printToPDF", {"landscape": True})["data"])
    assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") == len(keys)
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})

    # On a phone the slide shrinks to the width and the controls wrap: nothing runs off the screen.
    emulate_phone(driver)
    driver.refresh()
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#deck[data-current='4']"))
    assert driver.execute_script("return document.documentElement.scrollWidth") <= 391
    assert driver.execute_script(SLIDE_IN_VIEW)
    screenshot(driver, "presentation-phone-best-deal", full=False)


def test_the_debrief_page_asks_each_question_beside_its_figure(live_server, browsers, exercise, classroom):
    pairs = start_round(exercise, classroom, 4)
    agree(pairs[0], LOSE_LOSE)
    agree(pairs[1], NASH, opener="buyer")
    rounds.exercise_end(exercise=exercise)
    driver = browsers(1280, 720)
    log_in(driver, live_server.url)
    driver.get(f"{live_server.url}/exercises/{exercise.pk}/debrief/?projector=1")
    WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "debrief").get_attribute("data-ready") == "1")
    openings = driver.find_element(By.ID, "panel-openings")
    rows = [r.text for r in openings.find_elements(By.CSS_SELECTOR, "tbody tr")]
    assert rows[0].startswith("Pair 1 Seller") and rows[1].startswith("Pair 2 Buyer")
    assert all(" 1 package no " in row for row in rows[:2])  # one package each; the price never moved
    assert "What was the first number mentioned" in openings.text
    assert (
        "What did you assume the other side wanted for the tyres?" in driver.find_element(By.ID, "panel-heatmap").text
    )
    assert_accessible(driver, "the debrief with its questions beside the figures")
    element_shot(driver, "debrief-openings-questions", "#panel-openings")
    element_shot(driver, "debrief-heatmap-questions", "#panel-heatmap")

    # In German: the page's words, its numbers as German writes them (a price grouped with a full stop on the
    # server, a median with a decimal comma in the browser), and the slides' words.
    driver.add_cookie({"name": "django_language", "value": "de"})
    driver.refresh()
    WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "debrief").get_attribute("data-ready") == "1")
    assert driver.find_element(By.TAG_NAME, "h1").text.startswith("Nachbesprechung")
    assert "Antworten auf den Fragebogen" in driver.find_element(By.ID, "panel-export").get_attribute("textContent")
    assert "10.000" in driver.find_element(By.ID, "best-deal").text  # the Nash package's price
    summary = driver.find_element(By.ID, "summary").text
    assert "Median der Punkte, Seller" in summary and "\n52,5\n" in summary  # (44 + 61) / 2
    assert "Pareto-optimale Einigungen\n50 %" in summary
    assert driver.find_element(By.CSS_SELECTOR, "#pairs-head [data-sort='joint']").text.startswith("Gemeinsamer Gewinn")
    assert_accessible(driver, "the debrief in German")
    screenshot(driver, "debrief-german", full=False)
    emulate_phone(driver)
    driver.refresh()
    WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "debrief").get_attribute("data-ready") == "1")
    assert driver.execute_script("return document.documentElement.scrollWidth") <= 391
    element_shot(driver, "debrief-german-phone", "#summary")
    driver.get(f"{live_server.url}/exercises/{exercise.pk}/debrief/present/")
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#deck[data-current='1']"))
    assert driver.find_element(By.ID, "deck-print").text == "Alle drucken (PDF)"
    slide = driver.find_element(By.CSS_SELECTOR, ".slide:not([hidden]) svg").get_attribute("textContent")
    assert "Wie groß war der Kuchen jedes Paares?" in slide and "Höchstmöglich: 115" in slide
    assert driver.find_element(By.ID, "deck-counter").get_attribute("aria-label").startswith("Folie 1 von ")
    assert_accessible(driver, "the presentation in German")
    screenshot(driver, "presentation-german-phone", full=False)


def waited(driver, script: str, timeout: float = 20):
    """Until `script` returns something true, across the page's own reloads."""
    wait = WebDriverWait(driver, timeout, ignored_exceptions=(JavascriptException, StaleElementReferenceException))
    return wait.until(lambda d: d.execute_script(script))


def test_the_presentation_opened_before_the_debrief_shows_its_slides_when_it_is_ready(
    live_server, browsers, exercise, classroom
):
    """Opened on the projector while the pairs still negotiate, the presentation keeps its count of open
    pairs and shows the slides once the debrief is computed, with nobody at the keyboard."""
    pairs = start_round(exercise, classroom, 4)
    driver = browsers(1280, 720)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CATCH_ERRORS})
    log_in(driver, live_server.url)
    driver.get(f"{live_server.url}/exercises/{exercise.pk}/debrief/present/")
    waiting = driver.find_element(By.CSS_SELECTOR, ".slide-empty").text
    assert "The slides appear once the round has ended" in waiting and "2 of 2 pairs are still open." in waiting

    agree(pairs[0], NASH)
    waited(driver, "return (document.getElementById('deck') || {}).textContent.includes('1 of 2 pairs is still open.')")
    agree(pairs[1], LOSE_LOSE)
    rounds.exercise_end(exercise=exercise)  # the debrief is computed with it (eager tasks)
    waited(driver, "return !!document.querySelector('#deck[data-current] .slide[data-key=pie]')")
    assert current(driver) == (1, "pie")
    assert driver.execute_script("return window.__errors") == []
    assert "data-waiting" not in driver.page_source  # ready: it asks no more


def test_a_waiting_presentation_whose_session_ended_goes_to_the_login_page(live_server, browsers, exercise, classroom):
    start_round(exercise, classroom, 4)
    driver = browsers(1280, 720)
    log_in(driver, live_server.url)
    driver.get(f"{live_server.url}/exercises/{exercise.pk}/debrief/present/")
    assert driver.find_elements(By.CSS_SELECTOR, "#deck[data-waiting]")
    Session.objects.all().delete()  # logged out elsewhere, or the session expired
    WebDriverWait(driver, 20).until(lambda d: "/login/" in d.current_url)
    assert "next=" in driver.current_url
