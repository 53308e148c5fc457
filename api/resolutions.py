"""How an exercise's uncertain events came out: listed, drawn by the server, or set (docs/api.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Path, Router, Schema

from api.base import READ, WRITE, ErrorOut, ExerciseId, InputSchema, request_user
from classrooms import resolutions
from classrooms.access import exercise_for

router = Router(tags=["exercises"])

EventKey = Path[str, {"max_length": 50, "description": "The event's key in the scenario."}]


class OutcomeOut(Schema):
    key: str
    label: str
    chance: float = Field(description="The scenario's stated chance of this outcome, which a draw uses.")


class EventOut(Schema):
    event: str
    question: str
    outcomes: list[OutcomeOut]
    outcome: str | None = Field(description="The outcome that came true; null while unresolved.")
    outcome_label: str | None
    how: Literal["drawn", "set"] | None = Field(description="Drawn by the server (final), or set by an instructor.")
    resolved_at: datetime | None


class EventSetIn(InputSchema):
    outcome: Annotated[str, Field(max_length=50, description="The key of the outcome that came true.")]


def _event(exercise: Any, key: str) -> dict[str, Any]:
    return next(item for item in resolutions.resolutions_json(exercise) if item["event"] == key)


@router.get("/exercises/{exercise_id}/events", response={200: list[EventOut], **READ})
def exercise_events(request: HttpRequest, exercise_id: ExerciseId) -> list[dict[str, Any]]:
    """The scenario's uncertain events and how each came out (an empty list for a scenario without)."""
    return resolutions.resolutions_json(exercise_for(request_user(request), exercise_id))


@router.post("/exercises/{exercise_id}/events/{event}/draw", response={200: EventOut, 400: ErrorOut, **WRITE})
def exercise_event_draw(request: HttpRequest, exercise_id: ExerciseId, event: EventKey) -> dict[str, Any]:
    """The server draws the outcome from the stated chances, once the round has ended; a draw is final."""
    exercise = exercise_for(request_user(request), exercise_id)
    resolutions.event_draw(exercise=exercise, event=event, user=request_user(request))
    return _event(exercise, event)


@router.put("/exercises/{exercise_id}/events/{event}", response={200: EventOut, **WRITE})
def exercise_event_set(
    request: HttpRequest, exercise_id: ExerciseId, event: EventKey, payload: EventSetIn
) -> dict[str, Any]:
    """Set the outcome, once the round has ended, unless it was drawn."""
    exercise = exercise_for(request_user(request), exercise_id)
    resolutions.event_set(exercise=exercise, event=event, outcome=payload.outcome, user=request_user(request))
    return _event(exercise, event)
