"""A student who joined twice: merging the second record into the first. What the duplicate did (its
seats with their negotiations, its planning sheets, its survey answers, which belong to its seats, and
the surveys it skipped) moves to the student kept; the duplicate and its personal link go. Refused, with
the reason, where a merge would lose a negotiation: both seated in the same exercise. The preview says
the same as the merge does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

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


def _plural(count: int, thing: str) -> str:
    return f"{count} {thing}{'' if count == 1 else 's'}"


def _students(classroom: Classroom, keep_id: int, duplicate_id: int) -> tuple[Student, Student]:
    found = {s.pk: s for s in classroom.students.filter(pk__in=[keep_id, duplicate_id])}
    for name, pk in (("keep", keep_id), ("merge", duplicate_id)):
        if pk not in found:
            raise Refused(f"No student {pk} in this class.", name)
    if keep_id == duplicate_id:
        raise Refused("Choose two different students: the one to keep and the one who joined twice.", "merge")
    return found[keep_id], found[duplicate_id]


def _clash(keep: Student, duplicate: Student) -> str | None:
    """Why the two cannot be merged, or None: a seat each in one exercise would leave two seats to one
    student, so one negotiation would be lost."""
    mine = {s.exercise_id: s for s in Seat.objects.filter(student=keep).select_related("exercise", "negotiation")}
    for seat in Seat.objects.filter(student=duplicate, exercise_id__in=mine).select_related("negotiation"):
        theirs, exercise = mine[seat.exercise_id], mine[seat.exercise_id].exercise
        a, b = theirs.negotiation.number, seat.negotiation.number
        both = (
            f"{keep.display_name} and {duplicate.display_name} are both seated in “{exercise.title}” "
            f"({f'pair {a}' if a == b else f'pairs {a} and {b}'})"
        )
        if exercise.state == Exercise.State.DRAFT:
            return f"{both}: pair the class again without one of them, then merge."
        if exercise.state == Exercise.State.ENDED:
            return f"{both}, and both negotiated: a merge would lose one of the negotiations."
        return f"{both}, which is running: a merge would take one of them out of their pair."
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
            f"pair {s.negotiation.number} of “{s.exercise.title}” ({s.exercise.get_state_display().lower()})"
            for s in seats
        )
        merge.effects.append(f"Moves {_plural(len(seats), 'seat')} to {keep.display_name}: {where}.")
    kept_sheets = set(PlanningSheet.objects.filter(student=keep).values_list("exercise_id", flat=True))
    sheets = list(PlanningSheet.objects.filter(student=duplicate).select_related("exercise"))
    moved = [s for s in sheets if s.exercise_id not in kept_sheets]
    lost = [s for s in sheets if s.exercise_id in kept_sheets]
    if moved:
        merge.effects.append(f"Moves {_plural(len(moved), 'planning sheet')}.")
    for sheet in lost:
        merge.effects.append(
            f"Loses {duplicate.display_name}'s planning sheet for “{sheet.exercise.title}”: "
            f"{keep.display_name} has one of their own there, which is kept."
        )
    # Survey answers belong to a seat (surveys.models.SurveyResponse) and move with it.
    responses = duplicate.survey_responses.all()
    if responses:
        answers = sum(response.answers.count() for response in responses)
        merge.effects.append(
            f"Moves {_plural(len(responses), 'survey response')} ({_plural(answers, 'answer')}) with their seats."
        )
    # A skip closes the survey before the results (surveys.services): it moves too, or the survey would
    # open again to a student who has seen their results.
    skips = duplicate.survey_skips.count()
    if skips:
        merge.effects.append(
            f"Moves {_plural(skips, 'skipped survey')}: the survey stays closed to {keep.display_name} there."
        )
    if not merge.effects:
        merge.effects.append(f"{duplicate.display_name} has no seat, planning sheet or survey answer to move.")
    merge.effects.append(
        f"Removes {duplicate.display_name} from the class: their personal link stops working and their open "
        f"pages are signed out. {keep.display_name} keeps their name, email, student id and link."
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
