"""Courses at their edges: a class's instructors who do not run its course still take it out, what a course's
owner learns of a section they do not teach, and how often the course list asks the database (docs/debrief.md,
section 8; docs/api.md, "Courses")."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from classrooms.courses import course_create, section_add
from classrooms.models import Classroom, User
from classrooms.services import classroom_create
from tests.base import add_coinstructor
from tests.test_api import api_client
from tests.test_courses import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def stranger(db) -> User:
    return User.objects.create_user("sam@example.com", "a-long-password", verified_at=timezone.now())


@pytest.fixture
def class_in_their_course(instructor, other_instructor):
    """The instructor's class, co-taught by the other instructor, who made it a section of their own course."""
    classroom = classroom_create(owner=instructor, name="Monday group")
    add_coinstructor(classroom, other_instructor)
    course = course_create(owner=other_instructor, name="Their course")
    section_add(course=course, classroom=classroom, user=other_instructor)
    return classroom, course


def test_the_class_owner_takes_the_class_out_of_a_course_they_do_not_run(class_in_their_course, instructor_client):
    classroom, course = class_in_their_course
    page = instructor_client.get(f"/classes/{classroom.pk}/").content.decode()
    assert "A section of another instructor" in page
    assert f'action="/classes/{classroom.pk}/course/remove/"' in page
    assert "Their course" not in page  # the course stays unnamed
    response = instructor_client.post(f"/classes/{classroom.pk}/course/remove/", follow=True)
    assert response.status_code == 200
    assert Classroom.objects.get(pk=classroom.pk).course is None
    assert "is no longer a section of a course" in response.content.decode()
    assert not course.sections.exists()


def test_nobody_else_takes_a_class_out_of_its_course(class_in_their_course, stranger):
    classroom, course = class_in_their_course
    assert signed_in(stranger).post(f"/classes/{classroom.pk}/course/remove/").status_code == 404
    assert Client().post(f"/classes/{classroom.pk}/course/remove/").status_code == 302  # to log in
    assert Classroom.objects.get(pk=classroom.pk).course == course


def test_a_class_in_no_course_says_so_and_nothing_changes(instructor_client, instructor):
    classroom = classroom_create(owner=instructor, name="Alone")
    response = instructor_client.post(f"/classes/{classroom.pk}/course/remove/", follow=True)
    assert "is a section of no course" in response.content.decode()


def test_the_api_takes_a_class_out_of_its_course(class_in_their_course, instructor, stranger):
    classroom, _ = class_in_their_course
    assert api_client(stranger).delete(f"/api/classes/{classroom.pk}/course").status_code == 404
    api = api_client(instructor)
    assert api.delete(f"/api/classes/{classroom.pk}/course").status_code == 204
    assert Classroom.objects.get(pk=classroom.pk).course is None
    again = api.delete(f"/api/classes/{classroom.pk}/course")
    assert again.status_code == 409
    assert again.json()["detail"] == "Monday group is a section of no course."


def test_the_owner_taking_out_a_section_they_do_not_teach_learns_nothing_of_it(instructor, other_instructor):
    course = course_create(owner=instructor, name="Course")
    from classrooms import courses

    invitation = courses.course_coinstructor_invite(course=course, email=other_instructor.email, invited_by=instructor)
    courses.course_invitation_answer(user=other_instructor, invitation_id=invitation.pk, accept=True)
    theirs = classroom_create(owner=other_instructor, name="Their secret group")
    section_add(course=course, classroom=theirs, user=other_instructor)
    response = signed_in(instructor).post(f"/courses/{course.pk}/sections/{theirs.pk}/remove/", follow=True)
    assert Classroom.objects.get(pk=theirs.pk).course is None
    page = response.content.decode()
    assert "A section is no longer in this course." in page
    assert "Their secret group" not in page


def test_the_course_list_asks_the_database_as_often_whatever_the_courses(instructor):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api = api_client(instructor)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get("/api/courses").status_code == 200
        return len(captured)

    course_create(owner=instructor, name="First")
    queries()  # the token's first use is recorded once
    before = queries()
    for name in ("Second", "Third", "Fourth"):
        course = course_create(owner=instructor, name=name)
        section_add(course=course, classroom=classroom_create(owner=instructor, name=name), user=instructor)
    assert queries() == before
    listed = api.get("/api/courses").json()
    assert sorted((c["name"], [s["name"] for s in c["sections"]], c["hidden_sections"]) for c in listed) == [
        ("First", [], 0),
        ("Fourth", ["Fourth"], 0),
        ("Second", ["Second"], 0),
        ("Third", ["Third"], 0),
    ]


def test_the_course_page_asks_the_database_as_often_whatever_the_versions_compared(instructor, used_car):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from scenarios.services import scenario_version_get
    from tests.course_runs import course_of_two, ended_run

    course, sections = course_of_two(instructor, used_car)
    client = signed_in(instructor)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/courses/{course.pk}/").status_code == 200
        return len(captured)

    before = queries()
    for slug in ("job-offer", "road-bike"):
        for classroom, _ in sections:
            ended_run(classroom, scenario_version_get(slug), [None], title=slug)
    page = client.get(f"/courses/{course.pk}/").content.decode()
    assert page.count('class="panel comparison"') == 3
    assert queries() == before


def test_a_section_named_like_a_formula_is_text_in_the_export(instructor, used_car):
    import csv
    import io

    from tests.course_runs import course_of_two

    course, [(north, _), _] = course_of_two(instructor, used_car)
    Classroom.objects.filter(pk=north.pk).update(name='=HYPERLINK("http://x.example","a")', term="")
    response = signed_in(instructor).get(f"/courses/{course.pk}/export/{used_car.pk}/")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert {row["section"] for row in rows if row["section_id"] == str(north.pk)} == {
        '\'=HYPERLINK("http://x.example","a")'
    }


def test_an_id_past_any_integer_is_not_found(instructor, used_car):
    client = signed_in(instructor)
    huge = 2**63
    for path in (f"/courses/{huge}/", f"/courses/1/export/{huge}/", f"/classes/{huge}/"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/classes/{huge}/course/remove/").status_code == 404
    assert client.post(f"/courses/{huge}/sections/{huge}/remove/").status_code == 404
