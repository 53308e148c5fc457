"""A student who joined twice: merging the second record into the first. What the duplicate did (its
seats with their negotiations, its planning sheets, its survey answers, which belong to its seats, and
the surveys it skipped) moves to the student kept; the duplicate and its personal link go. Refused, with
the reason, where a merge would lose a negotiation: both seated in the same exercise. The preview says
the same as the merge does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext, ngettext, pgettext, pgettext_lazy

from classrooms.models import Classroom, Exercise, PlanningSheet, Student
from classrooms.signals import students_merged
from core.refusal import Refused
from negotiations.models import Seat
from negotiations.publishing import student_sockets_close


@dataclass
class Merge:
    keep: Student
    duplicate: Student
    effects: list[str] = field(default_factory=list)


# An exercise's state, in parentheses after its title.
STATES = {
    Exercise.State.DRAFT: pgettext_lazy("an exercise, in parentheses", "draft"),
    Exercise.State.RELEASED: pgettext_lazy("an exercise, in parentheses", "roles released"),
    Exercise.State.LIVE: pgettext_lazy("an exercise, in parentheses", "live"),
    Exercise.State.ENDED: pgettext_lazy("an exercise, in parentheses", "ended"),
}


def _students(classroom: Classroom, keep_id: int, duplicate_id: int) -> tuple[Student, Student]:
    found = {s.pk: s for s in classroom.students.filter(pk__in=[keep_id, duplicate_id])}
    for name, pk in (("keep", keep_id), ("merge", duplicate_id)):
        if pk not in found:
            raise Refused(gettext("No student %(id)s in this class.") % {"id": pk}, name)
    if keep_id == duplicate_id:
        raise Refused(gettext("Choose two different students: the one to keep and the one who joined twice."), "merge")
    return found[keep_id], found[duplicate_id]


def _clash(keep: Student, duplicate: Student) -> str | None:
    """Why the two cannot be merged, or None: a seat each in one exercise would leave two seats to one
    student, so one negotiation would be lost."""
    mine = {s.exercise_id: s for s in Seat.objects.filter(student=keep).select_related("exercise", "negotiation")}
    for seat in Seat.objects.filter(student=duplicate, exercise_id__in=mine).select_related("negotiation"):
        theirs, exercise = mine[seat.exercise_id], mine[seat.exercise_id].exercise
        a, b = theirs.negotiation.number, seat.negotiation.number
        pairs = (pgettext("seated in", "pair %(a)s") if a == b else pgettext("seated in", "pairs %(a)s and %(b)s")) % {
            "a": a,
            "b": b,
        }
        if exercise.state == Exercise.State.DRAFT:
            text = gettext(
                "%(keep)s and %(duplicate)s are both seated in “%(exercise)s” (%(pairs)s): pair the class again "
                "without one of them, then merge."
            )
        elif exercise.state == Exercise.State.ENDED:
            text = gettext(
                "%(keep)s and %(duplicate)s are both seated in “%(exercise)s” (%(pairs)s), and both negotiated: a "
                "merge would lose one of the negotiations."
            )
        else:
            text = gettext(
                "%(keep)s and %(duplicate)s are both seated in “%(exercise)s” (%(pairs)s), which is running: a merge "
                "would take one of them out of their pair."
            )
        return text % {
            "keep": keep.display_name,
            "duplicate": duplicate.display_name,
            "exercise": exercise.title,
            "pairs": pairs,
        }
    return None


def student_merge_preview(*, classroom: Classroom, keep_id: int, duplicate_id: int) -> Merge:
    """What merging `duplicate_id` into `keep_id` would do, in sentences with their numbers; raises
    Refused with the reason when it cannot be done."""
    keep, duplicate = _students(classroom, keep_id, duplicate_id)
    clash = _clash(keep, duplicate)
    if clash:
        raise Refused(clash)
    merge = Merge(keep, duplicate)
    seats = list(Seat.objects.filter(student=duplicate).select_related("exercise", "negotiation"))
    if seats:
        where = "; ".join(
            gettext("pair %(number)s of “%(exercise)s” (%(state)s)")
            % {"number": s.negotiation.number, "exercise": s.exercise.title, "state": STATES[s.exercise.state]}
            for s in seats
        )
        merge.effects.append(
            ngettext(
                "Moves %(count)s seat to %(name)s: %(where)s.",
                "Moves %(count)s seats to %(name)s: %(where)s.",
                len(seats),
            )
            % {"count": len(seats), "name": keep.display_name, "where": where}
        )
    kept_sheets = set(PlanningSheet.objects.filter(student=keep).values_list("exercise_id", flat=True))
    sheets = list(PlanningSheet.objects.filter(student=duplicate).select_related("exercise"))
    moved = [s for s in sheets if s.exercise_id not in kept_sheets]
    lost = [s for s in sheets if s.exercise_id in kept_sheets]
    if moved:
        merge.effects.append(
            ngettext("Moves %(count)s planning sheet.", "Moves %(count)s planning sheets.", len(moved))
            % {"count": len(moved)}
        )
    for sheet in lost:
        merge.effects.append(
            gettext(
                "Loses %(duplicate)s's planning sheet for “%(exercise)s”: %(keep)s has one of their own there, "
                "which is kept."
            )
            % {"duplicate": duplicate.display_name, "exercise": sheet.exercise.title, "keep": keep.display_name}
        )
    # Survey answers belong to a seat (surveys.models.SurveyResponse) and move with it.
    responses = duplicate.survey_responses.all()
    if responses:
        answers = sum(response.answers.count() for response in responses)
        merge.effects.append(
            ngettext(
                "Moves %(count)s survey response (%(answers)s) with their seats.",
                "Moves %(count)s survey responses (%(answers)s) with their seats.",
                len(responses),
            )
            % {
                "count": len(responses),
                "answers": ngettext("%(count)s answer", "%(count)s answers", answers) % {"count": answers},
            }
        )
    # A skip closes the survey before the results (surveys.services): it moves too, or the survey would
    # open again to a student who has seen their results.
    skips = duplicate.survey_skips.count()
    if skips:
        merge.effects.append(
            ngettext(
                "Moves %(count)s skipped survey: the survey stays closed to %(name)s there.",
                "Moves %(count)s skipped surveys: the survey stays closed to %(name)s there.",
                skips,
            )
            % {"count": skips, "name": keep.display_name}
        )
    if not merge.effects:
        merge.effects.append(
            gettext("%(name)s has no seat, planning sheet or survey answer to move.") % {"name": duplicate.display_name}
        )
    merge.effects.append(
        gettext(
            "Removes %(duplicate)s from the class: their personal link stops working and their open pages are "
            "signed out. %(keep)s keeps their name, email, student id and link."
        )
        % {"duplicate": duplicate.display_name, "keep": keep.display_name}
    )
    return merge


def student_merge(*, classroom: Classroom, keep_id: int, duplicate_id: int) -> Merge:
    """Merge a student who joined twice into the record kept: see student_merge_preview for what moves."""
    with transaction.atomic():
        Classroom.objects.select_for_update().get(pk=classroom.pk)  # one merge of a class at a time
        merge = student_merge_preview(classroom=classroom, keep_id=keep_id, duplicate_id=duplicate_id)
        keep, duplicate = merge.keep, merge.duplicate
        Seat.objects.filter(student=duplicate).update(student=keep)
        kept_sheets = PlanningSheet.objects.filter(student=keep).values_list("exercise_id", flat=True)
        PlanningSheet.objects.filter(student=duplicate).exclude(exercise_id__in=list(kept_sheets)).update(student=keep)
        duplicate.survey_responses.update(student=keep)
        duplicate.survey_skips.update(student=keep)  # never one in an exercise of keep's: _clash refused that
        student_sockets_close(student_id=duplicate.pk)
        students_merged.send(sender=Student, keep_id=keep.pk, duplicate_id=duplicate.pk)
        duplicate.delete()
        return merge
