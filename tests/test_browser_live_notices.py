"""A student's open pages follow the round without a reload, over a real Daphne (and, with REDIS_URL, a
real Celery worker computing the debrief): the home page, the role sheet and the room, each in its own
tab, show the round's start, its end and the debrief as they happen."""

from __future__ import annotations

import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from classrooms import services
from negotiations import rounds
from tests.base import add_students, agree, seats_by_role, start_round
from tests.browser import WebDriverWait, assert_accessible, emulate_phone, screenshot, text_shown
from tests.servers import Cable

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEAL = {"price": 9500, "handover": "three-weeks", "warranty": "none", "tyres": "included"}
MARK = "window.__notReloaded = true;"  # gone if the page reloads
STILL_THE_SAME_PAGE = "return window.__notReloaded === true;"


def sign_in(driver, base: str, student) -> None:
    driver.get(f"{base}/s/{services.student_link_token(student)}/")
    driver.find_element(By.XPATH, f"//button[normalize-space()='Continue as {student.display_name}']").click()
    WebDriverWait(driver, 10).until(ec.title_contains("My exercises"))


def open_tabs(driver, base: str, exercise) -> dict[str, str]:
    """The home page, the role sheet and the room, each in a tab; every tab marked to show a reload."""
    tabs = {"home": driver.current_window_handle}
    driver.execute_script(MARK)
    for name, anchor in (("sheet", "#sheet"), ("room", "#room")):
        driver.switch_to.new_window("tab")
        driver.get(f"{base}/s/exercises/{exercise.pk}/{anchor}")
        tabs[name] = driver.current_window_handle
        driver.execute_script(MARK)
    for handle in tabs.values():  # each page's notice socket is open
        driver.switch_to.window(handle)
        WebDriverWait(driver, 10).until(lambda d: d.execute_script("return window.parleyNotices.status") == "online")
    return tabs


def on_every_tab(driver, tabs: dict[str, str], checks: dict[str, tuple[str, str]], timeout: float = 10) -> None:
    """Each tab shows its text (a CSS selector and the words) within `timeout`, without a reload."""
    for name, (selector, words) in checks.items():
        driver.switch_to.window(tabs[name])
        WebDriverWait(driver, timeout).until(text_shown((By.CSS_SELECTOR, selector), words))
        assert driver.execute_script(STILL_THE_SAME_PAGE), f"the {name} tab reloaded"


# The round is released, started and ended by the test process: Daphne, another process, hears of it through Redis.
@pytest.mark.redis
def test_the_home_page_role_sheet_and_room_show_the_round_as_it_happens(server, browsers, exercise, classroom):
    ada, ben = add_students(classroom, "Ada", "Ben")
    rounds.exercise_pair(exercise=exercise, student_ids=[ada.pk, ben.pk], seed=1)
    driver = browsers()
    sign_in(driver, server, ada)
    assert "meta http-equiv" not in driver.page_source  # no polling
    assert "preparing an exercise" in driver.find_element(By.ID, "student-exercises").text
    driver.execute_script(MARK)

    WebDriverWait(driver, 10).until(lambda d: d.execute_script("return window.parleyNotices.status") == "online")
    rounds.exercise_release(exercise=exercise)
    WebDriverWait(driver, 10).until(text_shown((By.ID, "student-exercises"), "Roles released"))
    assert driver.execute_script(STILL_THE_SAME_PAGE)
    screenshot(driver, "notices-home-released")
    assert_accessible(driver, "a student's home, updated in place: roles released")
    tabs = open_tabs(driver, server, exercise)
    on_every_tab(
        driver, tabs, {"sheet": ("#round-notice", "Roles are out"), "room": ("#round-notice", "Roles are out")}
    )

    rounds.exercise_start(exercise=exercise)
    on_every_tab(
        driver,
        tabs,
        {"home": ("#student-exercises", "Live"), "sheet": ("#round-notice", "The round is on"),
         "room": ("#round-notice", "The round is on")},
    )  # fmt: skip

    # The pair agrees before the round ends: every tab says so, the survey next, the home page too.
    agree(exercise.negotiations.get(), DEAL)
    on_every_tab(
        driver,
        tabs,
        {"home": ("#student-exercises", "Your negotiation has ended"),
         "sheet": ("#round-notice", "Before your results"), "room": ("#round-notice", "Before your results")},
    )  # fmt: skip
    driver.switch_to.window(tabs["home"])
    assert "Answer the survey" in driver.find_element(By.ID, "student-exercises").text
    assert_accessible(driver, "a student's home, told in place that their pair ended: the survey next")

    rounds.exercise_end(exercise=exercise)
    on_every_tab(
        driver,
        tabs,
        {"home": ("#student-exercises", "Ended"), "sheet": ("#round-notice", "Your negotiation has ended"),
         "room": ("#round-notice", "Your negotiation has ended")},
    )  # fmt: skip
    driver.switch_to.window(tabs["home"])
    screenshot(driver, "notices-home-ended")
    emulate_phone(driver)
    screenshot(driver, "notices-home-ended-phone")
    driver.switch_to.window(tabs["room"])
    screenshot(driver, "notices-room-ended", full=False)
    assert_accessible(driver, "the room, told in place that the round ended: the survey first")


def test_a_student_whose_network_drops_is_seen_offline_on_both_sides_within_ten_seconds(
    server, browsers, exercise, classroom
):
    """With the production heartbeat (3 s, 8 s idle): Ada's connection is cut without a close (her
    browser reaches Daphne through a relay that stops passing anything). Her room says it is
    reconnecting and no longer claims Ben is online, and Ben's shows her offline, each within 10 s."""
    (negotiation,) = start_round(exercise, classroom, 2)
    seats = seats_by_role(negotiation)
    cable = Cable(int(server.rsplit(":", 1)[1]))
    ada, ben = browsers(), browsers()
    try:
        for driver, role, base in ((ada, "seller", f"http://127.0.0.1:{cable.port}"), (ben, "buyer", server)):
            sign_in(driver, base, seats[role].student)
            driver.get(f"{base}/s/exercises/{exercise.pk}/#room")
        for driver in (ada, ben):
            wait = WebDriverWait(driver, 15)
            wait.until(text_shown((By.ID, "partner-presence"), "is online"))
        cable.up.clear()
        cut = time.monotonic()
        WebDriverWait(ada, 10).until(text_shown((By.ID, "room-connection"), "Reconnecting"))
        own = time.monotonic() - cut
        assert "is online" not in ada.find_element(By.ID, "partner-presence").text  # not known while cut off
        WebDriverWait(ben, max(0.1, 10 - own)).until(text_shown((By.ID, "partner-presence"), "is offline"))
        partner = time.monotonic() - cut
        print(f"offline seen: by the student after {own:.1f} s, by the partner after {partner:.1f} s")
        assert own <= 10 and partner <= 10
        screenshot(ada, "heartbeat-offline-own", full=False)
        screenshot(ben, "heartbeat-offline-partner", full=False)
        assert_accessible(ada, "the room, its connection cut: reconnecting")
        emulate_phone(ada)
        screenshot(ada, "heartbeat-offline-own-phone", full=False)
        cable.up.set()  # the network is back: Ada reconnects by herself
        WebDriverWait(ben, 20).until(text_shown((By.ID, "partner-presence"), "is online"))
    finally:
        cable.close()
