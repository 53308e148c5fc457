"""What every router of the API shares: the bearer token, the error bodies and the id and text types.

A bearer token (`Authorization: Bearer prl_...`) stands for its instructor. Endpoints parse and check
their input with their schemas, look objects up through classrooms.access (404 for anything that is
not the instructor's), call one service, and describe the result. A refused action (core.refusal.Refused) is
400 when it concerns an input field, else 409.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Path, Schema
from ninja.errors import ValidationError
from ninja.security import HttpBearer
from pydantic import ConfigDict

from classrooms import services
from classrooms.models import User

MAX_ID = 2**31 - 1  # the largest id or seed accepted, so that no database sees an out-of-range integer
MAX_STUDENTS = 5000
# Text fields refuse NUL, which PostgreSQL cannot store; names must have something besides spaces.
NO_NUL = r"^[^\x00]*$"
SOME_TEXT = r"^[^\x00]*[^\x00\s][^\x00]*$"


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        return services.api_token_user(token)


def request_user(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined]


class InputSchema(Schema):
    """Every request body and query: a field it does not declare is refused (422, `extra_forbidden`, its
    `loc` naming the field), so that a misspelt field never silently falls back to a default."""

    model_config = ConfigDict(extra="forbid")


def refuse_unknown_query(request: HttpRequest, query: type[InputSchema]) -> None:
    """django-ninja drops the query parameters a query schema does not declare before validating it, so
    an endpoint that takes a query calls this first: they are refused as a body's unknown fields are."""
    unknown = [name for name in request.GET if name not in query.model_fields]
    if unknown:
        message = "Extra inputs are not permitted"
        raise ValidationError([{"type": "extra_forbidden", "loc": ["query", name], "msg": message} for name in unknown])


class ErrorOut(Schema):
    detail: str
    field: str | None = None


class ValidationErrorOut(Schema):
    detail: list[dict[str, Any]]


READ = {401: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut}  # every endpoint with an id in its path
BODY = {400: ErrorOut, 413: ErrorOut}  # every endpoint with a JSON body: not JSON, or too large
WRITE = {**READ, **BODY, 409: ErrorOut}

ClassId = Path[int, {"ge": 1, "le": MAX_ID, "description": "The class's id."}]
ExerciseId = Path[int, {"ge": 1, "le": MAX_ID, "description": "The exercise's id."}]
