"""The instructor's class debrief: the page (charts drawn by static/js/debrief.js) and its JSON."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse

from classrooms.access import exercise_for
from negotiations.debrief import debriefs_resend
from reports.debrief_pages import instructor_debrief
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
    return render(
        request,
        "reports/debrief.html",
        {
            "exercise": exercise,
            "projector": projector,
            "data": instructor_debrief(exercise, projector=projector),
            "export_url": reverse("exercise_export", args=[exercise.pk]),
            "teaching_notes": version_spec(exercise.scenario_version).teaching_notes,
        },
    )


@instructor_required
def debrief_json(request: HttpRequest, pk: int) -> JsonResponse:
    exercise = exercise_for(request.user, pk)
    debriefs_resend(exercise_id=exercise.pk)
    return JsonResponse(instructor_debrief(exercise, projector=_projector(request)))
