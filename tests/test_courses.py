"""Courses: their sections, who may do what with them, the page that shows the sections side by side, and its
export (docs/debrief.md, section 8)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from classrooms import courses
from classrooms.courses import course_create, section_add
from classrooms.models import Classroom, Course, CourseInvitation
from classrooms.services import classroom_create, exercise_create
from core.refusal import Refused
from negotiations.models import Debrief
from reports.course_pages import SECTION_COLOURS, SECTION_SHAPES, course_json, section_mark
from tests.base import add_coinstructor, race, student_client
from tests.course_runs import LOSE_LOSE, NASH, course_of_two, ended_run

pytestmark = pytest.mark.django_db


def invite(course, user):
    return courses.course_coinstructor_invite(course=course, email=user.email, invited_by=course.owner)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def two_sections(instructor, used_car):
    """A course of two sections that ran the used car: North three pairs (the Nash package, a lose-lose
    agreement, an impasse), South two (the Nash package, a buyer's deal)."""
    course, sections = course_of_two(instructor, used_car)
    return course, sections


# Sections: one course at most, only one's own, and a bounded number


def test_a_new_course_is_run_by_its_owner(instructor):
    course = course_create(owner=instructor, name="  Negotiation ", term="Spring")
    assert (course.name, course.term, list(course.instructors.all())) == ("Negotiation", "Spring", [instructor])
    with pytest.raises(Refused, match="Give the course a name"):
        course_create(owner=instructor, name="   ")
    with pytest.raises(Refused, match="120 characters"):
        course_create(owner=instructor, name="x" * 121)


def test_an_instructor_owns_a_bounded_number_of_courses(instructor, monkeypatch):
    monkeypatch.setattr(courses, "MAX_COURSES", 2)
    course_create(owner=instructor, name="One")
    course_create(owner=instructor, name="Two")
    with pytest.raises(Refused, match="You own 2 courses"):
        course_create(owner=instructor, name="Three")
    assert Course.objects.count() == 2


def test_a_class_is_a_section_of_one_course_at_most(instructor, classroom):
    first = course_create(owner=instructor, name="First")
    second = course_create(owner=instructor, name="Second")
    section_add(course=first, classroom=classroom, user=instructor)
    with pytest.raises(Refused, match="already a section of this course"):
        section_add(course=first, classroom=classroom, user=instructor)
    with pytest.raises(Refused, match="already a section of another course"):
        section_add(course=second, classroom=Classroom.objects.get(pk=classroom.pk), user=instructor)
    assert Classroom.objects.get(pk=classroom.pk).course == first
    courses.section_remove(course=first, classroom=classroom, user=instructor)
    section_add(course=second, classroom=classroom, user=instructor)
    assert Classroom.objects.get(pk=classroom.pk).course == second


def test_a_course_holds_a_bounded_number_of_sections(instructor, monkeypatch):
    monkeypatch.setattr(courses, "MAX_COURSE_SECTIONS", 2)
    course = course_create(owner=instructor, name="Big")
    for name in ("A", "B"):
        section_add(course=course, classroom=classroom_create(owner=instructor, name=name), user=instructor)
    third = classroom_create(owner=instructor, name="C")
    with pytest.raises(Refused, match="2 sections, the most"):
        section_add(course=course, classroom=third, user=instructor)
    assert Classroom.objects.get(pk=third.pk).course is None


def test_nobody_adds_a_class_they_do_not_teach_nor_to_a_course_they_do_not_run(instructor, other_instructor, classroom):
    mine = course_create(owner=instructor, name="Mine")
    theirs = course_create(owner=other_instructor, name="Theirs")
    their_class = classroom_create(owner=other_instructor, name="Their class")
    with pytest.raises(Refused, match="only add a class you teach to a course you run"):
        section_add(course=mine, classroom=their_class, user=instructor)
    with pytest.raises(Refused, match="only add a class you teach to a course you run"):
        section_add(course=theirs, classroom=classroom, user=instructor)
    assert not Classroom.objects.filter(course__isnull=False).exists()


def test_a_section_is_taken_out_by_its_instructors_or_the_course_owner(instructor, other_instructor, classroom):
    course = course_create(owner=instructor, name="Course")
    courses.course_invitation_answer(
        user=other_instructor, invitation_id=invite(course, other_instructor).pk, accept=True
    )
    section_add(course=course, classroom=classroom, user=instructor)
    with pytest.raises(Refused, match="Only the class's instructors or the course's owner"):
        courses.section_remove(course=course, classroom=classroom, user=other_instructor)
    their_class = classroom_create(owner=other_instructor, name="Theirs")
    section_add(course=course, classroom=their_class, user=other_instructor)
    courses.section_remove(course=course, classroom=their_class, user=instructor)  # the owner may
    courses.section_remove(course=course, classroom=classroom, user=instructor)
    assert not course.sections.exists()


# The page: the sections side by side


def test_the_course_page_shows_both_sections_side_by_side(two_sections, instructor_client):
    course, _ = two_sections
    response = instructor_client.get(f"/courses/{course.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    table = html[html.index('class="data-table figures-table"') :]
    rows = {
        label: cells
        for label, cells in (
            ("Pairs", "<td>3</td><td>2</td>"),
            ("Agreements", "<td>2</td><td>2</td>"),
            ("Impasses", "<td>1</td><td>0</td>"),
            ("Median joint gain (most possible: 115)", "<td>81</td><td>115</td>"),
            # in English the sign right after its number ("50%"); a plain space let a column wrap "50 / %"
            ("Pareto-optimal agreements", "<td>50%</td><td>100%</td>"),
            ("Lose-lose agreements", "<td>50%</td><td>0%</td>"),
        )
    }
    for label, cells in rows.items():
        assert f'<th scope="row">{label}</th>{cells}' in table, label
    assert table.index("North section") < table.index("South section")
    data = json.loads(html.split('id="course-data" type="application/json">')[1].split("</script>")[0])
    (comparison,) = data["comparisons"]
    assert [len(s["points"]) for s in comparison["sections"]] == [3, 2]
    assert comparison["nash"] == [61, 54] and comparison["max_joint"] == 115
    assert [s["shape"] for s in comparison["sections"]] == ["circle", "square"]
    assert "Learner" not in html and "Student 0" not in html  # pairs are numbered, never named


def test_the_figures_are_the_ones_each_section_debrief_stored(two_sections, instructor):
    course, sections = two_sections
    (comparison,) = course_json(course, instructor)["comparisons"]
    for (_, exercise), section in zip(sections, comparison["sections"], strict=True):
        stored = Debrief.objects.get(exercise=exercise).data["class"]
        figures = section["figures"]
        assert section["exercise"]["id"] == exercise.pk
        assert figures["joint"] == stored["joint"]
        assert figures["pareto_share"] == stored["pareto_share"]
        assert figures["median_points"] == {role: d["median"] for role, d in stored["points"].items()}
    north = comparison["sections"][0]["figures"]
    # Shares of the surplus over (43, 35): the Nash package (61, 54) 18/37; the lose-lose one (44, 37) 1/3.
    assert north["median_share"]["seller"] == pytest.approx((18 / 37 + 1 / 3) / 2)
    assert north["meso_share"] == 0


def test_each_section_is_compared_by_its_latest_ended_exercise_of_the_version(two_sections, instructor, used_car):
    course, [(north, first), _] = two_sections
    later = ended_run(north, used_car, [LOSE_LOSE], title="Used car, again")
    exercise_create(classroom=north, title="Not played", scenario_version=used_car, time_limit_minutes=5)
    (comparison,) = course_json(course, instructor)["comparisons"]
    assert comparison["sections"][0]["exercise"]["id"] == later.pk != first.pk
    assert comparison["sections"][0]["figures"]["pairs"] == 1


def test_a_section_whose_debrief_is_not_computed_yet_says_so(two_sections, instructor_client):
    course, [_, (_, south_run)] = two_sections
    Debrief.objects.filter(exercise=south_run).delete()
    south_run.debrief_sent_at = timezone.now()  # just sent: not overdue, so not sent again
    south_run.save(update_fields=["debrief_sent_at"])
    html = instructor_client.get(f"/courses/{course.pk}/").content.decode()
    assert '<th scope="row">Pairs</th><td>3</td><td>being computed</td>' in html


def test_a_version_ended_in_one_section_only_is_listed_not_compared(instructor, used_car, builtin_scenarios):
    from scenarios.services import scenario_version_get

    course, [(north, _), _] = course_of_two(instructor, used_car)
    orange = scenario_version_get("orange-dispute")
    ended_run(north, orange, [None], title="Orange")
    data = course_json(course, instructor)
    assert [c["version"]["id"] for c in data["comparisons"]] == [used_car.pk]
    assert data["single"] == [
        {
            "version": {"id": orange.pk, "title": orange.title, "number": orange.number},
            "section": {"id": north.pk, "name": str(north)},
        }
    ]


def test_a_course_without_two_ended_sections_says_there_is_nothing_to_compare(instructor_client, instructor):
    course = course_create(owner=instructor, name="Empty")
    html = instructor_client.get(f"/courses/{course.pk}/").content.decode()
    assert "Nothing to compare yet" in html and 'id="no-sections"' in html
    assert 'You teach no class yet: <a href="/classes/new/">create one</a>' in html


def test_every_section_has_its_own_colour_and_shape_up_to_the_most_a_course_holds():
    marks = {(m["colour"], m["shape"]) for m in map(section_mark, range(courses.MAX_COURSE_SECTIONS))}
    assert len(marks) == courses.MAX_COURSE_SECTIONS
    charts = Path("static/js/charts.js").read_text()
    for i, colour in enumerate(SECTION_COLOURS):
        assert f".point.section-{i} {{ fill: {colour}; }}" in charts
    assert all(f'"{shape}"' in charts for shape in SECTION_SHAPES[2:])  # the triangles are drawn there


# Adding and taking out sections on the page


def test_the_page_adds_a_class_and_takes_it_out(instructor_client, instructor, classroom):
    course = course_create(owner=instructor, name="Course")
    response = instructor_client.post(f"/courses/{course.pk}/sections/", {"classroom": classroom.pk})
    assert response.status_code == 302
    assert Classroom.objects.get(pk=classroom.pk).course == course
    assert "A section of the course" in instructor_client.get(f"/classes/{classroom.pk}/").content.decode()
    response = instructor_client.post(f"/courses/{course.pk}/sections/{classroom.pk}/remove/")
    assert response.status_code == 302
    assert Classroom.objects.get(pk=classroom.pk).course is None


def test_adding_a_class_already_in_a_course_is_refused_on_the_page_with_why(instructor_client, instructor, classroom):
    course = course_create(owner=instructor, name="Course")
    section_add(course=course_create(owner=instructor, name="Other"), classroom=classroom, user=instructor)
    response = instructor_client.post(f"/courses/{course.pk}/sections/", {"classroom": classroom.pk})
    assert response.status_code == 400
    assert "Choose one of your classes that is in no course yet." in response.content.decode()


# Who may see and do what


def test_another_instructor_finds_nothing_of_the_course(two_sections, other_instructor, used_car):
    course, [(north, _), _] = two_sections
    otto = signed_in(other_instructor)
    their_class = classroom_create(owner=other_instructor, name="Otto's class")
    for path in (
        f"/courses/{course.pk}/",
        f"/courses/{course.pk}/export/{used_car.pk}/",
        f"/courses/{course.pk}/export/{used_car.pk}/?format=json&ids=names",
    ):
        assert otto.get(path).status_code == 404, path
    for path, data in (
        (f"/courses/{course.pk}/sections/", {"classroom": their_class.pk}),
        (f"/courses/{course.pk}/sections/{north.pk}/remove/", {}),
        (f"/courses/{course.pk}/instructors/", {"email": other_instructor.email}),
        (f"/courses/{course.pk}/delete/", {}),
    ):
        assert otto.post(path, data).status_code == 404, path
    assert Course.objects.filter(pk=course.pk).exists() and course.sections.count() == 2
    assert Classroom.objects.get(pk=their_class.pk).course is None
    assert not CourseInvitation.objects.exists()


def test_nobody_puts_another_instructors_class_in_their_course(instructor_client, instructor, other_instructor):
    course = course_create(owner=instructor, name="Mine")
    their_class = classroom_create(owner=other_instructor, name="Otto's class")
    response = instructor_client.post(f"/courses/{course.pk}/sections/", {"classroom": their_class.pk})
    assert response.status_code == 400
    assert Classroom.objects.get(pk=their_class.pk).course is None
    assert "Otto&#x27;s class" not in response.content.decode()  # not offered among the classes to add


def test_a_student_reaches_no_course_page(two_sections, used_car):
    course, [(north, _), _] = two_sections
    student = student_client(north.students.first())
    for path in (f"/courses/{course.pk}/", f"/courses/{course.pk}/export/{used_car.pk}/"):
        response = student.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), path


def test_a_co_instructor_of_the_course_sees_only_the_sections_they_teach(two_sections, other_instructor, used_car):
    course, [(north, _), (south, _)] = two_sections
    invitation = invite(course, other_instructor)
    otto = signed_in(other_instructor)
    assert "invites you to co-teach the course" in otto.get("/dashboard/").content.decode()
    assert otto.get(f"/courses/{course.pk}/").status_code == 404  # not before accepting
    assert otto.post(f"/course-invitations/{invitation.pk}/", {"action": "accept"}).status_code == 302
    html = otto.get(f"/courses/{course.pk}/").content.decode()
    assert "2 more sections are taught by other instructors" in html
    assert "North section" not in html and "Nothing to compare yet" in html
    assert otto.get(f"/courses/{course.pk}/export/{used_car.pk}/").status_code == 404
    assert otto.post(f"/courses/{course.pk}/sections/{north.pk}/remove/").status_code == 404
    add_coinstructor(north, other_instructor)
    add_coinstructor(south, other_instructor)
    html = otto.get(f"/courses/{course.pk}/").content.decode()
    assert "North section" in html and "South section" in html and "more section" not in html


def test_only_the_owner_deletes_a_course_and_its_classes_stay(two_sections, instructor_client, other_instructor):
    course, [(north, _), _] = two_sections
    add_coinstructor(north, other_instructor)
    invitation = invite(course, other_instructor)
    courses.course_invitation_answer(user=other_instructor, invitation_id=invitation.pk, accept=True)
    otto = signed_in(other_instructor)
    assert otto.post(f"/courses/{course.pk}/delete/").status_code == 302
    assert Course.objects.filter(pk=course.pk).exists()
    assert instructor_client.post(f"/courses/{course.pk}/delete/").status_code == 302
    assert not Course.objects.exists()
    assert Classroom.objects.get(pk=north.pk).course is None and north.exercises.exists()


# The export


def test_the_export_holds_every_pair_of_every_section_with_its_section(two_sections, instructor_client, used_car):
    course, [(north, first), (south, second)] = two_sections
    response = instructor_client.get(f"/courses/{course.pk}/export/{used_car.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "pseudonymous.csv" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode().lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["section"], r["section_id"], r["exercise_id"], r["pair"]) for r in rows] == [
        (str(north), str(north.pk), str(first.pk), "1"),
        (str(north), str(north.pk), str(first.pk), "2"),
        (str(north), str(north.pk), str(first.pk), "3"),
        (str(south), str(south.pk), str(second.pk), "1"),
        (str(south), str(south.pk), str(second.pk), "2"),
    ]
    assert [r["impasse"] for r in rows] == ["false", "false", "true", "false", "false"]
    assert rows[0]["seller_id"].startswith("s_") and "Student" not in text


def test_the_export_as_json_with_names(two_sections, instructor_client, used_car):
    course, [(north, _), (south, _)] = two_sections
    response = instructor_client.get(f"/courses/{course.pk}/export/{used_car.pk}/?format=json&ids=names")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    data = json.loads(b"".join(response.streaming_content))
    assert [s["id"] for s in data["meta"]["sections"]] == [north.pk, south.pk]
    assert data["pairs_columns"][:6] == ["section", "section_id", "exercise_id", "series", "round", "pair"]
    assert len(data["pairs"]) == 5 and data["pairs"][0]["seller_name"].startswith("Student")
    assert data["pairs"][0]["points_seller"] == 61  # the Nash package


def test_a_bad_export_request_says_what_is_wrong(two_sections, instructor_client, used_car):
    course, _ = two_sections
    response = instructor_client.get(f"/courses/{course.pk}/export/{used_car.pk}/?format=xlsx")
    assert response.status_code == 400
    assert response.content.decode() == "Export refused: format='xlsx' is not one of csv, json.\n"
    assert instructor_client.get(f"/courses/{course.pk}/export/{used_car.pk + 999}/").status_code == 404


def test_the_dashboard_lists_the_instructors_courses(two_sections, instructor_client):
    course, _ = two_sections
    html = instructor_client.get("/dashboard/").content.decode()
    assert f'href="/courses/{course.pk}/"' in html and "2 sections" in html


def test_a_new_course_from_the_page(instructor_client):
    response = instructor_client.post("/courses/new/", {"name": "", "term": ""})
    assert response.status_code == 400
    response = instructor_client.post("/courses/new/", {"name": "Negotiation", "term": "Fall"})
    course = Course.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/courses/{course.pk}/"


# At once, on PostgreSQL


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_courses_adding_one_class_at_once_get_it_once(instructor, monkeypatch):
    first, second = course_create(owner=instructor, name="First"), course_create(owner=instructor, name="Second")
    for round_ in range(5):
        classroom = classroom_create(owner=instructor, name=f"Contested {round_}")
        results = race(
            *(lambda c=c, k=classroom: section_add(course=c, classroom=k, user=instructor) for c in (first, second))
        )
        assert sorted(type(r).__name__ for r in results) == ["NoneType", "Refused"], [str(r) for r in results]
        assert Classroom.objects.get(pk=classroom.pk).course_id in (first.pk, second.pk)
    # The cap holds against classes added at once: of three, two.
    monkeypatch.setattr(courses, "MAX_COURSE_SECTIONS", 2)
    third = course_create(owner=instructor, name="Third")
    rivals = [classroom_create(owner=instructor, name=f"Rival {i}") for i in range(3)]
    race(*(lambda r=r: section_add(course=third, classroom=r, user=instructor) for r in rivals))
    assert third.sections.count() == 2


def test_markup_in_course_and_section_names_is_text(instructor, used_car, instructor_client):
    markup = "<img src=x onerror=alert(1)>"
    course, [(north, _), _] = course_of_two(instructor, used_car)
    Course.objects.filter(pk=course.pk).update(name=markup)
    Classroom.objects.filter(pk=north.pk).update(name=markup)
    html = instructor_client.get(f"/courses/{course.pk}/").content.decode()
    assert markup not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert markup not in instructor_client.get("/dashboard/").content.decode()


def test_the_page_asks_the_database_as_often_whatever_the_sections_and_pairs(instructor, used_car, instructor_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    course, _ = course_of_two(instructor, used_car)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert instructor_client.get(f"/courses/{course.pk}/").status_code == 200
        return len(captured)

    before = queries()
    for name in ("East", "West"):
        classroom = classroom_create(owner=instructor, name=name)
        section_add(course=course, classroom=classroom, user=instructor)
        ended_run(classroom, used_car, [NASH, LOSE_LOSE, None, NASH])
    assert queries() == before


def test_someone_who_already_runs_the_course_or_the_class_is_not_invited_again(instructor, other_instructor):
    from classrooms.services import coinstructor_invite

    course = course_create(owner=instructor, name="Negotiation")
    classroom = classroom_create(owner=instructor, name="North")
    with pytest.raises(Refused, match="already runs this course") as refused:
        courses.course_coinstructor_invite(course=course, email=instructor.email, invited_by=instructor)
    assert refused.value.field == "email"
    with pytest.raises(Refused, match="already runs this class"):
        coinstructor_invite(classroom=classroom, email=instructor.email, invited_by=instructor)
    first = courses.course_coinstructor_invite(course=course, email=other_instructor.email, invited_by=instructor)
    again = courses.course_coinstructor_invite(course=course, email=other_instructor.email, invited_by=instructor)
    assert first.pk == again.pk and CourseInvitation.objects.filter(course=course).count() == 1
