"""An exercise's round: pair the students present, release the roles, start, end, and its status; once
pairs have agreed, its post-settlement round (open, close)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema

from api.base import MAX_ID, MAX_STUDENTS, READ, WRITE, ErrorOut, ExerciseId, InputSchema, request_user
from api.exercises import ExerciseOut, State
from classrooms.access import exercise_for
from classrooms.models import Exercise
from negotiations import rounds, settlement
from negotiations.models import Negotiation, Seat, Settlement

router = Router(tags=["exercises"])

NegotiationStatus = Literal["waiting", "negotiating", "agreed", "impasse", "settling"]


class SeatOut(Schema):
    id: int
    role: str
    kind: Literal["student", "observer", "bot", "instructor"]
    student_id: int | None
    display_name: str | None = Field(description="The student's name; null for a bot or the instructor.")

    @staticmethod
    def resolve_role(obj: Seat) -> str:
        return obj.role_key

    @staticmethod
    def resolve_display_name(obj: Seat) -> str | None:
        return obj.student.display_name if obj.student else None


class PairOut(Schema):
    negotiation_id: int = Field(description="The pair's negotiation: its socket is /ws/negotiations/{negotiation_id}/.")
    number: int
    status: NegotiationStatus
    seats: list[SeatOut] = Field(description="In the scenario's role order, observers last.")

    @staticmethod
    def resolve_negotiation_id(obj: Negotiation) -> int:
        return obj.pk

    @staticmethod
    def resolve_seats(obj: Negotiation) -> list[Seat]:
        return obj.seat_list  # type: ignore[attr-defined]


class StatusCounts(Schema):
    waiting: int
    negotiating: int
    agreed: int
    impasse: int
    settling: int = Field(description="Agreed pairs in the post-settlement round.")


class StatusOut(Schema):
    id: int
    state: State
    deadline: datetime | None
    counts: StatusCounts = Field(description="How many pairs are in each negotiation status.")
    pairs: list[PairOut]


class PairIn(InputSchema):
    student_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        max_length=MAX_STUDENTS, description="The students present; the rest are left out of this pairing."
    )
    seed: int | None = Field(None, ge=0, le=MAX_ID, description="Seeds the random draw, to repeat a pairing.")


def _status(exercise: Exercise) -> dict[str, Any]:
    pairs = rounds.exercise_pairs(exercise)
    counts = Counter(pair.status for pair in pairs)
    return {
        "id": exercise.pk,
        "state": exercise.state,
        "deadline": exercise.deadline,
        "counts": {status: counts[status] for status in Negotiation.Status.values},
        "pairs": pairs,
    }


@router.post("/exercises/{exercise_id}/pair", response={200: StatusOut, **WRITE})
def exercise_pair(request: HttpRequest, exercise_id: ExerciseId, payload: PairIn) -> dict[str, Any]:
    exercise = exercise_for(request_user(request), exercise_id)
    rounds.exercise_pair(exercise=exercise, student_ids=payload.student_ids, seed=payload.seed)
    return _status(exercise)


@router.post("/exercises/{exercise_id}/release", response={200: ExerciseOut, 409: ErrorOut, **READ})
def exercise_release(request: HttpRequest, exercise_id: ExerciseId) -> Exercise:
    return rounds.exercise_release(exercise=exercise_for(request_user(request), exercise_id))


@router.post("/exercises/{exercise_id}/start", response={200: ExerciseOut, 409: ErrorOut, **READ})
def exercise_start(request: HttpRequest, exercise_id: ExerciseId) -> Exercise:
    return rounds.exercise_start(exercise=exercise_for(request_user(request), exercise_id))


@router.post("/exercises/{exercise_id}/end", response={200: ExerciseOut, 409: ErrorOut, **READ})
def exercise_end(request: HttpRequest, exercise_id: ExerciseId) -> Exercise:
    return rounds.exercise_end(exercise=exercise_for(request_user(request), exercise_id))


@router.get("/exercises/{exercise_id}/status", response={200: StatusOut, **READ})
def exercise_status(request: HttpRequest, exercise_id: ExerciseId) -> dict[str, Any]:
    return _status(exercise_for(request_user(request), exercise_id))


class SettlementIn(InputSchema):
    minutes: int = Field(ge=1, le=settlement.MAX_SETTLEMENT_MINUTES, description="How long the round lasts.")


class SettlementOut(Schema):
    opened_at: datetime
    deadline: datetime
    closed_at: datetime | None = Field(description="When its last pair left it, or the instructor closed it.")
    pairs: int = Field(description="The pairs this call took into the round, or out of it.")


def _settlement(exercise: Exercise, pairs: int) -> dict[str, Any]:
    round_ = Settlement.objects.get(exercise=exercise)
    return {"opened_at": round_.opened_at, "deadline": round_.deadline, "closed_at": round_.closed_at, "pairs": pairs}


@router.post("/exercises/{exercise_id}/settlement/open", response={200: SettlementOut, **WRITE})
def settlement_open(request: HttpRequest, exercise_id: ExerciseId, payload: SettlementIn) -> dict[str, Any]:
    """Open the post-settlement round for every agreed pair of a live or ended exercise (docs/protocol.md)."""
    exercise = exercise_for(request_user(request), exercise_id)
    pairs = settlement.settlement_open(exercise=exercise, minutes=payload.minutes, now=timezone.now())
    return _settlement(exercise, pairs)


@router.post("/exercises/{exercise_id}/settlement/close", response={200: SettlementOut, 409: ErrorOut, **READ})
def settlement_close(request: HttpRequest, exercise_id: ExerciseId) -> dict[str, Any]:
    """Close the post-settlement round: the pairs still in it keep their agreement."""
    exercise = exercise_for(request_user(request), exercise_id)
    pairs = settlement.settlement_close(exercise=exercise, now=timezone.now())
    return _settlement(exercise, pairs)
