"""Schemathesis fuzzes every operation of the API's own OpenAPI document, in-process, on the test database.

The caller owns a class with students and three paired exercises: one still a draft, one with its
roles released, one live. Most valid cases are aimed at those real objects (the ids in the path, the
students of a pairing, a built-in scenario, a well-formed roster), the rest keep the generated values,
so both the happy paths and the refusals are exercised. No response may be a server error, and every
response must match the document: its status code, content type and body schema, with no field the
document does not name (a schema allows unnamed fields unless it says otherwise, so that is checked here).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import hypothesis
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig

from classrooms import courses, services
from classrooms.models import Classroom, Exercise, User
from negotiations import planning, rounds
from scenarios.services import scenario_version_get

ROSTER = "name,email,student id\n" + "".join(f"Student {i},s{i}@example.com,S{i}\n" for i in range(1, 6))

# 400 is how the API refuses well-formed input on its merits (an unknown scenario, a roster with bad
# lines), which no schema can foresee, and 413 a body over Django's upload limit in bytes (a roster of
# a million characters, many of them escaped). 422, schema-valid input refused by the parser, stays a
# failure: the document must describe what the parser accepts.
REFUSALS = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {"expected-statuses": ["2xx", "400", "401", "404", "409", "413"]},
            "negative_data_rejection": {"expected-statuses": REFUSALS},
        }
    }
)

# Loaded once, at collection: serving the document needs no database.
with override_settings(ALLOWED_HOSTS=["localhost"]):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application(), config=CONFIG)


@dataclass
class World:
    token: str
    class_id: int
    student_ids: list[int]
    exercise_ids: dict[str, int]  # by state
    course_id: int  # a course whose section is the class


def _exercise(classroom: Classroom, student_ids: list[int]) -> Exercise:
    exercise = services.exercise_create(
        classroom=classroom, title="Fuzzed", scenario_version=scenario_version_get("used-car"), time_limit_minutes=30
    )
    rounds.exercise_pair(exercise=exercise, student_ids=student_ids, seed=1)
    return exercise


@pytest.fixture
def world(instructor: User, settings, builtin_scenarios) -> Iterator[World]:
    """The caller's class and exercises; requests share the test's connection and transaction."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    # The studio's throttles are tested on their own (tests/test_api_studio.py); a fuzzer's hundred requests
    # would otherwise meet them, not the document.
    unlimited = {"address": (10**6, 60), "account": (10**6, 60)}
    settings.THROTTLES = {**settings.THROTTLES, "studio_analysis": unlimited, "studio_tournament": unlimited}
    classroom = services.classroom_create(owner=instructor, name="Fuzzed class")
    students = services.roster_import(classroom=classroom, text=ROSTER).created
    ids = [s.pk for s in students]
    draft, released, live = (_exercise(classroom, ids) for _ in range(3))
    rounds.exercise_release(exercise=released)
    rounds.exercise_release(exercise=live)
    planning.planning_sheet_save(exercise=live, student=students[0], batna=10, target=40, notes="Anchor high.")
    rounds.exercise_start(exercise=live)
    token = services.api_token_create(user=instructor, name="schemathesis")[1]
    course = courses.course_create(owner=instructor, name="Fuzzed course")
    courses.section_add(course=course, classroom=classroom, user=instructor)
    # As Django's test client does: a request must not close the connection that holds the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        exercises = {"draft": draft.pk, "released": released.pk, "live": live.pk}
        yield World(token, classroom.pk, ids, exercises, course.pk)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def aim_at(case, world: World, state: str, body: bool) -> None:
    """Point a valid generated case at the caller's own objects, and maybe give it a body that makes sense."""
    parameters = case.path_parameters or {}
    if "class_id" in parameters:
        parameters["class_id"] = world.class_id
    if "exercise_id" in parameters:
        parameters["exercise_id"] = world.exercise_ids[state]
    if "course_id" in parameters:
        parameters["course_id"] = world.course_id
    if body and isinstance(case.body, dict):
        if "student_ids" in case.body:
            case.body["student_ids"] = world.student_ids
        if "scenario" in case.body:
            case.body["scenario"] = "used-car"
            case.body.pop("scenario_version", None)
        if "csv" in case.body:
            case.body["csv"] = "name,email\nNew Student,new@example.com\n"


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema.raw_schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def undocumented(value: Any, node: dict[str, Any], where: str = "body") -> list[str]:
    """The places in a JSON value that its schema does not name; a free-form object names none."""
    node = _resolve(node)
    for combined in ("anyOf", "oneOf"):
        if combined in node:  # the alternative that fits best (a nullable field is anyOf [X, null])
            return min((undocumented(value, option, where) for option in node[combined]), key=len)
    if "allOf" in node:
        properties = {k: v for part in node["allOf"] for k, v in _resolve(part).get("properties", {}).items()}
        node = {"properties": properties} if properties else {}
    if isinstance(value, dict) and "properties" in node:
        properties = node["properties"]
        found = [f"{where}.{key}" for key in value if key not in properties]
        for key in value.keys() & properties.keys():
            found += undocumented(value[key], properties[key], f"{where}.{key}")
        return found
    if isinstance(value, list) and "items" in node:
        return [place for i, item in enumerate(value) for place in undocumented(item, node["items"], f"{where}[{i}]")]
    return []


def no_undocumented_field(ctx, response, case) -> None:  # type: ignore[no-untyped-def]
    content = case.operation.definition.raw["responses"].get(str(response.status_code), {}).get("content", {})
    if "application/json" not in content or not response.headers.get("content-type", [""])[0].startswith(
        "application/json"
    ):
        return
    places = undocumented(response.json(), content["application/json"]["schema"])
    assert not places, f"{case.method} {case.path} {response.status_code}: fields not in the document: {places}"


@schema.parametrize()
@schema.given(state=st.sampled_from([None, "draft", "released", "live"]), body=st.booleans())
@hypothesis.settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(hypothesis.HealthCheck))
def test_the_api_has_no_server_error_and_keeps_to_its_document(case, state, body, world):
    if state and not case.meta.generation.mode.is_negative:
        aim_at(case, world, state, body)
    case.call_and_validate(
        headers={"Authorization": f"Bearer {world.token}"}, additional_checks=[no_undocumented_field]
    )


def test_a_field_the_document_does_not_name_is_found_at_any_depth():
    status = {"$ref": "#/components/schemas/StatusOut"}
    seat = {"id": 1, "role": "buyer", "kind": "student", "student_id": 1, "display_name": "Ada", "email": "a@b.c"}
    pair = {"negotiation_id": 1, "number": 1, "status": "waiting", "seats": [seat]}
    body = {"id": 1, "state": "draft", "deadline": None, "counts": {}, "pairs": [pair], "secret": 1}
    assert undocumented(body, status) == ["body.secret", "body.pairs[0].seats[0].email"]
    free_form = {"$ref": "#/components/schemas/ResultsPairOut"}  # its outcome is any object
    assert undocumented({**pair, "seats": [], "outcome": {"anything": 1}, "agreement": None}, free_form) == []
    assert undocumented({"detail": "No such class", "field": None}, {"$ref": "#/components/schemas/ErrorOut"}) == []
