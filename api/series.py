"""Rounds: the round after an ended exercise, and the rounds of its series compared (docs/debrief.md,
section 4c)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from api.base import (
    MAX_ID,
    MAX_STUDENTS,
    NO_NUL,
    READ,
    WRITE,
    Distribution,
    ExerciseId,
    InputSchema,
    request_user,
)
from api.exercises import ExerciseOut, State, scenario_version_of
from classrooms.access import exercise_for
from classrooms.models import Exercise
from core.refusal import Refused
from negotiations import series
from reports.series import series_comparison

router = Router(tags=["exercises"])

Rematch = Literal["rematch", "switch", "keep"]


class NextRoundIn(InputSchema):
    rematch: Rematch = Field(
        description="How the round is paired from the one before: `rematch` new partners (never the same one twice "
        "while a pairing avoids it), `switch` each pair kept with the roles swapped, `keep` pairs and roles kept. "
        "Students not in a kept pair are paired as in a rematch; an odd one out by the odd-student rule."
    )
    student_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        max_length=MAX_STUDENTS, description="The students present, new arrivals included; the rest are left out."
    )
    scenario: str | None = Field(
        None,
        max_length=50,
        pattern=r"^[-a-z0-9_]+$",
        description="Another scenario's slug; the same version when null.",
    )
    scenario_version: int | None = Field(
        None, ge=1, le=MAX_ID, description="With `scenario`: its version, the latest when null."
    )
    title: str = Field(
        "", max_length=120, pattern=NO_NUL, description="The first round's title and the round's number when empty."
    )
    time_limit_minutes: int | None = Field(None, ge=1, le=240, description="The previous round's when null.")
    seed: int | None = Field(None, ge=0, le=MAX_ID, description="Seeds the random draw, to repeat a pairing.")


@router.post("/exercises/{exercise_id}/next-round", response={201: ExerciseOut, **WRITE})
def exercise_next_round(request: HttpRequest, exercise_id: ExerciseId, payload: NextRoundIn) -> Status[Exercise]:
    """Create the round after this ended exercise (the latest of its series), as a draft paired from the
    students present: release and start it as any exercise. 409 before the exercise has ended, or when a
    later round exists."""
    user = request_user(request)
    exercise = exercise_for(user, exercise_id)
    version = None
    if payload.scenario is not None:
        version = scenario_version_of(payload.scenario, payload.scenario_version, user)
    elif payload.scenario_version is not None:
        raise Refused("Name the scenario of that version in `scenario`.", "scenario_version")
    following = series.next_round_create(
        exercise=exercise,
        rematch=payload.rematch,
        student_ids=payload.student_ids,
        created_by=user,
        scenario_version=version,
        title=payload.title,
        time_limit_minutes=payload.time_limit_minutes,
        seed=payload.seed,
    )
    return Status(201, exercise_for(user, following.pk))


class SeriesRoundFiguresOut(Schema):
    pairs: int = Field(description="Finished pairs.")
    agreements: int
    joint: Distribution | None = Field(description="Joint points over every pair, an impasse at the BATNAs.")
    efficiency: Distribution | None = Field(description="Joint points / the most an agreement creates.")
    pareto_optimal: int = Field(description="Pareto-optimal agreements.")
    pareto_share: float | None = Field(description="Of the agreements; null without one.")
    negotiators: int = Field(description="Students who negotiated (observers not counted).")
    meso_users: int = Field(description="Negotiators who made an offer of several packages at once.")
    meso_share: float | None
    meso_offers: Distribution | None = Field(description="Each negotiator's MESO offers.")
    guesses: int = Field(description="Negotiators who ranked the partner's priorities.")
    fixed_pie: Distribution | None = Field(description="Section 4a's fixed-pie perception over the guesses.")


class SeriesRoundOut(Schema):
    round: int
    exercise_id: int
    title: str
    state: State
    scenario: str
    scenario_title: str
    scenario_version: int
    rematch: Rematch | None = Field(description="How the round was paired from the one before; null for the first.")
    ready: bool = Field(description="Whether the round has ended and its debrief is computed.")
    figures: SeriesRoundFiguresOut | None = Field(description="Null until ready.")


class ClassChangeOut(Schema):
    joint_median: float | None
    efficiency_median: float | None
    pareto_share: float | None
    meso_share: float | None
    fixed_pie_median: float | None


class StepChangeOut(Schema):
    students: int = Field(description="Students who negotiated in both rounds.")
    joint: Distribution | None = Field(description="Their changes of joint points.")
    efficiency: Distribution | None
    pareto_gained: int = Field(description="Reached a Pareto-optimal agreement only in the later round.")
    pareto_lost: int = Field(description="Only in the earlier round.")
    meso_offers: Distribution | None
    fixed_pie: Distribution | None = Field(description="Over the students who guessed in both rounds.")
    class_: ClassChangeOut = Field(alias="class", description="The class's own figures, the later minus the earlier.")


class StepOut(Schema):
    from_round: int
    to_round: int
    same_scenario: bool
    change: StepChangeOut | None = Field(description="Null until both rounds are ready.")


class StudentRoundOut(Schema):
    role: str
    joint: float
    efficiency: float | None
    agreed: bool
    pareto_optimal: bool
    meso_offers: int
    fixed_pie: float | None


class StudentChangeOut(Schema):
    joint: float
    efficiency: float | None
    pareto: int = Field(description="1: Pareto-optimal only in the later round; -1 only in the earlier; else 0.")
    meso_offers: int
    fixed_pie: float | None


class StudentSeriesOut(Schema):
    student_id: int
    name: str | None
    rounds: list[StudentRoundOut | None] = Field(description="One per round; null where they did not negotiate.")
    changes: list[StudentChangeOut | None] = Field(description="One per step; null unless they negotiated in both.")


class SeriesOut(Schema):
    series: int = Field(description="The series' id: its first round's exercise id.")
    rounds: list[SeriesRoundOut]
    steps: list[StepOut]
    students: list[StudentSeriesOut]


@router.get("/exercises/{exercise_id}/rounds", response={200: SeriesOut, **READ}, by_alias=True)
def exercise_rounds(request: HttpRequest, exercise_id: ExerciseId) -> dict[str, Any]:
    """The rounds of this exercise's series compared: each round's class figures with their spread, each
    step's changes, and each student's figures and changes (docs/debrief.md, section 4c)."""
    return series_comparison(exercise_for(request_user(request), exercise_id))
