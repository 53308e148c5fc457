"""Courses: list, create, read; a class added as a section or taken out; the sections side by side; the
export of every pair of the sections that ran one scenario version (docs/debrief.md, "Courses")."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from ninja import Field, Path, Query, Router, Schema, Status

from api.base import (
    BODY,
    MAX_ID,
    NO_NUL,
    READ,
    SOME_TEXT,
    WRITE,
    ClassId,
    Distribution,
    ErrorOut,
    InputSchema,
    ValidationErrorOut,
    request_user,
)
from api.results import EXPORT_200
from classrooms import courses
from classrooms.access import (
    classroom_for,
    course_for,
    course_sections_for,
    instructor_classrooms,
    instructor_courses,
)
from classrooms.models import Course
from reports import course_export, export_http
from reports.course_pages import compared_runs, course_json

router = Router(tags=["courses"])

CourseId = Path[int, {"ge": 1, "le": MAX_ID, "description": "The course's id."}]


class CourseIn(InputSchema):
    name: str = Field(max_length=120, pattern=SOME_TEXT)
    term: str = Field("", max_length=60, pattern=NO_NUL)


class SectionIn(InputSchema):
    class_id: int = Field(ge=1, le=MAX_ID, description="A class you teach that is in no course yet.")


class SectionOut(Schema):
    id: int
    name: str
    term: str


class CourseOut(Schema):
    id: int
    name: str
    term: str
    owner: str = Field(description="The owner's email address.")
    created_at: datetime
    sections: list[SectionOut] = Field(description="The course's sections that you teach.")
    hidden_sections: int = Field(description="How many more sections other instructors teach; you see none of them.")

    @staticmethod
    def resolve_owner(obj: Course) -> str:
        return obj.owner.email

    @staticmethod
    def resolve_sections(obj: Course, context: dict[str, Any]) -> list[Any]:
        return _taught(obj, context)

    @staticmethod
    def resolve_hidden_sections(obj: Course, context: dict[str, Any]) -> int:
        total = getattr(obj, "section_count", None)
        return (obj.sections.count() if total is None else total) - len(_taught(obj, context))


def _taught(course: Course, context: dict[str, Any]) -> list[Any]:
    """The course's sections the caller teaches: read with the list (course_list), or asked here."""
    found = getattr(course, "taught_sections", None)
    return list(course_sections_for(request_user(context["request"]), course)) if found is None else found


# The comparison (reports.course_pages.course_json)


class SectionFigures(Schema):
    pairs: int
    agreements: int
    impasses: int
    impasse_rate: float | None
    joint: Distribution | None = Field(description="Joint points of every pair, impasses at the BATNAs.")
    pareto_share: float | None
    meso_share: float | None = Field(description="Share of the pairs where either side made a MESO.")
    meso_joint: dict[str, Distribution | None] = Field(description="`with` and `without` a MESO.")
    logrolling_share: float | None
    lose_lose_share: float | None
    median_points: dict[str, float | None] = Field(description="Role key -> median points, impasses at the BATNA.")
    median_share: dict[str, float | None] = Field(
        description="Role key -> median share of the joint surplus it claimed, over the pairs with a surplus."
    )


class ComparedPair(Schema):
    pair: int
    a: float = Field(description="The first role's points.")
    b: float = Field(description="The second role's points.")
    impasse: bool
    pareto_optimal: bool


class ComparedExercise(Schema):
    id: int
    title: str
    ended_at: datetime | None


class SectionMark(Schema):
    id: int
    name: str
    mark: int = Field(description="The section's place in the course.")
    colour: str = Field(description="Its colour on the outcome plane.")
    shape: Literal["circle", "square", "triangle", "triangle-down"] = Field(description="Its shape there.")


class ComparedSection(SectionMark):
    exercise: ComparedExercise = Field(description="The section's most recent ended exercise of the version.")
    ready: bool = Field(description="Whether its class debrief has been computed.")
    figures: SectionFigures | None = Field(description="Null until the debrief is computed.")
    points: list[ComparedPair]


class ComparedVersion(Schema):
    id: int
    slug: str
    number: int
    title: str


class ComparedRole(Schema):
    key: str
    name: str
    batna: float


class Comparison(Schema):
    version: ComparedVersion
    roles: list[ComparedRole]
    frontier: list[list[float]] = Field(description="The Pareto frontier's points, [first role, second role].")
    nash: list[float] | None
    max_joint: float
    sections: list[ComparedSection]


class SingleRun(Schema):
    version: dict[str, Any]
    section: dict[str, Any]


class ComparisonOut(Schema):
    course: dict[str, Any]
    sections: list[SectionMark] = Field(description="The sections you teach, in the course's order.")
    hidden_sections: int
    comparisons: list[Comparison] = Field(description="One per scenario version ended in more than one section.")
    single: list[SingleRun] = Field(description="Versions ended in one section only: not compared.")


class CourseExportQuery(InputSchema):
    version_id: int = Field(ge=1, le=MAX_ID, description="A scenario version the course compares.")
    format: Literal["csv", "json"] = "csv"
    ids: Literal["pseudonymous", "names"] = Field(
        "pseudonymous", description="Per-exercise pseudonyms (no names or emails), or student ids and names."
    )


class CourseExportOut(Schema):
    meta: dict[str, Any]
    pairs_columns: list[str]
    pairs: list[dict[str, Any]]


@router.get("/courses", response={200: list[CourseOut], 401: ErrorOut})
def course_list(request: HttpRequest) -> QuerySet[Course]:
    """In four queries, whatever the number of courses and sections."""
    user = request_user(request)
    taught = Prefetch(
        "sections", queryset=instructor_classrooms(user).order_by("name", "pk"), to_attr="taught_sections"
    )
    return (
        instructor_courses(user)
        .select_related("owner")
        .annotate(section_count=Count("sections", distinct=True))
        .prefetch_related(taught)
    )


@router.post("/courses", response={201: CourseOut, **BODY, 401: ErrorOut, 409: ErrorOut, 422: ValidationErrorOut})
def course_create(request: HttpRequest, payload: CourseIn) -> Status[Course]:
    return Status(201, courses.course_create(owner=request_user(request), name=payload.name, term=payload.term))


@router.get("/courses/{course_id}", response={200: CourseOut, **READ})
def course_detail(request: HttpRequest, course_id: CourseId) -> Course:
    return course_for(request_user(request), course_id)


@router.post("/courses/{course_id}/sections", response={200: CourseOut, **WRITE})
def course_section_add(request: HttpRequest, course_id: CourseId, payload: SectionIn) -> Course:
    user = request_user(request)
    course = course_for(user, course_id)
    classroom = classroom_for(user, payload.class_id)  # 404 for a class that is not yours
    courses.section_add(course=course, classroom=classroom, user=user)
    return course


@router.delete("/courses/{course_id}/sections/{class_id}", response={204: None, **READ, 409: ErrorOut})
def course_section_remove(request: HttpRequest, course_id: CourseId, class_id: ClassId) -> Status[None]:
    user = request_user(request)
    course = course_for(user, course_id)
    classroom = course.sections.filter(pk=class_id).first()
    if classroom is None:
        raise Http404("No such section")
    if course.owner_id != user.pk:
        classroom = classroom_for(user, class_id)
    courses.section_remove(course=course, classroom=classroom, user=user)
    return Status(204, None)


@router.delete("/classes/{class_id}/course", response={204: None, **READ, 409: ErrorOut})
def class_course_leave(request: HttpRequest, class_id: ClassId) -> Status[None]:
    """Take a class you teach out of its course, whoever runs that course; 409 when it is in none."""
    user = request_user(request)
    courses.section_leave(classroom=classroom_for(user, class_id), user=user)
    return Status(204, None)


@router.get("/courses/{course_id}/comparison", response={200: ComparisonOut, **READ})
def course_comparison(request: HttpRequest, course_id: CourseId) -> dict[str, Any]:
    user = request_user(request)
    return course_json(course_for(user, course_id), user)


@router.get(
    "/courses/{course_id}/export",
    response={200: CourseExportOut, 400: ErrorOut, **READ},
    openapi_extra={"responses": {200: EXPORT_200}},
)
def course_export_pairs(request: HttpRequest, course_id: CourseId, query: Query[CourseExportQuery]) -> HttpResponseBase:
    user = request_user(request)
    course = course_for(user, course_id)
    found = compared_runs(course, user, query.version_id)
    if found is None:
        raise Http404("This course compares no such scenario version.")
    version, runs = found
    options = course_export.course_export_options({"format": query.format, "ids": query.ids})
    chunks = course_export.course_export_chunks(course, version, runs, options)
    filename = course_export.course_export_filename(course, version, options)
    return export_http.download_response(request, chunks, filename, options)
