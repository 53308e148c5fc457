"""The research export as an HTTP download, streamed (the tables are reports.export_tables'), and the
instructor's page that serves it."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.views.decorators.http import require_GET

from classrooms.access import exercise_for
from classrooms.models import Exercise
from core.refusal import Refused
from reports.export_tables import ExportOptions, export_chunks, export_options
from scenarios.access import instructor_required


def export_filename(exercise: Exercise, options: ExportOptions) -> str:
    suffix = "" if options.ids == "names" else "-pseudonymous"
    return f"parley-exercise-{exercise.pk}-{options.table}{suffix}.{options.format}"


def content_type(options: ExportOptions) -> str:
    return "text/csv; charset=utf-8" if options.format == "csv" else "application/json"


def _take(chunks: Iterator[str], count: int = 500) -> str:
    return "".join(itertools.islice(chunks, count))


async def _in_thread(chunks: Iterator[str]) -> AsyncIterator[str]:
    """Under ASGI, read the database in Django's sync thread a batch at a time, so that a large table
    streams instead of being gathered in memory first."""
    take = sync_to_async(_take, thread_sensitive=True)
    while part := await take(chunks):
        yield part


def export_response(request: HttpRequest, exercise: Exercise, options: ExportOptions) -> StreamingHttpResponse:
    """The export as a download, streamed."""
    return download_response(request, export_chunks(exercise, options), export_filename(exercise, options), options)


def download_response(
    request: HttpRequest, chunks: Iterator[str], filename: str, options: ExportOptions
) -> StreamingHttpResponse:
    """Chunks of an export (an exercise's or a course's) as a download, streamed."""
    content = _in_thread(chunks) if isinstance(request, ASGIRequest) else chunks
    response = StreamingHttpResponse(content, content_type=content_type(options))
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@instructor_required
def exercise_export(request: HttpRequest, pk: int) -> HttpResponse:
    exercise = exercise_for(request.user, pk)
    try:
        options = export_options(request.GET)
    except Refused as exc:
        return HttpResponseBadRequest(f"Export refused: {exc.message}\n", content_type="text/plain; charset=utf-8")
    return export_response(request, exercise, options)  # type: ignore[return-value]
