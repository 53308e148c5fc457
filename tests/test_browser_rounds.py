"""Two rounds with rematching in a real browser: round 1 is played and ended (through the services, as the
other browser tests seat and run pairs), the instructor pairs round 2 from its page with new partners,
one student away and a new arrival present, releases and starts it; round 2 is played, and the
instructor reads the rounds compared, at desktop width and on a phone."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from classrooms.models import Exercise
from negotiations import rounds
from negotiations.debrief import debrief_refresh
from negotiations.planning import planning_sheet_save
from tests.base import add_students, agree, password_the_server_knows, seats_by_role
from tests.browser import WebDriverWait, assert_accessible, emulate_phone, log_in, screenshot, text_shown, texts
from tests.test_browser_debrief import element_shot
from tests.test_browser_presentation import SLIDE_IN_VIEW, SMALLEST_TEXT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NASH = {"price": "10000", "handover": "five-weeks", "warranty": "three-months", "tyres": "included"}
LOSE_LOSE = {"price": "9500", "handover": "three-weeks", "warranty": "none", "tyres": "seller-keeps"}
NBSP = "\N{NO-BREAK SPACE}"  # between a number and its % sign
OWN_ORDER = {"seller": ["price", "handover", "warranty", "tyres"], "buyer": ["price", "warranty", "tyres", "handover"]}


def partners(exercise: Exercise) -> set[frozenset[int]]:
    return {frozenset(s.student_id for s in n.seats.all() if s.student_id) for n in exercise.negotiations.all()}


def guess_own_order(exercise: Exercise) -> None:
    """Every negotiator of the first pair guesses that the partner ranks the issues as they do (fixed pie 1)."""
    for role, seat in seats_by_role(exercise.negotiations.order_by("number").first()).items():
        planning_sheet_save(exercise=exercise, student=seat.student, partner_priorities=OWN_ORDER[role])


def play_and_end(exercise: Exercise, packages) -> None:
    for negotiation, package in zip(exercise.negotiations.order_by("number"), packages, strict=False):
        if package is not None:
            agree(negotiation, package)
    rounds.exercise_end(exercise=exercise)
    debrief_refresh(exercise_id=exercise.pk)  # a worker would; none may run beside this test


@pytest.fixture
def first_round_ended(exercise, classroom, instructor):
    password_the_server_knows(instructor)
    students = add_students(classroom, *[f"Learner {chr(65 + i)}" for i in range(6)])
    rounds.exercise_pair(exercise=exercise, student_ids=[s.pk for s in students], seed=1)
    rounds.exercise_release(exercise=exercise)
    guess_own_order(exercise)
    rounds.exercise_start(exercise=exercise)
    play_and_end(exercise, [LOSE_LOSE, NASH, None])
    (late,) = add_students(classroom, "Late Comer")
    return exercise, students, late


def test_two_rounds_with_rematching_and_the_rounds_compared(server, browsers, first_round_ended):
    exercise, students, late = first_round_ended
    away = students[0]
    teacher = browsers(1280, 900)
    log_in(teacher, server)

    # Round 1 has ended: its page offers the next round. Learner A is away; the new arrival is here.
    teacher.get(f"{server}/exercises/{exercise.pk}/")
    form = teacher.find_element(By.ID, "next-round-form")
    assert teacher.find_element(By.CSS_SELECTOR, "#next-round-form input[value=rematch]").is_selected()
    present = [s.pk for s in students[1:]] + [late.pk]
    teacher.execute_script(
        "for (const box of document.querySelectorAll('#next-round-form input[name=students]'))"
        "  box.checked = arguments[0].includes(Number(box.value));",
        present,
    )
    assert_accessible(teacher, "an ended exercise's page with the next round's form")
    screenshot(teacher, "rounds-next-round-form")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

    # Round 2 is a draft, paired at once with new partners: nobody meets the same partner again.
    WebDriverWait(teacher, 10).until(text_shown((By.CSS_SELECTOR, "main"), "Round 2 is paired: 3 pairs previewed."))
    following = Exercise.objects.get(series=exercise)
    assert teacher.current_url == f"{server}/exercises/{following.pk}/"
    assert not partners(following) & partners(exercise)
    seated = {s.student_id for n in following.negotiations.all() for s in n.seats.all()}
    assert seated == set(present)
    assert "Round 2 of a series of 2" in teacher.find_element(By.ID, "series-nav").text
    assert_accessible(teacher, "round 2's pairing preview")
    screenshot(teacher, "rounds-round-2-preview")

    # The instructor releases the roles and starts round 2 from its page.
    teacher.find_element(By.XPATH, "//button[normalize-space()='Release roles']").click()
    WebDriverWait(teacher, 10).until(text_shown((By.ID, "exercise-state"), "Roles released"))
    teacher.find_element(By.XPATH, "//button[starts-with(normalize-space(), 'Start negotiations')]").click()
    WebDriverWait(teacher, 10).until(text_shown((By.ID, "exercise-state"), "Live"))
    play_and_end(following, [NASH, NASH, NASH])

    # The rounds compared, from round 2's page.
    teacher.get(f"{server}/exercises/{following.pk}/")
    teacher.find_element(By.ID, "compare-rounds-link").click()
    WebDriverWait(teacher, 10).until(text_shown((By.TAG_NAME, "h1"), "Rounds compared"))
    joint = texts(teacher, "#series-joint tbody tr")
    assert len(joint) == 2
    assert joint[0].split() == ["1", "3", "78", "79.5", "81", "98", "115"]  # lowest, quartiles, median, highest
    assert joint[1].split() == ["2", "3", "115", "115", "115", "115", "115"]
    assert [row.replace(NBSP, " ").split("\t") for row in texts(teacher, "#series-pareto tbody tr")] == [
        ["1", "2", "1", "50%"],
        ["2", "3", "3", "100%"],
    ]
    assert texts(teacher, "#series-fixed-pie tbody tr")[0].split()[:2] == ["1", "2"]  # two guesses in round 1
    assert "5 students in both" in teacher.find_element(By.ID, "series-step-2-title").text
    assert "+50%" in teacher.find_element(By.ID, "series-step-2").text.replace(NBSP, " ")
    rows = {
        row.find_element(By.TAG_NAME, "th").text: row
        for row in teacher.find_elements(By.CSS_SELECTOR, "#series-students-table tbody tr")
    }
    assert set(rows) == {s.display_name for s in students} | {"Late Comer"}
    cells = lambda name: [td.text for td in rows[name].find_elements(By.TAG_NAME, "td")]  # noqa: E731
    assert cells(away.display_name)[4:] == ["-"] * 8  # away in round 2: no round 2, no change
    assert cells("Late Comer")[:4] == ["-"] * 4 and cells("Late Comer")[4] == "115"
    # Above each spread's table, its chart: a box per round with the table's numbers.
    chart = teacher.find_element(By.CSS_SELECTOR, "#series-class svg[data-chart=series-joint]")
    assert [t.get_attribute("textContent") for t in chart.find_elements(By.CSS_SELECTOR, "rect[data-box] > title")] == [
        "Round 1: 3 pairs, lowest 78, first quartile 79.5, median 81, third quartile 98, highest 115",
        "Round 2: 3 pairs, lowest 115, first quartile 115, median 115, third quartile 115, highest 115",
    ]
    assert "Round 1 to round 2: the median +34." in chart.find_element(By.TAG_NAME, "desc").get_attribute("textContent")
    assert len(teacher.find_elements(By.CSS_SELECTOR, "#series-class svg[data-chart]")) == 4
    assert_accessible(teacher, "the rounds compared")
    screenshot(teacher, "rounds-compared")
    element_shot(teacher, "rounds-chart-joint", "#series-class .round-chart-wrap")

    # Round 2's presentation ends with the rounds compared, without a name.
    present = f"{server}/exercises/{following.pk}/debrief/present/"
    teacher.get(present)
    WebDriverWait(teacher, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#deck[data-current]"))
    keys = [s.get_attribute("data-key") for s in teacher.find_elements(By.CSS_SELECTOR, ".slide")]
    assert keys[-1] == "rounds"
    teacher.get(f"{present}#{len(keys)}")
    teacher.refresh()
    WebDriverWait(teacher, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, f"#deck[data-current='{len(keys)}']"))
    shown = " ".join(teacher.find_element(By.CSS_SELECTOR, ".slide:not([hidden])").text.split())  # lines joined
    assert "Moved most since round 1: Pareto-optimal agreements, 50% to 100%" in shown
    assert not any(s.display_name in teacher.page_source for s in [*students, late])
    assert teacher.execute_script(SMALLEST_TEXT) >= 24 and teacher.execute_script(SLIDE_IN_VIEW)
    assert_accessible(teacher, "round 2's presentation on the rounds compared")
    screenshot(teacher, "rounds-slide", full=False)

    teacher.get(f"{server}/exercises/{following.pk}/rounds/")
    emulate_phone(teacher)
    teacher.refresh()
    WebDriverWait(teacher, 10).until(text_shown((By.TAG_NAME, "h1"), "Rounds compared"))
    assert teacher.execute_script("return document.documentElement.scrollWidth") <= 391
    assert_accessible(teacher, "the rounds compared on a phone")
    screenshot(teacher, "rounds-compared-phone")
    # The chart scales to the phone's width, its text still readable (at least 12 px high).
    drawn = teacher.execute_script(
        "const svg = document.querySelector('svg[data-chart=series-joint]');"
        "return {width: svg.getBoundingClientRect().width,"
        " text: Math.min(...[...svg.querySelectorAll('text')].map((t) => t.getBoundingClientRect().height))};"
    )
    assert 300 <= drawn["width"] <= 390 and drawn["text"] >= 12, drawn
    element_shot(teacher, "rounds-chart-joint-phone", "#series-class .round-chart-wrap")
    for part in ("series-rounds", "series-class", "series-steps", "series-students"):
        element_shot(teacher, f"rounds-compared-phone-{part}", f"#{part}")
