"""The sheet of personal links in Chromium: on a desktop, on a phone and printed (print media emulated and
printed to PDF), within the pages' CSP and axe-core's rules."""

from __future__ import annotations

import base64

import pytest
from django.db.models import F
from django.test import Client
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from classrooms.models import Student
from classrooms.services import roster_import, student_link_token
from tests.browser import ARTIFACTS, WebDriverWait, assert_accessible, emulate_phone, screenshot, text_shown

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
CLASS_SIZE = 40
RECORD = """window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(e.violatedDirective));"""


def hyphenate_links(classroom):
    """Give every student a link as long as a large instance's (a seven-digit student id) whose signature
    holds hyphens, where a browser may break a line of the printed link: a card's height must not depend
    on where the random part of a link falls, nor the sheet's pages on how many students the site has."""
    classroom.students.update(id=F("id") + 1_000_000)
    for number, student in enumerate(classroom.students.all()):
        attempt = 0
        while (student_link_token(student) or "").count("-") < 2:
            student.link_nonce = f"{number:04x}{attempt:012x}"
            attempt += 1
        Student.objects.filter(pk=student.pk).update(link_nonce=student.link_nonce)


def test_the_sheet_prints_a_card_per_student_three_a_row_without_the_page_around_it(
    live_server, browsers, classroom, instructor
):
    names = [f"Student {i:02d} Longfamilyname" for i in range(CLASS_SIZE)]
    assert not roster_import(classroom=classroom, text="name\n" + "\n".join(names) + "\n").problems
    hyphenate_links(classroom)
    client = Client()
    client.force_login(instructor)
    driver = browsers()
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD})
    driver.get(f"{live_server.url}/healthz")
    driver.add_cookie({"name": "sessionid", "value": client.cookies["sessionid"].value, "path": "/"})
    driver.get(f"{live_server.url}/classes/{classroom.pk}/links/")
    wait = WebDriverWait(driver, 10)
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".link-card-qr")) == CLASS_SIZE)
    assert driver.execute_script("return window.__csp") == []
    assert driver.execute_script("return [...document.images].every((img) => img.complete && img.naturalWidth > 0)")
    screenshot(driver, "links-sheet-desktop")
    assert_accessible(driver, "the sheet of links")

    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    # An A4 page's width and height less the sheet's 10 mm margins, at 96 pixels an inch.
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": 718, "height": 1047, "deviceScaleFactor": 1, "mobile": False}
    )
    wait.until(ec.invisibility_of_element_located((By.CSS_SELECTOR, ".topbar")))
    assert not driver.find_element(By.CSS_SELECTOR, ".link-actions").is_displayed()
    lefts = driver.execute_script(
        "return [...document.querySelectorAll('.link-card')].slice(0, 4).map((c) => c.getBoundingClientRect().left)"
    )
    assert lefts[0] < lefts[1] < lefts[2] and lefts[3] == lefts[0]  # three cards a row
    heights = driver.execute_script(
        "return [...document.querySelectorAll('.link-card')].map((c) => c.getBoundingClientRect().height)"
    )
    assert len(set(heights)) == 1, f"cards of different heights: {sorted(set(heights))}"
    line = driver.execute_script("return document.querySelector('.link-card-url').getBoundingClientRect().height / 3")
    gap = 3 * 96 / 25.4
    assert 4 * heights[0] + 3 * gap + 4 * line <= 1047, f"four rows of {heights[0]} px leave no line to spare on A4"
    screenshot(driver, "links-sheet-print")
    driver.find_element(By.CSS_SELECTOR, ".link-card").screenshot(str(ARTIFACTS / "links-card-print.png"))
    pdf = base64.b64decode(
        driver.execute_cdp_cmd("Page.printToPDF", {"paperWidth": 8.27, "paperHeight": 11.69})["data"]
    )
    (ARTIFACTS / "links-sheet.pdf").write_bytes(pdf)
    pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
    assert pages == 4, f"{pages} pages of cards {heights[0]} px tall"  # 40 cards, 12 an A4 page
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

    emulate_phone(driver)
    driver.get(f"{live_server.url}/classes/{classroom.pk}/links/")
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".link-card-qr")) == CLASS_SIZE)
    assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(driver, "links-sheet-phone")
    assert_accessible(driver, "the sheet of links on a phone")


def test_a_roster_name_on_the_join_page_is_asked_about_on_a_phone(live_server, browser, classroom):
    assert not roster_import(classroom=classroom, text="name\nEmeka Obi\n").problems
    emulate_phone(browser)
    browser.get(f"{live_server.url}/join?code={classroom.join_code}")
    browser.find_element(By.ID, "id_display_name").send_keys("emeka obi")
    browser.find_element(By.XPATH, "//button[normalize-space()='Join']").click()
    wait = WebDriverWait(browser, 10)
    wait.until(text_shown((By.TAG_NAME, "main"), "Are you Emeka Obi from the roster?"))
    screenshot(browser, "join-roster-question-phone")
    assert_accessible(browser, "the join page asking about a roster name")
    browser.find_element(By.XPATH, "//button[normalize-space()='Yes, that is me']").click()
    wait.until(ec.title_contains("Open your personal link"))
    screenshot(browser, "join-roster-yes-phone")
    assert_accessible(browser, "the join page's answer to yes")
