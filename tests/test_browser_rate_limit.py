"""The room when the server refuses a frame as too fast, or fails on it: the message is not lost, not shown
as a failure, and goes out again by itself, once."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from classrooms import services
from negotiations.models import Event
from tests.base import seats_by_role, start_round
from tests.browser import WebDriverWait, assert_accessible, screenshot, text_shown, texts

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The server answers the next chat with `rate_limited` (what a burst past the limit gets) or `server_error`
# (what a lost database connection gets); it never reaches the server. The socket client must keep the
# chat pending and send it again.
REFUSE_NEXT_CHAT = """
const socket = window.parleyRoom.socket;
const send = socket.send.bind(socket);
window.refused = 0;
socket.send = (frame) => {
  if (frame.type === "chat" && !window.refused) {
    window.refused = 1;
    setTimeout(() => socket._frame({type: "error", code: arguments[0], client_msg_id: frame.client_msg_id,
      message: "this one was not stored, send it again in a moment"}, false), 0);
    return true;
  }
  return send(frame);
};
"""


@pytest.mark.parametrize("code", ["rate_limited", "server_error"])
def test_a_chat_refused_as_too_fast_or_failed_on_is_kept_and_sent_again_once(
    live_daphne, browser, exercise, classroom, code
):
    (negotiation,) = start_round(exercise, classroom, 2)
    seller = seats_by_role(negotiation)["seller"].student
    port = live_daphne
    base = f"http://127.0.0.1:{port}"
    browser.get(f"{base}/s/{services.student_link_token(seller)}/")
    browser.find_element(By.XPATH, f"//button[normalize-space()='Continue as {seller.display_name}']").click()
    WebDriverWait(browser, 10).until(ec.title_contains("My exercises"))
    browser.get(f"{base}/s/exercises/{exercise.pk}/")
    WebDriverWait(browser, 10).until(text_shown((By.ID, "room-connection"), "Connected"))
    browser.execute_script(REFUSE_NEXT_CHAT, code)
    browser.find_element(By.ID, "chat-text").send_keys("Fast fingers")
    browser.find_element(By.XPATH, "//button[normalize-space()='Send']").click()
    WebDriverWait(browser, 5).until(text_shown((By.CSS_SELECTOR, ".outbox .pending .pending-note"), "Sending again"))
    assert_accessible(browser, f"the room with a chat answered {code}, waiting to go again")
    screenshot(browser, f"room-{code.replace('_', '-')}")
    assert browser.find_element(By.ID, "chat-error").text == ""
    assert browser.find_element(By.ID, "room-alert").text == ""
    # Sent again by itself a moment later: acknowledged, shown once, stored once.
    WebDriverWait(browser, 10).until(
        lambda d: (
            not d.find_elements(By.CSS_SELECTOR, ".outbox .pending")
            and "Fast fingers" in texts(d, "#timeline .chat-text")
        )
    )
    shown = texts(browser, "#timeline .chat-text")
    assert shown.count("Fast fingers") == 1
    assert list(Event.objects.filter(negotiation=negotiation, type="chat").values_list("payload", flat=True)) == [
        {"text": "Fast fingers"}
    ]
