"""A course's pages: create one, its page (sections side by side, reports.course_pages), its sections added and
taken out, its co-instructors invited, and its export. Everything is looked up as the signed-in instructor's
(classrooms.access): another instructor, or a student, finds nothing (404)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from classrooms import courses
from classrooms.access import classroom_for, course_for, instructor_classrooms
from classrooms.forms import CoInstructorForm, CourseForm, SectionForm
from classrooms.models import Course, User
from core.refusal import Refused
from reports.course_export import course_export_chunks, course_export_filename, course_export_options
from reports.course_pages import compared_runs, course_json, figure_rows
from reports.export_http import download_response
from scenarios.access import instructor_required


def _free_classes(user: User):
    """The instructor's classes that are in no course: those a section can be made of."""
    return instructor_classrooms(user).filter(course__isnull=True).order_by("name", "pk")


def _course_page(
    request: HttpRequest, course: Course, *, section_form=None, coinstructor_form=None, status: int = 200
) -> HttpResponse:
    user = request.user
    data = course_json(course, user)
    taught = {s["id"] for s in data["sections"]}
    return render(
        request,
        "reports/course.html",
        {
            "course": course,
            "data": data,
            "comparisons": [{"data": c, "rows": figure_rows(c)} for c in data["comparisons"]],
            "is_owner": course.owner_id == user.pk,
            "sections": course.sections.filter(pk__in=taught).order_by("name", "pk"),
            "instructors": course.instructors.order_by("email"),
            "invitations": course.invitations.select_related("user"),
            "section_form": section_form or SectionForm(classes=_free_classes(user)),
            "has_classes": instructor_classrooms(user).exists(),
            "coinstructor_form": coinstructor_form or CoInstructorForm(),
        },
        status=status,
    )


@instructor_required
def course_new(request: HttpRequest) -> HttpResponse:
    form = CourseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            course = courses.course_create(owner=request.user, **form.cleaned_data)
        except Refused as exc:
            form.add_error(exc.field, exc.message)
        else:
            messages.success(request, _("Course created. Add your classes to it as its sections."))
            return redirect("course", pk=course.pk)
    return render(request, "reports/course_new.html", {"form": form}, status=400 if form.errors else 200)


@instructor_required
def course_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _course_page(request, course_for(request.user, pk))


@instructor_required
@require_POST
def course_section_add(request: HttpRequest, pk: int) -> HttpResponse:
    course = course_for(request.user, pk)
    form = SectionForm(request.POST, classes=_free_classes(request.user))
    if form.is_valid():
        classroom = form.cleaned_data["classroom"]
        try:
            courses.section_add(course=course, classroom=classroom, user=request.user)
        except Refused as exc:
            form.add_error("classroom", exc.message)
        else:
            messages.success(request, _("%(name)s is now a section of this course.") % {"name": classroom.name})
            return redirect("course", pk=pk)
    return _course_page(request, course, section_form=form, status=400)


@instructor_required
@require_POST
def course_section_remove(request: HttpRequest, pk: int, class_pk: int) -> HttpResponse:
    course = course_for(request.user, pk)
    classroom = course.sections.filter(pk=class_pk).first()
    if classroom is None:
        raise Http404("No such section")
    if course.owner_id != request.user.pk:
        classroom = classroom_for(request.user, class_pk)  # a co-instructor takes out only a class they teach
    try:
        courses.section_remove(course=course, classroom=classroom, user=request.user)
    except Refused as exc:
        messages.error(request, exc.message)
    else:
        if instructor_classrooms(request.user).filter(pk=class_pk).exists():
            messages.success(request, _("%(name)s is no longer a section of this course.") % {"name": classroom.name})
        else:  # the owner took out a section they do not teach: its name stays theirs who teach it
            messages.success(request, _("A section is no longer in this course."))
    return redirect("course", pk=pk)


@instructor_required
@require_POST
def classroom_course_leave(request: HttpRequest, pk: int) -> HttpResponse:
    """From the class's page: take the class out of its course, which its instructor may not run."""
    classroom = classroom_for(request.user, pk)
    try:
        courses.section_leave(classroom=classroom, user=request.user)
    except Refused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(name)s is no longer a section of a course.") % {"name": classroom.name})
    return redirect("classroom", pk=pk)


@instructor_required
@require_POST
def course_coinstructor(request: HttpRequest, pk: int) -> HttpResponse:
    course = course_for(request.user, pk)
    form = CoInstructorForm(request.POST)
    if form.is_valid():
        try:
            invitation = courses.course_coinstructor_invite(
                course=course, email=form.cleaned_data["email"], invited_by=request.user
            )
        except Refused as exc:
            form.add_error("email", exc.message)
        else:
            messages.success(
                request,
                _("%(email)s is invited: they run this course once they accept on their dashboard.")
                % {"email": invitation.user.email},
            )
            return redirect("course", pk=pk)
    return _course_page(request, course, coinstructor_form=form, status=400)


@instructor_required
@require_POST
def course_invitation(request: HttpRequest, pk: int) -> HttpResponse:
    accept = request.POST.get("action") == "accept"
    try:
        course = courses.course_invitation_answer(user=request.user, invitation_id=pk, accept=accept)
    except Refused as exc:
        messages.error(request, exc.message)
        return redirect("dashboard")
    if accept:
        messages.success(request, _("You now co-teach the course %(name)s.") % {"name": course.name})
        return redirect("course", pk=course.pk)
    messages.success(request, _("You declined to co-teach the course %(name)s.") % {"name": course.name})
    return redirect("dashboard")


@instructor_required
@require_POST
def course_delete(request: HttpRequest, pk: int) -> HttpResponse:
    course = course_for(request.user, pk)
    try:
        courses.course_delete(course=course, user=request.user)
    except Refused as exc:
        messages.error(request, exc.message)
        return redirect("course", pk=pk)
    messages.success(request, _("The course is deleted; its classes are kept."))
    return redirect("dashboard")


@require_GET
@instructor_required
def course_export(request: HttpRequest, pk: int, version_pk: int) -> HttpResponse:
    """Every pair of every section that ran the version, with its section (docs/debrief.md)."""
    course = course_for(request.user, pk)
    found = compared_runs(course, request.user, version_pk)
    if found is None:
        raise Http404("This course compares no such scenario version")
    try:
        options = course_export_options(request.GET)
    except Refused as exc:
        return HttpResponseBadRequest(f"Export refused: {exc.message}\n", content_type="text/plain; charset=utf-8")
    version, runs = found
    chunks = course_export_chunks(course, version, runs, options)
    return download_response(request, chunks, course_export_filename(course, version, options), options)  # type: ignore[return-value]
