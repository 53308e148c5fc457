"""Student pages: joining, the personal link, home, the role sheet, the planning sheet and the debrief.

A student sees only their own seat: every page finds it from the session, never from the URL.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from classrooms import links, services
from classrooms.access import current_student, student_login, student_logout, student_required
from classrooms.models import Exercise, PlanningSheet, Student
from classrooms.throttles import client_address, throttle_form, throttled_status
from core.negotiation import MAX_CHAT
from core.refusal import Refused
from negotiations.debrief import debriefs_resend
from negotiations.models import Seat
from negotiations.notices import student_rounds
from negotiations.participants import seat_company, seat_for
from negotiations.planning import planning_refusal, planning_sheet_save, seat_sheet_opened
from reports.debrief_pages import student_debrief
from scenarios.services import scoring_rows, version_spec, version_spec_read
from students.forms import JoinForm, PlanningForm
from surveys.services import survey_due, survey_standing


def join(request: HttpRequest) -> HttpResponse:
    initial = {"code": request.GET.get("code", "")}
    form = JoinForm(request.POST or None, initial=initial)
    refusal = None
    if request.method == "POST":
        code = services.normalise_join_code(request.POST.get("code", ""))
        refusal = throttle_form(request, form, action="join", account=code)
    question = None
    if refusal is None and request.method == "POST" and form.is_valid():
        answer = request.POST.get("roster_answer", "")
        try:
            if answer == "yes":
                links.roster_link_send(
                    code=form.cleaned_data["code"],
                    display_name=form.cleaned_data["display_name"],
                    base_url=request.build_absolute_uri("/"),
                    address=client_address(request),
                )
                return render(request, "student/join_roster.html", {"student": current_student(request)})
            student = services.student_join(**form.cleaned_data, not_on_roster=answer == "no")
        except services.RosterQuestion as exc:
            question = exc.message
        except Refused as exc:
            form.add_error(exc.field, exc.message)
        else:
            student_login(request, student)
            return redirect("student_welcome")
    context = {"form": form, "student": current_student(request), "question": question}
    return throttled_status(render(request, "student/join.html", context), refusal)


def student_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows whose link it is and changes nothing (link scanners open links); POST signs in."""
    student = services.student_from_token(token)
    if student is None:
        return render(request, "student/link_invalid.html", status=404)
    if request.method == "POST":
        student_login(request, student)
        services.student_seen(student=student)
        next_url = request.POST.get("next", "")
        if next_url and url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
            return redirect(next_url)
        return redirect("student_home")
    return render(request, "student/link.html", {"student": student, "token": token})


@student_required
def welcome(request: HttpRequest, student: Student) -> HttpResponse:
    token = services.student_link_token(student)
    link = request.build_absolute_uri(reverse("student_link", args=[token])) if token else None
    return render(request, "student/welcome.html", {"student": student, "link": link})


@student_required
def home(request: HttpRequest, student: Student) -> HttpResponse:
    services.student_seen(student=student)
    seats = (
        Seat.objects.filter(student=student)
        .exclude(exercise__state=Exercise.State.DRAFT)
        .select_related("exercise__scenario_version", "negotiation")
        .order_by("-exercise__created_at")
    )
    items = [
        (seat, version_spec_read(seat.exercise.scenario_version).role(seat.role_key), survey_due(seat=seat))
        for seat in seats
    ]
    waiting = student.classroom.exercises.filter(state=Exercise.State.DRAFT).exists()
    # A late arrival: the class's roles are out (or its round on) without a seat for this student yet.
    unseated = (
        student.classroom.exercises.filter(state__in=[Exercise.State.RELEASED, Exercise.State.LIVE])
        .exclude(seats__student=student)
        .exists()
    )
    context = {
        "student": student,
        "items": items,
        "waiting": waiting,
        "unseated": unseated,
        "live_state": student_rounds(student.pk),
    }
    return render(request, "student/home.html", context)


@student_required(anonymous="404")
def exercise(request: HttpRequest, student: Student, pk: int) -> HttpResponse:
    seat = seat_for(student, pk)
    services.student_seen(student=student)
    seat_sheet_opened(seat=seat)
    ex = seat.exercise
    spec = version_spec_read(ex.scenario_version)  # the role sheet in the student's language
    role = spec.role(seat.role_key)
    sheet = PlanningSheet.objects.filter(exercise=ex, student=student).first()
    initial = {}
    if sheet:
        initial = {
            "batna": sheet.batna,
            "reservation_value": sheet.reservation_value,
            "target": sheet.target,
            "notes": sheet.notes,
        }
        initial.update({f"rank_{key}": str(i) for i, key in enumerate(sheet.priorities, start=1)})
        initial.update({f"partner_rank_{key}": str(i) for i, key in enumerate(sheet.partner_priorities, start=1)})
    form = PlanningForm(request.POST or None, scenario=spec, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            planning_sheet_save(
                exercise=ex,
                student=student,
                batna=data["batna"],
                reservation_value=data["reservation_value"],
                target=data["target"],
                priorities=data["priorities"],
                partner_priorities=data["partner_priorities"],
                notes=data["notes"],
            )
        except Refused as exc:
            form.add_error(None, exc.message)
        else:
            # Shown beside the form, where the student is looking (templates/student/exercise.html).
            messages.success(request, _("Planning sheet saved."), extra_tags="planning")
            return redirect(reverse("student_exercise", args=[pk]) + "#planning-saved")
    issues = scoring_rows(spec, (role.key,))
    company = seat_company(seat)
    # The survey comes before the results: answers given after seeing them would measure them.
    survey = survey_standing(seat=seat)
    survey_first = survey.due
    debrief = None if survey_first else student_debrief(seat)
    if debrief is None and not survey_first and ex.state == Exercise.State.ENDED and debriefs_resend(exercise_id=ex.pk):
        debrief = student_debrief(seat)  # it was overdue: in the embedded mode, computed just now
    may_answer = survey_first or (debrief is not None and survey.refusal is None)
    survey_url = reverse("student_survey", args=[ex.pk]) if may_answer else None
    # The room's outcome shows no points while the survey stands before the results (now or once it ends).
    room_survey_url = None if survey.state != "open" else reverse("student_survey", args=[ex.pk])
    return render(
        request,
        "student/exercise.html",
        {
            "student": student,
            "seat": seat,
            "exercise": ex,
            "spec": spec,
            "role": role,
            "issues": issues,
            "form": form,
            "counterparts": company.counterparts,
            "observed": company.observed,
            "planning_refusal": planning_refusal(exercise=ex, seat=seat),
            "chat_max": MAX_CHAT,
            "room_texts": room_texts(spec) if spec is not version_spec(ex.scenario_version) else None,
            "debrief": debrief,
            "survey_url": survey_url,
            "survey_answered": survey.state == "answered",
            "survey_first": survey_first,
            "room_survey_url": room_survey_url,
            "live_state": student_rounds(student.pk),
            "server_bots": settings.SERVER_BOTS,
        },
    )


def room_texts(spec) -> dict:
    """A translated scenario's names and labels in the page's language, for the room's script
    (static/js/room.js), whose snapshot carries the document's own."""
    return {
        "roles": {r.key: r.name for r in spec.roles},
        "issues": {
            i.key: {"name": i.name, "unit": i.unit, "options": {o.key: o.label for o in i.options}} for i in spec.issues
        },
    }


@require_POST
def ping(request: HttpRequest) -> HttpResponse:
    student = current_student(request)
    if student is None:
        return HttpResponse(status=204)
    services.student_seen(student=student)
    return HttpResponse(status=204)


@require_POST
def leave(request: HttpRequest) -> HttpResponse:
    student_logout(request)
    messages.info(request, _("Signed out on this device. Your personal link signs you back in."))
    return redirect("join")
