"""The instructor JSON API, served at /api/ (OpenAPI document at /api/openapi.json, docs at /api/docs).

A bearer token (`Authorization: Bearer prl_...`) stands for its instructor. Endpoints parse and check
their input with the schemas below, look objects up through classrooms.access (404 for anything
that is not the instructor's), call one service, and describe the result. A refused action
(ServiceError) is 400 when it concerns an input field, else 409.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Annotated, Any, Literal

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils import timezone
from ninja import Field, NinjaAPI, Path, Query, Schema, Status
from ninja.security import HttpBearer

from classrooms import services
from classrooms.access import classroom_for, exercise_for, instructor_classrooms
from classrooms.models import Classroom, Exercise, PlanningSheet, Student, User
from negotiations import export
from negotiations.models import Negotiation, Outcome, Seat
from scenarios.models import ScenarioVersion
from scenarios.services import latest_versions, scenario_version_get

MAX_ID = 2**31 - 1  # the largest id or seed accepted, so that no database sees an out-of-range integer
MAX_STUDENTS = 5000
# Text fields refuse NUL, which PostgreSQL cannot store; names must have something besides spaces.
NO_NUL = r"^[^\x00]*$"
SOME_TEXT = r"^[^\x00]*[^\x00\s][^\x00]*$"


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        return services.api_token_user(token)


api = NinjaAPI(
    title="Parley instructor API",
    version="1",
    urls_namespace="api",
    auth=TokenAuth(),
    description="Classes, rosters and exercises of one instructor. See docs/api.md.",
)


def _user(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined]


# Errors


class ErrorOut(Schema):
    detail: str
    field: str | None = None


class ValidationErrorOut(Schema):
    detail: list[dict[str, Any]]


@api.exception_handler(services.ServiceError)
def service_error(request: HttpRequest, exc: services.ServiceError) -> HttpResponse:
    status = 400 if exc.field else 409
    return api.create_response(request, {"detail": exc.message, "field": exc.field}, status=status)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "Not found.", "field": None}, status=404)


@api.exception_handler(RequestDataTooBig)
def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    limit = f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 2**20:.1f} MB"
    return api.create_response(
        request, {"detail": f"The request body is larger than {limit}.", "field": None}, status=413
    )


READ = {401: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut}  # every endpoint with an id in its path
BODY = {400: ErrorOut, 413: ErrorOut}  # every endpoint with a JSON body: not JSON, or too large
WRITE = {**READ, **BODY, 409: ErrorOut}

ClassId = Path[int, {"ge": 1, "le": MAX_ID, "description": "The class's id."}]
ExerciseId = Path[int, {"ge": 1, "le": MAX_ID, "description": "The exercise's id."}]


# Classes


class ClassIn(Schema):
    name: str = Field(max_length=120, pattern=SOME_TEXT)
    term: str = Field("", max_length=60, pattern=NO_NUL)


class ClassPatch(Schema):
    is_open: bool = Field(description="Whether students may join with the class code.")


class ClassOut(Schema):
    id: int
    name: str
    term: str
    join_code: str
    is_open: bool
    created_at: datetime


@api.get("/classes", response={200: list[ClassOut], 401: ErrorOut}, tags=["classes"])
def class_list(request: HttpRequest) -> QuerySet[Classroom]:
    return instructor_classrooms(_user(request))


@api.post(
    "/classes",
    response={201: ClassOut, **BODY, 401: ErrorOut, 409: ErrorOut, 422: ValidationErrorOut},
    tags=["classes"],
)
def class_create(request: HttpRequest, payload: ClassIn) -> Status[Classroom]:
    return Status(201, services.classroom_create(owner=_user(request), name=payload.name, term=payload.term))


@api.get("/classes/{class_id}", response={200: ClassOut, **READ}, tags=["classes"])
def class_detail(request: HttpRequest, class_id: ClassId) -> Classroom:
    return classroom_for(_user(request), class_id)


@api.patch("/classes/{class_id}", response={200: ClassOut, **BODY, **READ}, tags=["classes"])
def class_update(request: HttpRequest, class_id: ClassId, payload: ClassPatch) -> Classroom:
    classroom = classroom_for(_user(request), class_id)
    services.classroom_set_open(classroom=classroom, is_open=payload.is_open)
    return classroom


# Students and the roster


class StudentOut(Schema):
    id: int
    display_name: str
    email: str
    student_number: str
    joined_via: Literal["code", "roster"]
    connected: bool = Field(description="Seen in the last minute.")
    link: str | None = Field(description="The student's personal sign-in link; null when revoked.")

    @staticmethod
    def resolve_connected(obj: Student) -> bool:
        return services.is_connected(obj)

    @staticmethod
    def resolve_link(obj: Student, context: dict[str, Any]) -> str | None:
        token = services.student_link_token(obj)
        return context["request"].build_absolute_uri(reverse("student_link", args=[token])) if token else None


class RosterIn(Schema):
    csv: str = Field(
        max_length=1_000_000,
        pattern=NO_NUL,
        description="CSV text: a header row naming the columns name, email, student id; one line per student.",
    )


class RosterOut(Schema):
    created: list[StudentOut]
    skipped: list[str] = Field(description="Lines whose student is already in the class.")
    problems: list[str] = Field(description="When there are any, nothing was stored.")


@api.get("/classes/{class_id}/students", response={200: list[StudentOut], **READ}, tags=["classes"])
def student_list(request: HttpRequest, class_id: ClassId) -> QuerySet[Student]:
    return classroom_for(_user(request), class_id).students.all()


@api.post(
    "/classes/{class_id}/roster",
    response={200: RosterOut, **BODY, 400: RosterOut | ErrorOut, 409: ErrorOut, **READ},
    tags=["classes"],
)
def roster_upload(request: HttpRequest, class_id: ClassId, payload: RosterIn) -> Status[Any]:
    classroom = classroom_for(_user(request), class_id)
    result = services.roster_import(classroom=classroom, text=payload.csv)
    return Status(400 if result.problems else 200, result)


# Scenarios


class ScenarioOut(Schema):
    slug: str
    title: str
    latest_version: int

    @staticmethod
    def resolve_slug(obj: ScenarioVersion) -> str:
        return obj.scenario.slug

    @staticmethod
    def resolve_latest_version(obj: ScenarioVersion) -> int:
        return obj.number


@api.get("/scenarios", response={200: list[ScenarioOut], 401: ErrorOut}, tags=["scenarios"])
def scenario_list(request: HttpRequest) -> list[ScenarioVersion]:
    return latest_versions()


# Exercises

PairingRule = Literal["random", "balanced"]
OddRule = Literal["triad", "bot", "instructor"]
State = Literal["draft", "released", "live", "ended"]
NegotiationStatus = Literal["waiting", "negotiating", "agreed", "impasse"]


class ExerciseIn(Schema):
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

    @staticmethod
    def resolve_class_id(obj: Exercise) -> int:
        return obj.classroom_id

    @staticmethod
    def resolve_scenario(obj: Exercise) -> str:
        return obj.scenario_version.scenario.slug

    @staticmethod
    def resolve_scenario_version(obj: Exercise) -> int:
        return obj.scenario_version.number


def _scenario_version(slug: str, number: int | None) -> ScenarioVersion:
    try:
        return scenario_version_get(slug, number)
    except ScenarioVersion.DoesNotExist:
        if number is None:
            raise services.ServiceError(f"No scenario has the slug '{slug}'.", "scenario") from None
        raise services.ServiceError(f"The scenario '{slug}' has no version {number}.", "scenario_version") from None


@api.post("/classes/{class_id}/exercises", response={201: ExerciseOut, **WRITE}, tags=["exercises"])
def exercise_create(request: HttpRequest, class_id: ClassId, payload: ExerciseIn) -> Status[Exercise]:
    classroom = classroom_for(_user(request), class_id)
    exercise = services.exercise_create(
        classroom=classroom,
        title=payload.title,
        scenario_version=_scenario_version(payload.scenario, payload.scenario_version),
        time_limit_minutes=payload.time_limit_minutes,
        instructions=payload.instructions,
        pairing_rule=payload.pairing_rule,
        odd_rule=payload.odd_rule,
        created_by=_user(request),
    )
    return Status(201, exercise)


@api.get("/classes/{class_id}/exercises", response={200: list[ExerciseOut], **READ}, tags=["exercises"])
def exercise_list(request: HttpRequest, class_id: ClassId) -> QuerySet[Exercise]:
    classroom = classroom_for(_user(request), class_id)
    return classroom.exercises.select_related("scenario_version__scenario")


@api.get("/exercises/{exercise_id}", response={200: ExerciseOut, **READ}, tags=["exercises"])
def exercise_detail(request: HttpRequest, exercise_id: ExerciseId) -> Exercise:
    return exercise_for(_user(request), exercise_id)


# Pairs and the exercise's life: pair, release, start, end


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
    number: int
    status: NegotiationStatus
    seats: list[SeatOut] = Field(description="In the scenario's role order, observers last.")

    @staticmethod
    def resolve_seats(obj: Negotiation) -> list[Seat]:
        return obj.seat_list  # type: ignore[attr-defined]


class StatusCounts(Schema):
    waiting: int
    negotiating: int
    agreed: int
    impasse: int


class StatusOut(Schema):
    id: int
    state: State
    deadline: datetime | None
    counts: StatusCounts = Field(description="How many pairs are in each negotiation status.")
    pairs: list[PairOut]


class PairIn(Schema):
    student_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        max_length=MAX_STUDENTS, description="The students present; the rest are left out of this pairing."
    )
    seed: int | None = Field(None, ge=0, le=MAX_ID, description="Seeds the random draw, to repeat a pairing.")


def _status(exercise: Exercise) -> dict[str, Any]:
    pairs = services.exercise_pairs(exercise)
    counts = Counter(pair.status for pair in pairs)
    return {
        "id": exercise.pk,
        "state": exercise.state,
        "deadline": exercise.deadline,
        "counts": {status: counts[status] for status in Negotiation.Status.values},
        "pairs": pairs,
    }


@api.post("/exercises/{exercise_id}/pair", response={200: StatusOut, **WRITE}, tags=["exercises"])
def exercise_pair(request: HttpRequest, exercise_id: ExerciseId, payload: PairIn) -> dict[str, Any]:
    exercise = exercise_for(_user(request), exercise_id)
    services.exercise_pair(exercise=exercise, student_ids=payload.student_ids, seed=payload.seed)
    return _status(exercise)


@api.post("/exercises/{exercise_id}/release", response={200: ExerciseOut, 409: ErrorOut, **READ}, tags=["exercises"])
def exercise_release(request: HttpRequest, exercise_id: ExerciseId) -> Exercise:
    return services.exercise_release(exercise=exercise_for(_user(request), exercise_id))


@api.post("/exercises/{exercise_id}/start", response={200: ExerciseOut, 409: ErrorOut, **READ}, tags=["exercises"])
def exercise_start(request: HttpRequest, exercise_id: ExerciseId) -> Exercise:
    return services.exercise_start(exercise=exercise_for(_user(request), exercise_id))


@api.post("/exercises/{exercise_id}/end", response={200: ExerciseOut, 409: ErrorOut, **READ}, tags=["exercises"])
def exercise_end(request: HttpRequest, exercise_id: ExerciseId) -> Exercise:
    return services.exercise_end(exercise=exercise_for(_user(request), exercise_id))


@api.get("/exercises/{exercise_id}/status", response={200: StatusOut, **READ}, tags=["exercises"])
def exercise_status(request: HttpRequest, exercise_id: ExerciseId) -> dict[str, Any]:
    return _status(exercise_for(_user(request), exercise_id))


# The results export


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
        description="The pair's debrief metrics (docs/debrief.md): outcome, process, price; null until computed."
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


@api.get("/exercises/{exercise_id}/results", response={200: ResultsOut, **READ}, tags=["exercises"], by_alias=True)
def exercise_results(request: HttpRequest, exercise_id: ExerciseId) -> dict[str, Any]:
    exercise = exercise_for(_user(request), exercise_id)
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
        "pairs": _with_outcomes(services.exercise_pairs(exercise)),
        "planning_sheets": exercise.planning_sheets.select_related("student").order_by("student__display_name", "pk"),
    }


# The research export (negotiations/export.py; columns in docs/debrief.md, "Export")


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
    class_: dict[str, Any] | None = Field(
        None, alias="class", description="The class debrief's metrics; null until the round's debrief is computed."
    )


class ExportQuery(Schema):
    format: Literal["csv", "json"] = Field("csv", description="CSV holds one table; JSON one table or all.")
    table: Literal["pairs", "events", "survey", "class", "all"] = Field(
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


@api.get(
    "/exercises/{exercise_id}/export",
    response={200: ExportOut, 400: ErrorOut, **READ},
    tags=["exercises"],
    by_alias=True,
    openapi_extra={"responses": {200: EXPORT_200}},
)
def exercise_export(request: HttpRequest, exercise_id: ExerciseId, query: Query[ExportQuery]) -> HttpResponseBase:
    exercise = exercise_for(_user(request), exercise_id)
    params = {"format": query.format, "table": query.table, "chat": "1" if query.chat else "0", "ids": query.ids}
    try:
        options = export.export_options(params)
    except export.ExportError as exc:
        raise services.ServiceError(exc.message, exc.field) from exc
    return export.export_response(request, exercise, options)
