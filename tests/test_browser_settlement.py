"""Two students improve their agreement in a post-settlement round, in real browsers over a real Daphne:
the instructor opens the round from the monitor, each room shows its own floor ("your current agreement
gives you N points", on a phone too), a package worse for the one offering it is refused, and a package
at least as good for both replaces the agreement; the debrief shows before and after."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from core.negotiation import Action
from negotiations import rounds
from negotiations.acting import negotiation_act
from negotiations.models import Event, Negotiation, Seat
from tests.base import add_students
from tests.browser import WebDriverWait, assert_accessible, emulate_phone, log_in, screenshot, text_shown
from tests.test_browser_debrief import element_shot
from tests.test_browser_negotiation import CATCH_ERRORS, build, button, confirm, shot, sign_in_both, wait_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIGNED = {"price": "9600", "handover": "three-weeks", "warranty": "none", "tyres": "included"}  # seller 52, buyer 47


@pytest.fixture
def agreed_and_ended(exercise, classroom, instructor):
    """Ada (seller) and Ben (buyer) agreed on SIGNED; the exercise has ended."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    hasher = PBKDF2PasswordHasher()  # the server process knows only the default hashers
    instructor.password = hasher.encode("a-long-password", hasher.salt(), iterations=1000)
    instructor.save(update_fields=["password"])
    ada, ben = add_students(classroom, "Ada", "Ben")
    rounds.exercise_pair(exercise=exercise, student_ids=[ada.pk, ben.pk], seed=1)
    rounds.exercise_release(exercise=exercise)
    rounds.exercise_start(exercise=exercise)
    negotiation = exercise.negotiations.get()
    seats = {s.role_key: s for s in Seat.objects.filter(negotiation=negotiation)}
    offer = negotiation_act(
        negotiation_id=negotiation.pk, seat=seats["seller"], action=Action("offer", "o1", packages=(SIGNED,))
    )
    negotiation_act(
        negotiation_id=negotiation.pk,
        seat=seats["buyer"],
        action=Action("accept", "a1", offer_seq=offer.event["seq"], package=0),
    )
    rounds.exercise_end(exercise=exercise)
    return exercise, {role: seat.student for role, seat in seats.items()}


def test_two_students_improve_their_agreement_in_a_post_settlement_round(server, browsers, agreed_and_ended):
    exercise, students = agreed_and_ended
    seller, buyer, teacher = (browsers() for _ in range(3))
    for driver in (seller, buyer, teacher):
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CATCH_ERRORS})
    sign_in_both(seller, buyer, server, students, exercise.pk)

    # The instructor opens the round from the monitor, for the one agreed pair.
    log_in(teacher, server)
    teacher.get(f"{server}/exercises/{exercise.pk}/monitor/")
    wait_text(teacher, "#pair-row-1", "Agreed")
    minutes = teacher.find_element(By.ID, "settlement-minutes")
    minutes.clear()
    minutes.send_keys("10")
    button(teacher, "Open the post-settlement round").click()
    wait_text(teacher, "#settlement-answer", "Post-settlement round open for 1 agreed pair, 10 minutes.")
    wait_text(teacher, "#pair-row-1", "Post-settlement")
    wait_text(teacher, "#settlement-state", "Open:")
    assert_accessible(teacher, "the monitor, a post-settlement round open")
    teacher.execute_script("document.getElementById('settlement-form').scrollIntoView()")
    screenshot(teacher, "settlement-monitor", full=False)

    # Each room shows its own floor, and no walking away; the page's notice says so, without a reload.
    wait_text(seller, "#round-notice", "Post-settlement round: your agreement stands")
    assert not seller.find_elements(By.ID, "survey-first-link")
    wait_text(seller, "#settlement", "Your current agreement gives you 52 points.")
    wait_text(buyer, "#settlement", "Your current agreement gives you 47 points.")
    for driver in (seller, buyer):
        wait_text(driver, "#timeline", "Post-settlement round: your agreement stands")
        assert not driver.find_element(By.ID, "walk-open").is_displayed()
        assert driver.find_element(By.ID, "keep-agreement").is_displayed()
    assert_accessible(seller, "the room in a post-settlement round")
    shot(seller, "settlement-seller")

    # A package worse for the buyer than the agreement is refused, naming the buyer's own points only.
    build(buyer, 0, 9900, handover="three-weeks", warranty="none", tyres="included")
    wait_text(buyer, "#packages .below-batna", "Below your current agreement: this package gives you 41 points")
    assert "your current agreement: 47" in buyer.find_element(By.CSS_SELECTOR, "#packages .package-total").text
    button(buyer, "Send offer").click()
    wait_text(buyer, "#offer-error", "gives you 41 points, less than the 47 of your current agreement")
    assert not Event.objects.filter(negotiation__exercise=exercise, type="offer", role="buyer").exists()

    # On a phone: the floor and the keep button on screen, nothing wider than it.
    emulate_phone(buyer)
    buyer.execute_script("document.getElementById('settlement').scrollIntoView()")
    assert buyer.execute_script("return document.documentElement.scrollWidth") <= 390
    assert buyer.find_element(By.ID, "settlement-floor").text == "47"
    assert_accessible(buyer, "the room in a post-settlement round, on a phone")
    screenshot(buyer, "settlement-buyer-phone", full=False)

    # The seller offers a package better for both (a later handover, three months of warranty); the buyer takes it.
    build(seller, 0, 9600, handover="five-weeks", warranty="three-months", tyres="included")
    button(seller, "Send offer").click()
    wait_text(buyer, "#their-offer", "Accept package 1")
    assert "Your points: 62" in buyer.find_element(By.ID, "their-offer").text
    buyer.execute_script("document.querySelector('#their-offer button[data-offer-seq]').click()")
    confirm(buyer, "Yes, accept package 1")
    for driver in (seller, buyer):
        wait_text(driver, "#room-outcome", "Agreement reached")
        wait_text(driver, "#room-outcome", "The post-settlement round replaced the first agreement")
        assert driver.find_element(By.ID, "settlement").is_displayed() is False
    wait_text(teacher, "#pair-row-1", "Agreed")
    WebDriverWait(teacher, 10).until(text_shown((By.ID, "settlement-state"), "The post-settlement round is over"))
    screenshot(buyer, "settlement-buyer-phone-after", full=False)
    negotiation = Negotiation.objects.get(exercise=exercise)
    assert negotiation.agreement == {**SIGNED, "handover": "five-weeks", "warranty": "three-months"}
    accepts = list(Event.objects.filter(negotiation=negotiation, type="accept").order_by("seq"))
    assert [a.payload["terms"] for a in accepts] == [SIGNED, negotiation.agreement]  # the first is kept

    # The debrief shows the pair before and after, and the joint gain the round found.
    teacher.get(f"{server}/exercises/{exercise.pk}/debrief/")
    # The class debrief is a Celery worker's job: on a loaded CI machine it has taken more than 20 s.
    wait_text(teacher, "#panel-settlement", "1 of 1 agreed pair found a deal at least as good for both", 60)
    row = teacher.find_element(By.CSS_SELECTOR, "#settlement-body tbody tr").text
    assert "52 / 47" in row and "53 / 62" in row and "+16" in row and "improved" in row, row
    assert "Handover: In three weeks → In five weeks" in row, row  # the terms the round changed
    assert "Warranty: None, sold as seen → Three months of cover" in row, row
    teacher.execute_script("document.getElementById('panel-settlement').scrollIntoView()")
    assert_accessible(teacher, "the debrief with a post-settlement round")
    screenshot(teacher, "settlement-debrief", full=False)
    # On a phone the table's rows stack: nothing runs off the screen, the terms changed among them.
    emulate_phone(teacher)
    teacher.refresh()
    wait_text(teacher, "#panel-settlement", "Handover: In three weeks → In five weeks", 10)
    assert teacher.execute_script("return document.documentElement.scrollWidth") <= 391
    table = teacher.find_element(By.CSS_SELECTOR, "#settlement-body .table-wrap, #settlement-body")
    assert teacher.execute_script("return arguments[0].scrollWidth <= arguments[0].clientWidth", table)
    element_shot(teacher, "settlement-debrief-phone", "#panel-settlement")
    for driver in (seller, buyer, teacher):
        assert driver.execute_script("return window.__errors") == []


def test_a_pair_whose_round_the_instructor_closed_reads_closed_not_time_up(server, browsers, agreed_and_ended):
    from django.utils import timezone

    from negotiations import settlement

    exercise, _ = agreed_and_ended
    settlement.settlement_open(exercise=exercise, minutes=10, now=timezone.now())
    settlement.settlement_close(exercise=exercise, now=timezone.now())  # well before its ten minutes
    teacher = browsers()
    teacher.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CATCH_ERRORS})
    log_in(teacher, server)
    teacher.get(f"{server}/exercises/{exercise.pk}/debrief/")
    wait_text(teacher, "#panel-settlement", "0 of 1 agreed pair found a deal at least as good for both", 20)
    row = teacher.find_element(By.CSS_SELECTOR, "#settlement-body tbody tr").text
    assert "round closed, kept" in row and "time up" not in row, row
    assert teacher.execute_script("return window.__errors") == []
