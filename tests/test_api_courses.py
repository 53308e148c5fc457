"""The API's courses (docs/api.md, "Courses"): create, read, sections added and taken out, the comparison and
the export; another instructor's course or class is 404."""

from __future__ import annotations

import csv
import io
import json

import pytest

from classrooms.courses import course_create, section_add
from classrooms.models import Classroom, Course
from classrooms.services import classroom_create
from tests.course_runs import course_of_two
from tests.test_api import api_client, post

pytestmark = pytest.mark.django_db


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_a_course_is_created_listed_and_read(instructor):
    api = api_client(instructor)
    response = post(api, "/api/courses", {"name": "Negotiation", "term": "Spring 2027"})
    assert response.status_code == 201, response.content
    course = response.json()
    assert (course["name"], course["owner"], course["sections"], course["hidden_sections"]) == (
        "Negotiation",
        instructor.email,
        [],
        0,
    )
    assert [c["id"] for c in api.get("/api/courses").json()] == [course["id"]]
    assert api.get(f"/api/courses/{course['id']}").json()["name"] == "Negotiation"
    assert post(api, "/api/courses", {"name": "   "}).status_code == 422
    assert post(api, "/api/courses", {"name": "x", "colour": "red"}).status_code == 422


def test_a_class_is_added_as_a_section_and_taken_out(instructor, classroom):
    api = api_client(instructor)
    course = course_create(owner=instructor, name="Course")
    response = post(api, f"/api/courses/{course.pk}/sections", {"class_id": classroom.pk})
    assert response.status_code == 200, response.content
    assert [s["id"] for s in response.json()["sections"]] == [classroom.pk]
    again = post(api, f"/api/courses/{course.pk}/sections", {"class_id": classroom.pk})
    assert again.status_code == 400 and again.json()["field"] == "class_id"
    assert "already a section of this course" in again.json()["detail"]
    assert api.delete(f"/api/courses/{course.pk}/sections/{classroom.pk}").status_code == 204
    assert Classroom.objects.get(pk=classroom.pk).course is None
    assert api.delete(f"/api/courses/{course.pk}/sections/{classroom.pk}").status_code == 404


def test_another_instructors_course_or_class_is_404_and_changes_nothing(instructor, other_instructor, classroom):
    api = api_client(instructor)
    mine = course_create(owner=instructor, name="Mine")
    theirs = course_create(owner=other_instructor, name="Theirs")
    their_class = classroom_create(owner=other_instructor, name="Theirs")
    section_add(course=theirs, classroom=their_class, user=other_instructor)
    assert api.get(f"/api/courses/{theirs.pk}").status_code == 404
    assert api.get(f"/api/courses/{theirs.pk}/comparison").status_code == 404
    assert api.get(f"/api/courses/{theirs.pk}/export?version_id=1").status_code == 404
    assert post(api, f"/api/courses/{theirs.pk}/sections", {"class_id": classroom.pk}).status_code == 404
    assert post(api, f"/api/courses/{mine.pk}/sections", {"class_id": their_class.pk}).status_code == 404
    assert api.delete(f"/api/courses/{theirs.pk}/sections/{their_class.pk}").status_code == 404
    assert Classroom.objects.get(pk=classroom.pk).course is None
    assert Classroom.objects.get(pk=their_class.pk).course == theirs
    assert [c["id"] for c in api.get("/api/courses").json()] == [mine.pk]


def test_the_comparison_and_the_export_of_two_sections(instructor, used_car):
    course, [(north, first), (south, second)] = course_of_two(instructor, used_car)
    api = api_client(instructor)
    response = api.get(f"/api/courses/{course.pk}/comparison")
    assert response.status_code == 200, response.content
    (comparison,) = response.json()["comparisons"]
    assert [s["exercise"]["id"] for s in comparison["sections"]] == [first.pk, second.pk]
    assert [s["figures"]["pairs"] for s in comparison["sections"]] == [3, 2]
    assert comparison["sections"][1]["figures"]["joint"]["median"] == 115

    response = api.get(f"/api/courses/{course.pk}/export?version_id={used_car.pk}")
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(body(response).decode().lstrip("\ufeff"))))
    assert [r["section_id"] for r in rows] == [str(north.pk)] * 3 + [str(south.pk)] * 2
    response = api.get(f"/api/courses/{course.pk}/export?version_id={used_car.pk}&format=json")
    data = json.loads(body(response))
    assert data["meta"]["course"]["id"] == course.pk and len(data["pairs"]) == 5
    assert api.get(f"/api/courses/{course.pk}/export?version_id={used_car.pk + 99}").status_code == 404
    assert api.get(f"/api/courses/{course.pk}/export?version_id={used_car.pk}&format=xlsx").status_code == 422
    assert Course.objects.count() == 1
