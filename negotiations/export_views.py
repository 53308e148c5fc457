"""The instructor's download of an exercise's research export (negotiations/export.py does the work)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.views.decorators.http import require_GET

from classrooms.access import exercise_for
from negotiations.export import ExportError, export_options, export_response


@require_GET
@login_required
def exercise_export(request: HttpRequest, pk: int) -> HttpResponse:
    exercise = exercise_for(request.user, pk)
    try:
        options = export_options(request.GET)
    except ExportError as exc:
        return HttpResponseBadRequest(f"Export refused: {exc.message}\n", content_type="text/plain; charset=utf-8")
    return export_response(request, exercise, options)  # type: ignore[return-value]
