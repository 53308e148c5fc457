"""The instructor JSON API at /api/: tokens, ownership, classes, rosters, exercises and their export."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from classrooms import services
from classrooms.models import Classroom, Exercise, Student, User
from negotiations import planning, rounds
from negotiations.models import Negotiation, Seat
from tests.base import add_coinstructor

ROSTER = (
    "name,email,student id\n"
    "Ada Lovelace,ada@example.com,S1\n"
    "Blaise Pascal,blaise@example.com,S2\n"
    "Carl Gauss,carl@example.com,S3\n"
    "Dora Maar,dora@example.com,S4\n"
    "Emmy Noether,emmy@example.com,S5\n"
)


def api_client(user: User) -> Client:
    _, token = services.api_token_create(user=user, name="tests")
    return Client(headers={"Authorization": f"Bearer {token}"})


def post(client: Client, url: str, body: dict[str, Any] | None = None):
    return client.post(url, body or {}, content_type="application/json")


@pytest.fixture
def api(instructor: User) -> Client:
    return api_client(instructor)


@pytest.fixture
def classroom(instructor: User) -> Classroom:
    return services.classroom_create(owner=instructor, name="Negotiation 101", term="Spring 2027")


@pytest.fixture
def students(classroom: Classroom) -> list[Student]:
    return services.roster_import(classroom=classroom, text=ROSTER).created


@pytest.fixture
def exercise(classroom: Classroom, used_car, instructor: User) -> Exercise:
    return services.exercise_create(
        classroom=classroom, title="Week 3", scenario_version=used_car, time_limit_minutes=20, created_by=instructor
    )


@pytest.fixture
def paired(exercise: Exercise, students: list[Student]) -> Exercise:
    rounds.exercise_pair(exercise=exercise, student_ids=[s.pk for s in students], seed=7)
    return exercise


@pytest.fixture
def outsider_exercise(used_car) -> Exercise:
    """Another instructor's class with a student and an exercise."""
    other = User.objects.create_user("otto@example.com", "a-long-password", verified_at=timezone.now())
    classroom = services.classroom_create(owner=other, name="Someone else's class")
    services.roster_import(classroom=classroom, text="name\nOlga\n")
    return services.exercise_create(
        classroom=classroom, title="Theirs", scenario_version=used_car, time_limit_minutes=5
    )


# Tokens


@pytest.mark.django_db
def test_a_request_without_a_token_is_refused():
    response = Client().get("/api/classes")
    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}


@pytest.mark.django_db
def test_a_request_with_an_unknown_token_is_refused(instructor):
    services.api_token_create(user=instructor, name="real")
    response = Client(headers={"Authorization": "Bearer prl_not-a-real-token"}).get("/api/classes")
    assert response.status_code == 401


def test_the_token_of_a_deactivated_instructor_is_refused(instructor, api):
    instructor.is_active = False
    instructor.save()
    assert api.get("/api/classes").status_code == 401


@pytest.mark.django_db
def test_the_openapi_document_and_the_docs_are_served_without_a_token():
    document = Client().get("/api/openapi.json")
    assert document.status_code == 200
    assert document.json()["info"]["title"] == "Parley instructor API"
    assert Client().get("/api/docs").status_code == 200


# Ownership: another instructor's class or exercise does not exist for this token

OUTSIDER_REQUESTS = [
    ("get", "/api/classes/{class_id}", None),
    ("patch", "/api/classes/{class_id}", {"is_open": False}),
    ("get", "/api/classes/{class_id}/students", None),
    ("post", "/api/classes/{class_id}/students/merge", {"keep": 1, "merge": 2}),
    ("post", "/api/classes/{class_id}/roster", {"csv": "name\nMallory\n"}),
    ("get", "/api/classes/{class_id}/exercises", None),
    ("post", "/api/classes/{class_id}/exercises", {"scenario": "used-car"}),
    ("get", "/api/exercises/{exercise_id}", None),
    ("patch", "/api/exercises/{exercise_id}", {"odd_rule": "bot"}),
    ("delete", "/api/exercises/{exercise_id}", None),
    ("post", "/api/exercises/{exercise_id}/pair", {"student_ids": [1]}),
    ("post", "/api/exercises/{exercise_id}/release", None),
    ("post", "/api/exercises/{exercise_id}/start", None),
    ("post", "/api/exercises/{exercise_id}/end", None),
    ("get", "/api/exercises/{exercise_id}/status", None),
    ("get", "/api/exercises/{exercise_id}/results", None),
    ("post", "/api/exercises/{exercise_id}/next-round", {"rematch": "rematch", "student_ids": [1]}),
    ("get", "/api/exercises/{exercise_id}/rounds", None),
]


@pytest.mark.parametrize(
    ("method", "url", "body"), OUTSIDER_REQUESTS, ids=[f"{m} {u}" for m, u, _ in OUTSIDER_REQUESTS]
)
def test_another_instructors_class_is_not_found(api, outsider_exercise, method, url, body):
    url = url.format(class_id=outsider_exercise.classroom_id, exercise_id=outsider_exercise.pk)
    kwargs = {"data": body, "content_type": "application/json"} if body is not None else {}
    response = getattr(api, method)(url, **kwargs)
    assert response.status_code == 404
    outsider_exercise.refresh_from_db()
    outsider_exercise.classroom.refresh_from_db()
    assert outsider_exercise.classroom.is_open
    assert outsider_exercise.classroom.students.count() == 1
    assert outsider_exercise.classroom.exercises.count() == 1
    assert outsider_exercise.state == Exercise.State.DRAFT


def test_an_unknown_class_and_an_outsiders_class_look_the_same(api, outsider_exercise):
    theirs = api.get(f"/api/classes/{outsider_exercise.classroom_id}")
    unknown = api.get("/api/classes/999999")
    assert (theirs.status_code, theirs.json()) == (unknown.status_code, unknown.json())


def test_a_coinstructors_token_reaches_the_class(classroom):
    colleague = User.objects.create_user("cora@example.com", "a-long-password", verified_at=timezone.now())
    add_coinstructor(classroom, colleague)
    assert api_client(colleague).get(f"/api/classes/{classroom.pk}").status_code == 200


def test_the_class_list_holds_only_the_instructors_classes(api, classroom, outsider_exercise):
    response = api.get("/api/classes")
    assert response.status_code == 200
    assert [c["id"] for c in response.json()] == [classroom.pk]


# Classes


def test_an_instructor_creates_a_class(api, instructor):
    response = post(api, "/api/classes", {"name": " Negotiation 101 ", "term": "Spring 2027"})
    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "Negotiation 101"
    assert body["is_open"] is True
    assert len(body["join_code"]) == 6
    classroom = Classroom.objects.get(pk=body["id"])
    assert classroom.owner == instructor
    assert list(classroom.instructors.all()) == [instructor]


def test_a_class_name_of_only_spaces_is_refused(api):
    response = post(api, "/api/classes", {"name": "   "})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "payload", "name"]
    assert not Classroom.objects.exists()


def test_the_class_detail_gives_the_join_code(api, classroom):
    response = api.get(f"/api/classes/{classroom.pk}")
    assert response.status_code == 200
    assert response.json()["join_code"] == classroom.join_code


def test_an_instructor_closes_a_class_to_joining(api, classroom):
    response = api.patch(f"/api/classes/{classroom.pk}", {"is_open": False}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["is_open"] is False
    classroom.refresh_from_db()
    assert not classroom.is_open


def test_a_body_that_is_not_json_is_a_bad_request_of_no_field(api):
    response = api.post("/api/classes", "{name", content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": "Cannot parse request body", "field": None}


# A field the schema does not know is refused with its name, never ignored: a misspelt optional field would
# otherwise fall back to its default unnoticed.

UNKNOWN_FIELDS = [
    ("post", "/api/classes", {"name": "Negotiation 102", "trem": "Spring 2027"}, "trem"),
    ("patch", "/api/classes/{class_id}", {"is_open": False, "is_opne": False}, "is_opne"),
    ("post", "/api/classes/{class_id}/roster", {"csv": "name\nZoe\n", "dry_run": True}, "dry_run"),
    ("post", "/api/classes/{class_id}/exercises", {"scenario": "used-car", "odd_rul": "bot"}, "odd_rul"),
    ("post", "/api/exercises/{exercise_id}/pair", {"student_ids": "all", "sead": 3}, "sead"),
]


@pytest.mark.parametrize(("method", "url", "body", "field"), UNKNOWN_FIELDS, ids=[f for *_, f in UNKNOWN_FIELDS])
def test_an_unknown_field_in_a_body_is_refused_by_name_and_changes_nothing(
    api, exercise, students, method, url, body, field
):
    url = url.format(class_id=exercise.classroom_id, exercise_id=exercise.pk)
    if body.get("student_ids") == "all":
        body = {**body, "student_ids": [s.pk for s in students]}
    response = getattr(api, method)(url, body, content_type="application/json")
    assert response.status_code == 422, response.content
    errors = response.json()["detail"]
    assert [(e["type"], e["loc"]) for e in errors] == [("extra_forbidden", ["body", "payload", field])]
    exercise.classroom.refresh_from_db()
    assert (Classroom.objects.count(), Exercise.objects.count(), Student.objects.count()) == (1, 1, len(students))
    assert exercise.classroom.is_open and not Negotiation.objects.exists()


def test_an_unknown_query_parameter_is_refused_by_name(api, exercise):
    response = api.get(f"/api/exercises/{exercise.pk}/export?formt=json")
    assert response.status_code == 422
    assert [(e["type"], e["loc"][-1]) for e in response.json()["detail"]] == [("extra_forbidden", "formt")]


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """Every operation of the OpenAPI document: its method, its path with 1 for each id, and itself."""
    return [
        (method, re.sub(r"\{[^}]+\}", "1", path), operation)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    ]


def test_every_operation_refuses_an_unknown_query_parameter(api):
    document = Client().get("/api/openapi.json").json()
    # five paths take two methods, /api/exercises/{id} and /api/scenario-drafts/{id} three each
    assert len(operations(document)) == len(document["paths"]) + 9
    for method, path, _ in operations(document):
        response = api.generic(method.upper(), f"{path}?unknown_parameter=1")
        assert response.status_code == 422, (method, path, response.content)
        assert [e["loc"] for e in response.json()["detail"]] == [["query", "unknown_parameter"]], (method, path)


def test_every_operation_without_a_body_refuses_one_and_names_its_fields(api):
    document = Client().get("/api/openapi.json").json()
    bodiless = [(method, path) for method, path, operation in operations(document) if "requestBody" not in operation]
    assert len(bodiless) == len(operations(document)) - 17
    for method, path in bodiless:
        response = api.generic(method.upper(), path, '{"reason": "x"}', content_type="application/json")
        assert response.status_code == 422, (method, path, response.content)
        assert response.json()["detail"] == [
            {"type": "extra_forbidden", "loc": ["body", "reason"], "msg": "Extra inputs are not permitted"}
        ], (method, path)
        response = api.generic(method.upper(), path, "reason=x", content_type="application/x-www-form-urlencoded")
        assert [e["loc"] for e in response.json()["detail"]] == [["body", "reason"]], (method, path)
        response = api.generic(method.upper(), path, "[1]", content_type="application/json")
        assert [e["loc"] for e in response.json()["detail"]] == [["body"]], (method, path)


def test_the_token_is_checked_before_the_input_it_does_not_take():
    assert Client().get("/api/classes?unknown_parameter=1").status_code == 401


def test_an_action_given_a_query_or_a_body_it_does_not_take_is_not_done(api, paired):
    assert post(api, f"/api/exercises/{paired.pk}/release?force=1").status_code == 422
    assert (
        api.post(f"/api/exercises/{paired.pk}/end", {"reason": "x"}, content_type="application/json").status_code == 422
    )
    paired.refresh_from_db()
    assert paired.state == Exercise.State.DRAFT


def test_an_action_without_a_body_takes_an_empty_one_or_an_empty_object(api, paired):
    assert api.generic("POST", f"/api/exercises/{paired.pk}/release").status_code == 200
    assert api.post(f"/api/exercises/{paired.pk}/start", "{}", content_type="application/json").status_code == 200
    assert api.get(f"/api/exercises/{paired.pk}/status", content_type="application/json").status_code == 200


def test_every_request_body_of_the_document_refuses_other_fields():
    document = Client().get("/api/openapi.json").json()
    schemas = document["components"]["schemas"]
    bodies = {
        f"{method} {path}": operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if "requestBody" in operation
    }
    assert len(bodies) == 17
    for operation, ref in bodies.items():
        assert schemas[ref.rsplit("/", 1)[1]].get("additionalProperties") is False, operation


# Students and the roster


def test_the_student_list_gives_each_students_personal_link(api, classroom, students):
    response = api.get(f"/api/classes/{classroom.pk}/students")
    assert response.status_code == 200
    ada = response.json()[0]
    assert ada["display_name"] == "Ada Lovelace"
    assert ada["email"] == "ada@example.com"
    assert ada["student_number"] == "S1"
    assert ada["joined_via"] == "roster"
    assert ada["connected"] is False
    token = services.student_link_token(students[0])
    assert ada["link"] == f"http://testserver/s/{token}/"


def test_a_revoked_link_is_null_in_the_student_list(api, classroom, students):
    services.student_link_revoke(student=students[0])
    assert api.get(f"/api/classes/{classroom.pk}/students").json()[0]["link"] is None


def test_a_roster_upload_creates_the_students(api, classroom):
    response = post(api, f"/api/classes/{classroom.pk}/roster", {"csv": ROSTER})
    assert response.status_code == 200
    body = response.json()
    assert [s["display_name"] for s in body["created"]][:2] == ["Ada Lovelace", "Blaise Pascal"]
    assert body["skipped"] == body["problems"] == []
    assert classroom.students.count() == 5


def test_a_roster_with_bad_rows_stores_nothing_and_names_the_lines(api, classroom):
    text = "name,email,student id\nAda,ada@example.com,S1\n,nobody@example.com,S2\nCarl,not-an-email,S3\n"
    response = post(api, f"/api/classes/{classroom.pk}/roster", {"csv": text})
    assert response.status_code == 400
    problems = response.json()["problems"]
    assert [p.split(":")[0] for p in problems] == ["line 3", "line 4"]
    assert response.json()["created"] == []
    assert not classroom.students.exists()


def test_a_roster_that_is_not_csv_is_refused_without_a_server_error(api, classroom):
    response = post(api, f"/api/classes/{classroom.pk}/roster", {"csv": "name\nAda\rLovelace\n"})
    assert response.status_code == 400
    assert response.json()["problems"]
    assert not classroom.students.exists()


def test_a_body_over_the_upload_limit_is_refused_as_too_large(api, classroom, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = post(api, f"/api/classes/{classroom.pk}/roster", {"csv": "name\n" + "Ada\n" * 500})
    assert response.status_code == 413
    assert response.json()["detail"].startswith("The request body is larger than")
    assert not classroom.students.exists()


def test_a_body_over_the_upload_limit_is_too_large_for_an_operation_that_takes_none(api, paired, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = post(api, f"/api/exercises/{paired.pk}/release", {"note": "x" * 2000})
    assert response.status_code == 413
    paired.refresh_from_db()
    assert paired.state == Exercise.State.DRAFT


def test_a_roster_email_longer_than_the_column_is_a_problem_of_its_line(api, classroom):
    email = "a" * 64 + "@" + ".".join(["b" * 60] * 4) + ".com"
    response = post(api, f"/api/classes/{classroom.pk}/roster", {"csv": f"name,email\nAda,{email}\n"})
    assert response.status_code == 400
    assert response.json()["problems"][0].startswith("line 2:")


def test_uploading_the_same_roster_twice_skips_the_students_already_there(api, classroom, students):
    response = post(api, f"/api/classes/{classroom.pk}/roster", {"csv": ROSTER})
    assert response.status_code == 200
    assert response.json()["created"] == []
    assert len(response.json()["skipped"]) == 5
    assert classroom.students.count() == 5


# Scenarios and exercises


def test_the_scenario_list_gives_each_scenarios_latest_version(api, used_car):
    response = api.get("/api/scenarios")
    assert response.status_code == 200
    assert {"slug": "used-car", "title": "The Used Car", "latest_version": 1} in response.json()


def test_an_instructor_creates_an_exercise_with_the_used_car_scenario(api, classroom, used_car, instructor):
    body = {
        "title": "Week 3",
        "scenario": "used-car",
        "time_limit_minutes": 25,
        "instructions": "Read your role first.",
        "pairing_rule": "balanced",
        "odd_rule": "triad",
    }
    response = post(api, f"/api/classes/{classroom.pk}/exercises", body)
    assert response.status_code == 201
    created = response.json()
    assert (created["scenario"], created["scenario_version"], created["state"]) == ("used-car", 1, "draft")
    assert created["class_id"] == classroom.pk
    exercise = Exercise.objects.get(pk=created["id"])
    assert exercise.scenario_version == used_car
    assert exercise.created_by == instructor
    assert (exercise.time_limit_minutes, exercise.pairing_rule) == (25, "balanced")


def test_an_exercise_without_a_title_takes_the_scenarios(api, classroom, used_car):
    response = post(api, f"/api/classes/{classroom.pk}/exercises", {"scenario": "used-car"})
    assert response.status_code == 201
    assert response.json()["title"] == "The Used Car"


def test_an_unknown_scenario_is_refused_by_name(api, classroom, used_car):
    response = post(api, f"/api/classes/{classroom.pk}/exercises", {"scenario": "flying-car"})
    assert response.status_code == 400
    assert response.json() == {"detail": "No scenario has the slug 'flying-car'.", "field": "scenario"}
    assert not Exercise.objects.exists()


def test_an_unknown_scenario_version_is_refused(api, classroom, used_car):
    body = {"scenario": "used-car", "scenario_version": 9}
    response = post(api, f"/api/classes/{classroom.pk}/exercises", body)
    assert response.status_code == 400
    assert response.json()["field"] == "scenario_version"


def test_a_time_limit_over_four_hours_is_refused(api, classroom, used_car):
    body = {"scenario": "used-car", "time_limit_minutes": 241}
    response = post(api, f"/api/classes/{classroom.pk}/exercises", body)
    assert response.status_code == 422
    assert not Exercise.objects.exists()


def test_the_exercises_of_a_class_are_listed(api, classroom, exercise):
    response = api.get(f"/api/classes/{classroom.pk}/exercises")
    assert response.status_code == 200
    assert [e["id"] for e in response.json()] == [exercise.pk]


def test_the_exercise_detail_names_its_scenario_version(api, exercise):
    response = api.get(f"/api/exercises/{exercise.pk}")
    assert response.status_code == 200
    assert (response.json()["scenario"], response.json()["scenario_version"]) == ("used-car", 1)


# Pairing and the exercise's life


def test_pairing_five_students_with_triads_makes_two_pairs_one_with_an_observer(api, exercise, students):
    body = {"student_ids": [s.pk for s in students], "seed": 3}
    response = post(api, f"/api/exercises/{exercise.pk}/pair", body)
    assert response.status_code == 200
    pairs = response.json()["pairs"]
    assert [p["number"] for p in pairs] == [1, 2]
    assert sorted(len(p["seats"]) for p in pairs) == [2, 3]
    kinds = sorted(seat["kind"] for p in pairs for seat in p["seats"])
    assert kinds == ["observer", "student", "student", "student", "student"]
    seated = {seat["student_id"] for p in pairs for seat in p["seats"]}
    assert seated == {s.pk for s in students}
    assert {seat["role"] for p in pairs for seat in p["seats"]} == {"buyer", "seller"}


def test_pairing_with_a_student_of_another_class_is_refused(api, exercise, students, outsider_exercise):
    stranger = outsider_exercise.classroom.students.get()
    body = {"student_ids": [students[0].pk, stranger.pk]}
    response = post(api, f"/api/exercises/{exercise.pk}/pair", body)
    assert response.status_code == 400
    assert response.json()["field"] == "student_ids"
    assert not Negotiation.objects.filter(exercise=exercise).exists()


def test_pairing_nobody_is_refused(api, exercise):
    response = post(api, f"/api/exercises/{exercise.pk}/pair", {"student_ids": []})
    assert response.status_code == 400
    assert response.json()["field"] == "student_ids"


def test_releasing_the_roles_moves_the_exercise_on(api, paired):
    response = post(api, f"/api/exercises/{paired.pk}/release")
    assert response.status_code == 200
    assert response.json()["state"] == "released"
    assert response.json()["released_at"] is not None


def test_releasing_an_unpaired_exercise_is_a_conflict(api, exercise):
    response = post(api, f"/api/exercises/{exercise.pk}/release")
    assert response.status_code == 409
    assert response.json() == {"detail": "Pair the class before releasing the roles.", "field": None}


def test_pairing_after_the_release_is_a_conflict(api, paired, students):
    rounds.exercise_release(exercise=paired)
    response = post(api, f"/api/exercises/{paired.pk}/pair", {"student_ids": [s.pk for s in students]})
    assert response.status_code == 409
    assert response.json()["detail"] == "Cannot pair the class now: the exercise is released but not started."


def test_starting_sets_the_deadline_and_sets_the_pairs_negotiating(api, paired):
    rounds.exercise_release(exercise=paired)
    response = post(api, f"/api/exercises/{paired.pk}/start")
    assert response.status_code == 200
    assert response.json()["state"] == "live"
    assert response.json()["deadline"] is not None
    status = api.get(f"/api/exercises/{paired.pk}/status").json()
    assert status["counts"] == {"waiting": 0, "negotiating": 2, "agreed": 0, "impasse": 0, "settling": 0}


def test_starting_a_draft_exercise_is_a_conflict(api, paired):
    response = post(api, f"/api/exercises/{paired.pk}/start")
    assert response.status_code == 409
    assert response.json()["detail"] == "Cannot start the negotiations now: the exercise is still a draft."


def test_ending_marks_the_unfinished_pairs_as_impasse(api, paired):
    rounds.exercise_release(exercise=paired)
    rounds.exercise_start(exercise=paired)
    response = post(api, f"/api/exercises/{paired.pk}/end")
    assert response.status_code == 200
    assert response.json()["state"] == "ended"
    status = api.get(f"/api/exercises/{paired.pk}/status").json()
    assert status["counts"] == {"waiting": 0, "negotiating": 0, "agreed": 0, "impasse": 2, "settling": 0}


def test_ending_an_ended_exercise_is_a_conflict(api, paired):
    rounds.exercise_release(exercise=paired)
    rounds.exercise_end(exercise=paired)
    response = post(api, f"/api/exercises/{paired.pk}/end")
    assert response.status_code == 409
    assert response.json()["detail"].startswith("Cannot end the exercise now: the exercise is over")


def test_the_status_lists_each_pair_with_its_seats(api, paired):
    response = api.get(f"/api/exercises/{paired.pk}/status")
    assert response.status_code == 200
    status = response.json()
    assert (status["state"], status["deadline"]) == ("draft", None)
    assert status["counts"] == {"waiting": 2, "negotiating": 0, "agreed": 0, "impasse": 0, "settling": 0}
    seat = Seat.objects.select_related("student", "negotiation").filter(exercise=paired).first()
    listed = next(s for p in status["pairs"] for s in p["seats"] if s["id"] == seat.pk)
    pairs = Negotiation.objects.filter(exercise=paired).order_by("number")
    assert [(p["number"], p["negotiation_id"]) for p in status["pairs"]] == [(n.number, n.pk) for n in pairs]
    assert listed == {
        "id": seat.pk,
        "role": seat.role_key,
        "kind": seat.kind,
        "student_id": seat.student_id,
        "display_name": seat.student.display_name,
    }


def test_the_status_takes_as_many_queries_for_a_large_class_as_for_a_small_one(api, paired, classroom):
    api.get("/api/classes")  # the token's first use records its time
    with CaptureQueriesContext(connection) as small:
        api.get(f"/api/exercises/{paired.pk}/status")
    more = "name\n" + "".join(f"Student {i}\n" for i in range(20))
    services.roster_import(classroom=classroom, text=more)
    rounds.exercise_pair(exercise=paired, student_ids=list(classroom.students.values_list("pk", flat=True)))
    with CaptureQueriesContext(connection) as large:
        response = api.get(f"/api/exercises/{paired.pk}/status")
    assert len(response.json()["pairs"]) == 12
    assert len(large.captured_queries) == len(small.captured_queries)


def test_the_results_export_contains_the_planning_sheets(api, paired, students):
    rounds.exercise_release(exercise=paired)
    planning.planning_sheet_save(
        exercise=paired,
        student=students[0],
        batna="12.50",
        reservation_value="20",
        target="45.25",
        priorities=["price", "handover", "warranty", "tyres"],
        partner_priorities=["price", "warranty", "tyres", "handover"],
        notes="Open high.",
    )
    rounds.exercise_start(exercise=paired)
    rounds.exercise_end(exercise=paired)
    response = api.get(f"/api/exercises/{paired.pk}/results")
    assert response.status_code == 200
    export = response.json()
    assert export["exercise"]["state"] == "ended"
    assert export["class"]["id"] == paired.classroom_id
    assert (export["scenario"]["slug"], export["scenario"]["version"]) == ("used-car", 1)
    assert [(p["number"], p["status"], p["agreement"]) for p in export["pairs"]] == [
        (1, "impasse", None),
        (2, "impasse", None),
    ]
    assert sum(len(p["seats"]) for p in export["pairs"]) == 5
    [sheet] = export["planning_sheets"]
    assert sheet["student_id"] == students[0].pk
    assert (sheet["batna"], sheet["reservation_value"], sheet["target"]) == (12.5, 20.0, 45.25)
    assert sheet["priorities"] == ["price", "handover", "warranty", "tyres"]
    assert sheet["partner_priorities"] == ["price", "warranty", "tyres", "handover"]
    assert sheet["notes"] == "Open high."
