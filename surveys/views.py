"""The student's survey page. Rules live in surveys.services; scoring in core/survey.py."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext

from classrooms.access import student_required
from classrooms.models import Student
from core import survey as svi
from core.refusal import Refused
from negotiations.participants import seat_for
from scenarios.services import version_spec_read
from surveys import services
from surveys.forms import SurveyForm


@student_required(anonymous="404")
def survey(request: HttpRequest, student: Student, pk: int) -> HttpResponse:
    seat = seat_for(student, pk)
    refusal = services.survey_refusal(seat=seat)
    existing = services.survey_response_of(seat=seat)
    initial = {services.item_field(n): v for n, v in existing.answer_map().items()} if existing else {}
    form = SurveyForm(request.POST if request.method == "POST" and not refusal else None, initial=initial)
    status = 200
    results = reverse("student_exercise", args=[pk]) + "#my-debrief"
    if request.method == "POST" and "skip" in request.POST and not refusal:
        services.survey_skip(seat=seat)
        messages.info(request, gettext("You skipped the survey. Here are your results."))
        return redirect(results)
    if request.method == "POST":
        if refusal:
            status = 409
        elif form.is_valid():
            try:
                _, created = services.survey_save(seat=seat, answers=form.answers())
            except Refused as exc:
                form.add_error(exc.field, exc.message)
            else:
                messages.success(
                    request,
                    gettext("Thank you: your answers are saved.") if created else gettext("Your answers are updated."),
                )
                return redirect(results)
        status = 400 if form.errors else status
    rows = form.rows()
    context = {
        "student": student,
        "seat": seat,
        "exercise": seat.exercise,
        "role": version_spec_read(seat.exercise.scenario_version).role(seat.role_key),
        "form": form,
        "rows": rows,
        "flagged": [row["item"].number for row in rows if row["field"].errors],
        "scale": range(svi.LOW, svi.HIGH + 1),
        "refusal": refusal,
        "existing": existing,
        "credit": svi.CREDIT,
    }
    return render(request, "surveys/survey.html", context, status=status)
