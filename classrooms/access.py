"""Who may see what. Every page and API call looks its objects up through these helpers, so that
an outsider gets 404 and learns nothing of what exists."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from classrooms.models import Classroom, Course, Exercise, Student, User
from scenarios.access import is_verified_instructor

SESSION_STUDENT = "parley_student"
SESSION_NONCE = "parley_student_nonce"
# Set when a student signs in where another was signed in (a class code or a personal link): the next page
# the browser opens tells it to drop the tab's drafts (static/js/forms.js), so the next person at a shared
# computer finds none of the last one's. A course's launch (lti/views.py) starts from a new session, so
# there it is never set.
SESSION_FORGET_DRAFTS = "parley_forget_drafts"


def instructor_classrooms(user: User):
    """The classes an instructor runs: none until the account is verified (scenarios.access)."""
    if not is_verified_instructor(user):
        return Classroom.objects.none()
    return Classroom.objects.filter(instructors=user)


def classroom_for(user: User, pk: int) -> Classroom:
    classroom = instructor_classrooms(user).filter(pk=pk).first()
    if classroom is None:
        raise Http404("No such class")
    return classroom


def instructor_courses(user: User):
    """The courses an instructor runs (owner or co-instructor): none until the account is verified."""
    if not is_verified_instructor(user):
        return Course.objects.none()
    return Course.objects.filter(instructors=user)


def course_for(user: User, pk: int) -> Course:
    course = instructor_courses(user).filter(pk=pk).first()
    if course is None:
        raise Http404("No such course")
    return course


def course_sections_for(user: User, course: Course):
    """The sections of a course that this instructor teaches: the only ones whose results they see (a
    co-instructor of the course who does not teach a section sees nothing of it but that it exists)."""
    return instructor_classrooms(user).filter(course=course).order_by("name", "pk")


def exercise_for(user: User, pk: int) -> Exercise:
    if not is_verified_instructor(user):
        raise Http404("No such exercise")
    exercise = (
        Exercise.objects.select_related("classroom", "scenario_version__scenario")
        .filter(pk=pk, classroom__instructors=user)
        .first()
    )
    if exercise is None:
        raise Http404("No such exercise")
    return exercise


def student_login(request: HttpRequest, student: Student) -> None:
    previous = request.session.get(SESSION_STUDENT)
    request.session.cycle_key()
    request.session[SESSION_STUDENT] = student.pk
    request.session[SESSION_NONCE] = student.link_nonce
    if previous is not None and previous != student.pk:
        request.session[SESSION_FORGET_DRAFTS] = True


def forget_drafts_now(request: HttpRequest) -> bool:
    """Whether this page is the first the browser opens since another student was signed out here; asking
    answers once. A page a script fetches (the notices' refresh: browsers send Sec-Fetch-Dest "empty" over
    HTTPS and to localhost) neither shows the answer nor spends it."""
    if request.headers.get("Sec-Fetch-Dest", "document") != "document":
        return False
    return bool(request.session.pop(SESSION_FORGET_DRAFTS, False))


def student_logout(request: HttpRequest) -> None:
    request.session.pop(SESSION_STUDENT, None)
    request.session.pop(SESSION_NONCE, None)


def current_student(request: HttpRequest) -> Student | None:
    """The student signed in on this session; a revoked or re-issued link signs every device out."""
    cached = getattr(request, "_parley_student", False)
    if cached is not False:
        return cached
    student = None
    pk = request.session.get(SESSION_STUDENT)
    if pk is not None:
        student = Student.objects.select_related("classroom").filter(pk=pk).first()
        if student is None or not student.link_nonce or student.link_nonce != request.session.get(SESSION_NONCE):
            student_logout(request)
            student = None
    request._parley_student = student  # type: ignore[attr-defined]
    return student


def student_required(view: Callable[..., HttpResponse] | None = None, *, anonymous: str = "join"):  # type: ignore[no-untyped-def]
    """Pass the signed-in student to the view. Without one: to /join, or (anonymous="404") not found,
    so that a page about one exercise tells a stranger nothing about it."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            student = current_student(request)
            if student is None:
                if anonymous == "404":
                    raise Http404("No such exercise")
                return redirect(f"/join?{REDIRECT_FIELD_NAME}={request.path}")
            return view(request, student, *args, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate
