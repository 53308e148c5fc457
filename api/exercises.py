"""Exercises as records: create one in a class, list a class's, read one."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from api.base import MAX_ID, NO_NUL, READ, WRITE, ClassId, ErrorOut, ExerciseId, InputSchema, request_user
from classrooms import services
from classrooms.access import classroom_for, exercise_for
from classrooms.models import Exercise, User
from core.refusal import Refused
from negotiations import rounds
from scenarios.models import ScenarioVersion
from scenarios.services import scenario_version_get

router = Router(tags=["exercises"])

PairingRule = Literal["random", "balanced"]
OddRule = Literal["triad", "bot", "instructor"]
State = Literal["draft", "released", "live", "ended"]


class ExerciseIn(InputSchema):
    title: str = Field("", max_length=120, pattern=NO_NUL, description="The scenario's title when empty.")
    scenario: str = Field(max_length=50, pattern=r"^[-a-z0-9_]+$", description="The scenario's slug.")
    scenario_version: int | None = Field(None, ge=1, le=MAX_ID, description="The latest version when null.")
    time_limit_minutes: int = Field(30, ge=1, le=240)
    instructions: str = Field("", max_length=10_000, pattern=NO_NUL)
    pairing_rule: PairingRule = "random"
    odd_rule: OddRule = "triad"


class ExerciseOut(Schema):
    id: int
    class_id: int
    title: str
    scenario: str
    scenario_version: int
    state: State
    time_limit_minutes: int
    instructions: str
    pairing_rule: PairingRule
    odd_rule: OddRule
    created_at: datetime
    released_at: datetime | None
    started_at: datetime | None
    deadline: datetime | None
    ended_at: datetime | None
    series: int = Field(description="Its series' id: the first round's exercise id (its own for a first round).")
    round: int = Field(description="Its number in the series: 1 for a first round.")
    rematch: Literal["rematch", "switch", "keep"] | None = Field(
        description="How it was paired from the round before; null for a first round."
    )

    @staticmethod
    def resolve_series(obj: Exercise) -> int:
        return obj.series_id or obj.pk

    @staticmethod
    def resolve_round(obj: Exercise) -> int:
        return obj.round_number

    @staticmethod
    def resolve_rematch(obj: Exercise) -> str | None:
        return obj.rematch or None

    @staticmethod
    def resolve_class_id(obj: Exercise) -> int:
        return obj.classroom_id

    @staticmethod
    def resolve_scenario(obj: Exercise) -> str:
        return obj.scenario_version.scenario.slug

    @staticmethod
    def resolve_scenario_version(obj: Exercise) -> int:
        return obj.scenario_version.number


def scenario_version_of(slug: str, number: int | None, user: User) -> ScenarioVersion:
    """The version of a scenario the instructor sees (the latest when `number` is None); refused otherwise."""
    try:
        return scenario_version_get(slug, number, user=user)
    except ScenarioVersion.DoesNotExist:
        if number is None:
            raise Refused(f"No scenario has the slug '{slug}'.", "scenario") from None
        raise Refused(f"The scenario '{slug}' has no version {number}.", "scenario_version") from None


@router.post("/classes/{class_id}/exercises", response={201: ExerciseOut, **WRITE})
def exercise_create(request: HttpRequest, class_id: ClassId, payload: ExerciseIn) -> Status[Exercise]:
    classroom = classroom_for(request_user(request), class_id)
    exercise = services.exercise_create(
        classroom=classroom,
        title=payload.title,
        scenario_version=scenario_version_of(payload.scenario, payload.scenario_version, request_user(request)),
        time_limit_minutes=payload.time_limit_minutes,
        instructions=payload.instructions,
        pairing_rule=payload.pairing_rule,
        odd_rule=payload.odd_rule,
        created_by=request_user(request),
    )
    return Status(201, exercise)


@router.get("/classes/{class_id}/exercises", response={200: list[ExerciseOut], **READ})
def exercise_list(request: HttpRequest, class_id: ClassId) -> QuerySet[Exercise]:
    classroom = classroom_for(request_user(request), class_id)
    return classroom.exercises.select_related("scenario_version__scenario")


@router.get("/exercises/{exercise_id}", response={200: ExerciseOut, **READ})
def exercise_detail(request: HttpRequest, exercise_id: ExerciseId) -> Exercise:
    return exercise_for(request_user(request), exercise_id)


class ExerciseChange(InputSchema):
    odd_rule: OddRule = Field(
        description="Changes only while the exercise is a draft (409 once the roles are released). A pairing "
        "preview with an odd student left over is made again, of the same students, under the new rule."
    )


@router.patch("/exercises/{exercise_id}", response={200: ExerciseOut, **WRITE})
def exercise_change(request: HttpRequest, exercise_id: ExerciseId, payload: ExerciseChange) -> Exercise:
    exercise = exercise_for(request_user(request), exercise_id)
    rounds.exercise_odd_rule_set(exercise=exercise, odd_rule=payload.odd_rule)
    return exercise_for(request_user(request), exercise_id)


@router.delete("/exercises/{exercise_id}", response={204: None, 409: ErrorOut, **READ})
def exercise_delete(request: HttpRequest, exercise_id: ExerciseId) -> Status[None]:
    """Delete a draft and its pairing preview; an exercise whose roles are out is kept (409)."""
    rounds.exercise_delete(exercise=exercise_for(request_user(request), exercise_id))
    return Status(204, None)
