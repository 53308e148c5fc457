"""Two students negotiate in two real browser windows over a real Daphne, and the instructor watches.

The live pages need websockets, so the server is Daphne in a subprocess (tests.servers; pytest-django's
live_server speaks WSGI only), on the test database. With REDIS_URL the subprocess and the test share
the Redis channel layer.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select

from classrooms import services
from core.negotiation import Action
from negotiations import rounds
from negotiations.acting import negotiation_act
from negotiations.models import Event, Seat
from tests.base import add_students, long_history
from tests.browser import WebDriverWait, assert_accessible, emulate_phone, log_in, screenshot, text_shown, texts
from tests.servers import Cable

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parent.parent
XSS = "<script>alert(1)</script>"
APOS = "\N{RIGHT SINGLE QUOTATION MARK}"  # the room writes names with it: "Ada{APOS}s offer 1"

# Lose the next live event on its way into the room's socket client, as a full channel layer would.
SWALLOW_NEXT_EVENT = """
const socket = window.parleyRoom.socket;
const frame = socket._frame.bind(socket);
window.swallowed = 0;
socket._frame = (f, first) => {
  if (f.type === "event" && !window.swallowed) { window.swallowed = 1; return; }
  frame(f, first);
};
"""

# Lose the answer to the next `history` frame on its way into the room.
SWALLOW_NEXT_HISTORY = """
const socket = window.parleyRoom.socket;
const frame = socket._frame.bind(socket);
window.swallowedHistory = 0;
socket._frame = (f, first) => {
  if (f.type === "history" && !window.swallowedHistory) { window.swallowedHistory = 1; return; }
  frame(f, first);
};
"""

# Record any script error of the page, from before its own scripts run.
CATCH_ERRORS = """
window.__errors = [];
window.addEventListener("error", (e) => window.__errors.push(String(e.message)));
window.addEventListener("unhandledrejection", (e) => window.__errors.push(String(e.reason)));
window.alert = (text) => window.__errors.push("alert: " + text);
"""


@pytest.fixture
def server(live_daphne: int) -> str:
    return f"http://127.0.0.1:{live_daphne}"


@pytest.fixture
def windows(browsers) -> list:
    """Three browsers, each with a profile (cookies) of its own: seller, buyer, instructor."""
    drivers = [browsers() for _ in range(3)]
    for driver in drivers:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CATCH_ERRORS})
    return drivers


@pytest.fixture
def released_pair(exercise, classroom, instructor):
    """Ada and Ben paired and their roles out; the round not started."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    # The server process knows only the default hashers, not the tests' fast MD5 one.
    hasher = PBKDF2PasswordHasher()
    instructor.password = hasher.encode("a-long-password", hasher.salt(), iterations=1000)
    instructor.save(update_fields=["password"])
    ada, ben = add_students(classroom, "Ada", "Ben")
    rounds.exercise_pair(exercise=exercise, student_ids=[ada.pk, ben.pk], seed=1)
    rounds.exercise_release(exercise=exercise)
    negotiation = exercise.negotiations.get()
    seats = {s.role_key: s.student for s in Seat.objects.filter(negotiation=negotiation)}
    return exercise, seats


@pytest.fixture
def live_pair(released_pair):
    exercise, seats = released_pair
    rounds.exercise_start(exercise=exercise)
    return exercise, seats


def button(driver, label: str):
    return driver.find_element(By.XPATH, f"//button[normalize-space()='{label}']")


def confirm(driver, label: str) -> None:
    """Answer the room's confirmation dialog (an accept, or an offer below the BATNA) with its confirm button."""
    dialog = driver.find_element(By.ID, "confirm-dialog")
    WebDriverWait(driver, 5).until(lambda d: dialog.get_attribute("open") is not None)
    yes = dialog.find_element(By.CSS_SELECTOR, ".confirm-yes")
    assert yes.text == label
    yes.click()


def sign_in(driver, base: str, student, exercise_pk: int) -> None:
    driver.get(f"{base}/s/{services.student_link_token(student)}/")
    button(driver, f"Continue as {student.display_name}").click()
    # A bound, not a pause: a fresh-clone CI run on a loaded two-core machine once took more than 10 s here.
    WebDriverWait(driver, 30).until(ec.title_contains("My exercises"))
    driver.get(f"{base}/s/exercises/{exercise_pk}/")
    WebDriverWait(driver, 10).until(text_shown((By.ID, "room-connection"), "Connected"))


def sign_in_both(seller, buyer, base: str, seats, exercise_pk: int) -> None:
    with ThreadPoolExecutor(2) as pool:
        for done in [pool.submit(sign_in, seller, base, seats["seller"], exercise_pk),
                     pool.submit(sign_in, buyer, base, seats["buyer"], exercise_pk)]:  # fmt: skip
            done.result()


def text_of(driver, selector: str) -> str:
    return driver.find_element(By.CSS_SELECTOR, selector).text


def wait_text(driver, selector: str, text: str, timeout: float = 10) -> None:
    WebDriverWait(driver, timeout).until(text_shown((By.CSS_SELECTOR, selector), text))


def chat(driver, text: str) -> None:
    box = driver.find_element(By.ID, "chat-text")
    box.send_keys(text)
    button(driver, "Send").click()


def chats(driver, text: str) -> int:
    """How many times a chat text appears in the timeline, as text."""
    return texts(driver, "#timeline .chat-text").count(text)


def build(driver, index: int, price: int, **options: str) -> None:
    price_box = driver.find_element(By.ID, f"p{index}-price")
    price_box.send_keys(Keys.CONTROL, "a")
    price_box.send_keys(str(price))
    for issue, option in options.items():
        Select(driver.find_element(By.ID, f"p{index}-{issue}")).select_by_value(option)


def shot(driver, name: str) -> None:
    """The whole page from its top (the role sheet column sticks to where the window is scrolled)."""
    driver.execute_script("window.scrollTo(0, 0)")
    screenshot(driver, name)


def test_two_students_negotiate_to_an_agreement_and_the_monitor_shows_it(server, windows, live_pair):
    exercise, seats = live_pair
    seller, buyer, teacher = windows
    wait_s, wait_b, wait_t = (WebDriverWait(d, 10) for d in windows)

    sign_in_both(seller, buyer, server, seats, exercise.pk)
    for driver in (seller, buyer):
        assert driver.find_element(By.ID, "chat-form").is_displayed()
    wait_text(seller, "#partner-presence", "Ben is online")
    wait_text(buyer, "#partner-presence", "Ada is online")
    assert_accessible(seller, "the room, open, before any offer")

    # The instructor logs in and opens the monitor from the exercise page.
    log_in(teacher, server)
    teacher.get(f"{server}/exercises/{exercise.pk}/")
    teacher.find_element(By.ID, "monitor-link").click()
    wait_text(teacher, "#pair-row-1", "Negotiating")
    assert "Ada" in text_of(teacher, "#pair-row-1") and "Ben" in text_of(teacher, "#pair-row-1")
    assert text_of(teacher, "#count-negotiating") == "1"
    assert_accessible(teacher, "the monitor, a pair negotiating")

    # Chat, including a message that would be a script if it were inserted as HTML; typing shows.
    chat(seller, "Good morning! Still interested in the car?")
    wait_text(buyer, "#timeline", "Still interested in the car?")
    buyer.find_element(By.ID, "chat-text").send_keys("Yes")
    WebDriverWait(seller, 5).until(text_shown((By.ID, "partner-typing"), "Ben is typing"))
    buyer.find_element(By.ID, "chat-text").clear()
    chat(buyer, XSS)
    wait_s.until(lambda d: chats(d, XSS) == 1)
    assert chats(buyer, XSS) == 1
    for driver in (seller, buyer):
        assert driver.find_elements(By.CSS_SELECTOR, "#timeline script") == []
        assert driver.execute_script("return window.__errors") == []  # alert() would be recorded here

    # The seller's first offer: the builder shows the seller's own points as it is built.
    build(seller, 0, 10500, handover="five-weeks", warranty="none", tyres="included")
    wait_text(seller, "#packages .package-total-value", "83")  # 40 + 25 + 12 + 6
    button(seller, "Send offer").click()
    wait_text(buyer, "#their-offer", "Accept package 1")
    assert "Your points: 22" in text_of(buyer, "#their-offer")  # the buyer's points for it, never the seller's
    assert "83" not in text_of(buyer, "#their-offer")
    wait_text(seller, "#my-offer", "Withdraw")
    assert_accessible(buyer, "the room with the partner's offer on the table")

    # The buyer counters.
    build(buyer, 0, 9000, handover="three-weeks", warranty="three-months", tyres="included")
    wait_text(buyer, "#packages .package-total-value", "81")  # 40 + 7 + 22 + 12
    button(buyer, "Send offer").click()
    wait_text(seller, "#their-offer", "Accept package 1")
    assert "Your points: 28" in text_of(seller, "#their-offer")  # the seller's view: 10 + 12 + 0 + 6
    assert_accessible(seller, "the room with an offer replaced by the partner's counter")
    shot(seller, "negotiation-seller-mid")
    shot(buyer, "negotiation-buyer-mid")

    # On a phone: the room first, nothing wider than the screen, controls big enough to touch.
    emulate_phone(seller)
    seller.execute_script("document.getElementById('room').scrollIntoView()")
    assert seller.execute_script("return document.documentElement.scrollWidth") <= 390
    smallest = seller.execute_script(
        "return Math.min(...[...document.querySelectorAll('#room button, #room select, #room input, #room textarea')]"
        ".filter((e) => e.offsetParent).map((e) => e.getBoundingClientRect().height))"
    )
    assert smallest >= 44, smallest
    assert_accessible(seller, "the room on a phone")
    screenshot(seller, "negotiation-phone", full=False)
    seller.execute_script("document.getElementById('table').scrollIntoView()")
    screenshot(seller, "negotiation-phone-offer", full=False)
    seller.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

    # The instructor steers from the monitor: pause, a refused action, resume, a broadcast, more time.
    button(teacher, "Pause the round").click()
    wait_text(teacher, "#pause-answer", "Paused")
    for driver in (seller, buyer):
        wait_text(driver, "#room-readonly", "The instructor has paused the round")
        assert driver.find_element(By.ID, "paused-tag").is_displayed()
    box = seller.find_element(By.ID, "chat-text")
    box.send_keys("Hello?", Keys.ENTER)  # the button is disabled; Enter still asks the server, which says no
    wait_text(seller, "#chat-error", "The instructor has paused the round; wait until it resumes.")
    assert seller.find_element(By.ID, "chat-error").get_attribute("role") == "alert"
    assert box.get_attribute("value") == "Hello?"  # given back for another try
    assert_accessible(seller, "the room, paused, after a refused chat")
    shot(seller, "negotiation-paused")
    box.clear()
    wait_text(teacher, "#pause-button", "Resume the round")
    button(teacher, "Resume the round").click()
    for driver in (seller, buyer):
        wait_text(driver, "#timeline", "The round has resumed")
        assert not driver.find_element(By.ID, "paused-tag").is_displayed()
    assert not seller.find_element(By.ID, "chat-error").is_displayed()  # the refusal as paused is gone
    teacher.find_element(By.ID, "broadcast-text").send_keys("Ten minutes left <b>now</b>")
    button(teacher, "Send to everyone").click()
    wait_text(teacher, "#broadcast-answer", "Sent to every pair.")
    button(teacher, "+5 min").click()
    wait_text(teacher, "#pair-answer", "1 pair got 5 more minutes.")
    for driver in (seller, buyer):
        wait_text(driver, "#timeline", "Ten minutes left <b>now</b>")
        wait_text(driver, "#timeline", "The instructor gave 5 more minutes")
        assert driver.find_elements(By.CSS_SELECTOR, "#timeline b") == []
    assert_accessible(teacher, "the monitor after a pause, a broadcast and more time")

    # The buyer's socket drops; meanwhile the seller writes and the buyer writes too (queued).
    buyer.execute_script("window.parleyRoom.socket.dropForTest()")
    wait_text(buyer, "#room-connection", "Reconnecting")
    wait_text(seller, "#partner-presence", "Ben is offline")
    chat(seller, "Are you still there?")
    wait_s.until(lambda d: chats(d, "Are you still there?") == 1)
    sorry = "Sorry, my train went into a tunnel."
    chat(buyer, sorry)
    wait_text(buyer, ".outbox", "Waiting for the connection")
    assert_accessible(buyer, "the room reconnecting, a message waiting in the outbox")
    assert chats(buyer, "Are you still there?") == 0
    buyer.execute_script("window.parleyRoom.socket.reconnectForTest()")
    wait_text(buyer, "#room-connection", "Back online")
    wait_b.until(lambda d: chats(d, "Are you still there?") == 1 and chats(d, sorry) == 1)
    wait_s.until(lambda d: chats(d, sorry) == 1)
    wait_text(seller, "#partner-presence", "Ben is online")
    assert buyer.find_elements(By.CSS_SELECTOR, ".outbox .pending") == []
    seller_lines = texts(seller, "#timeline .entry")
    buyer_lines = texts(buyer, "#timeline .entry")
    assert len(seller_lines) == len(buyer_lines)  # the same events on both sides, none lost, none twice

    # A live event lost on the way: the next one shows a gap, the buyer resumes and gets both, in order.
    buyer.execute_script(SWALLOW_NEXT_EVENT)
    chat(seller, "One")
    wait_s.until(lambda d: chats(d, "One") == 1)
    chat(seller, "Two")
    wait_b.until(lambda d: chats(d, "Two") == 1)
    assert (
        texts(buyer, "#timeline .chat-text")[-2:] == ["One", "Two"]
        and buyer.execute_script("return window.swallowed") == 1
    )

    # The monitor's socket drops and misses an offer; on reconnecting its fresh snapshot has it.
    teacher.execute_script("window.parleyMonitor.socket.dropForTest()")
    wait_text(teacher, "#monitor-connection", "Reconnecting")

    # The seller makes a MESO offer: three packages; the buyer accepts the second.
    build(seller, 0, 9900, handover="five-weeks", warranty="three-months", tyres="included")
    button(seller, "Add another package").click()
    build(seller, 1, 9600, tyres="seller-keeps")
    button(seller, "Add another package").click()
    build(seller, 2, 10200, warranty="one-month", tyres="included")
    assert not seller.find_element(By.ID, "add-package").is_displayed()  # three is the most
    button(seller, "Send offer (3 packages)").click()
    wait_text(buyer, "#their-offer", "Accept package 3")
    assert "Your points: 50" in text_of(buyer, "#their-offer")  # package 2 for the buyer: 28 + 0 + 22 + 0
    teacher.execute_script("window.parleyMonitor.socket.reconnectForTest()")
    wait_text(teacher, "#monitor-connection", "Back online")
    assert teacher.find_element(By.CSS_SELECTOR, "#pair-row-1 td[data-label=Offers]").text == "3"
    button(buyer, "Accept package 2").click()
    confirm(buyer, "Yes, accept package 2")

    # The survey comes before the results: the outcome says how it ended, with no points yet.
    for driver in (seller, buyer):
        WebDriverWait(driver, 10).until(ec.visibility_of_element_located((By.ID, "room-outcome")))
        outcome = text_of(driver, "#room-outcome")
        assert "Agreement reached" in outcome
        assert not re.search(r"\b(null|undefined)\b", outcome), outcome  # a missing part written as a word
        assert "9,600 EUR" in outcome and "Dana keeps them" in outcome and "In five weeks" in outcome
        assert "after a short survey" in outcome and not re.search(r"\d points|points: \d", outcome)
        assert not driver.find_elements(By.CSS_SELECTOR, "#room-outcome .outcome-points")
        assert len(driver.find_elements(By.CSS_SELECTOR, "#room-outcome .trail li")) == 3  # the offers, no points
        assert not driver.find_element(By.ID, "room-actions").is_displayed()
    assert_accessible(seller, "the room after an agreement, the survey first")
    shot(seller, "negotiation-seller-agreed")
    # Once the survey is skipped (or answered), the outcome has the points and the trail that led there.
    seller.find_element(By.CSS_SELECTOR, "#room-outcome a.survey-link").click()
    seller.find_element(By.CSS_SELECTOR, "#survey-skip button[name=skip]").click()
    wait_text(seller, "#room-outcome", "with your points for it")
    assert seller.find_element(By.CSS_SELECTOR, "#room-outcome .outcome-points strong").text == "47"  # 22 + 25
    trail = [li.text for li in seller.find_elements(By.CSS_SELECTOR, "#room-outcome .trail li")]
    assert len(trail) == 3 and trail[-1].endswith("47 points (accepted) / 73 points"), trail
    assert_accessible(seller, "the room after an agreement and the survey")
    shot(seller, "negotiation-seller-agreed-results")
    shot(buyer, "negotiation-buyer-agreed")

    # The monitor saw every change as it happened.
    wait_text(teacher, "#pair-row-1", "Agreed")
    assert text_of(teacher, "#count-agreed") == "1" and text_of(teacher, "#count-negotiating") == "0"
    assert teacher.find_element(By.CSS_SELECTOR, "#pair-row-1 td[data-label=Offers]").text == "3"
    assert_accessible(teacher, "the monitor, the pair agreed")
    shot(teacher, "negotiation-monitor")
    emulate_phone(teacher)  # on a phone each pair is a card
    teacher.execute_script("document.getElementById('pairs-table').scrollIntoView()")
    assert teacher.execute_script("return document.documentElement.scrollWidth") <= 390
    assert_accessible(teacher, "the monitor on a phone")
    screenshot(teacher, "negotiation-monitor-phone", full=False)
    teacher.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    for driver in windows:
        assert driver.execute_script("return window.__errors") == []
    teacher.find_element(By.LINK_TEXT, "Transcript").click()
    wait_t.until(ec.title_contains("Pair 1"))
    assert "9,600 EUR" in text_of(teacher, "body")
    assert_accessible(teacher, "a pair's transcript")


def test_the_room_waits_for_the_start_and_a_walk_away_ends_it_for_both(server, windows, released_pair):
    exercise, seats = released_pair
    seller, buyer, teacher = windows
    sign_in_both(seller, buyer, server, seats, exercise.pk)
    for driver in (seller, buyer):
        wait_text(driver, "#room-readonly", "The round has not started: read your role and plan.")
        assert not driver.find_element(By.ID, "room-actions").is_displayed()
        assert text_of(driver, "#time-left") == "Not started"
    assert_accessible(buyer, "the room before the round starts")
    shot(buyer, "negotiation-waiting")

    # The instructor starts the round; the rooms open without a reload.
    log_in(teacher, server)
    teacher.get(f"{server}/exercises/{exercise.pk}/")
    assert_accessible(teacher, "the exercise page, roles released")
    button(teacher, "Start negotiations (20 min)").click()
    for driver in (seller, buyer):
        WebDriverWait(driver, 10).until(ec.visibility_of_element_located((By.ID, "chat-form")))
        wait_text(driver, "#timeline", "The negotiation has started")
        assert not driver.find_element(By.ID, "room-readonly").is_displayed()
    assert teacher.find_element(By.LINK_TEXT, "Transcript of pair 1").is_displayed()
    teacher.find_element(By.ID, "monitor-link").click()
    wait_text(teacher, "#pair-row-1", "Negotiating")

    # The buyer walks away, after a confirm step.
    button(buyer, "Walk away…").click()
    reason = buyer.find_element(By.ID, "walk-reason")
    assert reason == buyer.switch_to.active_element
    assert "35 points" in text_of(buyer, "#walk-confirm")
    assert_accessible(buyer, "the room asking to confirm a walk-away")
    reason.send_keys("I found another car.")
    button(buyer, "Yes, walk away").click()
    for driver, who in ((seller, "Ben walked away"), (buyer, "You walked away")):
        wait_text(driver, "#room-outcome", "No agreement")
        outcome = text_of(driver, "#room-outcome")
        assert f"{who}: “I found another car.”" in outcome
        assert "after a short survey" in outcome and not re.search(r"\d points|points: \d", outcome)  # the survey first
        assert not driver.find_element(By.ID, "room-actions").is_displayed()
    assert_accessible(seller, "the room after the partner walked away")
    shot(seller, "negotiation-impasse")
    wait_text(teacher, "#pair-row-1", "Impasse")
    assert text_of(teacher, "#count-impasse") == "1"

    # The instructor ends the round, after a confirmation that says what it ends.
    button(teacher, "End the round…").click()
    assert "Ends 0 open pairs as impasse" in text_of(teacher, "#end-dialog")
    assert_accessible(teacher, "the monitor asking to confirm the end of the round")
    button(teacher, "End the round").click()
    wait_text(teacher, "#end-answer", "The round has ended.")
    wait_text(teacher, "#exercise-state", "Ended")
    assert text_of(teacher, "#class-time") == "ended"
    assert not teacher.find_element(By.ID, "end-dialog").is_displayed()
    assert not button(teacher, "Send to everyone").is_enabled()  # nobody is left to read it
    assert "The round is over" in text_of(teacher, "#broadcast-closed")
    # The way on is in sight where the round was ended: the debrief, its button beside the end's answer.
    onward = teacher.find_element(By.ID, "end-debrief")
    assert onward.is_displayed() and onward.text == "Open the debrief"
    assert onward.get_attribute("href").endswith(f"/exercises/{exercise.pk}/debrief/")
    assert_accessible(teacher, "the monitor, the round ended")

    for driver in windows:
        assert driver.execute_script("return window.__errors") == []


def test_a_half_typed_message_survives_a_reload_and_is_gone_once_sent(server, browsers, live_pair):
    """A phone reloads (a tap on the address bar, a pull down): the message being typed is still in the box,
    kept in this tab (sessionStorage) and nowhere else; once sent, the box stays empty across a reload."""
    exercise, seats = live_pair
    seller = browsers(390, 844)
    sign_in(seller, server, seats["seller"], exercise.pk)
    seller.find_element(By.ID, "chat-text").send_keys("Half a thought about the ty")
    seller.refresh()
    WebDriverWait(seller, 10).until(text_shown((By.ID, "room-connection"), "Connected"))
    assert seller.find_element(By.ID, "chat-text").get_attribute("value") == "Half a thought about the ty"
    seller.find_element(By.ID, "chat-text").send_keys("res.")
    button(seller, "Send").click()
    WebDriverWait(seller, 10).until(lambda d: chats(d, "Half a thought about the tyres.") == 1)
    seller.refresh()
    WebDriverWait(seller, 10).until(lambda d: chats(d, "Half a thought about the tyres.") == 1)
    assert seller.find_element(By.ID, "chat-text").get_attribute("value") == ""


def test_on_a_phone_an_offer_of_three_packages_keeps_its_issue_names_in_sight_when_scrolled(
    server, browsers, live_pair
):
    """Three packages are wider than a phone's timeline: the table scrolls sideways, and the issue names
    stay at its left edge, so that each term read is still known to be a price or a warranty."""
    exercise, seats = live_pair
    negotiation = exercise.negotiations.get()
    seller_seat = Seat.objects.get(negotiation=negotiation, role_key="seller")
    base = {"price": "10500", "handover": "five-weeks", "warranty": "none", "tyres": "included"}
    second = {**base, "price": "10200", "warranty": "one-month"}
    packages = (base, second, {**base, "price": "9900", "tyres": "seller-keeps"})
    negotiation_act(negotiation_id=negotiation.pk, seat=seller_seat, action=Action("offer", "o3", packages=packages))
    buyer = browsers(390, 844)
    emulate_phone(buyer)  # a headless window is at least about 500 px wide, and shorter than asked
    sign_in(buyer, server, seats["buyer"], exercise.pk)
    wrap = WebDriverWait(buyer, 10).until(lambda d: d.find_element(By.CSS_SELECTOR, "#timeline .table-wrap"))
    where = buyer.execute_script(
        """const wrap = arguments[0], name = wrap.querySelector('tbody th');
           wrap.scrollLeft = wrap.scrollWidth;
           return [wrap.scrollLeft, name.getBoundingClientRect().left - wrap.getBoundingClientRect().left];""",
        wrap,
    )
    assert where[0] > 0, "the table did not need to scroll on a phone"
    assert abs(where[1]) < 2, f"the issue names scrolled away ({where[1]:.0f} px from the table's edge)"
    on_top = buyer.execute_script(
        """const name = arguments[0].querySelector('tbody th'), box = name.getBoundingClientRect();
           return document.elementFromPoint(box.left + 4, box.top + box.height / 2) === name;""",
        wrap,
    )
    assert on_top, "the packages' cells cover the issue names"
    screenshot(buyer, "negotiation-phone-three-packages-scrolled", full=False)


def packages_shown(driver) -> list[dict[str, str]]:
    """The offer builder's packages, each issue's field value by its key."""
    return driver.execute_script(
        """return [...document.querySelectorAll('#packages fieldset')].map((set, i) => Object.fromEntries(
             [...set.querySelectorAll('input[type=number], select')]
               .map((f) => [f.id.replace(`p${i}-`, ''), f.value])))"""
    )


def test_the_offer_being_built_survives_a_reload_and_a_draft_that_no_longer_fits_is_dropped(
    server, browsers, live_pair
):
    """A phone reloads while a student builds a two-package offer: both packages come back as they were,
    kept in this tab (sessionStorage) as the chat's draft is; a stored draft that does not fit the
    scenario's issues gives the usual first package. The drafts are the seat's: the other side, signed in
    on the same tab (a shared classroom computer), finds none of them."""
    exercise, seats = live_pair
    negotiation = exercise.negotiations.get()
    seller = browsers(390, 844)
    seller.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CATCH_ERRORS})
    sign_in(seller, server, seats["seller"], exercise.pk)
    WebDriverWait(seller, 10).until(lambda d: len(packages_shown(d)) == 1)
    first = packages_shown(seller)[0]
    # Where the package's total and the BATNA beside it do not fit on one line (a phone, a long label),
    # the line breaks before the dot between them, not after it (a dot left hanging at the line's end):
    # here the line is made to end just after the dot.
    tops = seller.execute_script(
        """const total = document.querySelector('#packages .package-total');
           const text = total.querySelector('.meta').firstChild, dot = text.textContent.indexOf('·');
           const range = (i, j) => { const r = document.createRange(); r.setStart(text, i); r.setEnd(text, j);
                                     return r.getBoundingClientRect(); };
           total.style.width = `${range(dot, dot + 1).right - total.getBoundingClientRect().left + 2}px`;
           const tops = [range(dot, dot + 1).top, range(dot + 2, dot + 3).top];
           total.style.width = '';
           return tops;"""
    )
    assert tops[0] == tops[1], f"the dot and the word after it are on different lines: {tops}"
    build(seller, 0, 9700, warranty="one-month")
    button(seller, "Add another package").click()
    build(seller, 1, 9200, tyres="included")
    seller.find_element(By.ID, "chat-text").send_keys("About the tyres")
    built = packages_shown(seller)
    assert len(built) == 2 and built[0]["price"] == "9700" and built[1]["price"] == "9200"
    seller.refresh()
    WebDriverWait(seller, 10).until(lambda d: len(packages_shown(d)) == 2)
    assert packages_shown(seller) == built
    assert "Send offer (2 packages)" in text_of(seller, "#send-offer")

    seat = Seat.objects.get(negotiation=negotiation, role_key="seller")
    key = f"parley.offer-draft.{negotiation.pk}.{seat.pk}"
    assert json.loads(seller.execute_script("return sessionStorage.getItem(arguments[0])", key)) == built
    unfit = [
        [{**built[0], "warranty": "ten-years"}],  # an option the issue does not have
        [{**built[0], "price": "9701"}],  # off the price's grid
        [{**built[0], "price": 9700}],  # a number where the form keeps text
        [{k: v for k, v in built[0].items() if k != "tyres"}],  # an issue missing
        [built[0], built[1], {**built[0], "price": "9000"}, {**built[0], "price": "8900"}],  # four packages
    ]
    for draft in [*(json.dumps(d) for d in unfit), "not json"]:
        seller.execute_script("sessionStorage.setItem(arguments[0], arguments[1])", key, draft)
        seller.refresh()
        WebDriverWait(seller, 10).until(lambda d: len(packages_shown(d)) == 1)
        assert packages_shown(seller) == [first], draft

    sign_in(seller, server, seats["buyer"], exercise.pk)  # the other side, on the same tab (drafts cleared)
    # Whatever the seller's seat left in this tab, the buyer's room shows none of it.
    sent_id = "0b0f4c2e-8d1a-4c55-9a57-3f1e2d4c5b6a"
    left = {
        f"parley.offer-draft.{negotiation.pk}.{seat.pk}": json.dumps(built),
        f"parley.chat-draft.{negotiation.pk}.{seat.pk}": "The seller's draft",
        f"parley.chat-unsent.{negotiation.pk}.{seat.pk}": json.dumps([{"id": sent_id, "text": "The seller's chat"}]),
    }
    for stored_key, value in left.items():
        seller.execute_script("sessionStorage.setItem(arguments[0], arguments[1])", stored_key, value)
    seller.refresh()
    WebDriverWait(seller, 10).until(text_shown((By.ID, "room-connection"), "Connected"))
    WebDriverWait(seller, 10).until(lambda d: len(packages_shown(d)) == 1)
    assert packages_shown(seller)[0] != built[0]
    assert seller.find_element(By.ID, "chat-text").get_attribute("value") == ""
    assert not texts(seller, ".outbox .chat-text")
    assert not Event.objects.filter(negotiation=negotiation, type="chat").exists()
    assert seller.execute_script("return window.__errors") == []

    # Signing out takes the tab's drafts with it, every seat's: the next person at the computer finds none.
    kept = "return Object.keys(sessionStorage).filter((k) => k.startsWith('parley.'))"
    assert set(left) <= set(seller.execute_script(kept))
    seller.find_element(By.XPATH, "//button[starts-with(normalize-space(.), 'Sign out')]").click()
    WebDriverWait(seller, 10).until(lambda d: not d.find_elements(By.ID, "room"))
    assert seller.execute_script(kept) == []


def test_a_message_sent_while_the_socket_is_cut_survives_a_reload_and_is_stored_once(server, browsers, live_pair):
    """A phone's connection drops just as a student presses Send: the message waits for the connection.
    They reload; it is still there, waiting, and once the connection is back it is sent again with its own
    id, so that the copy the first connection sent, arriving late, is not stored twice."""
    exercise, seats = live_pair
    negotiation = exercise.negotiations.get()
    cable = Cable(int(server.rsplit(":", 1)[1]), sockets_only=True)
    seller = browsers(390, 844)
    seller.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CATCH_ERRORS})
    text = "Sent from the tunnel."
    try:
        sign_in(seller, f"http://127.0.0.1:{cable.port}", seats["seller"], exercise.pk)
        WebDriverWait(seller, 10).until(text_shown((By.ID, "room-connection"), "Connected"))
        cable.up.clear()  # the socket's connection cut, its pages still served
        seller.find_element(By.ID, "chat-text").send_keys(text)
        button(seller, "Send").click()
        seat = Seat.objects.get(negotiation=negotiation, role_key="seller")
        kept = seller.execute_script(
            "return sessionStorage.getItem(arguments[0])", f"parley.chat-unsent.{negotiation.pk}.{seat.pk}"
        )
        (sent,) = json.loads(kept)
        assert sent["text"] == text
        seller.refresh()
        WebDriverWait(seller, 10).until(lambda d: texts(d, ".outbox .chat-text") == [text])
        assert "Waiting for the connection" in text_of(seller, ".outbox .pending-note")
        # The timeline is not known yet: it says it is connecting, not that nothing was said.
        empty = "return getComputedStyle(document.getElementById('timeline'), '::before').content"
        assert seller.execute_script(empty) == '"Connecting…"'
        assert seller.find_element(By.ID, "chat-text").get_attribute("value") == ""
        assert not Event.objects.filter(negotiation=negotiation, type="chat").exists()
        screenshot(seller, "negotiation-chat-unsent-after-reload", full=False)
        # Back: the reloaded page's socket opens and sends it again; the first socket's copy, held in the
        # cut, goes through too unless the server closed that silent socket first.
        cable.up.set()
        WebDriverWait(seller, 15).until(lambda d: chats(d, text) == 1 and not texts(d, ".outbox .chat-text"))
        stored = Event.objects.filter(negotiation=negotiation, type="chat")
        WebDriverWait(seller, 10).until(lambda _: stored.count() == 1)
        seller.refresh()
        WebDriverWait(seller, 10).until(text_shown((By.ID, "room-connection"), "Connected"))
        assert chats(seller, text) == 1 and not texts(seller, ".outbox .chat-text")
        assert stored.count() == 1 and stored.get().payload["text"] == text
        assert stored.get().client_msg_id == sent["id"]  # the same id, sent again: stored once whichever came first
        # Without its script the page cannot connect, and its empty timeline does not claim to be connecting.
        seller.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
        seller.refresh()
        WebDriverWait(seller, 10).until(lambda d: d.find_elements(By.ID, "timeline"))
        assert seller.execute_script(empty) == "none"
        seller.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})
        assert seller.execute_script("return window.__errors") == []
    finally:
        cable.close()


def entries(driver) -> list[str]:
    return texts(driver, "#timeline .chat-text")


def test_a_long_negotiation_opens_on_its_latest_messages_and_shows_earlier_ones_on_request(server, browsers, live_pair):
    """The snapshot carries the state and the latest events: the offer on the table comes from the
    state, though its event is far back; earlier messages come a page at a time, on a tap or a scroll."""
    exercise, seats = live_pair
    negotiation = exercise.negotiations.get()
    seller_seat = Seat.objects.get(negotiation=negotiation, role_key="seller")
    package = {"price": "9500", "handover": "three-weeks", "warranty": "none", "tyres": "included"}
    negotiation_act(negotiation_id=negotiation.pk, seat=seller_seat, action=Action("offer", "o", packages=(package,)))
    last = long_history(negotiation, 130, text="Message {seq}")  # events 3 to 132
    buyer = browsers()
    buyer.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CATCH_ERRORS})
    sign_in(buyer, server, seats["buyer"], exercise.pk)

    # The latest messages, and the seller's offer (event 2, offer 1) on the table, from the snapshot's state.
    wait_text(buyer, "#their-offer", f"Ada{APOS}s offer 1")
    shown = entries(buyer)
    assert shown[-1] == f"Message {last}" and 1 <= len(shown) <= 50
    assert "Message 3" not in shown
    earlier = buyer.find_element(By.ID, "earlier-messages")
    assert earlier.is_displayed()
    assert_accessible(buyer, "the room of a long negotiation, on its latest messages")
    screenshot(buyer, "negotiation-long-latest")

    # A page refused as too fast (its answer lost here, a rate_limited error in its place): the button
    # works again.
    buyer.execute_script(SWALLOW_NEXT_HISTORY)
    earlier.click()
    WebDriverWait(buyer, 10).until(lambda d: d.execute_script("return window.swallowedHistory") == 1)
    assert not earlier.is_enabled()
    buyer.execute_script(
        "window.parleyRoom.socket._frame({type: 'error', code: 'rate_limited', message: 'too many frames',"
        " client_msg_id: null}, false)"
    )
    WebDriverWait(buyer, 10).until(lambda d: earlier.is_enabled())
    assert entries(buyer) == shown

    # A tap brings the page before; scrolling to the top the next, without moving the reader.
    earlier.click()
    WebDriverWait(buyer, 10).until(lambda d: len(entries(d)) > len(shown))
    assert entries(buyer)[-len(shown) :] == shown
    emulate_phone(buyer)

    def more_or_all(count: int):  # type: ignore[no-untyped-def]
        return lambda d: len(entries(d)) > count or not d.find_element(By.ID, "earlier-messages").is_displayed()

    while buyer.find_element(By.ID, "earlier-messages").is_displayed():
        count = len(entries(buyer))
        buyer.execute_script("document.getElementById('timeline').scrollTop = 0")
        WebDriverWait(buyer, 10).until(more_or_all(count))
    assert entries(buyer) == [f"Message {seq}" for seq in range(3, last + 1)]
    wait_text(buyer, "#timeline", "The negotiation has started")
    assert len(buyer.find_elements(By.CSS_SELECTOR, '#timeline [data-offer="2"]')) == 1
    assert_accessible(buyer, "the room of a long negotiation on a phone, every message shown")
    screenshot(buyer, "negotiation-long-phone", full=False)

    # Away for a long while: back, the room starts again from the snapshot's state and latest events.
    buyer.execute_script("window.parleyRoom.socket.dropForTest()")
    later = long_history(negotiation, 60, text="Later {seq}")
    buyer.execute_script("window.parleyRoom.socket.reconnectForTest()")
    wait_text(buyer, "#timeline", f"Later {later}")
    assert "Message 3" not in entries(buyer) and len(entries(buyer)) <= 50
    assert buyer.find_element(By.ID, "earlier-messages").is_displayed()
    assert f"Ada{APOS}s offer 1" in text_of(buyer, "#their-offer")

    # The offer from far back is accepted; the trail says where the offers are.
    buyer.find_element(By.CSS_SELECTOR, '#their-offer button[data-offer-seq="2"]').click()
    confirm(buyer, "Yes, accept package 1")
    wait_text(buyer, "#room-outcome", "Agreement reached")
    assert "1 offer, in the earlier messages" in text_of(buyer, "#room-outcome")
    assert buyer.execute_script("return window.__errors") == []


BELOW = {"price": "10500", "handover": "five-weeks", "warranty": "none", "tyres": "included"}  # buyer 22 < 35
ABOVE = {"price": "9600", "handover": "five-weeks", "warranty": "three-months", "tyres": "seller-keeps"}  # buyer 50
THIRD = {"price": "10200", "handover": "three-weeks", "warranty": "one-month", "tyres": "included"}


def in_view(driver, selector: str) -> bool:
    return driver.execute_script(
        "const r = document.querySelector(arguments[0]).getBoundingClientRect();"
        "return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight;",
        selector,
    )


# Each word of a cell, as a Range: one that spans two lines was broken inside itself.
BROKEN_WORDS = """
const broken = [];
for (const cell of document.querySelectorAll(arguments[0])) {
  const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const word of node.data.matchAll(/\\S+/g)) {
      const range = document.createRange();
      range.setStart(node, word.index);
      range.setEnd(node, word.index + word[0].length);
      if (new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size > 1) broken.push(word[0]);
    }
  }
}
return broken;
"""


def broken_words(driver, selector: str) -> list[str]:
    """The words of the cells `selector` finds that the page broke across two lines."""
    return driver.execute_script(BROKEN_WORDS, selector)


def tap(driver, label: str) -> None:
    """Click a button from the middle of the screen, where the room's sticky bar cannot cover it."""
    target = button(driver, label)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", target)
    target.click()


def focused_id(driver) -> str:
    return driver.switch_to.active_element.get_attribute("id")


# The seller acts in the test process: Daphne, another process, hears of it through Redis.
@pytest.mark.redis
def test_on_a_phone_the_bar_stays_in_sight_and_binding_steps_are_confirmed_against_the_batna(
    server, browsers, live_pair
):
    """The buyer alone in a browser, on a phone; the seller acts through the services."""
    exercise, seats = live_pair
    negotiation = exercise.negotiations.get()
    seller = Seat.objects.get(negotiation=negotiation, role_key="seller")
    buyer = browsers()
    buyer.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CATCH_ERRORS})
    emulate_phone(buyer)
    sign_in(buyer, server, seats["buyer"], exercise.pk)
    room = f"{server}/s/exercises/{exercise.pk}/"

    # The planning sheet: after saving, the confirmation (or the errors) is where the student looks, focused.
    buyer.find_element(By.ID, "id_batna").send_keys("35")
    buyer.find_element(By.ID, "id_batna").submit()
    WebDriverWait(buyer, 10).until(lambda d: focused_id(d) == "planning-saved")
    assert text_of(buyer, "#planning-saved") == "Planning sheet saved." and in_view(buyer, "#planning-saved")
    assert buyer.find_elements(By.CSS_SELECTOR, "ul.messages li") == []
    screenshot(buyer, "room-phone-planning-saved", full=False)
    assert_accessible(buyer, "the room on a phone, the planning sheet saved")
    Select(buyer.find_element(By.ID, "id_rank_price")).select_by_value("1")
    Select(buyer.find_element(By.ID, "id_rank_handover")).select_by_value("1")
    buyer.find_element(By.ID, "id_batna").submit()
    WebDriverWait(buyer, 10).until(lambda d: focused_id(d) == "planning-errors")
    assert "Rank every issue, or none." in text_of(buyer, "#planning")
    assert in_view(buyer, "#planning-errors")
    buyer.get(room)
    wait_text(buyer, "#room-connection", "Connected")

    # Offers are numbered as offers; terms by their labels. At the bottom of the role sheet, the bar
    # stays in sight with time left, the connection and an alert for the new offer.
    act = lambda **kw: negotiation_act(negotiation_id=negotiation.pk, seat=seller, action=Action(**kw))  # noqa: E731
    act(type="chat", client_msg_id="c1", text="Here is my price.")
    act(type="offer", client_msg_id="o1", packages=(BELOW,))
    wait_text(buyer, "#their-offer", f"Ada{APOS}s offer 1")
    buyer.execute_script("window.scrollTo(0, document.body.scrollHeight)")
    act(type="offer", client_msg_id="o2", packages=(BELOW, ABOVE))  # event 4, offer 2
    wait_text(buyer, "#offer-alert", "New offer from Ada: offer 2.")
    for part in ("#room-bar", "#time-left", "#room-connection", "#offer-alert"):
        assert in_view(buyer, part), part
    assert "Connected" in text_of(buyer, "#room-bar") and ":" in text_of(buyer, "#time-left")
    my_role = "#room-bar a[href='#sheet']"  # the role sheet one tap away, from the bar itself
    assert text_of(buyer, my_role) == "My role" and in_view(buyer, my_role)
    screenshot(buyer, "room-phone-scrolled", full=False)
    assert_accessible(buyer, "the room on a phone with a new offer announced in the bar")
    timeline = text_of(buyer, "#timeline")
    assert "made offer 1." in timeline and "made offer 2: 2 packages, any one of which may be accepted." in timeline
    assert "#4" not in timeline and "In five weeks" in timeline and "five-weeks" not in timeline
    assert "10,500 EUR" in timeline
    tap(buyer, "See it")
    WebDriverWait(buyer, 5).until(lambda d: not d.find_element(By.ID, "offer-alert").is_displayed())
    assert f"Ada{APOS}s offer 2" in buyer.switch_to.active_element.text
    screenshot(buyer, "room-phone-table", full=False)

    # The package below the BATNA says so on its card, before any button is pressed; the other does not.
    cards = [card.text for card in buyer.find_elements(By.CSS_SELECTOR, "#table .package-box")]
    below = "Below your BATNA: this package gives you 22 points, 13 fewer than the 35"
    assert below in cards[0] and not any("Below your BATNA" in card for card in cards[1:]), cards

    # Accepting a package below the BATNA: the dialog shows it, the points beside the BATNA and a plain
    # warning; Escape cancels, nothing is sent, the focus is back on the button.
    accept = button(buyer, "Accept package 1")
    tap(buyer, "Accept package 1")
    dialog = buyer.find_element(By.ID, "confirm-dialog")
    WebDriverWait(buyer, 5).until(lambda d: dialog.get_attribute("open") is not None)
    shown = dialog.text
    assert f"Accept package 1 of Ada{APOS}s offer 2?" in shown and "In five weeks" in shown and "10,500 EUR" in shown
    assert "Your points\n22" in shown and "Your BATNA (no agreement)\n35" in shown
    assert "Below your BATNA: this package gives you 22 points, 13 fewer than the 35" in shown
    assert buyer.switch_to.active_element.text == "Cancel"
    screenshot(buyer, "room-phone-accept-warning", full=False)
    assert_accessible(buyer, "the accept dialog with the warning below the BATNA")
    buyer.switch_to.active_element.send_keys(Keys.ESCAPE)
    WebDriverWait(buyer, 5).until(lambda d: dialog.get_attribute("open") is None)
    assert buyer.switch_to.active_element == accept
    assert buyer.execute_script("return window.parleyRoom.socket.pending.size") == 0
    assert not Event.objects.filter(negotiation=negotiation, type="accept").exists()

    # The builder warns of a package below the BATNA as it is built, and asks before sending it.
    build(buyer, 0, 11000, handover="five-weeks", warranty="none", tyres="seller-keeps")
    warning = buyer.find_element(By.CSS_SELECTOR, "#packages .below-batna")
    assert warning.is_displayed() and "Below your BATNA" in warning.text
    tap(buyer, "Send offer")
    WebDriverWait(buyer, 5).until(lambda d: dialog.get_attribute("open") is not None)
    assert "Send a package below your BATNA?" in dialog.text and "Below your BATNA" in dialog.text
    screenshot(buyer, "room-phone-offer-warning", full=False)
    assert_accessible(buyer, "the dialog before sending a package below the BATNA")
    dialog.find_element(By.CSS_SELECTOR, ".confirm-no").click()
    WebDriverWait(buyer, 5).until(lambda d: dialog.get_attribute("open") is None)
    assert Event.objects.filter(negotiation=negotiation, type="offer").count() == 2

    # A chat past the limit: a counter, a clear message, and the text stays whole in the box.
    long = "x" * 2050
    buyer.execute_script(
        "const box = document.getElementById('chat-text'); box.value = arguments[0];"
        "box.dispatchEvent(new Event('input', {bubbles: true}));",
        long,
    )
    wait_text(buyer, "#chat-count", "2,050 of 2,000 characters: 50 too many")
    tap(buyer, "Send")
    wait_text(buyer, "#chat-error", "This message is 50 characters too long")
    assert buyer.find_element(By.ID, "chat-text").get_attribute("value") == long
    buyer.execute_script("document.getElementById('chat-text').value = ''")

    # Ada replaces her offer while the buyer's accept dialog is open: it closes, nothing is sent, and
    # the room says why.
    tap(buyer, "Accept package 2")
    WebDriverWait(buyer, 5).until(lambda d: dialog.get_attribute("open") is not None)
    act(type="offer", client_msg_id="o3", packages=(BELOW, ABOVE, THIRD))
    WebDriverWait(buyer, 5).until(lambda d: dialog.get_attribute("open") is None)
    wait_text(buyer, "#table-error", "Ada replaced offer 2 with offer 3 while you were deciding: nothing was accepted.")
    assert not Event.objects.filter(negotiation=negotiation, type="accept").exists()
    # The timeline's table of three packages on a phone's width keeps every word whole.
    meso = "#timeline .entry:last-of-type .offer-table"
    assert len(buyer.find_elements(By.CSS_SELECTOR, f"{meso} th[data-package]")) == 3
    assert broken_words(buyer, f"{meso} th, {meso} td") == []

    # At desktop width, by keyboard alone: the accept dialog for a package above the BATNA, then confirmed.
    buyer.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    accept = button(buyer, "Accept package 2")
    buyer.execute_script("arguments[0].focus()", accept)
    accept.send_keys(Keys.ENTER)
    WebDriverWait(buyer, 5).until(lambda d: dialog.get_attribute("open") is not None)
    assert "Below your BATNA" not in dialog.text and "Your points\n50" in dialog.text
    screenshot(buyer, "room-accept-dialog", full=False)
    buyer.switch_to.active_element.send_keys(Keys.SHIFT, Keys.TAB)
    assert buyer.switch_to.active_element.text == "Yes, accept package 2"
    buyer.switch_to.active_element.send_keys(Keys.ENTER)
    wait_text(buyer, "#room-outcome", "Agreement reached")
    assert f"You accepted Ada{APOS}s offer 3" in text_of(buyer, "#room-outcome")
    screenshot(buyer, "room-desktop-agreed")
    assert buyer.execute_script("return window.__errors") == []
