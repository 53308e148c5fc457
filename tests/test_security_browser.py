"""In a real browser: markup in a partner's name and in chat is shown as text in the live room, and never runs.

The chat arrives both ways the room takes events: in the snapshot when the page opens, and live from
the partner's socket while it is open.
"""

from __future__ import annotations

import asyncio

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from classrooms import services
from core.negotiation import Action
from negotiations import rounds
from negotiations.acting import negotiation_act
from negotiations.client import LiveClient, sign_in
from negotiations.models import Event
from tests.base import add_students, seats_by_role
from tests.browser import WebDriverWait, assert_accessible, screenshot, text_shown, texts

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

IMG = '<img src="/x.png" onerror="window.__xss = (window.__xss || 0) + 1">'
SCRIPT = "<script>window.__xss = (window.__xss || 0) + 1</script>"
NOTICE = "window.__xss = 0; window.alert = () => { window.__xss += 1; };"


def test_markup_in_chat_and_names_stays_text_in_the_live_room(live_daphne, exercise, classroom, browser):
    seller, buyer = add_students(classroom, f"Mallory {IMG}", "Bob")
    rounds.exercise_pair(exercise=exercise, student_ids=[seller.pk, buyer.pk], seed=1)
    rounds.exercise_release(exercise=exercise)
    rounds.exercise_start(exercise=exercise)
    negotiation = exercise.negotiations.get()
    seats = seats_by_role(negotiation)
    if seats["seller"].student_id != seller.pk:  # the pairing chose the roles; the hostile name is whoever sells
        seller, buyer = buyer, seller
    negotiation_act(negotiation_id=negotiation.pk, seat=seats["seller"], action=Action("chat", "c1", text=IMG))

    port = live_daphne
    base = f"http://127.0.0.1:{port}"
    driver = browser
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": NOTICE})
    driver.get(f"{base}/s/{services.student_link_token(buyer)}/")
    driver.find_element(By.XPATH, "//button[starts-with(normalize-space(), 'Continue as')]").click()
    WebDriverWait(driver, 10).until(ec.title_contains("My exercises"))
    driver.get(f"{base}/s/exercises/{exercise.pk}/")
    WebDriverWait(driver, 10).until(text_shown((By.ID, "room-connection"), "Connected"))

    async def partner_says() -> None:  # live, from the partner's own socket
        url = f"ws://127.0.0.1:{port}/ws/negotiations/{negotiation.pk}/"
        partner = LiveClient(url, sign_in(base, f"/s/{services.student_link_token(seller)}/"), base)
        await partner.connect()
        await partner.act({"type": "chat", "text": SCRIPT})
        await partner.act({"type": "chat", "text": IMG})
        await partner.close()

    asyncio.run(partner_says())

    WebDriverWait(driver, 10).until(lambda d: texts(d, "#timeline .chat-text") == [IMG, SCRIPT, IMG])
    assert_accessible(driver, "the room with markup in chat and in the partner's name")
    screenshot(driver, "security-markup-in-room")
    assert driver.find_elements(By.CSS_SELECTOR, "#timeline img, #timeline script") == []
    assert driver.execute_script("return document.querySelectorAll('[onerror]').length") == 0
    assert "Mallory <img" in driver.find_element(By.TAG_NAME, "body").text  # the name, shown as text
    assert driver.execute_script("return window.__xss") == 0
    assert Event.objects.filter(negotiation=negotiation, type="chat").count() == 3
