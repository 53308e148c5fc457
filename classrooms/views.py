"""Instructor pages: sign-up, dashboard, classes, roster, links, a new exercise, API tokens. The round's
pages (the exercise page, its actions, the monitor) are negotiations.views."""

from __future__ import annotations

import functools

from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import InvalidPage
from django.db.models import Count, Prefetch
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST

from classrooms import accounts, links, services
from classrooms.access import classroom_for, exercise_for, instructor_classrooms, instructor_courses
from classrooms.forms import ClassroomForm, CoInstructorForm, ExerciseForm, RosterForm, SignUpForm
from classrooms.models import Exercise, Student
from classrooms.throttles import (
    Throttled,
    client_address,
    throttle_form,
    throttle_hit,
    throttle_spend,
    throttled_status,
)
from core.refusal import Refused
from scenarios.access import instructor_required
from scenarios.messages import translated
from scenarios.models import ScenarioVersion
from scenarios.services import scenario_version_get

SIGNUP_EMAIL = "parley_signup_email"  # the session's sign-up, whose confirmation link signs it in


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard")
    form = SignUpForm(request.POST or None)
    refusal = None
    if request.method == "POST":
        refusal = throttle_form(request, form, action="signup", account=request.POST.get("email", ""))
    if refusal is None and request.method == "POST" and form.is_valid():
        try:
            accounts.instructor_signup(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                verify_link=functools.partial(_verify_link, request),
                login_link=request.build_absolute_uri(reverse("login")),
                reset_link=request.build_absolute_uri(reverse("password_reset")),
            )
        except Refused as exc:
            form.add_error(exc.field, exc.message)
        else:
            request.session[SIGNUP_EMAIL] = form.cleaned_data["email"]
            return redirect("signup_sent")
    page = render(request, "classrooms/signup.html", {"form": form, "rule": accounts.instructor_address_rule()})
    return throttled_status(page, refusal)


def signup_sent(request: HttpRequest) -> HttpResponse:
    """The same page whether or not the address had an account: the message sent says which."""
    return render(request, "classrooms/signup_sent.html", {"email": request.session.get(SIGNUP_EMAIL, "")})


def _verify_link(request: HttpRequest, token: str) -> str:
    return request.build_absolute_uri(reverse("account_verify_link", args=[token]))


def _send_verification(request: HttpRequest, user) -> None:
    token = accounts.instructor_verification_token(user=user)
    accounts.instructor_verification_send(user=user, link=_verify_link(request, token))


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, throttled per address and per email address."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        form = self.get_form()
        refusal = throttle_form(request, form, action="password_reset", account=request.POST.get("email", ""))
        if refusal is not None:
            return throttled_status(self.render_to_response(self.get_context_data(form=form)), refusal)
        return super().post(request, *args, **kwargs)


@login_required
def account_verify(request: HttpRequest) -> HttpResponse:
    """What an account that is not verified is told to do, and the button that sends the link again."""
    next_url = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME, "")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, require_https=request.is_secure()):
        next_url = ""
    if request.user.is_verified_instructor:
        return redirect(next_url or "dashboard")
    allowed = accounts.instructor_address_allowed(email=request.user.email)
    if request.method == "POST" and allowed:
        try:
            throttle_hit(action="confirmation", address=client_address(request), account=request.user.email)
        except Throttled as refusal:
            messages.error(request, translated(refusal.message))
            context = {"allowed": allowed, "rule": accounts.instructor_address_rule(), "next": next_url}
            return throttled_status(render(request, "classrooms/verify.html", context), refusal)
        _send_verification(request, request.user)
        messages.success(request, gettext("We sent a new link to %(email)s.") % {"email": request.user.email})
        return redirect(reverse("account_verify") + (f"?{REDIRECT_FIELD_NAME}={next_url}" if next_url else ""))
    return render(
        request,
        "classrooms/verify.html",
        {"allowed": allowed, "rule": accounts.instructor_address_rule(), "next": next_url},
        status=200 if request.method == "GET" else 400,
    )


def account_verify_link(request: HttpRequest, token: str) -> HttpResponse:
    """The link sent to an instructor's address; it works without signing in (another browser, a phone).
    Opening it shows a button; only the button's POST confirms, so that a mail scanner fetching the link
    confirms nothing."""
    try:
        if request.method != "POST":
            user = accounts.instructor_verification_user(token=token)
            return render(request, "classrooms/verify_link.html", {"email": user.email})
        user = accounts.instructor_verify(token=token)
    except Refused as exc:
        return render(request, "classrooms/verify_failed.html", {"message": exc.message}, status=400)
    if request.user != user and request.session.get(SIGNUP_EMAIL) == user.email:
        # Opened in the browser that signed up: the link, sent to the address, signs the account in.
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(request, gettext("%(email)s is confirmed: you are a verified instructor.") % {"email": user.email})
    return redirect("dashboard" if request.user == user else "login")


@instructor_required
def dashboard(request: HttpRequest) -> HttpResponse:
    classrooms = (
        instructor_classrooms(request.user)
        .annotate(student_count=Count("students", distinct=True))
        .prefetch_related(Prefetch("exercises", queryset=Exercise.objects.order_by("-created_at")))
    )
    invitations = request.user.coinstructor_invitations.select_related("classroom", "invited_by")
    courses = instructor_courses(request.user).annotate(section_count=Count("sections", distinct=True))
    course_invitations = request.user.course_invitations.select_related("course", "invited_by")
    return render(
        request,
        "classrooms/dashboard.html",
        {
            "classrooms": classrooms,
            "invitations": invitations,
            "courses": courses,
            "course_invitations": course_invitations,
        },
    )


@instructor_required
def classroom_new(request: HttpRequest) -> HttpResponse:
    form = ClassroomForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        classroom = services.classroom_create(owner=request.user, **form.cleaned_data)
        messages.success(
            request, gettext("Class created. Students join with the code %(code)s.") % {"code": classroom.join_code}
        )
        return redirect("classroom", pk=classroom.pk)
    return render(request, "classrooms/classroom_new.html", {"form": form})


def _student_rows(request: HttpRequest, students) -> list[dict]:
    rows = []
    for student in students:
        token = services.student_link_token(student)
        rows.append(
            {
                "student": student,
                "link": request.build_absolute_uri(reverse("student_link", args=[token])) if token else None,
                "connected": services.is_connected(student),
            }
        )
    return rows


def _classroom_page(request: HttpRequest, classroom, *, coinstructor_form=None, status: int = 200) -> HttpResponse:
    return render(
        request,
        "classrooms/classroom.html",
        {
            "classroom": classroom,
            "rows": _student_rows(request, classroom.students.select_related("possible_duplicate_of")),
            "instructors": classroom.instructors.order_by("email"),
            "invitations": classroom.coinstructor_invitations.select_related("user"),
            "exercises": classroom.exercises.select_related("scenario_version"),
            "roster_form": RosterForm(),
            "coinstructor_form": coinstructor_form or CoInstructorForm(),
            "join_url": request.build_absolute_uri(reverse("join")),
            "course": instructor_courses(request.user).filter(sections=classroom).first(),
        },
        status=status,
    )


@instructor_required
def classroom_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _classroom_page(request, classroom_for(request.user, pk))


@instructor_required
@require_POST
def classroom_open(request: HttpRequest, pk: int) -> HttpResponse:
    classroom = classroom_for(request.user, pk)
    services.classroom_set_open(classroom=classroom, is_open=request.POST.get("open") == "1")
    messages.success(
        request, gettext("The class is open to joining.") if classroom.is_open else gettext("The class is closed.")
    )
    return redirect("classroom", pk=pk)


@instructor_required
@require_POST
def classroom_roster(request: HttpRequest, pk: int) -> HttpResponse:
    classroom = classroom_for(request.user, pk)
    form = RosterForm(request.POST, request.FILES)
    result = None
    if form.is_valid():
        result = services.roster_import(classroom=classroom, text=form.cleaned_data["csv"])
        if not result.problems:
            messages.success(
                request,
                (
                    ngettext(
                        "%(count)s student added from a %(separator)s-separated file, "
                        "%(skipped)s already in the class.",
                        "%(count)s students added from a %(separator)s-separated file, "
                        "%(skipped)s already in the class.",
                        len(result.created),
                    )
                    if result.skipped
                    else ngettext(
                        "%(count)s student added from a %(separator)s-separated file.",
                        "%(count)s students added from a %(separator)s-separated file.",
                        len(result.created),
                    )
                )
                % {"count": len(result.created), "separator": result.separator_word, "skipped": len(result.skipped)},
            )
            return redirect("classroom", pk=pk)
    return render(
        request,
        "classrooms/roster_result.html",
        {"classroom": classroom, "form": form, "result": result},
        status=400,
    )


def _links_page(request: HttpRequest, classroom, *, status: int = 200) -> HttpResponse:
    try:
        cards = links.link_cards_page(classroom, request.build_absolute_uri("/"), request.GET.get("page") or 1)
    except InvalidPage:
        raise Http404("No such page of the links") from None
    context = {
        "classroom": classroom,
        "cards": cards,
        "with_email": classroom.students.exclude(email="").count(),
        "can_email": links.email_configured(),
        "report": links.link_emails_report(classroom),
    }
    return render(request, "classrooms/links.html", context, status=status)


@instructor_required
def classroom_links(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable sheet: a card per student with their link as a QR code (docs/operations.md)."""
    return _links_page(request, classroom_for(request.user, pk))


@instructor_required
def classroom_links_csv(request: HttpRequest, pk: int) -> HttpResponse:
    classroom = classroom_for(request.user, pk)
    cards = links.link_cards(classroom, request.build_absolute_uri("/"))
    response = HttpResponse("".join(links.links_csv(classroom, cards)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="links-{classroom.join_code}.csv"'
    return response


@instructor_required
@require_POST
def classroom_links_email(request: HttpRequest, pk: int) -> HttpResponse:
    classroom = classroom_for(request.user, pk)
    if not links.email_configured():
        messages.error(
            request, gettext("This site sends no mail (EMAIL_HOST is not set): print the sheet or share the CSV.")
        )
        return _links_page(request, classroom, status=400)
    try:
        address = client_address(request)
        throttle_hit(action="link_email", address=address, account=f"class {classroom.pk}")
        throttle_hit(action="link_email_instructor", address=address, account=request.user.email)
        throttle_spend(
            action="link_email_messages",
            account=request.user.email,
            amount=links.link_emails_count(classroom),
        )
    except Throttled as refusal:
        messages.error(request, translated(refusal.message))
        return throttled_status(_links_page(request, classroom), refusal)
    links.link_emails_request(classroom=classroom, base_url=request.build_absolute_uri("/"))
    messages.success(
        request, gettext("Sending each student with an email address their own link; the result shows below.")
    )
    return redirect("classroom_links", pk=pk)


@instructor_required
@require_POST
def classroom_coinstructor(request: HttpRequest, pk: int) -> HttpResponse:
    classroom = classroom_for(request.user, pk)
    form = CoInstructorForm(request.POST)
    if form.is_valid():
        try:
            invitation = services.coinstructor_invite(
                classroom=classroom, email=form.cleaned_data["email"], invited_by=request.user
            )
        except Refused as exc:
            form.add_error("email", exc.message)
        else:
            messages.success(
                request,
                gettext("%(email)s is invited: they run this class once they accept on their dashboard.")
                % {"email": invitation.user.email},
            )
            return redirect("classroom", pk=pk)
    return _classroom_page(request, classroom, coinstructor_form=form, status=400)


@instructor_required
@require_POST
def coinstructor_invitation(request: HttpRequest, pk: int) -> HttpResponse:
    accept = request.POST.get("action") == "accept"
    try:
        classroom = services.coinstructor_answer(user=request.user, invitation_id=pk, accept=accept)
    except Refused as exc:
        messages.error(request, exc.message)
        return redirect("dashboard")
    if accept:
        messages.success(request, gettext("You now co-teach %(name)s.") % {"name": classroom.name})
        return redirect("classroom", pk=classroom.pk)
    messages.success(request, gettext("You declined to co-teach %(name)s.") % {"name": classroom.name})
    return redirect("dashboard")


@instructor_required
@require_POST
def student_link_action(request: HttpRequest, pk: int, student_pk: int) -> HttpResponse:
    classroom = classroom_for(request.user, pk)
    student = get_object_or_404(Student, pk=student_pk, classroom=classroom)
    if request.POST.get("action") == "revoke":
        services.student_link_revoke(student=student)
        messages.success(request, gettext("%(name)s's link no longer works.") % {"name": student.display_name})
    else:
        services.student_link_reissue(student=student)
        messages.success(
            request, gettext("%(name)s has a new link; the old one no longer works.") % {"name": student.display_name}
        )
    return redirect(reverse("classroom", args=[pk]) + "#students")


def _scenario_initial(request: HttpRequest) -> dict[str, int]:
    """`?scenario=slug&version=n` (the studio's link after publishing) chooses that version in the form, if
    the instructor sees it."""
    slug, number = request.GET.get("scenario", ""), request.GET.get("version", "")
    if not slug or not (number.isascii() and number.isdigit() and len(number) < 10):
        return {}
    try:
        return {"scenario_version": scenario_version_get(slug, int(number), user=request.user).pk}
    except ScenarioVersion.DoesNotExist:
        return {}


@instructor_required
def exercise_new(request: HttpRequest, pk: int) -> HttpResponse:
    classroom = classroom_for(request.user, pk)
    form = ExerciseForm(request.POST or None, user=request.user, initial=_scenario_initial(request))
    if request.method == "POST" and form.is_valid():
        try:
            exercise = services.exercise_create(classroom=classroom, created_by=request.user, **form.cleaned_data)
        except Refused as exc:
            form.add_error(exc.field, exc.message)
        else:
            return redirect("exercise", pk=exercise.pk)
    return render(request, "classrooms/exercise_new.html", {"classroom": classroom, "form": form})


@instructor_required
def exercise_presence(request: HttpRequest, pk: int) -> JsonResponse:
    exercise = exercise_for(request.user, pk)
    students = exercise.classroom.students.all()
    return JsonResponse({"connected": [s.pk for s in students if services.is_connected(s)]})


@instructor_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    new_token = None
    if request.method == "POST":
        delete = request.POST.get("delete", "")
        if delete:
            if delete.isascii() and delete.isdigit() and len(delete) < 19:
                services.api_token_delete(user=request.user, token_id=int(delete))
            messages.success(request, gettext("Token deleted."))
            return redirect("api_tokens")
        _, new_token = services.api_token_create(user=request.user, name=request.POST.get("name", ""))
    return render(
        request,
        "classrooms/tokens.html",
        {"tokens": request.user.api_tokens.all(), "new_token": new_token},
    )
