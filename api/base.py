"""What every router of the API shares: the bearer token, the error bodies and the id and text types.

A bearer token (`Authorization: Bearer prl_...`) stands for its instructor. Endpoints parse and check
their input with their schemas, look objects up through classrooms.access (404 for anything that is
not the instructor's), call one service, and describe the result. A refused action (core.refusal.Refused) is
400 when it concerns an input field, else 409.
"""

from __future__ import annotations

import functools
import io
import json
from collections.abc import Callable
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponseBase, QueryDict
from django.http.multipartparser import MultiPartParserError
from ninja import Field, Path, Schema
from ninja.errors import ValidationError
from ninja.operation import Operation
from ninja.security import HttpBearer, SessionAuth
from pydantic import ConfigDict

from classrooms import services
from classrooms.models import User
from scenarios.access import is_verified_instructor

MAX_ID = 2**31 - 1  # the largest id or seed accepted, so that no database sees an out-of-range integer
MAX_STUDENTS = 5000
# Text fields refuse NUL, which PostgreSQL cannot store; names must have something besides spaces.
NO_NUL = r"^[^\x00]*$"
SOME_TEXT = r"^[^\x00]*[^\x00\s][^\x00]*$"


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        return services.api_token_user(token)


class VerifiedSession(SessionAuth):
    """The signed-in verified instructor of the page that calls (its CSRF token checked, as a form's): the
    studio's page calls the API so."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return request.user if is_verified_instructor(request.user) else None


# An operation a program calls with its token and the studio's page with its session.
TOKEN_OR_PAGE = [TokenAuth(), VerifiedSession()]


def request_user(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined]


class InputSchema(Schema):
    """Every request body and query: a field it does not declare is refused (422, `extra_forbidden`, its
    `loc` naming the field), so that a misspelt field never silently falls back to a default."""

    model_config = ConfigDict(extra="forbid")


EXTRA = "Extra inputs are not permitted"


def refuse_undeclared_input(run: Callable[..., Any]) -> Callable[..., Any]:
    """For every operation (the API adds it with mode="view"): a query parameter the operation does not
    declare, or a body for an operation that takes none, is refused as a body's unknown field is (422,
    `extra_forbidden`, naming it), before the operation validates its input or does anything.
    django-ninja itself drops a query parameter nobody declared and never reads an undeclared body.

    An operation without a body takes an empty one, `{}` or a form without fields; the keys of a JSON
    object and the fields of a form are named one by one, anything else is named as `["body"]`."""
    operation = run.__self__  # the bound Operation.run: its parameter models say what it declares
    assert isinstance(operation, Operation)
    sources = {model.__ninja_param_source__: model for model in operation.models}
    query = set(getattr(sources.get("query"), "__ninja_flatten_map__", {}))
    takes_body = "body" in sources

    @functools.wraps(run)
    def checked(request: HttpRequest, **kwargs: Any) -> HttpResponseBase:
        try:
            errors = [
                {"type": "extra_forbidden", "loc": ["query", name], "msg": EXTRA}
                for name in request.GET
                if name not in query
            ]
            if not takes_body:
                errors += _undeclared_body(request)
            if not errors:
                return run(request, **kwargs)
            refused: Exception = ValidationError(errors)
        except RequestDataTooBig as too_big:  # answered 413, as the operation would
            refused = too_big
        # The token first, as the operation checks it (only on this path: a valid request is checked once)
        return operation._run_checks(request) or operation.api.on_exception(request, refused)

    return checked


def _undeclared_body(request: HttpRequest) -> list[dict[str, Any]]:
    """The fields of a body sent to an operation that takes none: a JSON object's keys, a form's fields (of
    any method: Django reads a form only for POST), or the body itself."""
    names: list[str] | None = None
    try:
        if request.content_type == "multipart/form-data":
            fields, files = request.parse_file_upload(request.META, io.BytesIO(request.body))
            names = [*fields, *files]
        elif request.content_type == "application/x-www-form-urlencoded":
            names = list(QueryDict(request.body))
        elif request.body.strip():
            data = json.loads(request.body)
            names = list(data) if isinstance(data, dict) else None
        else:
            names = []
    except (ValueError, MultiPartParserError):
        names = None
    if names is None:
        return [{"type": "extra_forbidden", "loc": ["body"], "msg": "This operation takes no request body."}]
    return [{"type": "extra_forbidden", "loc": ["body", name], "msg": EXTRA} for name in names]


class ErrorOut(Schema):
    detail: str
    field: str | None = None
    template: str | None = Field(
        None,
        description="With some refusals (the scenario studio's and the throttles'): `detail`'s English template, "
        "with named placeholders, to say it in another language.",
    )
    params: dict[str, Any] | None = Field(
        None,
        description="With `template`: each placeholder's value: text, a number (a count or a limit, to write as "
        "the reader's language writes numbers), or an object with its own template and params.",
    )


class ValidationErrorOut(Schema):
    detail: list[dict[str, Any]]


READ = {401: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut}  # every endpoint with an id in its path
BODY = {400: ErrorOut, 413: ErrorOut}  # every endpoint with a JSON body: not JSON, or too large
WRITE = {**READ, **BODY, 409: ErrorOut}

ClassId = Path[int, {"ge": 1, "le": MAX_ID, "description": "The class's id."}]
ExerciseId = Path[int, {"ge": 1, "le": MAX_ID, "description": "The exercise's id."}]


class Distribution(Schema):
    """A figure's spread over pairs or students: their count, range, quartiles, median and mean (core.metrics's
    distribution), as the course comparison and the rounds compared give it."""

    n: int
    min: float
    q1: float
    median: float
    q3: float
    max: float
    mean: float
