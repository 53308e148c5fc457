"""The partner's priorities guessed, in a real browser: a student ranks them on the planning sheet, and the
instructor's debrief shows how far the guess was from the truth (docs/debrief.md, 4a), on a laptop and a
phone."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select

from classrooms import services
from negotiations import rounds
from negotiations.planning import planning_sheet_save
from tests.base import add_students, seats_by_role
from tests.browser import WebDriverWait, assert_accessible, emulate_phone, log_in, screenshot, text_shown, texts

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The buyer's true order in the used car (ranges 50, 22, 12, 10): the seller reads it exactly.
SELLER_GUESS = {"price": "1", "warranty": "2", "tyres": "3", "handover": "4"}
NAMES = {"price": "Price", "warranty": "Warranty", "tyres": "Winter tyres", "handover": "Handover"}


@pytest.fixture
def live_round(exercise, classroom, instructor):
    """Ada (seller) and Ben (buyer) in one pair, the round started; the instructor can log in."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    hasher = PBKDF2PasswordHasher()  # the server process knows only the default hashers
    instructor.password = hasher.encode("a-long-password", hasher.salt(), iterations=1000)
    instructor.save(update_fields=["password"])
    students = add_students(classroom, "Ada Lovelace", "Ben Okri")
    rounds.exercise_pair(exercise=exercise, student_ids=[s.pk for s in students], seed=1)
    rounds.exercise_release(exercise=exercise)
    rounds.exercise_start(exercise=exercise)
    return exercise, seats_by_role(exercise.negotiations.get())


def part_shot(driver, name: str, selector: str) -> None:
    """Scroll a part of the page into view and take the window as a person sees it."""
    driver.execute_script("document.querySelector(arguments[0]).scrollIntoView({block: 'start'})", selector)
    screenshot(driver, name, full=False)


def test_a_student_guesses_the_partners_priorities_and_the_debrief_shows_how_far_off_it_was(
    server, browsers, live_round
):
    exercise, seats = live_round
    seller, buyer = seats["seller"], seats["buyer"]

    # The seller ranks the buyer's priorities on the planning sheet, one select per issue.
    student = browsers(1280, 720)
    student.get(f"{server}/s/{services.student_link_token(seller.student)}/")
    student.find_element(By.XPATH, f"//button[normalize-space()='Continue as {seller.student.display_name}']").click()
    WebDriverWait(student, 10).until(ec.title_contains("My exercises"))
    student.get(f"{server}/s/exercises/{exercise.pk}/")
    legend = student.find_element(By.CSS_SELECTOR, "#partner-ranking legend").text
    assert legend == "Rank the issues as you think they matter to the other side (1 = most important to them)"
    for issue, rank in SELLER_GUESS.items():
        label = student.find_element(By.CSS_SELECTOR, f"label[for='id_partner_rank_{issue}']")
        assert label.text == f"Priority of {NAMES[issue]} to them:"
        Select(student.find_element(By.ID, f"id_partner_rank_{issue}")).select_by_value(rank)
    student.find_element(By.XPATH, "//button[normalize-space()='Save planning sheet']").click()
    WebDriverWait(student, 10).until(text_shown((By.ID, "planning-saved"), "Planning sheet saved."))
    chosen = {issue: Select(student.find_element(By.ID, f"id_partner_rank_{issue}")) for issue in SELLER_GUESS}
    assert {issue: s.first_selected_option.text for issue, s in chosen.items()} == SELLER_GUESS
    part_shot(student, "partner-guess-planning", "#partner-ranking")
    assert_accessible(student, "the planning sheet with the partner's priorities ranked")
    emulate_phone(student)
    student.get(f"{server}/s/exercises/{exercise.pk}/")
    part_shot(student, "partner-guess-planning-phone", "#partner-ranking")
    assert_accessible(student, "the planning sheet with the partner's priorities ranked, on a phone")
    # A rank given twice is refused beside the ranking, on the phone, and the saved guess stays as it was.
    Select(student.find_element(By.ID, "id_partner_rank_handover")).select_by_value("1")
    student.find_element(By.XPATH, "//button[normalize-space()='Save planning sheet']").click()
    WebDriverWait(student, 10).until(text_shown((By.ID, "partner-ranking"), "Rank 1 is given to more than one issue."))
    part_shot(student, "partner-guess-planning-phone-refused", "#partner-ranking")
    assert_accessible(student, "the planning sheet with a partner ranking refused, on a phone")
    student.get(f"{server}/s/exercises/{exercise.pk}/")
    assert Select(student.find_element(By.ID, "id_partner_rank_handover")).first_selected_option.text == "4"

    # The buyer guesses handover, price, warranty, tyres: against the seller's 1 2 3 4, d = 1, -1, 0, 0, so
    # accuracy 1 - 12 / 60 = 0.8; against the buyer's own 1 4 2 3, d = 1, -3, 1, 1: fixed pie -0.2.
    order = ["handover", "price", "warranty", "tyres"]
    planning_sheet_save(exercise=exercise, student=buyer.student, partner_priorities=order)
    rounds.exercise_end(exercise=exercise)

    # The instructor's debrief: two guesses, accuracy 1 and 0.8 (median 0.9), fixed pie 0.4 and -0.2 (0.1).
    teacher = browsers(1280, 720)
    log_in(teacher, server)
    teacher.get(f"{server}/exercises/{exercise.pk}/debrief/")
    wait = WebDriverWait(teacher, 15)
    wait.until(text_shown((By.ID, "perception-summary"), "Accuracy, median"))
    figures = texts(teacher, "#perception-summary > div")
    assert figures[0].split("\n") == ["Ranked the partner's priorities", "2", "of 2 negotiators"]
    assert figures[1].split("\n") == ["Accuracy, median", "0.9", "middle half 0.85 to 0.95; all 0.8 to 1"]
    assert figures[2].split("\n")[:2] == ["Fixed-pie perception, median", "0.1"]
    rows = [row.split("\t") for row in texts(teacher, "#perception-body tbody tr")]
    assert rows[0] == [
        "Pair 1",
        "Ada Lovelace",
        "Seller (Dana Whitlock)",
        "1. Price, 2. Warranty, 3. Winter tyres, 4. Handover",
        "1. Price, 2. Warranty, 3. Winter tyres, 4. Handover",
        "1",
        "0.4",
    ]
    assert rows[1][:2] == ["Pair 1", "Ben Okri"] and rows[1][-2:] == ["0.8", "-0.2"]
    assert "Thompson, L., & Hastie, R. (1990)" in teacher.find_element(By.ID, "perception-credit").text
    part_shot(teacher, "partner-guess-debrief", "#panel-perception")
    assert_accessible(teacher, "the debrief with the partner's priorities guessed")
    emulate_phone(teacher)
    teacher.get(f"{server}/exercises/{exercise.pk}/debrief/")
    wait.until(text_shown((By.ID, "perception-summary"), "Accuracy, median"))
    part_shot(teacher, "partner-guess-debrief-phone", "#panel-perception")
    part_shot(teacher, "partner-guess-debrief-phone-table", "#perception-body table")
    assert teacher.execute_script("return document.documentElement.scrollWidth") <= 391  # nothing runs off
    assert_accessible(teacher, "the debrief with the partner's priorities guessed, on a phone")

    # Projector mode: the same figures, no names.
    teacher.get(f"{server}/exercises/{exercise.pk}/debrief/?projector=1")
    wait.until(text_shown((By.ID, "perception-summary"), "Accuracy, median"))
    assert "Ada Lovelace" not in teacher.find_element(By.ID, "panel-perception").text
