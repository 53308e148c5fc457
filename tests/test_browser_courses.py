"""A course's sections side by side in a real browser: two classes ran the used car to the end; the instructor
adds the second class to the course on its page and sees both sections on one outcome plane, with a colour and
a shape each named in the legend, and their key figures in one table; on a desktop and on a phone, with
axe-core on each state."""

from __future__ import annotations

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select

from classrooms.courses import course_create, section_add
from classrooms.models import User
from classrooms.services import classroom_create
from tests.base import add_coinstructor
from tests.browser import WebDriverWait, assert_accessible, emulate_phone, log_in, screenshot, texts
from tests.course_runs import BUYER_OPENS, LOSE_LOSE, NASH, ended_run
from tests.test_browser_debrief import CATCH_ERRORS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DRAWN = """const svg = document.querySelector('#comparison-' + arguments[0] + ' svg[data-chart]');
if (!svg) return null;
const count = (cls) => svg.querySelectorAll('g.plot .point.' + cls).length;
return {sections: [count('section-0'), count('section-1')], impasses: count('impasse'),
        legend: [...svg.querySelectorAll('text.legend')].map((t) => t.textContent),
        shapes: ['section-0', 'section-1'].map((cls) => svg.querySelector('g.plot .point.' + cls).tagName),
        width: svg.getBoundingClientRect().width,
        apart: Math.abs(svg.querySelector('g.plot circle.point.section-0[data-x="61"]').getAttribute('cx') -
                        svg.querySelector('g.plot rect.point.section-1[data-x="61"]').getAttribute('x') - 6)};"""


def test_two_sections_of_a_course_side_by_side(live_server, browsers, instructor, used_car):
    course = course_create(owner=instructor, name="Negotiation", term="Spring 2027")
    north = classroom_create(owner=instructor, name="North section", term="Monday")
    south = classroom_create(owner=instructor, name="South section", term="Thursday")
    section_add(course=course, classroom=north, user=instructor)
    ended_run(north, used_car, [NASH, LOSE_LOSE, None])
    ended_run(south, used_car, [NASH, BUYER_OPENS])
    # A class of the instructor's that its co-instructor made a section of their own course.
    wednesday = classroom_create(owner=instructor, name="Wednesday group")
    colleague = User.objects.create_user("cora@example.com", "a-long-password", verified_at=timezone.now())
    add_coinstructor(wednesday, colleague)
    section_add(course=course_create(owner=colleague, name="Cora's course"), classroom=wednesday, user=colleague)

    driver = browsers(1280, 900)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CATCH_ERRORS})
    log_in(driver, live_server.url)
    assert driver.current_url.endswith("/dashboard/")
    assert_accessible(driver, "the dashboard with a course")
    screenshot(driver, "course-dashboard", full=False)
    driver.find_element(By.LINK_TEXT, "Negotiation (Spring 2027)").click()
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.ID, "no-comparison"))
    assert_accessible(driver, "a course of one section, nothing to compare")

    # The second class joins the course from its page; the comparison appears.
    Select(driver.find_element(By.ID, "id_classroom")).select_by_visible_text("South section (Thursday)")
    driver.find_element(By.XPATH, "//button[normalize-space()='Add as a section']").click()
    version = used_car.pk
    drawn = WebDriverWait(driver, 10).until(lambda d: d.execute_script(DRAWN, version))
    assert drawn["sections"] == [2, 2] and drawn["impasses"] == 1  # agreements by section; the impasse a cross
    assert drawn["shapes"] == ["circle", "rect"]
    assert drawn["apart"] >= 10  # both sections agreed on the Nash package: their markers side by side
    assert drawn["legend"][:2] == ["North section (Monday) (3 pairs)", "South section (Thursday) (2 pairs)"]
    assert {"Pareto frontier", "BATNA", "Nash point", "Impasse (at the BATNAs)"} <= set(drawn["legend"])
    heads = texts(driver, ".figures-table thead th")
    assert [h.split("\n")[0] for h in heads[1:]] == ["North section (Monday)", "South section (Thursday)"]
    rows = {row.split("\t")[0]: row.split("\t")[1:] for row in texts(driver, ".figures-table tbody tr")}
    assert rows["Pairs"] == ["3", "2"] and rows["Median joint gain (most possible: 115)"] == ["81", "115"]
    assert driver.find_element(By.CSS_SELECTOR, ".messages").text == "South section is now a section of this course."
    assert_accessible(driver, "a course's two sections side by side")
    screenshot(driver, "course-sections-desktop")
    driver.execute_script("document.querySelector('.comparison details').open = true")
    assert len(driver.find_elements(By.CSS_SELECTOR, ".comparison details tbody tr")) == 5
    assert_accessible(driver, "a course's comparison with its data table open")

    # On a phone the chart is drawn to the phone's width and the wide table scrolls in its box.
    emulate_phone(driver)
    driver.refresh()
    drawn = WebDriverWait(driver, 10).until(lambda d: d.execute_script(DRAWN, version))
    assert drawn["width"] <= 390
    assert driver.execute_script("return document.documentElement.scrollWidth") <= 390
    assert_accessible(driver, "a course's two sections side by side on a phone")
    screenshot(driver, "course-sections-phone")
    driver.execute_script("document.querySelector('.comparison .chart').scrollIntoView()")
    screenshot(driver, "course-sections-phone-chart", full=False)
    driver.execute_script("document.querySelector('.figures-table').scrollIntoView()")
    screenshot(driver, "course-sections-phone-figures", full=False)

    # The instructor takes their class out of the colleague's course, from the class's page.
    driver.get(f"{live_server.url}/classes/{wednesday.pk}/")
    assert_accessible(driver, "a class that is a section of another instructor's course")
    screenshot(driver, "class-in-another-course-phone", full=False)
    driver.find_element(By.XPATH, "//button[normalize-space()='Take this class out of that course']").click()
    message = WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".messages"))
    assert message[0].text == "Wednesday group is no longer a section of a course."
    assert not driver.find_elements(By.ID, "class-course")
    assert driver.execute_script("return window.__errors") == []
