"""The instructor's live monitor, its actions, a pair's transcript, and the class debrief."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from classrooms import services as classroom_services
from classrooms.access import exercise_for
from core.negotiation import Refused, package_points
from core.spec import plain
from negotiations import rounds
from negotiations.debrief_pages import instructor_debrief
from negotiations.models import Event, Negotiation
from scenarios.services import version_spec


@login_required
def monitor(request: HttpRequest, pk: int) -> HttpResponse:
    exercise = exercise_for(request.user, pk)
    return render(request, "negotiations/monitor.html", {"exercise": exercise})


def _whole_number(text: str) -> int:
    """A form's whole number, or 0 for anything else (the service says what it wanted)."""
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else 0


@login_required
@require_POST
def monitor_action(request: HttpRequest, pk: int, action: str) -> JsonResponse:
    """broadcast, extend, pause, resume or end; answers JSON {message} or {error} (status 400)."""
    exercise = exercise_for(request.user, pk)
    now = timezone.now()
    try:
        if action == "broadcast":
            rounds.broadcast_send(exercise=exercise, text=request.POST.get("text", "").replace("\x00", ""))
            message = "Sent to every pair."
        elif action == "extend":
            minutes = _whole_number(request.POST.get("minutes", ""))
            pair = request.POST.get("negotiation", "")
            pair_id = (_whole_number(pair) or -1) if pair else None
            count = rounds.time_extend(exercise=exercise, minutes=minutes, negotiation_id=pair_id, now=now)
            message = f"{count} pair{'s' if count != 1 else ''} got {minutes} more minutes."
        elif action in ("pause", "resume"):
            rounds.round_pause(exercise=exercise, paused=action == "pause", now=now)
            message = "Paused: no one can act until you resume." if action == "pause" else "Resumed."
        elif action == "end":
            classroom_services.exercise_end(exercise=exercise)
            message = "The round has ended."
        else:
            raise Http404("No such action")
    except (Refused, classroom_services.ServiceError) as exc:
        return JsonResponse({"error": exc.message}, status=400)
    return JsonResponse({"message": message})


@login_required
def transcript(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    exercise = exercise_for(request.user, pk)
    negotiation = Negotiation.objects.filter(exercise=exercise, number=number).first()
    if negotiation is None:
        raise Http404("No such pair")
    spec = version_spec(exercise.scenario_version)
    agreement_points = None
    if negotiation.agreement:
        agreement_points = {r.name: plain(package_points(spec, negotiation.agreement, r.key)) for r in spec.roles}
    return render(
        request,
        "negotiations/transcript.html",
        {
            "exercise": exercise,
            "negotiation": negotiation,
            "spec": spec,
            "roles": {r.key: r.name for r in spec.roles},
            "seats": negotiation.seats.select_related("student"),
            "instructor_seat": negotiation.seats.filter(kind="instructor").first(),
            "events": Event.objects.filter(negotiation=negotiation),
            "agreement_points": agreement_points,
        },
    )


def _projector(request: HttpRequest) -> bool:
    return request.GET.get("projector") == "1"


@login_required
def debrief(request: HttpRequest, pk: int) -> HttpResponse:
    """The class debrief: charts drawn by static/js/debrief.js from the same JSON as debrief_json."""
    exercise = exercise_for(request.user, pk)
    projector = _projector(request)
    return render(
        request,
        "negotiations/debrief.html",
        {
            "exercise": exercise,
            "projector": projector,
            "data": instructor_debrief(exercise, projector=projector),
            "export_url": reverse("exercise_export", args=[exercise.pk]),
        },
    )


@login_required
def debrief_json(request: HttpRequest, pk: int) -> JsonResponse:
    exercise = exercise_for(request.user, pk)
    return JsonResponse(instructor_debrief(exercise, projector=_projector(request)))
