"""A course on a learning platform opens Parley in Chromium, through the real OIDC flow: the platform's page
posts the login, its authentication endpoint posts the signed launch back, and Parley signs the person in.
The instructor's page of the course, the deep link picker (whose answer posts back to the platform within
the page's policy), the student's home and a refused launch are checked with axe-core."""

from __future__ import annotations

import jwt
import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from selenium.webdriver.common.by import By

from classrooms.models import User
from classrooms.services import classroom_create, exercise_create
from lti.models import Course
from tests.browser import WebDriverWait, assert_accessible, emulate_phone, screenshot, text_shown
from tests.lti_platform import INSTRUCTOR, LEARNER, Member, Platform

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
RECORD = """window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(e.violatedDirective));"""


def test_a_course_opens_parley_for_its_instructor_and_its_student(live_server, browsers, used_car):
    base = live_server.url.replace("localhost", "127.0.0.1")  # the platform's host: one site for the cookies
    platform = Platform(name="Campus LMS")
    try:
        call_command("lti_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
        platform.register()
        platform.tool_keys = Client().get("/lti/jwks.json").json()
        platform.tool_login_url = f"{base}/lti/login/"
        teacher = {"sub": "t-1", "roles": [INSTRUCTOR], "email": "tara@uni.example", "name": "Tara Teach"}
        platform.people = {
            "teacher": teacher,
            "learner": {"sub": "l-1", "roles": [LEARNER], "email": "lea@uni.example", "name": "Lea Learner"},
            "stranger": {**teacher, "sub": "t-9", "deployment_id": "deployment-unknown"},
        }
        platform.members = [Member("l-1", "Lea Learner", "lea@uni.example"), Member("l-2", "Max Muster", "")]
        driver = browsers()
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD})
        wait = WebDriverWait(driver, 10)

        tara = User.objects.create_user("tara@uni.example", "a-long-password", verified_at=timezone.now())
        classroom_create(owner=tara, name="Spring seminar")  # she teaches a class already: she is asked
        driver.get(f"{platform.base}/course?as=teacher")
        wait.until(lambda d: d.current_url.endswith("/lti/link-course/"))
        assert "Spring seminar" in driver.find_element(By.CSS_SELECTOR, "main").text
        screenshot(driver, "lti-link-course")
        assert_accessible(driver, "the choice of a class for a course's first launch")
        driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()  # a new class (the default)
        wait.until(lambda d: "/lti/classes/" in d.current_url)
        wait.until(text_shown((By.CSS_SELECTOR, "h1"), "Learning platform"))
        assert "Campus LMS" in driver.page_source and "Max Muster" not in driver.page_source
        assert "2 added" in driver.find_element(By.CSS_SELECTOR, "main").text  # the roster came over
        assert driver.execute_script("return window.__csp") == []
        screenshot(driver, "lti-course")
        assert_accessible(driver, "the instructor's page of a linked course")
        emulate_phone(driver)
        screenshot(driver, "lti-course-phone")
        assert_accessible(driver, "the instructor's page of a linked course on a phone")
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

        classroom = Course.objects.get().classroom
        exercise = exercise_create(
            classroom=classroom, title="Car sale", scenario_version=used_car, time_limit_minutes=20
        )
        driver.get(f"{platform.base}/course?as=teacher&type=deep")
        wait.until(lambda d: d.current_url.endswith("/lti/deep-link/"))
        assert driver.execute_script("return window.__csp") == []
        screenshot(driver, "lti-deep-link")
        assert_accessible(driver, "the deep link picker")
        driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
        wait.until(text_shown((By.CSS_SELECTOR, "h1"), "Content placed"))  # the answer went back by itself
        (answer,) = platform.deep_link_answers
        items = jwt.decode(answer, options={"verify_signature": False})[
            "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"
        ]
        assert items[0]["custom"] == {"parley_exercise": str(exercise.pk)}
        driver.get(f"{base}/lti/classes/{classroom.pk}/")
        rule = driver.find_element(By.CSS_SELECTOR, "select[name=rule]")
        assert rule.get_attribute("value") == "none"  # placing the exercise set no grade rule yet
        screenshot(driver, "lti-course-exercise")
        emulate_phone(driver)
        screenshot(driver, "lti-course-exercise-phone")
        assert_accessible(driver, "the linked course's grade rules on a phone")
        assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

        student = browsers()
        student.get(f"{platform.base}/course?as=learner")
        WebDriverWait(student, 10).until(lambda d: d.current_url.endswith("/s/"))
        assert "Lea Learner" in student.find_element(By.CSS_SELECTOR, "header").text
        screenshot(student, "lti-student-home")
        assert_accessible(student, "the student's home after a launch")

        student.get(f"{platform.base}/course?as=stranger")
        WebDriverWait(student, 10).until(text_shown((By.CSS_SELECTOR, "h1"), "could not open from your course"))
        assert "unknown deployment id" in student.find_element(By.CSS_SELECTOR, "main").text
        screenshot(student, "lti-refused")
        assert_accessible(student, "a refused launch")
    finally:
        platform.close()
