"""Every write to courses: a course groups classes (its sections) to compare them side by side (the comparison
itself is reports.course_pages).

A course has an owner and co-instructors, as a class has. A class is a section of one course at most, and
only an instructor of both the class and the course puts it in: nobody adds a class they do not teach, or
adds to a course they do not run. The class's instructor or the course's owner takes it out again. A
refused action raises core.refusal.Refused; nothing is written then.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from classrooms.models import Classroom, Course, CourseInvitation, User
from classrooms.services import invitation_answer, invitation_make
from core.refusal import Refused

# A course's page draws every pair of every section, and an instructor's courses are listed on each visit
# to the dashboard: both are bounded.
MAX_COURSE_SECTIONS = 12
MAX_COURSES = 100


def course_create(*, owner: User, name: str, term: str = "") -> Course:
    name, term = name.strip(), term.strip()
    if not name:
        raise Refused(_("Give the course a name."), "name")
    if len(name) > 120 or len(term) > 60:
        raise Refused(_("The name may have 120 characters and the term 60."), "name")
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=owner.pk).first()  # courses made at once are counted in turn
        if Course.objects.filter(owner=owner).count() >= MAX_COURSES:
            raise Refused(
                _("You own %(count)d courses, the most an instructor can; delete one you no longer need.")
                % {"count": MAX_COURSES}
            )
        course = Course.objects.create(owner=owner, name=name, term=term)
        course.instructors.add(owner)
    return course


def course_delete(*, course: Course, user: User) -> None:
    """Only the owner deletes a course; its classes stay, sections of no course."""
    if course.owner_id != user.pk:
        raise Refused(_("Only the course's owner can delete it."))
    course.delete()


def section_add(*, course: Course, classroom: Classroom, user: User) -> None:
    """Make the class a section of the course. The caller has looked both up as this user's (404 otherwise);
    that is checked again here, then the count of the course's sections under its row lock."""
    if not classroom.instructors.filter(pk=user.pk).exists() or not course.instructors.filter(pk=user.pk).exists():
        raise Refused(_("You can only add a class you teach to a course you run."), "class_id")
    with transaction.atomic():
        Course.objects.select_for_update().filter(pk=course.pk).first()
        if classroom.course_id == course.pk:
            raise Refused(_("%(name)s is already a section of this course.") % {"name": classroom.name}, "class_id")
        held = course.sections.count()
        if held >= MAX_COURSE_SECTIONS:
            raise Refused(
                _("This course has %(count)d sections, the most a course can hold.") % {"count": held}, "class_id"
            )
        # One statement: of two courses adding the class at once, one wins and the other is refused.
        if not Classroom.objects.filter(pk=classroom.pk, course__isnull=True).update(course=course):
            raise Refused(
                _("%(name)s is already a section of another course; take it out of that course first.")
                % {"name": classroom.name},
                "class_id",
            )
    classroom.course = course


def section_remove(*, course: Course, classroom: Classroom, user: User) -> None:
    """Take the class out of the course: its own instructors may, and so may the course's owner."""
    if classroom.course_id != course.pk:
        raise Refused(_("%(name)s is not a section of this course.") % {"name": classroom.name}, "class_id")
    if course.owner_id != user.pk and not classroom.instructors.filter(pk=user.pk).exists():
        raise Refused(_("Only the class's instructors or the course's owner can take it out of the course."))
    Classroom.objects.filter(pk=classroom.pk, course=course).update(course=None)
    classroom.course = None


def section_leave(*, classroom: Classroom, user: User) -> None:
    """Take the class out of whatever course it is a section of: for its instructors, who may not run that
    course (a co-instructor of the class may have put it in their own)."""
    if classroom.course_id is None:
        raise Refused(_("%(name)s is a section of no course.") % {"name": classroom.name})
    section_remove(course=classroom.course, classroom=classroom, user=user)


def course_coinstructor_invite(*, course: Course, email: str, invited_by: User) -> CourseInvitation:
    """Invite a verified instructor to co-teach the course; they get no access until they accept it. A
    co-instructor sees the course and, of its sections, only those they teach themselves."""
    already = _("%(email)s already runs this course.")
    invitation: CourseInvitation = invitation_make(
        CourseInvitation, "course", course, email=email, invited_by=invited_by, already=already
    )
    return invitation


def course_invitation_answer(*, user: User, invitation_id: int, accept: bool) -> Course:
    """The invited instructor accepts (and becomes an instructor of the course) or declines; either way the
    invitation is gone. Nobody else can answer it."""
    return invitation_answer(CourseInvitation, "course", user=user, invitation_id=invitation_id, accept=accept)
