"""A class's students and its roster upload."""

from __future__ import annotations

from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Router, Schema, Status

from api.base import BODY, MAX_ID, NO_NUL, READ, WRITE, ClassId, ErrorOut, InputSchema, request_user
from classrooms import services
from classrooms.access import classroom_for
from classrooms.models import Student
from negotiations import people

router = Router(tags=["classes"])


class StudentOut(Schema):
    id: int
    display_name: str
    email: str
    student_number: str
    joined_via: Literal["code", "roster"]
    connected: bool = Field(description="Seen in the last minute.")
    link: str | None = Field(description="The student's personal sign-in link; null when revoked.")
    possible_duplicate_of: int | None = Field(
        description="The id of the roster student of the same name whom this student, joining by code, said they "
        "were not; null otherwise (docs/operations.md)."
    )

    @staticmethod
    def resolve_possible_duplicate_of(obj: Student) -> int | None:
        return obj.possible_duplicate_of_id

    @staticmethod
    def resolve_connected(obj: Student) -> bool:
        return services.is_connected(obj)

    @staticmethod
    def resolve_link(obj: Student, context: dict[str, Any]) -> str | None:
        token = services.student_link_token(obj)
        return context["request"].build_absolute_uri(reverse("student_link", args=[token])) if token else None


class RosterIn(InputSchema):
    csv: str = Field(
        max_length=1_000_000,
        pattern=NO_NUL,
        description="CSV text: a header row naming the columns name, email, student id; one line per student.",
    )


class RosterOut(Schema):
    created: list[StudentOut]
    skipped: list[str] = Field(description="Lines whose student is already in the class.")
    problems: list[str] = Field(description="When there are any, nothing was stored.")
    separator: Literal["comma", "semicolon", "tab"] = Field(
        description="How the file was read: the separator that splits the header row into known columns."
    )


@router.get("/classes/{class_id}/students", response={200: list[StudentOut], **READ})
def student_list(request: HttpRequest, class_id: ClassId) -> QuerySet[Student]:
    return classroom_for(request_user(request), class_id).students.all()


@router.post(
    "/classes/{class_id}/roster",
    response={200: RosterOut, **BODY, 400: RosterOut | ErrorOut, 409: ErrorOut, **READ},
)
def roster_upload(request: HttpRequest, class_id: ClassId, payload: RosterIn) -> Status[Any]:
    classroom = classroom_for(request_user(request), class_id)
    result = services.roster_import(classroom=classroom, text=payload.csv)
    return Status(400 if result.problems else 200, result)


class MergeIn(InputSchema):
    keep: int = Field(ge=1, le=MAX_ID, description="The student kept: their name, email, student id and link stay.")
    merge: int = Field(ge=1, le=MAX_ID, description="The student who joined twice: merged into `keep`, then removed.")
    dry_run: bool = Field(False, description="Only say what the merge would do; change nothing.")


class MergeOut(Schema):
    merged: bool = Field(description="False for a dry run.")
    effects: list[str] = Field(
        description="What moves (seats, planning sheets, survey answers, skipped surveys) and what is lost."
    )
    kept: StudentOut


@router.post("/classes/{class_id}/students/merge", response={200: MergeOut, **WRITE})
def student_merge(request: HttpRequest, class_id: ClassId, payload: MergeIn) -> dict[str, Any]:
    """Merge a student who joined twice into the record kept. Refused (409) where it would lose a
    negotiation: both seated in the same exercise."""
    classroom = classroom_for(request_user(request), class_id)
    act = people.student_merge_preview if payload.dry_run else people.student_merge
    merge = act(classroom=classroom, keep_id=payload.keep, duplicate_id=payload.merge)
    return {"merged": not payload.dry_run, "effects": merge.effects, "kept": merge.keep}
