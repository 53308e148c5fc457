"""Classes: list, create, read, and open or close to joining by code."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from api.base import (
    BODY,
    NO_NUL,
    READ,
    SOME_TEXT,
    TOKEN_OR_PAGE,
    ClassId,
    ErrorOut,
    InputSchema,
    ValidationErrorOut,
    request_user,
)
from classrooms import services
from classrooms.access import classroom_for, instructor_classrooms
from classrooms.models import Classroom

router = Router(tags=["classes"])


class ClassIn(InputSchema):
    name: str = Field(max_length=120, pattern=SOME_TEXT)
    term: str = Field("", max_length=60, pattern=NO_NUL)


class ClassPatch(InputSchema):
    is_open: bool = Field(description="Whether students may join with the class code.")


class ClassOut(Schema):
    id: int
    name: str
    term: str
    join_code: str
    is_open: bool
    created_at: datetime


# Also for the studio's page, with its session: after publishing it links to a new exercise in each class.
@router.get("/classes", response={200: list[ClassOut], 401: ErrorOut}, auth=TOKEN_OR_PAGE)
def class_list(request: HttpRequest) -> QuerySet[Classroom]:
    return instructor_classrooms(request_user(request))


@router.post("/classes", response={201: ClassOut, **BODY, 401: ErrorOut, 409: ErrorOut, 422: ValidationErrorOut})
def class_create(request: HttpRequest, payload: ClassIn) -> Status[Classroom]:
    return Status(201, services.classroom_create(owner=request_user(request), name=payload.name, term=payload.term))


@router.get("/classes/{class_id}", response={200: ClassOut, **READ})
def class_detail(request: HttpRequest, class_id: ClassId) -> Classroom:
    return classroom_for(request_user(request), class_id)


@router.patch("/classes/{class_id}", response={200: ClassOut, **BODY, **READ})
def class_update(request: HttpRequest, class_id: ClassId, payload: ClassPatch) -> Classroom:
    classroom = classroom_for(request_user(request), class_id)
    services.classroom_set_open(classroom=classroom, is_open=payload.is_open)
    return classroom
