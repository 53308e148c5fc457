"""Rounds: an ended exercise followed by another round of a series, on the same scenario version or
another, paired from the round before it (core.pairing.plan_next_round: new partners, roles switched,
or pairs kept) among the students present, new arrivals too. The new round is a draft exercise with its
pairing previewed: the instructor may swap, pair again (by the same mode) and release it as any other.

A series is its first round and the rounds that name it (Exercise.series); a round follows only the
series' latest round, once that has ended, and a series holds at most MAX_ROUNDS rounds.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from classrooms.models import Exercise, User
from classrooms.services import exercise_create
from core.refusal import Refused
from negotiations import rounds
from scenarios.models import ScenarioVersion

MAX_ROUNDS = 20  # rounds of one series


def series_id(exercise: Exercise) -> int:
    """The series' id: its first round's."""
    return exercise.series_id or exercise.pk


def series_rounds(exercise: Exercise) -> QuerySet[Exercise]:
    """Every round of the exercise's series, the first first."""
    first = series_id(exercise)
    return (
        Exercise.objects.filter(Q(pk=first) | Q(series_id=first))
        .select_related("scenario_version__scenario")
        .order_by("round_number")
    )


def next_round_refusal(exercise: Exercise) -> str | None:
    """Why no round can follow this exercise now, or None."""
    if exercise.state != Exercise.State.ENDED:
        return _("A next round follows an exercise that has ended: end this one first.")
    latest = series_rounds(exercise).order_by("-round_number").values_list("round_number", "pk").first()
    if latest is not None and latest[0] > exercise.round_number:
        return _("Round %(number)s of this series exists already: the next round follows the latest one.") % {
            "number": latest[0]
        }
    if exercise.round_number >= MAX_ROUNDS:
        return _("A series holds at most %(most)s rounds.") % {"most": MAX_ROUNDS}
    return None


def _round_title(first: Exercise, number: int) -> str:
    suffix = _(" (round %(number)s)") % {"number": number}
    return first.title[: 120 - len(suffix)] + suffix


def next_round_create(
    *,
    exercise: Exercise,
    rematch: str,
    student_ids: list[int],
    created_by: User | None,
    scenario_version: ScenarioVersion | None = None,
    title: str = "",
    time_limit_minutes: int | None = None,
    seed: int | None = None,
) -> Exercise:
    """The round after `exercise` (ended, the latest of its series): a draft with the same settings unless
    given, paired by `rematch` from the students present. Refused (nothing written) when it cannot be."""
    if rematch not in Exercise.Rematch.values:
        raise Refused(
            _("Choose how to pair the next round: %(modes)s.") % {"modes": ", ".join(Exercise.Rematch.values)},
            "rematch",
        )
    with transaction.atomic():
        exercise = Exercise.objects.select_for_update().select_related("classroom").get(pk=exercise.pk)
        if refusal := next_round_refusal(exercise):
            raise Refused(refusal)
        first = Exercise.objects.get(pk=series_id(exercise))
        number = exercise.round_number + 1
        following = exercise_create(
            classroom=exercise.classroom,
            title=title.strip() or _round_title(first, number),
            scenario_version=scenario_version or exercise.scenario_version,
            time_limit_minutes=exercise.time_limit_minutes if time_limit_minutes is None else time_limit_minutes,
            instructions=exercise.instructions,
            pairing_rule=exercise.pairing_rule,
            odd_rule=exercise.odd_rule,
            created_by=created_by,
            series=first,
            round_number=number,
            rematch=rematch,
        )
        rounds.exercise_pair(exercise=following, student_ids=student_ids, seed=seed)
        return following
