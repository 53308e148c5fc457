"""The debrief in a real browser: pairs play through the live protocol on a real Daphne, the instructor
watches the debrief page, ends the round from the monitor, and the debrief appears without a reload;
the charts download as PNG and SVG, the export downloads, and a student reads their debrief on a phone.

With REDIS_URL a real Celery worker computes the debrief; without it the tasks run eagerly in Daphne.
"""

from __future__ import annotations

import asyncio
import base64
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.urls import NoReverseMatch, reverse
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from classrooms import services
from negotiations import rounds
from negotiations.client import LiveClient, sign_in
from tests.base import add_students, seats_by_role
from tests.browser import (
    ARTIFACTS,
    WebDriverWait,
    assert_accessible,
    emulate_phone,
    log_in,
    screenshot,
    skip_survey,
    text_shown,
    texts,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CATCH_ERRORS = """
window.__errors = [];
window.addEventListener("error", (e) => window.__errors.push(String(e.message)));
window.addEventListener("unhandledrejection", (e) => window.__errors.push(String(e.reason)));
"""
LOSE_LOSE = {"price": "9500", "handover": "three-weeks", "warranty": "none", "tyres": "seller-keeps"}
NASH = {"price": "10000", "handover": "five-weeks", "warranty": "three-months", "tyres": "included"}
BUYER_MESO = (
    {"price": "9000", "handover": "saturday", "warranty": "three-months", "tyres": "included"},
    {"price": "9800", "handover": "five-weeks", "warranty": "three-months", "tyres": "included"},
)
HIGH = {"price": "10800", "handover": "five-weeks", "warranty": "one-month", "tyres": "included"}


@pytest.fixture
def downloads() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="parley-downloads-") as folder:
        yield Path(folder)


@pytest.fixture
def teacher(browsers, downloads):
    driver = browsers(1280, 900)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CATCH_ERRORS})
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    return driver


@pytest.fixture
def round_of_five(exercise, classroom, instructor):
    """Ten students in five pairs, roles out, the round started."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    hasher = PBKDF2PasswordHasher()  # the server process knows only the default hashers
    instructor.password = hasher.encode("a-long-password", hasher.salt(), iterations=1000)
    instructor.save(update_fields=["password"])
    students = add_students(classroom, *[f"Learner {chr(65 + i)}" for i in range(10)])
    rounds.exercise_pair(exercise=exercise, student_ids=[s.pk for s in students], seed=3)
    rounds.exercise_release(exercise=exercise)
    rounds.exercise_start(exercise=exercise)
    return exercise, list(exercise.negotiations.order_by("number"))


def signed_in(base: str, negotiation) -> tuple[str, dict[str, str]]:
    """The pair's socket address and each role's session cookie, from their personal links."""
    url = base.replace("http", "ws") + f"/ws/negotiations/{negotiation.pk}/"
    seats = seats_by_role(negotiation)
    return url, {role: sign_in(base, f"/s/{services.student_link_token(s.student)}/") for role, s in seats.items()}


async def play_pair(base: str, pair: tuple[str, dict[str, str]], script) -> None:
    """Both students act over the negotiation socket, as any client of the protocol would."""
    url, cookies = pair
    clients = {role: LiveClient(url, cookie, base) for role, cookie in cookies.items()}
    for client in clients.values():
        await client.connect()
    try:
        await script(clients)
    finally:
        for client in clients.values():
            await client.close()


def offer_then_accept(opener: str, packages, chosen: int = 0):
    async def script(clients) -> None:
        other = "buyer" if opener == "seller" else "seller"
        offer = await clients[opener].act({"type": "offer", "packages": list(packages)})
        await clients[other].act({"type": "accept", "offer_seq": offer["seq"], "package": chosen})

    return script


async def walk_away(clients) -> None:
    await clients["seller"].act({"type": "offer", "packages": [HIGH]})
    await clients["buyer"].act({"type": "walk_away"})


def play_round(base: str, negotiations) -> None:
    pairs = [signed_in(base, n) for n in negotiations[:4]]
    scripts = [
        offer_then_accept("seller", [LOSE_LOSE]),
        offer_then_accept("seller", [NASH]),
        offer_then_accept("buyer", BUYER_MESO, chosen=1),
        walk_away,
    ]  # the fifth pair is still talking when the round ends

    async def play() -> None:
        await asyncio.gather(*(play_pair(base, p, s) for p, s in zip(pairs, scripts, strict=True)))

    asyncio.run(play())


def answer_survey(negotiations) -> int:
    """Every student of these pairs answers the survey, each differently; 0 without the survey app."""
    try:
        from surveys.services import survey_save
    except ImportError:
        return 0
    from negotiations.models import Seat

    seats = Seat.objects.filter(negotiation__in=negotiations, kind=Seat.Kind.STUDENT).select_related("negotiation")
    for i, seat in enumerate(seats):
        survey_save(seat=seat, answers={item: 1 + (item + 2 * i) % 7 for item in range(1, 17)})
    return len(seats)


def wait_for_file(folder: Path, suffix: str, timeout: float = 15) -> Path:
    def found(_):
        files = [p for p in folder.iterdir() if p.name.endswith(suffix) and p.stat().st_size > 0]
        return files[0] if files else False

    return WebDriverWait(None, timeout, poll_frequency=0.1).until(found)


def element_shot(driver, name: str, selector: str) -> Path:
    """A screenshot of one part of the page (a phone's full page is too long to look at)."""
    box = driver.execute_script(
        "const r = document.querySelector(arguments[0]).getBoundingClientRect();"
        "return {x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height};",
        selector,
    )
    clip = {**box, "height": min(box["height"], 4000), "scale": 1}
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


def sort_joint(driver, direction: str) -> None:
    """Click the pairs table's joint-gain heading and wait for the head drawn anew sorted that way. The head
    may be drawn anew between finding the heading and clicking it (the debrief's live update): click the
    new one then."""

    def clicked(d) -> bool:  # type: ignore[no-untyped-def]
        try:
            d.find_element(By.CSS_SELECTOR, "#pairs-head [data-sort='joint']").click()
        except StaleElementReferenceException:
            return False
        return True

    WebDriverWait(driver, 10).until(clicked)
    heading = "#pairs-head th:has(> [data-sort='joint'])"
    WebDriverWait(driver, 10).until(
        lambda d: (
            d.execute_script(
                "const th = document.querySelector(arguments[0]); return th && th.getAttribute('aria-sort');", heading
            )
            == direction
        )
    )


def points(driver, chart: str) -> int:
    """How many data points (each distinct position once) a scatter draws."""
    return len(driver.find_elements(By.CSS_SELECTOR, f"svg[data-chart='{chart}'] .point[data-x]"))


def in_chart(driver, chart: str, selector: str) -> list:
    return driver.find_elements(By.CSS_SELECTOR, f"svg[data-chart='{chart}'] {selector}")


def bar_total(driver, chart: str) -> int:
    """How many pairs a histogram's bars add up to."""
    return sum(int(bar.get_attribute("data-count")) for bar in in_chart(driver, chart, "rect.bar"))


def test_the_debrief_appears_live_when_the_round_ends_and_charts_download(server, teacher, downloads, round_of_five):
    exercise, pairs = round_of_five
    wait = WebDriverWait(teacher, 15)

    # The instructor opens the debrief before anyone has finished.
    log_in(teacher, server)
    teacher.get(f"{server}/exercises/{exercise.pk}/")
    teacher.find_element(By.ID, "debrief-link").click()
    wait.until(text_shown((By.ID, "debrief-connection"), "Live"))
    waiting = teacher.find_element(By.ID, "debrief-waiting")
    assert "will appear here when the round ends" in waiting.text and "5 of 5 pairs are still open" in waiting.text
    assert not teacher.find_element(By.ID, "debrief-body").is_displayed()
    debrief_window = teacher.current_window_handle

    # Four pairs finish through the live protocol; the page counts them down without a reload.
    play_round(server, pairs)
    wait.until(text_shown((By.ID, "debrief-waiting"), "1 of 5 pairs is still open"))
    assert_accessible(teacher, "the debrief waiting for the round to end")
    screenshot(teacher, "debrief-waiting")

    # The instructor ends the round from the monitor in another tab.
    teacher.switch_to.new_window("tab")
    teacher.get(f"{server}/exercises/{exercise.pk}/monitor/")
    wait.until(ec.element_to_be_clickable((By.ID, "end-open"))).click()
    teacher.find_element(By.CSS_SELECTOR, "#end-dialog [data-confirm]").click()
    wait.until(text_shown((By.ID, "end-answer"), "The round has ended."))
    assert_accessible(teacher, "the monitor, the round ended by the instructor")
    teacher.switch_to.window(debrief_window)

    # The debrief arrives by itself.
    WebDriverWait(teacher, 20).until(lambda d: d.find_element(By.ID, "debrief").get_attribute("data-ready") == "1")
    assert teacher.execute_script("return performance.getEntriesByType('navigation').length") == 1  # no reload
    assert teacher.find_element(By.ID, "debrief-body").is_displayed()
    assert not teacher.find_element(By.ID, "debrief-waiting").is_displayed()
    assert teacher.find_element(By.ID, "exercise-state").text == "Ended"  # was "Live" when the page loaded
    # Five pairs: three agreements at different points, two impasses at the same BATNA point.
    assert points(teacher, "chart-outcomes") == 4
    (impasses,) = in_chart(teacher, "chart-outcomes", ".point.impasse[data-x]")
    assert impasses.get_attribute("data-count") == "2"
    assert in_chart(teacher, "chart-outcomes", ".plot .frontier") and in_chart(teacher, "chart-outcomes", ".plot .nash")
    assert len(in_chart(teacher, "chart-outcomes", ".plot line.batna")) == 2
    assert bar_total(teacher, "chart-joint") == 5
    assert bar_total(teacher, "chart-price") == 3 and in_chart(teacher, "chart-price", "rect.band")
    assert points(teacher, "chart-anchoring") == 3 and in_chart(teacher, "chart-anchoring", "line.fit")
    assert in_chart(teacher, "chart-heatmap", "rect.lose-lose")
    rows = teacher.find_elements(By.CSS_SELECTOR, "#pairs-body tr")
    assert len(rows) == 5 and "Learner" in rows[0].text
    # Each chart has a real data table.
    assert len(teacher.find_elements(By.CSS_SELECTOR, "#panel-outcomes .chart-table table tbody tr")) == 7
    assert_accessible(teacher, "the instructor's debrief")
    screenshot(teacher, "debrief-instructor")
    for panel in ("outcomes", "price", "anchoring", "heatmap"):
        element_shot(teacher, f"debrief-chart-{panel}", f"#panel-{panel}")

    # Sorting the table by joint gain puts the best pair first, then last. Each click draws the table's
    # head anew: the second click waits for the first one's head, not for whatever head was there before.
    sort_joint(teacher, "ascending")
    sort_joint(teacher, "descending")
    first = teacher.find_element(By.CSS_SELECTOR, "#pairs-body tr")
    assert_accessible(teacher, "the instructor's debrief, pairs sorted by joint gain")
    assert first.get_attribute("data-pair") in ("2", "3")  # both reach the maximum of 115

    # Downloads: the outcome chart as PNG and as SVG.
    teacher.find_element(By.CSS_SELECTOR, "#panel-outcomes [data-download='png']").click()
    png = wait_for_file(downloads, ".png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    (ARTIFACTS / "debrief-download-outcomes.png").write_bytes(png.read_bytes())  # to look at
    teacher.find_element(By.CSS_SELECTOR, "#panel-outcomes [data-download='svg']").click()
    svg = wait_for_file(downloads, ".svg").read_text()
    assert svg.startswith("<?xml") and "<svg" in svg and 'data-x="44"' in svg

    # The export of the pairs as CSV, with pseudonymous ids.
    try:
        reverse("exercise_export", args=[exercise.pk])
    except NoReverseMatch:
        pass
    else:
        teacher.find_element(By.CSS_SELECTOR, "#export-form button[type=submit]").click()
        exported = wait_for_file(downloads, ".csv")
        text = exported.read_text()
        assert text.count("\n") >= 5 and "Learner" not in text

    assert teacher.execute_script("return window.__errors") == []

    # Three students answer the survey (when it is installed); the page shows it after a reload.
    surveyed = answer_survey(pairs[:2])

    # Projector mode: no names anywhere, larger text.
    teacher.find_element(By.ID, "projector-toggle").click()
    WebDriverWait(teacher, 10).until(lambda d: d.find_element(By.ID, "debrief").get_attribute("data-ready") == "1")
    assert "projector=1" in teacher.current_url
    assert "Learner" not in teacher.find_element(By.TAG_NAME, "main").text
    assert "Learner" not in teacher.page_source
    if surveyed:
        assert points(teacher, "chart-survey") == surveyed
        assert len(teacher.find_elements(By.CSS_SELECTOR, "#survey-body table tbody tr")) == 2  # by role
        element_shot(teacher, "debrief-survey", "#panel-survey")
    assert_accessible(teacher, "the debrief in projector mode")
    screenshot(teacher, "debrief-projector")
    assert "In five weeks" in texts(teacher, "#best-deal td")  # the deal the class could have found
    element_shot(teacher, "debrief-best-deal", "#best-deal")
    # Found and clicked in one script: the section is redrawn whenever live data arrives (a stale element).
    teacher.execute_script("document.querySelector('#gave-got-body details summary').click()")
    WebDriverWait(teacher, 5).until(text_shown((By.ID, "gave-got-body"), "asked first"))
    assert "Price" in texts(teacher, "#gave-got-body details[open] th")
    element_shot(teacher, "debrief-gave-got", "#panel-gave-got")
    teacher.find_element(By.CSS_SELECTOR, "#teaching-notes summary").click()
    WebDriverWait(teacher, 5).until(text_shown((By.ID, "teaching-notes"), "What this scenario teaches"))
    assert_accessible(teacher, "the debrief with its teaching notes open")
    element_shot(teacher, "debrief-teaching-notes", "#panel-notes")

    # A phone-width instructor page keeps its charts inside the screen.
    emulate_phone(teacher)
    teacher.refresh()
    WebDriverWait(teacher, 10).until(lambda d: d.find_element(By.ID, "debrief").get_attribute("data-ready") == "1")
    assert teacher.execute_script("return document.documentElement.scrollWidth") <= 391
    assert_accessible(teacher, "the instructor's debrief on a phone")
    screenshot(teacher, "debrief-instructor-phone")
    element_shot(teacher, "debrief-instructor-phone-outcomes", "#panel-outcomes")
    element_shot(teacher, "debrief-instructor-phone-pairs", "#pairs-table")
    element_shot(teacher, "debrief-instructor-phone-best-deal", "#best-deal")
    teacher.find_element(By.CSS_SELECTOR, "#teaching-notes summary").click()
    WebDriverWait(teacher, 5).until(text_shown((By.ID, "teaching-notes"), "What this scenario teaches"))
    assert teacher.execute_script("return document.documentElement.scrollWidth") <= 391
    element_shot(teacher, "debrief-instructor-phone-notes", "#panel-notes")
    element_shot(teacher, "debrief-instructor-phone-openings", "#panel-openings")


def test_a_student_reads_their_debrief_on_a_phone(server, round_of_five, browsers):
    exercise, pairs = round_of_five
    asyncio.run(play_pair(server, signed_in(server, pairs[0]), offer_then_accept("seller", [LOSE_LOSE])))
    rounds.exercise_end(exercise=exercise)
    from negotiations.debrief import debrief_refresh, outcome_refresh

    for negotiation in pairs:  # without a worker or with one: the outcomes are there before we look
        outcome_refresh(negotiation_id=negotiation.pk)
    debrief_refresh(exercise_id=exercise.pk)
    seller = seats_by_role(pairs[0])["seller"].student
    driver = browsers(800, 900)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CATCH_ERRORS})
    emulate_phone(driver)
    driver.get(f"{server}/s/{services.student_link_token(seller)}/")
    driver.find_element(By.XPATH, f"//button[normalize-space()='Continue as {seller.display_name}']").click()
    WebDriverWait(driver, 10).until(ec.title_contains("My exercises"))
    skip_survey(driver, server, exercise.pk)
    WebDriverWait(driver, 10).until(ec.presence_of_element_located((By.CSS_SELECTOR, "#my-chart svg")))
    assert driver.find_element(By.ID, "my-points").text == "44"
    assert "better off" in driver.find_element(By.ID, "better-for-both").text
    assert len(driver.find_elements(By.CSS_SELECTOR, "#my-chart .point.mine[data-x]")) == 1
    # The four other pairs are impasses: one point, drawn once.
    assert len(driver.find_elements(By.CSS_SELECTOR, "#my-chart .point.other[data-x]")) == 1
    assert driver.find_element(By.ID, "partner-sheet").is_displayed()
    others = [s.display_name for s in exercise.classroom.students.all()]
    own = {seller.display_name, seats_by_role(pairs[0])["buyer"].student.display_name}
    for name in set(others) - own:
        assert name not in driver.page_source
    assert driver.execute_script("return document.documentElement.scrollWidth") <= 391
    assert driver.execute_script("return window.__errors") == []
    assert_accessible(driver, "a student's debrief on a phone")
    screenshot(driver, "debrief-student-phone")
    element_shot(driver, "debrief-student-phone-result", "#my-debrief")
    element_shot(driver, "debrief-student-phone-partner", "#partner-sheet")
