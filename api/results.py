"""An exercise's results (pairs, agreements, outcomes, planning sheets) and the research export."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from api.base import READ, ErrorOut, ExerciseId, InputSchema, request_user
from api.exercises import ExerciseOut
from api.rounds import PairOut
from classrooms.access import exercise_for
from classrooms.models import PlanningSheet
from negotiations.models import Negotiation, Outcome
from negotiations.rounds import exercise_pairs
from reports import export_http, export_tables

router = Router(tags=["exercises"])


class ResultsClassOut(Schema):
    id: int
    name: str
    term: str


class ResultsScenarioOut(Schema):
    slug: str
    version: int
    title: str
    digest: str = Field(description="SHA-256 of the scenario document the exercise used.")


class ResultsPairOut(PairOut):
    agreement: dict[str, str] | None = Field(
        description="The agreed package, issue key -> option key (a numeric issue's value as text); null without one."
    )
    outcome: dict[str, Any] | None = Field(
        description=(
            "The pair's debrief metrics (docs/debrief.md): outcome, process, price, settlement; null until computed."
        )
    )

    @staticmethod
    def resolve_outcome(obj: Negotiation) -> dict[str, Any] | None:
        return obj.outcome_data  # type: ignore[attr-defined]


class PlanningSheetOut(Schema):
    student_id: int
    display_name: str
    batna: float | None
    reservation_value: float | None
    target: float | None
    priorities: list[str] = Field(description="Issue keys, most important first.")
    partner_priorities: list[str] = Field(
        description="Issue keys, most important to the partner first, as the student guesses; empty if not ranked."
    )
    notes: str
    updated_at: datetime

    @staticmethod
    def resolve_display_name(obj: PlanningSheet) -> str:
        return obj.student.display_name


class ResultsOut(Schema):
    exported_at: datetime
    exercise: ExerciseOut
    classroom: ResultsClassOut = Field(alias="class")
    scenario: ResultsScenarioOut
    pairs: list[ResultsPairOut]
    planning_sheets: list[PlanningSheetOut]


def _with_outcomes(pairs: list[Negotiation]) -> list[Negotiation]:
    outcomes = dict(Outcome.objects.filter(negotiation__in=pairs).values_list("negotiation_id", "data"))
    for pair in pairs:
        pair.outcome_data = outcomes.get(pair.pk)  # type: ignore[attr-defined]
    return pairs


@router.get("/exercises/{exercise_id}/results", response={200: ResultsOut, **READ}, by_alias=True)
def exercise_results(request: HttpRequest, exercise_id: ExerciseId) -> dict[str, Any]:
    exercise = exercise_for(request_user(request), exercise_id)
    version = exercise.scenario_version
    return {
        "exported_at": timezone.now(),
        "exercise": exercise,
        "class": exercise.classroom,
        "scenario": {
            "slug": version.scenario.slug,
            "version": version.number,
            "title": version.title,
            "digest": version.digest,
        },
        "pairs": _with_outcomes(exercise_pairs(exercise)),
        "planning_sheets": exercise.planning_sheets.select_related("student").order_by("student__display_name", "pk"),
    }


# The research export (columns in docs/debrief.md, "Export")


class ExportMetaOut(Schema):
    exported_at: datetime
    exercise: dict[str, Any]
    scenario: dict[str, Any]
    roles: list[dict[str, Any]]
    issues: list[dict[str, Any]]
    ids: Literal["pseudonymous", "names"]
    chat: bool


class ExportOut(Schema):
    meta: ExportMetaOut
    pairs_columns: list[str] | None = None
    pairs: list[dict[str, Any]] | None = None
    events_columns: list[str] | None = None
    events: list[dict[str, Any]] | None = None
    survey_items: list[dict[str, Any]] | None = None
    survey_columns: list[str] | None = None
    survey: list[dict[str, Any]] | None = None
    planning_columns: list[str] | None = None
    planning: list[dict[str, Any]] | None = None
    class_: dict[str, Any] | None = Field(
        None, alias="class", description="The class debrief's metrics; null until the round's debrief is computed."
    )


class ExportQuery(InputSchema):
    format: Literal["csv", "json"] = Field("csv", description="CSV holds one table; JSON one table or all.")
    table: Literal["pairs", "events", "survey", "planning", "class", "all"] = Field(
        "pairs", description="`class` and `all` only as JSON."
    )
    chat: bool = Field(False, description="Include chat messages and free-text reasons (they may name people).")
    ids: Literal["pseudonymous", "names"] = Field(
        "pseudonymous", description="Per-exercise pseudonyms (no names or emails), or student ids and names."
    )


# Added to the generated JSON form of the 200 answer (ninja keys responses by int).
EXPORT_200 = {
    "description": "The export, as an attachment: JSON, or CSV (UTF-8 with a byte-order mark).",
    "content": {"text/csv": {"schema": {"type": "string"}}},
}


@router.get(
    "/exercises/{exercise_id}/export",
    response={200: ExportOut, 400: ErrorOut, **READ},
    by_alias=True,
    openapi_extra={"responses": {200: EXPORT_200}},
)
def exercise_export(request: HttpRequest, exercise_id: ExerciseId, query: Query[ExportQuery]) -> HttpResponseBase:
    exercise = exercise_for(request_user(request), exercise_id)
    params = {"format": query.format, "table": query.table, "chat": "1" if query.chat else "0", "ids": query.ids}
    options = export_tables.export_options(params)  # refused with the parameter at fault: 400
    return export_http.export_response(request, exercise, options)
