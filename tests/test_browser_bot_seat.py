"""The odd student's room against the bot the server plays, in a real browser over the embedded web
process (which plays the bot): the student is told plainly that the partner is a program that plays by
itself, sees it online while the negotiation runs and its offers arrive, and sees it stop at the end."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from classrooms import services
from negotiations import rounds
from negotiations.models import Negotiation
from tests.base import odd_class_with_bot
from tests.browser import WebDriverWait, assert_accessible, emulate_phone, screenshot, text_shown
from tests.servers import daphne

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The tough bot holds its first offer for most of the round: a conceder would replace it every think
# time early on, and the dialog accepting it would close (the offer left the table) under the student.
EMBEDDED = {"REDIS_URL": "", "PARLEY_BOT_THINK_SECONDS": "0.5", "PARLEY_BOT_STRATEGY": "tough"}


def wait_text(driver, selector: str, text: str, timeout: float = 20) -> None:
    WebDriverWait(driver, timeout).until(text_shown((By.CSS_SELECTOR, selector), text))


def test_the_student_sees_the_bot_play_by_itself_and_stop_at_the_end(browsers, exercise, classroom, settings):
    settings.BOT_THINK_SECONDS = 0.5
    bot, human = odd_class_with_bot(exercise, classroom, start=False)
    driver = browsers()
    with daphne(**EMBEDDED) as (port, _):
        base = f"http://127.0.0.1:{port}"
        driver.get(f"{base}/s/{services.student_link_token(human.student)}/")
        driver.find_element(By.XPATH, f"//button[normalize-space()='Continue as {human.student.display_name}']").click()
        WebDriverWait(driver, 10).until(ec.title_contains("My exercises"))
        driver.get(f"{base}/s/exercises/{exercise.pk}/")
        wait_text(driver, "#partner-presence", "Bot plays by itself once the round starts")
        notice = driver.find_element(By.ID, "bot-notice").text
        assert "a computer program (a bot), not a person" in notice and "plays by itself" in notice
        rounds.exercise_start(exercise=exercise)
        wait_text(driver, "#partner-presence", "Bot is online: a program that plays by itself")
        assert "offline" not in driver.find_element(By.ID, "partner-presence").text
        wait_text(driver, "#their-offer", "Accept package 1")
        driver.execute_script("window.scrollTo(0, 0)")
        screenshot(driver, "bot-seat-room")
        assert_accessible(driver, "the student's room, the bot's offer on the table")
        emulate_phone(driver)
        driver.get(driver.current_url)
        wait_text(driver, "#their-offer", "Accept package 1")
        driver.execute_script("document.getElementById('room').scrollIntoView()")
        screenshot(driver, "bot-seat-room-phone", full=False)
        assert_accessible(driver, "the student's room on a phone")
        driver.find_element(By.XPATH, "//button[normalize-space()='Accept package 1']").click()
        dialog = WebDriverWait(driver, 10).until(ec.visibility_of_element_located((By.ID, "confirm-dialog")))
        dialog.find_element(By.CSS_SELECTOR, ".confirm-yes").click()
        wait_text(driver, "#partner-presence", "Bot has stopped: the negotiation is over")
        screenshot(driver, "bot-seat-room-agreed-phone", full=False)
    assert Negotiation.objects.get(pk=bot.negotiation_id).status == "agreed"
