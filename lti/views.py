"""The tool's pages: its key set, the OIDC login and the launch a platform sends, the deep link picker,
and the instructor's page of a linked course (roster, grade rules, grades sent)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import jwt
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from pylti1p3.deep_link import DeepLink
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.exception import LtiException, OIDCException
from pylti1p3.lineitem import LineItem

from classrooms import services
from classrooms.access import classroom_for, student_login, student_logout
from classrooms.models import Exercise
from classrooms.throttles import Throttled, client_address, throttle_hit
from core.refusal import Refused
from lti import grades, launch, tool
from lti.models import Course, Grading, Platform, Score
from lti.roster import PlatformError, roster_sync
from negotiations.models import Seat
from scenarios.access import instructor_required
from scenarios.messages import translated

SESSION_DEEP_LINK = "parley_lti_deep_link"
SESSION_PENDING_COURSE = "parley_lti_course_link"
PENDING_LAUNCH_MAX = 20_000  # characters of a launch kept in the session while the instructor picks a class
LINKABLE_CHOICES = 200
DEEP_LINK_SETTINGS_MAX = 8000  # characters of the platform's deep linking settings kept in the session
DEEP_LINK_CHOICES = 200


def _refused(request: HttpRequest, message: str, status: int = 403) -> HttpResponse:
    return render(request, "lti/refused.html", {"message": message}, status=status)


@require_GET
def jwks(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(tool.key_set())
    response["Cache-Control"] = "max-age=300"
    return response


@csrf_exempt
@require_http_methods(["GET", "POST"])
def oidc_login(request: HttpRequest) -> HttpResponse:
    """The platform's third-party initiated login: answered with the redirect to its authentication URL,
    carrying a fresh nonce (stored) and a state (a cookie of this browser)."""
    issuer = (request.POST.get("iss") or request.GET.get("iss") or "")[:255]
    try:
        throttle_hit(action="lti_login", address=client_address(request), account=issuer or "-")
    except Throttled as refusal:
        response = _refused(request, translated(refusal.message), 429)
        response["Retry-After"] = str(refusal.retry_after)
        return response
    try:
        return tool.oidc_login(request).redirect(request.build_absolute_uri(reverse("lti_launch")))
    except OIDCException as exc:
        if str(exc) == "Could not find registration details":
            return _refused(
                request,
                _("No active platform registered with Parley has the issuer %(iss)s and this client id.")
                % {"iss": issuer},
                400,
            )
        if str(exc) == "Could not find issuer":
            return _refused(request, _("The login request does not name its platform (its issuer is missing)."), 400)
        if str(exc) == "Could not find login hint":
            message = _("The login request does not say who logs in (its login hint is missing).")
            return _refused(request, message, 400)
        return _refused(request, _("The login request is incomplete: %(why)s.") % {"why": exc}, 400)


def _claims_unverified(request: HttpRequest) -> dict[str, Any]:
    try:
        body = jwt.decode(request.POST.get("id_token", ""), options={"verify_signature": False})
    except jwt.InvalidTokenError:
        return {}
    return body if isinstance(body, dict) else {}


# pylti1p3's words for a claim LTI requires that the launch lacks, in the page's language.
MISSING = {
    "Must have a user (sub)": gettext_lazy("The launch does not say who you are (its user id is missing)."),
    "Missing Roles Claim": gettext_lazy("The launch does not say what you are in the course (its roles are missing)."),
    '"iss" is empty': gettext_lazy("The launch does not name its platform (its issuer is missing)."),
    "deployment_id is not set in jwt body": gettext_lazy(
        "The launch does not name Parley's deployment on the platform (its deployment id is missing)."
    ),
    "Invalid message type": gettext_lazy("Parley does not handle this kind of launch."),
    "Incorrect version, expected 1.3.0": gettext_lazy(
        "The launch is not one of LTI 1.3 (its version is missing, or is not 1.3.0)."
    ),
    "Missing Resource Link Id": gettext_lazy(
        "The launch does not name its link in the course (its resource link id is missing)."
    ),
    "Missing Deep Linking Settings": gettext_lazy("The deep linking request has no return address."),
    "Missing Deep Linking Return URL": gettext_lazy("The deep linking request has no return address."),
}
MALFORMED = ("Missing id_token", "Invalid id_token, JWT must contain 3 parts", "Invalid JWT format, can't be decoded")


def _launch_failure(request: HttpRequest, exc: LtiException) -> HttpResponse:
    """The launch's refusal in words a person can act on (the token's own claims only name the cause:
    nothing in them is believed)."""
    why = str(exc)
    again = _("Open Parley again from the course.")
    if why in ("Missing state param", "State not found"):
        message = _("This launch does not belong to a login begun in this browser (its state does not match).")
    elif why in ("Invalid Nonce", '"nonce" is empty'):
        message = _(
            "This launch was used already, or it is too old (its nonce is not one Parley issued and has not used)."
        )
    elif why == "Registration not found.":
        body = _claims_unverified(request)
        issuer = str(body.get("iss", ""))[:255]
        if not Platform.objects.filter(issuer=issuer, is_active=True).exists():
            message = _("The platform %(iss)s is not registered with Parley (unknown issuer).") % {"iss": issuer}
        else:
            message = _("This launch is meant for another tool: its audience is not Parley's client id on %(iss)s.") % {
                "iss": issuer
            }
    elif why == "Unable to find deployment":
        message = _("This deployment of Parley on the platform is not registered (unknown deployment id).")
    elif "Signature has expired" in why:
        message = _("This launch has expired.")
    elif "not yet valid" in why:
        message = _("This launch is not valid yet: the platform's clock is ahead of Parley's.")
    elif why.startswith("Can't decode id_token: Token is missing the"):
        message = _("This launch has no expiry or issue time (exp, iat), which LTI requires.")
    elif why.startswith("Can't decode id_token") or why in ("Unable to find public key", "JWT KID not found"):
        message = _("This launch's signature does not verify with the platform's keys.")
    elif why in MALFORMED:
        message = _("This launch's token is malformed.")
        return _refused(request, f"{message} {again}", 400)
    elif why in MISSING:
        return _refused(request, f"{MISSING[why]} {again}", 400)
    else:
        message = _("This launch could not be accepted: %(why)s.") % {"why": why[:200]}
        return _refused(request, f"{message} {again}", 400)
    return _refused(request, f"{message} {again}", 403)


@csrf_exempt
@require_POST
def launch_view(request: HttpRequest) -> HttpResponse:
    message = tool.message_launch(request)
    try:
        data: dict[str, Any] = dict(message.get_launch_data())
    except LtiException as exc:
        return _launch_failure(request, exc)
    except (ValueError, TypeError, AttributeError, KeyError):  # a token whose parts are not what LTI says
        message = _("This launch's token is malformed.") + " " + _("Open Parley again from the course.")
        return _refused(request, message, 400)
    platform = Platform.objects.get(issuer=data["iss"], client_id=message.get_client_id(), is_active=True)
    try:
        who = launch.launch_user(platform=platform, data=data)
        launch.context_of(data)  # a launch that names no course is refused before anyone is signed in
        if message.is_deep_link_launch():
            if who.role != "instructor":
                raise launch.LaunchRefused(_("Only an instructor of the course places Parley's exercises in it."))
            return _instructor_launch(request, platform, data, deep_link=True)
        if not message.is_resource_launch():
            raise launch.LaunchRefused(_("Parley does not handle this kind of launch."), 400)
        if who.role == "instructor":
            return _instructor_launch(request, platform, data, deep_link=False)
        if who.role == "learner":
            return _learner_launch(request, platform, data)
        raise launch.LaunchRefused(
            _("Parley lets in a course's instructors and learners; the platform gave you neither role.")
        )
    except Refused as exc:  # LaunchRefused, or a class's refusal (full, an address taken)
        return _refused(request, exc.message, getattr(exc, "status", 400))


def _instructor_launch(
    request: HttpRequest, platform: Platform, data: dict[str, Any], *, deep_link: bool
) -> HttpResponse:
    user = launch.instructor_for_launch(platform=platform, data=data)
    student_logout(request)
    auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    if not user.is_verified_instructor:
        return redirect("account_verify")  # the page says what to do; an administrator verifies the account
    if launch.course_linked(platform=platform, data=data) is None and launch.linkable_classrooms(user).exists():
        if len(json.dumps(data)) > PENDING_LAUNCH_MAX:
            raise launch.LaunchRefused(_("The launch carries too much to be kept while you choose a class."), 400)
        request.session[SESSION_PENDING_COURSE] = {"platform": platform.pk, "data": data, "deep_link": deep_link}
        return redirect("lti_link_course")  # the course's first launch: a class of theirs, or a new one?
    course = launch.course_for_launch(platform=platform, data=data, instructor=user)
    return _instructor_continue(request, course, data, deep_link=deep_link)


def _instructor_continue(
    request: HttpRequest, course: Course, data: dict[str, Any], *, deep_link: bool
) -> HttpResponse:
    """An instructor's launch once its course is linked: the roster the first time, then the deep link
    picker, the exercise its link opens, or the course's page."""
    if course.roster_synced_at is None and course.memberships_url:
        try:
            roster_sync(course=course)
        except PlatformError as exc:
            messages.warning(request, str(exc))
    if deep_link:
        settings_claim = data.get(launch.DEEP_LINKING)
        if not isinstance(settings_claim, dict) or not launch.platform_url(settings_claim.get("deep_link_return_url")):
            raise launch.LaunchRefused(_("The deep linking request has no return address."), 400)
        if len(str(settings_claim)) > DEEP_LINK_SETTINGS_MAX:
            raise launch.LaunchRefused(_("The deep linking request's settings are too large."), 400)
        request.session[SESSION_DEEP_LINK] = {
            "course": course.pk,
            "deployment_id": data[launch.DEPLOYMENT],
            "settings": settings_claim,
        }
        return redirect("lti_deep_link")
    resource = launch.resource_link_for_launch(course=course, data=data)
    if resource is not None and resource.exercise_id is not None:
        return redirect("exercise", pk=resource.exercise_id)
    return redirect("lti_course", pk=course.classroom_id)


@instructor_required
@require_http_methods(["GET", "POST"])
def link_course(request: HttpRequest) -> HttpResponse:
    """A course's first instructor launch, when the instructor already teaches classes: link it to one of
    them (not linked yet), or to a new class named after the course."""
    pending = request.session.get(SESSION_PENDING_COURSE)
    platform = None
    if isinstance(pending, dict):
        platform = Platform.objects.filter(pk=pending.get("platform"), is_active=True).first()
    if platform is None:
        raise Http404("No course to link")
    data, deep_link = pending["data"], bool(pending.get("deep_link"))
    _context_id, title = launch.context_of(data)
    classes = list(launch.linkable_classrooms(request.user).order_by("-created_at")[:LINKABLE_CHOICES])
    error = None
    if request.method == "POST":
        choice = request.POST.get("classroom", "")
        chosen = next((classroom for classroom in classes if str(classroom.pk) == choice), None)
        if choice == "new" or chosen is not None:
            del request.session[SESSION_PENDING_COURSE]
            try:
                course = launch.course_for_launch(
                    platform=platform, data=data, instructor=request.user, classroom=chosen
                )
                return _instructor_continue(request, course, data, deep_link=deep_link)
            except Refused as exc:
                return _refused(request, exc.message, getattr(exc, "status", 400))
        error = _("Choose a new class or one of yours.")
    context = {"title": title, "platform": platform, "classes": classes, "error": error}
    return render(request, "lti/link_course.html", context, status=400 if error else 200)


def _learner_launch(request: HttpRequest, platform: Platform, data: dict[str, Any]) -> HttpResponse:
    course = launch.course_for_launch(platform=platform, data=data, instructor=None)
    student = launch.student_for_launch(course=course, data=data)
    resource = launch.resource_link_for_launch(course=course, data=data)
    auth_logout(request)  # an instructor signed in on this browser is signed out, as a personal link would not mix them
    student_login(request, student)
    services.student_seen(student=student)
    if resource is not None and resource.exercise_id is not None:
        seated = Seat.objects.filter(exercise_id=resource.exercise_id, student=student).exclude(
            exercise__state=Exercise.State.DRAFT
        )
        if seated.exists():
            return redirect("student_exercise", pk=resource.exercise_id)
    return redirect("student_home")


# Deep linking: the instructor picks an exercise of the course's class


@instructor_required
@require_http_methods(["GET", "POST"])
def deep_link(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(SESSION_DEEP_LINK)
    course = None
    if isinstance(pending, dict):
        course = (
            Course.objects.select_related("platform", "classroom")
            .filter(pk=pending.get("course"), classroom__instructors=request.user, platform__is_active=True)
            .first()
        )
    if course is None:
        raise Http404("No deep linking request")
    exercises = list(course.classroom.exercises.order_by("-created_at")[:DEEP_LINK_CHOICES])
    error = None
    if request.method == "POST":
        chosen = next((ex for ex in exercises if str(ex.pk) == request.POST.get("exercise", "")), None)
        if chosen is not None:
            return _deep_link_response(request, course, pending, chosen)
        error = _("Choose one of the class's exercises.")
    context = {"course": course, "exercises": exercises, "error": error}
    return render(request, "lti/deep_link.html", context, status=400 if error else 200)


def _deep_link_response(
    request: HttpRequest, course: Course, pending: dict[str, Any], exercise: Exercise
) -> HttpResponse:
    settings_claim = pending["settings"]
    try:
        registration = tool.registration_for(course.platform, signing=True)
    except tool.NoToolKey as exc:
        return _refused(request, str(exc), 503)
    resource = (
        DeepLinkResource()
        .set_url(request.build_absolute_uri(reverse("lti_launch")))
        .set_title(exercise.title)
        .set_custom_params({launch.EXERCISE_PARAM: str(exercise.pk)})
    )
    if course.lineitems_url and grades.LINEITEM_SCOPE in course.ags_scopes:
        resource.set_lineitem(
            LineItem()
            .set_label(exercise.title)
            .set_score_maximum(float(grades.DEFAULT_MAXIMUM))
            .set_resource_id(f"parley-exercise-{exercise.pk}")
            .set_tag("parley")
        )
    token = DeepLink(registration, pending["deployment_id"], settings_claim).get_response_jwt([resource])
    del request.session[SESSION_DEEP_LINK]
    Grading.objects.get_or_create(exercise=exercise, defaults={"language": get_language() or ""})
    return_url = settings_claim["deep_link_return_url"]
    response = render(
        request, "lti/deep_link_return.html", {"return_url": return_url, "jwt": token, "exercise": exercise}
    )
    parts = urlsplit(return_url)
    response.csp_form_action = f"{parts.scheme}://{parts.netloc}"  # type: ignore[attr-defined]  # config.headers reads it
    return response


# The instructor's page of a linked course


def _course_for(request: HttpRequest, pk: int) -> Course:
    classroom = classroom_for(request.user, pk)  # 404 to anyone not teaching the class
    course = Course.objects.select_related("platform").filter(classroom=classroom).first()
    if course is None:
        raise Http404("The class is not linked to a course")
    return course


@instructor_required
@require_GET
def course_page(request: HttpRequest, pk: int) -> HttpResponse:
    course = _course_for(request, pk)
    exercises = course.classroom.exercises.select_related("lti_grading").annotate(
        sent=Count("lti_scores", filter=Q(lti_scores__status=Score.Status.SENT)),
        waiting=Count("lti_scores", filter=Q(lti_scores__status=Score.Status.PENDING)),
        failed=Count("lti_scores", filter=Q(lti_scores__status=Score.Status.FAILED)),
    )
    failures = (
        Score.objects.filter(exercise__classroom=course.classroom, status=Score.Status.FAILED)
        .select_related("exercise", "learner__student")
        .order_by("exercise", "learner__student__display_name")[:100]
    )
    context = {
        "course": course,
        "classroom": course.classroom,
        "exercises": exercises,
        "rules": Grading.Rule.choices,
        "failures": failures,
        "learners": course.learners.filter(in_course=True).count(),
        "left": course.learners.filter(in_course=False).count(),
    }
    return render(request, "lti/course.html", context)


@instructor_required
@require_POST
def roster_sync_view(request: HttpRequest, pk: int) -> HttpResponse:
    course = _course_for(request, pk)
    try:
        summary = roster_sync(course=course)
    except PlatformError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Roster brought from the platform: %(summary)s") % {"summary": summary})
    return redirect("lti_course", pk=pk)


def _exercise_for(request: HttpRequest, pk: int, exercise_pk: int) -> Exercise:
    exercise = _course_for(request, pk).classroom.exercises.filter(pk=exercise_pk).first()
    if exercise is None:
        raise Http404("No such exercise")
    return exercise


@instructor_required
@require_POST
def grading_view(request: HttpRequest, pk: int, exercise_pk: int) -> HttpResponse:
    exercise = _exercise_for(request, pk, exercise_pk)
    rule = request.POST.get("rule", "")
    if rule not in Grading.Rule.values:
        messages.error(request, _("Choose one of the grade rules."))
        return redirect("lti_course", pk=pk)
    grades.grading_set(exercise=exercise, rule=rule, language=get_language() or "")
    messages.success(request, _("Grade rule of %(exercise)s saved.") % {"exercise": exercise.title})
    return redirect("lti_course", pk=pk)


@instructor_required
@require_POST
def scores_send_view(request: HttpRequest, pk: int, exercise_pk: int) -> HttpResponse:
    exercise = _exercise_for(request, pk, exercise_pk)
    grades.scores_compute(exercise_id=exercise.pk)
    counts = grades.scores_publish(exercise_id=exercise.pk, force=True)
    if counts["failed"]:
        messages.error(
            request,
            _("%(sent)s grades sent; %(failed)s could not be sent and are kept to be tried again.") % counts,
        )
    else:
        messages.success(request, _("%(sent)s grades sent.") % counts)
    return redirect("lti_course", pk=pk)
