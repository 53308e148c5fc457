"""The one NinjaAPI: the routers of every resource, the bearer token, and how errors are answered."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import HttpError
from ninja.operation import Operation

from api import classes, courses, exercises, resolutions, results, rounds, scenarios, series, students, studio
from api.base import TokenAuth, refuse_undeclared_input
from core.messages import Message, message_json
from core.refusal import Refused


class ParleyAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        # The ids were published as `classrooms_api_<function>` when the API was one module; generated
        # clients name their methods after them, so they stay that way whichever router holds the view.
        return f"classrooms_api_{operation.view_func.__name__}"


api = ParleyAPI(
    title="Parley instructor API",
    version="1",
    urls_namespace="api",
    auth=TokenAuth(),
    description="Classes, rosters and exercises of one instructor. See docs/api.md.",
)
api.add_decorator(refuse_undeclared_input, mode="view")
for module in (classes, students, scenarios, exercises, rounds, series, results, studio, resolutions, courses):
    api.add_router("", module.router)


@api.exception_handler(Refused)
def service_error(request: HttpRequest, exc: Refused) -> HttpResponse:
    """400 for a refused field, else 409; 429 with Retry-After when it was too often (throttled) or while
    the same user's costly computation runs (busy)."""
    # A message of core.messages keeps its template and parameters, so that a client can translate it.
    said = message_json(exc.message) if isinstance(exc.message, Message) else {}
    if exc.code in ("throttled", "busy"):
        response = api.create_response(request, {"detail": exc.message, "field": None, **said}, status=429)
        response["Retry-After"] = str(getattr(exc, "retry_after", 5))
        return response
    status = 400 if exc.field else 409
    return api.create_response(request, {"detail": exc.message, "field": exc.field, **said}, status=status)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "Not found.", "field": None}, status=404)


@api.exception_handler(RequestDataTooBig)
def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    limit = f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 2**20:.1f} MB"
    return api.create_response(
        request, {"detail": f"The request body is larger than {limit}.", "field": None}, status=413
    )


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """django-ninja's own refusals: a 400 (a body that is not JSON) has the error body of every 400, with no
    field to name; the others (401, 429) keep their `{"detail": ...}`."""
    body = {"detail": str(exc), "field": None} if exc.status_code == 400 else {"detail": str(exc)}
    return api.create_response(request, body, status=exc.status_code)
