"""The planning sheet a negotiator fills before and during the round (BATNA, reservation value, target,
priorities, the partner's priorities as the student guesses them, notes): who may edit it now, and saving it."""

from __future__ import annotations

from collections import defaultdict

from django.utils import timezone
from django.utils.translation import gettext

from classrooms.models import Exercise, PlanningSheet, Student
from core.metrics import PartnerGuess, partner_guess
from core.refusal import Refused
from negotiations.debrief import landscape_for
from negotiations.models import Negotiation, Seat
from negotiations.publishing import seat_announce
from scenarios.services import version_spec


def seat_sheet_opened(*, seat: Seat) -> None:
    """The student has their role sheet in front of them: noted the first time, and the monitor told."""
    if seat.sheet_opened_at is None and Seat.objects.filter(pk=seat.pk, sheet_opened_at=None).update(
        sheet_opened_at=timezone.now()
    ):
        seat_announce(seat_id=seat.pk)


def planning_refusal(*, exercise: Exercise, seat: Seat) -> str | None:
    """Why this seat may not edit its planning sheet now, or None when it may."""
    if seat.kind != Seat.Kind.STUDENT:
        return gettext("Observers watch and take notes; the planning sheet belongs to the negotiators.")
    if exercise.state == Exercise.State.ENDED or seat.negotiation.status in (
        Negotiation.Status.AGREED,
        Negotiation.Status.IMPASSE,
    ):
        return gettext("The negotiation has ended; the planning sheet can no longer be changed.")
    return None


def planning_sheet_save(
    *,
    exercise: Exercise,
    student: Student,
    batna=None,
    reservation_value=None,
    target=None,
    priorities: list[str] | None = None,
    partner_priorities: list[str] | None = None,
    notes: str = "",
) -> PlanningSheet:
    """Save the student's sheet. Each ranking is empty or ranks every issue once; a bad one is refused
    and nothing is saved."""
    seat = Seat.objects.select_related("negotiation").filter(exercise=exercise, student=student).first()
    if seat is None:
        raise Refused(gettext("You have no seat in this exercise."))
    refusal = planning_refusal(exercise=exercise, seat=seat)
    if refusal:
        raise Refused(refusal)
    issue_keys = [issue.key for issue in version_spec(exercise.scenario_version).issues]
    priorities = list(priorities or [])
    partner_priorities = list(partner_priorities or [])
    for field, ranking in (("priorities", priorities), ("partner_priorities", partner_priorities)):
        if ranking and sorted(ranking) != sorted(issue_keys):
            raise Refused(gettext("Rank every issue once."), field)
    sheet, _ = PlanningSheet.objects.update_or_create(
        exercise=exercise,
        student=student,
        defaults={
            "batna": batna,
            "reservation_value": reservation_value,
            "target": target,
            "priorities": priorities,
            "partner_priorities": partner_priorities,
            "notes": notes,
        },
    )
    seat_announce(seat_id=seat.pk)
    return sheet


def planning_guesses(*, exercise: Exercise) -> list[tuple[Seat, PlanningSheet, PartnerGuess]]:
    """Every negotiator who ranked the partner's priorities, with their sheet and the guess scored
    against both roles' true rankings (core.metrics.perception), in pair and role order."""
    land = landscape_for(exercise.scenario_version)
    sheets = {
        sheet.student_id: sheet for sheet in PlanningSheet.objects.filter(exercise=exercise) if sheet.partner_priorities
    }
    seats = (
        Seat.objects.filter(exercise=exercise, kind=Seat.Kind.STUDENT, student_id__in=list(sheets))
        .select_related("student", "negotiation")
        .order_by("negotiation__number", "pk")
    )
    order = {role: i for i, role in enumerate(land.roles)}
    guesses = []
    for seat in sorted(seats, key=lambda s: (s.negotiation.number, order.get(s.role_key, 2))):
        sheet = sheets[seat.student_id]
        try:
            guess = partner_guess(land, seat.role_key, sheet.partner_priorities)
        except ValueError:
            continue  # ranked against issues the scenario does not have: nothing to score
        guesses.append((seat, sheet, guess))
    return guesses


def fixed_pie_guesses(exercises: list[Exercise]) -> dict[int, dict[int, float | None]]:
    """Each negotiator's fixed-pie guess (`PartnerGuess.fixed_pie`, as planning_guesses scores it), by
    exercise id and student id, for several exercises (a series' rounds) in two queries."""
    by_id = {exercise.pk: exercise for exercise in exercises}
    sheets = PlanningSheet.objects.filter(exercise_id__in=list(by_id)).values_list(
        "exercise_id", "student_id", "partner_priorities"
    )
    ranked = {(exercise_id, student_id): ranking for exercise_id, student_id, ranking in sheets if ranking}
    found: dict[int, dict[int, float | None]] = defaultdict(dict)
    if not ranked:
        return found
    seats = Seat.objects.filter(
        exercise_id__in=list(by_id), kind=Seat.Kind.STUDENT, student_id__in={student for _, student in ranked}
    ).values_list("exercise_id", "student_id", "role_key")
    for exercise_id, student_id, role in seats:
        ranking = ranked.get((exercise_id, student_id))
        if ranking is None:
            continue
        try:
            guess = partner_guess(landscape_for(by_id[exercise_id].scenario_version), role, ranking)
        except ValueError:
            continue  # ranked against issues the scenario does not have: nothing to score
        found[exercise_id][student_id] = guess.fixed_pie
    return found
