"""What a validated LTI launch does: who it signs in, which Parley class its course is linked to, which
exercise its resource link opens. The launch's token has been checked (signature, issuer, audience,
deployment, expiry, nonce, state: lti.tool) before anything here runs.

A platform reaches only what its own launches linked: a course is found by (platform, context id), a
student by (course, user id), an instructor by (platform, user id). A refusal raises LaunchRefused with
a message for the person and the HTTP status of the page that shows it; nothing is written then.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from classrooms import accounts, services
from classrooms.access import instructor_classrooms
from classrooms.models import Classroom, Exercise, Student, User
from core.refusal import Refused
from lti.models import Course, Instructor, Learner, Platform, ResourceLink

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
ROLES = CLAIM + "roles"
CONTEXT = CLAIM + "context"
RESOURCE_LINK = CLAIM + "resource_link"
CUSTOM = CLAIM + "custom"
DEPLOYMENT = CLAIM + "deployment_id"
MESSAGE_TYPE = CLAIM + "message_type"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
DEEP_LINKING = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
INSTRUCTOR_ROLES = {MEMBERSHIP + "Instructor", "Instructor"}
LEARNER_ROLES = {MEMBERSHIP + "Learner", "Learner"}
EXERCISE_PARAM = "parley_exercise"  # the custom parameter a deep link places: the exercise's id


class LaunchRefused(Refused):
    def __init__(self, message: str, status: int = 403) -> None:
        super().__init__(message, code="lti_refused")
        self.status = status


def _text(value: Any, limit: int) -> str:
    return " ".join(value.split())[:limit] if isinstance(value, str) else ""


def platform_url(value: Any) -> str:
    """An http(s) URL from a claim, at most 500 characters, else empty."""
    return value if isinstance(value, str) and value.startswith(("https://", "http://")) and len(value) <= 500 else ""


def role_of(roles: Any) -> str | None:
    """ "instructor" when the platform says the person teaches this course, "learner" when they study in it,
    else None. An instructor who is also listed as a learner is an instructor."""
    roles = set(roles) if isinstance(roles, list) else set()
    if roles & INSTRUCTOR_ROLES:
        return "instructor"
    if roles & LEARNER_ROLES:
        return "learner"
    return None


def person_name(data: dict[str, Any]) -> str:
    name = _text(data.get("name"), 80)
    if not name:
        name = _text(f"{data.get('given_name') or ''} {data.get('family_name') or ''}", 80)
    if not name:
        name = _text(data.get("email"), 254).partition("@")[0][:80]
    return name or _("Student")


def email_of(data: dict[str, Any]) -> str:
    email = _text(data.get("email"), 254).lower()
    if not email:
        return ""
    try:
        services.validate_mail_address(email)
    except ValidationError:
        return ""
    return email


@dataclass
class LaunchUser:
    platform: Platform
    user_id: str
    role: str | None


def launch_user(*, platform: Platform, data: dict[str, Any]) -> LaunchUser:
    user_id = data.get("sub")
    if not isinstance(user_id, str) or not user_id or len(user_id) > 255:
        raise LaunchRefused(_("The launch does not say who you are (its user id is missing)."), 400)
    return LaunchUser(platform=platform, user_id=user_id, role=role_of(data.get(ROLES)))


# Instructors


def instructor_for_launch(*, platform: Platform, data: dict[str, Any]) -> User:
    """The Parley account of the platform's instructor: the one linked to their platform user id, else the
    account of their email address (only when the platform vouches for its instructors: otherwise an
    address the platform asserts could take over someone's account), else a new one. A platform that
    vouches for its instructors verifies the account (docs/operations.md, "Who may see a confidential
    sheet")."""
    who = launch_user(platform=platform, data=data)
    with transaction.atomic():
        link = Instructor.objects.select_related("user").filter(platform=platform, platform_user_id=who.user_id).first()
        if link is not None:
            user = link.user
        else:
            email = email_of(data)
            if not email:
                raise LaunchRefused(
                    _(
                        "The platform sent no email address for you. Ask its administrator to share the "
                        "email address with Parley (docs/lms.md), then open Parley again."
                    ),
                    400,
                )
            user = User.objects.filter(email__iexact=email).first()
            if user is not None and not platform.trusts_instructors:
                raise LaunchRefused(
                    _(
                        "A Parley account with your email address exists already. This platform is not trusted "
                        "to sign it in: ask a Parley administrator to link the account."
                    )
                )
            if user is None:
                user = accounts.instructor_create(
                    email=email,
                    password=None,
                    first_name=_text(data.get("given_name"), 150),
                    last_name=_text(data.get("family_name"), 150),
                    verified=platform.trusts_instructors,
                )
            link, _created = Instructor.objects.get_or_create(
                platform=platform, platform_user_id=who.user_id, defaults={"user": user}
            )
            user = link.user
        if user.is_staff or user.is_superuser:
            raise LaunchRefused(
                _(
                    "The Parley account with your email address is an administrator's: it is never signed in "
                    "from a platform. Log in to Parley with its password."
                )
            )
        if not user.is_active:
            raise LaunchRefused(_("This Parley account is disabled."))
        if platform.trusts_instructors:
            accounts.instructor_mark_verified(user=user)
    return user


# Courses


def _course_services(course: Course, data: dict[str, Any]) -> None:
    nrps = data.get(NRPS) if isinstance(data.get(NRPS), dict) else {}
    ags = data.get(AGS) if isinstance(data.get(AGS), dict) else {}
    course.memberships_url = platform_url(nrps.get("context_memberships_url")) or course.memberships_url
    course.lineitems_url = platform_url(ags.get("lineitems")) or course.lineitems_url
    scopes = ags.get("scope")
    if isinstance(scopes, list) and all(isinstance(scope, str) for scope in scopes):
        course.ags_scopes = [scope[:200] for scope in scopes[:10]]


def context_of(data: dict[str, Any]) -> tuple[str, str]:
    """The launch's course: its id on the platform and its title."""
    context = data.get(CONTEXT) if isinstance(data.get(CONTEXT), dict) else {}
    context_id = context.get("id")
    if not isinstance(context_id, str) or not context_id or len(context_id) > 255:
        raise LaunchRefused(_("The launch names no course: open Parley from a course of the platform."), 400)
    return context_id, _text(context.get("title"), 255) or _text(context.get("label"), 255)


def course_linked(*, platform: Platform, data: dict[str, Any]) -> Course | None:
    return Course.objects.filter(platform=platform, context_id=context_of(data)[0]).first()


def linkable_classrooms(user: User) -> QuerySet[Classroom]:
    """The classes an instructor may link a course to: theirs, not linked to a course yet."""
    return instructor_classrooms(user).filter(lti_course__isnull=True)


def course_for_launch(
    *, platform: Platform, data: dict[str, Any], instructor: User | None, classroom: Classroom | None = None
) -> Course:
    """The Parley class of the launch's course. An instructor's first launch from a course links it to
    `classroom` (one of linkable_classrooms, which the instructor chose), or to a new class, theirs, named
    after the course; later instructors of the course become its co-instructors. A learner reaches only a
    course already linked."""
    context_id, title = context_of(data)
    deployment = _text(data.get(DEPLOYMENT), 255)
    with transaction.atomic():
        course = (
            Course.objects.select_related("classroom")
            .select_for_update()
            .filter(platform=platform, context_id=context_id)
            .first()
        )
        if course is None:
            if instructor is None:
                raise LaunchRefused(
                    _(
                        "Parley is not set up for this course yet: your instructor opens it from the course "
                        "once, then you can."
                    ),
                    404,
                )
            made = classroom is None
            if classroom is None:
                classroom = services.classroom_create(owner=instructor, name=(title or _("Course"))[:120])
            elif not linkable_classrooms(instructor).filter(pk=classroom.pk).exists():
                raise LaunchRefused(_("That class is not yours to link, or it is linked to a course already."))
            try:
                with transaction.atomic():
                    course = Course.objects.create(
                        platform=platform, context_id=context_id, classroom=classroom, deployment_id=deployment
                    )
            except IntegrityError:  # another launch linked the course, or the class, at this moment
                if made:
                    classroom.delete()
                course = (
                    Course.objects.select_related("classroom").filter(platform=platform, context_id=context_id).first()
                )
                if course is None:
                    raise LaunchRefused(_("That class was linked to another course at this moment.")) from None
        elif instructor is not None:
            course.classroom.instructors.add(instructor)
        course.title = title or course.title
        course.deployment_id = deployment or course.deployment_id
        _course_services(course, data)
        course.save()
    return course


def resource_link_for_launch(*, course: Course, data: dict[str, Any]) -> ResourceLink | None:
    """The launch's resource link, recorded with its line item; its exercise is the one its deep link placed
    (a custom parameter), and only an exercise of the course's own class."""
    link = data.get(RESOURCE_LINK) if isinstance(data.get(RESOURCE_LINK), dict) else {}
    link_id = link.get("id")
    if not isinstance(link_id, str) or not link_id or len(link_id) > 255:
        return None
    resource, _created = ResourceLink.objects.get_or_create(course=course, resource_link_id=link_id)
    resource.title = _text(link.get("title"), 255) or resource.title
    ags = data.get(AGS) if isinstance(data.get(AGS), dict) else {}
    resource.lineitem_url = platform_url(ags.get("lineitem")) or resource.lineitem_url
    custom = data.get(CUSTOM) if isinstance(data.get(CUSTOM), dict) else {}
    wanted = str(custom.get(EXERCISE_PARAM, ""))
    if wanted.isdigit() and len(wanted) <= 18 and resource.exercise_id is None:
        resource.exercise = Exercise.objects.filter(pk=int(wanted), classroom=course.classroom).first()
    resource.save()
    return resource


# Learners


def learner_student(*, course: Course, user_id: str, email: str, name: str) -> tuple[Student, str]:
    """The class's student for the platform's learner, and how they were found: "linked" (by their user id),
    "matched" (a student of the class with their email address, not yet linked to anyone), or "created".
    Never a second student for one person: the user id is unique in the course."""
    with transaction.atomic():
        Course.objects.select_for_update().filter(pk=course.pk).first()  # one launch or roster of the course at once
        learner = Learner.objects.select_related("student").filter(course=course, platform_user_id=user_id).first()
        if learner is not None:
            if not learner.in_course:
                Learner.objects.filter(pk=learner.pk).update(in_course=True)
            return learner.student, "linked"
        classroom = course.classroom
        student = None
        if email:
            student = classroom.students.filter(email=email).first()
            if student is not None and Learner.objects.filter(student=student).exists():
                raise LaunchRefused(
                    _("Another person of the course already has this email address in the class: ask your instructor.")
                )
        how = "matched"
        if student is None:
            student = services.student_add(classroom=classroom, display_name=name, email=email)
            how = "created"
        Learner.objects.create(course=course, platform_user_id=user_id, student=student)
    return student, how


def student_for_launch(*, course: Course, data: dict[str, Any]) -> Student:
    who = launch_user(platform=course.platform, data=data)
    student, _how = learner_student(course=course, user_id=who.user_id, email=email_of(data), name=person_name(data))
    if not student.link_nonce:
        raise LaunchRefused(_("Your instructor has withdrawn your access to this class: ask them for it."))
    return student


def learner_on_merge(sender: Any, *, keep_id: int, duplicate_id: int, **kwargs: Any) -> None:
    """classrooms' students_merged: the duplicate's platform identity (and the grades kept for it) moves to
    the record kept, unless that one has its own, so that the platform's next launch finds the student kept
    rather than adding them again."""
    if not Learner.objects.filter(student_id=keep_id).exists():
        Learner.objects.filter(student_id=duplicate_id).update(student_id=keep_id)
