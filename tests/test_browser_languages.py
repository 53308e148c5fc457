"""Two students in two languages: one whose browser asks for German, one who picks Spanish with the language
chooser. Each reads their pages and the live room in their language, with dates, times and numbers written
the way their language writes them, and the room's live messages from the other side come in theirs."""

from __future__ import annotations

import re

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select

from classrooms import services
from negotiations import rounds
from negotiations.models import Seat
from tests.browser import WebDriverWait, assert_accessible, emulate_phone, screenshot, text_shown

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GERMAN_DATE_TIME = re.compile(r"Begonnen am \d{1,2}\. (Januar|Februar|März|April|Mai|Juni|Juli|August|September|"
                              r"Oktober|November|Dezember) \d{4} \d{2}:\d{2}")  # fmt: skip
CLOCK = re.compile(r"\b\d{2}:\d{2}\b")


@pytest.fixture
def server(live_daphne: int) -> str:
    return f"http://127.0.0.1:{live_daphne}"


@pytest.fixture
def live_pair(road_bike_pair):
    """Ada and Ben on the road bike, a scenario translated into Spanish and German; the round on."""
    exercise, _students = road_bike_pair
    rounds.exercise_start(exercise=exercise)
    seats = {s.role_key: s.student for s in Seat.objects.filter(negotiation__exercise=exercise)}
    return exercise, seats


def wait_text(driver, selector: str, text: str, timeout: float = 10) -> None:
    WebDriverWait(driver, timeout).until(text_shown((By.CSS_SELECTOR, selector), text))


def text_of(driver, selector: str) -> str:
    return driver.find_element(By.CSS_SELECTOR, selector).text


def click(driver, xpath: str) -> None:
    """Clicked by script: the room redraws as events come in."""
    driver.execute_script("arguments[0].click()", driver.find_element(By.XPATH, xpath))


def test_students_read_their_pages_and_the_room_in_their_own_language(server, browsers, live_pair):
    exercise, seats = live_pair
    seller, buyer = browsers(), browsers()
    agent = seller.execute_script("return navigator.userAgent")
    seller.execute_cdp_cmd("Network.setUserAgentOverride", {"userAgent": agent, "acceptLanguage": "de-DE,de"})
    try:
        # The seller's browser asks for German: the personal link, then their exercises, in German.
        seller.get(f"{server}/s/{services.student_link_token(seats['seller'])}/")
        assert seller.find_element(By.TAG_NAME, "html").get_attribute("lang") == "de"
        click(seller, "//button[normalize-space()='Weiter als Ada']")
        WebDriverWait(seller, 10).until(ec.title_contains("Meine Übungen"))
        card = text_of(seller, "#student-exercises")
        assert "Paar 1" in card and "Läuft" in card
        assert GERMAN_DATE_TIME.search(card), card  # "Begonnen am 5. Dezember 2026 16:30"
        assert_accessible(seller, "the student's exercises in German")
        screenshot(seller, "languages-de-home")

        # The buyer picks Spanish with the chooser, on the page they are on; it stays chosen.
        buyer.get(f"{server}/s/{services.student_link_token(seats['buyer'])}/")
        assert buyer.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
        Select(buyer.find_element(By.ID, "language-choice")).select_by_value("es")
        click(buyer, "//form[contains(@class, 'language')]//button")
        WebDriverWait(buyer, 10).until(lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "es")
        click(buyer, "//button[normalize-space()='Continuar como Ben']")
        WebDriverWait(buyer, 10).until(ec.title_contains("Mis ejercicios"))
        assert "Pareja 1" in text_of(buyer, "#student-exercises")

        # Both open the exercise: the role sheet, the points and the room in their language.
        seller.get(f"{server}/s/exercises/{exercise.pk}/")
        buyer.get(f"{server}/s/exercises/{exercise.pk}/")
        wait_text(seller, "#room-connection", "Verbunden.")
        wait_text(buyer, "#room-connection", "Conectado.")
        wait_text(seller, "#partner-presence", "Ben ist online")
        wait_text(buyer, "#partner-presence", "Ada está en línea")
        # The scenario in each one's language; numbers grouped as each language groups them, by the server.
        assert "Preis (700 bis 1.300 EUR)" in text_of(seller, "#scoring")
        assert "Precio (de 700 a 1.300 EUR)" in text_of(buyer, "#scoring")
        assert "Meine Punkte" in text_of(seller, "#scoring") and "vertraulich" in text_of(seller, "#sheet").lower()
        assert "Sie sind Ines Kovač" in text_of(seller, "#sheet") and "Ihre Alternative" in text_of(seller, "#sheet")
        assert "Eres Rafael Dunne" in text_of(buyer, "#sheet")
        assert "La bicicleta de carretera" not in text_of(buyer, "#situation")  # the title is the exercise's
        assert "Se vende bicicleta en Harrowgate" in text_of(buyer, "#situation")
        assert "Mi hoja de planificación" in text_of(buyer, "#planning")
        started = text_of(seller, "#timeline")
        assert "Die Verhandlung hat begonnen; die Zeit läuft bis" in started and CLOCK.search(started), started
        assert "La negociación ha empezado; el tiempo corre hasta las" in text_of(buyer, "#timeline")
        assert_accessible(seller, "the room in German, before any offer")
        widths = seller.execute_script(
            "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1], widths  # the longer German words fit the desktop page

        # The seller offers a price, which the browser writes with a thousands separator, in each language.
        assert "Preis" in text_of(seller, "#packages")  # the room's labels in German too, not the snapshot's
        price = seller.find_element(By.ID, "p0-price")
        seller.execute_script(
            "arguments[0].value = '1000'; arguments[0].dispatchEvent(new Event('input', {bubbles: true}))", price
        )
        wait_text(seller, "#packages", "Ihre Punkte für Paket 1: 30")
        click(seller, "//button[@id='send-offer']")
        asked = "#confirm-dialog[open] .confirm-yes"
        WebDriverWait(seller, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, asked) or text_of(d, "#my-offer"))
        for yes in seller.find_elements(By.CSS_SELECTOR, asked):  # below the BATNA: the room asks first
            assert yes.text == "Trotzdem senden"
            assert "Unter Ihrer BATNA" in text_of(seller, "#confirm-dialog")
            seller.execute_script("arguments[0].click()", yes)
        wait_text(seller, "#my-offer", "Ihr Angebot 1, wartet auf Antwort")
        wait_text(buyer, "#their-offer", "La oferta 1 de Ada")
        assert "Aceptar el paquete 1" in text_of(buyer, "#their-offer")
        assert "Precio\n1.000 EUR" in text_of(buyer, "#their-offer")  # the browser's own number, in Spanish
        timeline = text_of(buyer, "#timeline")
        assert "oferta 1 presentada." in timeline and CLOCK.search(timeline)
        assert_accessible(buyer, "the room in Spanish, with the partner's offer on the table")
        screenshot(seller, "languages-de-room")
        screenshot(buyer, "languages-es-room")

        # On a phone, in German: the bar, the room and the chooser fit the screen.
        emulate_phone(seller)
        seller.execute_script("document.getElementById('room').scrollIntoView()")
        assert seller.execute_script("return document.documentElement.scrollWidth") <= 390
        assert_accessible(seller, "the room in German on a phone")
        screenshot(seller, "languages-de-phone", full=False)
        seller.execute_script("window.scrollTo(0, 0)")
        screenshot(seller, "languages-de-phone-top", full=False)
        seller.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    finally:
        seller.execute_cdp_cmd("Network.setUserAgentOverride", {"userAgent": agent, "acceptLanguage": "en-US,en"})
