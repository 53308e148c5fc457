"""The instructor's class debrief: the page (charts drawn by static/js/debrief.js) and its JSON."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from classrooms.access import exercise_for
from classrooms.resolutions import event_draw, event_set
from core.refusal import Refused
from negotiations.debrief import debriefs_resend
from negotiations.series import series_rounds as series_rounds_of
from reports.debrief_pages import debrief_status, instructor_debrief, questions_by_panel
from reports.series import rounds_so_far, series_comparison, series_page
from reports.slides import deck_slides
from scenarios.access import instructor_required
from scenarios.services import version_spec


def _projector(request: HttpRequest) -> bool:
    return request.GET.get("projector") == "1"


@instructor_required
def debrief(request: HttpRequest, pk: int) -> HttpResponse:
    """The class debrief: charts drawn by static/js/debrief.js from the same JSON as debrief_json."""
    exercise = exercise_for(request.user, pk)
    debriefs_resend(exercise_id=exercise.pk)  # if it is overdue (in the embedded mode, computed here)
    projector = _projector(request)
    data = instructor_debrief(exercise, projector=projector)
    spec = version_spec(exercise.scenario_version)
    return render(
        request,
        "reports/debrief.html",
        {
            "exercise": exercise,
            "projector": projector,
            "data": data,
            "export_url": reverse("exercise_export", args=[exercise.pk]),
            "teaching_notes": spec.teaching_notes,
            "questions": questions_by_panel(spec, data),
            "rounds": series_rounds_of(exercise).count(),
        },
    )


@instructor_required
def debrief_json(request: HttpRequest, pk: int) -> JsonResponse:
    exercise = exercise_for(request.user, pk)
    debriefs_resend(exercise_id=exercise.pk)
    return JsonResponse(instructor_debrief(exercise, projector=_projector(request)))


@instructor_required
def debrief_status_json(request: HttpRequest, pk: int) -> JsonResponse:
    """The round's state, its debrief's readiness and its open pairs, for the waiting presentation."""
    exercise = exercise_for(request.user, pk)
    debriefs_resend(exercise_id=exercise.pk)  # if it is overdue (in the embedded mode, computed here)
    return JsonResponse(debrief_status(exercise))


@require_POST
@instructor_required
def debrief_event(request: HttpRequest, pk: int, event: str) -> HttpResponse:
    """Draw or set how one of the scenario's events came out (docs/debrief.md, "Contingent terms")."""
    exercise = exercise_for(request.user, pk)
    try:
        if request.POST.get("action") == "draw":
            event_draw(exercise=exercise, event=event, user=request.user)
        else:
            event_set(exercise=exercise, event=event, outcome=request.POST.get("outcome", ""), user=request.user)
    except Refused as exc:
        messages.error(request, exc.message)
    query = "?projector=1" if request.POST.get("projector") == "1" else ""
    return HttpResponseRedirect(reverse("debrief", args=[exercise.pk]) + query + "#panel-contingent")


@instructor_required
def presentation(request: HttpRequest, pk: int) -> HttpResponse:
    """The debrief as slides to project (reports/slides.py): one idea each, no names."""
    exercise = exercise_for(request.user, pk)
    debriefs_resend(exercise_id=exercise.pk)
    data = instructor_debrief(exercise, projector=True)
    slides = deck_slides(data, rounds_so_far(exercise)) if data["ready"] else []
    return render(
        request, "reports/presentation.html", {"exercise": exercise, "projector": True, "data": data, "slides": slides}
    )


@instructor_required
def slide_svg(request: HttpRequest, pk: int, key: str) -> HttpResponse:
    """One slide of the presentation as an SVG file, to put in one's own slides."""
    exercise = exercise_for(request.user, pk)
    data = instructor_debrief(exercise, projector=True)
    slides = {s.key: s for s in deck_slides(data, rounds_so_far(exercise))}
    if key not in slides:
        raise Http404("No such slide.")
    response = HttpResponse(
        '<?xml version="1.0" encoding="UTF-8"?>\n' + slides[key].svg, content_type="image/svg+xml; charset=utf-8"
    )
    name = slugify(exercise.title) or "debrief"
    response["Content-Disposition"] = f'attachment; filename="{name}-{key}.svg"'
    return response


@instructor_required
def series_rounds(request: HttpRequest, pk: int) -> HttpResponse:
    """The rounds of the exercise's series compared (docs/debrief.md, section 4c)."""
    exercise = exercise_for(request.user, pk)
    for item in series_rounds_of(exercise).filter(state="ended", debrief__isnull=True):
        debriefs_resend(exercise_id=item.pk)  # an overdue debrief (in the embedded mode, computed here)
    data = series_comparison(exercise)
    return render(request, "reports/rounds.html", {"exercise": exercise, "data": data, "page": series_page(data)})
