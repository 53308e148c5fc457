"""The post-settlement round (Raiffa, 1985, "Post-settlement settlements", Negotiation Journal 1(1)): once
pairs have agreed, while the exercise runs or after it has ended, the instructor opens a round in which
every pair that agreed by then may look again. The
agreement is each side's floor; offers and answers go over the same socket as before, and the rules of
core.negotiation refuse any package worse for either side than what they signed. A pair leaves the round
by accepting a package (which replaces its agreement), by keeping its agreement, or when the round's
time runs out or the instructor closes it. The first agreement stays in the pair's events; the debrief
shows both (docs/debrief.md).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils.translation import gettext

from classrooms.models import Exercise
from core.negotiation import AGREED, SETTLING
from core.refusal import Refused
from negotiations.acting import settlement_close_all, system_event_append
from negotiations.bot_seats import bot_seats_wake
from negotiations.debrief import debrief_enqueue
from negotiations.models import Negotiation, Settlement
from negotiations.publishing import exercise_announce, iso, negotiation_publish
from negotiations.rounds import deadline_schedule

MAX_SETTLEMENT_MINUTES = 60


def settlement_open_refusal(exercise: Exercise) -> str | None:
    """Why the round cannot be opened now, or None."""
    if exercise.state not in (Exercise.State.LIVE, Exercise.State.ENDED):
        return gettext("Open the post-settlement round once the negotiations have started and a pair has agreed.")
    if Settlement.objects.filter(exercise=exercise).exists():
        return gettext("This exercise has had its post-settlement round.")
    if not exercise.negotiations.filter(status=AGREED).exists():
        return gettext("No pair reached an agreement: there is nothing to improve on.")
    return None


def settlement_open(*, exercise: Exercise, minutes: int, now: datetime) -> int:
    """Open the round for every pair agreed by now, for `minutes`; returns how many pairs. Opened while the
    exercise runs, before its students see their results (the partner's sheet among them), the round
    ends at the latest with the exercise; pairs that agree after it opened are not in it."""
    if not 1 <= minutes <= MAX_SETTLEMENT_MINUTES:
        raise Refused(gettext("Give the round from 1 to %(max)s minutes.") % {"max": MAX_SETTLEMENT_MINUTES}, "minutes")
    deadline = now + timedelta(minutes=minutes)
    with transaction.atomic():
        exercise = Exercise.objects.select_for_update().get(pk=exercise.pk)
        if refusal := settlement_open_refusal(exercise):
            raise Refused(refusal)
        Settlement.objects.create(exercise=exercise, opened_at=now, deadline=deadline)
    count = 0
    for pk in exercise.negotiations.filter(status=AGREED).values_list("pk", flat=True):
        with transaction.atomic():
            negotiation = Negotiation.objects.select_for_update().with_offers().get(pk=pk)
            if negotiation.status != AGREED:
                continue
            event = system_event_append(negotiation, "settlement_opened", {"deadline": iso(deadline)}, now)
            negotiation.status, negotiation.standing, negotiation.deadline = SETTLING, {}, deadline
            negotiation.save()
            negotiation_publish(negotiation=negotiation, events=[event])
            count += 1
    bot_seats_wake(exercise_id=exercise.pk, now=now)
    deadline_schedule(exercise_id=exercise.pk, at=deadline)
    exercise_announce(exercise_id=exercise.pk)
    return count


def settlement_close(*, exercise: Exercise, now: datetime) -> int:
    """End the round now: every pair still in it keeps its agreement. Returns how many pairs that was."""
    if not Settlement.objects.filter(exercise=exercise, closed_at=None).exists():
        raise Refused(gettext("No post-settlement round is open for this exercise."))
    count = settlement_close_all(exercise_id=exercise.pk, now=now)
    if Exercise.objects.filter(pk=exercise.pk, state=Exercise.State.ENDED).exists():
        debrief_enqueue(exercise_id=exercise.pk)  # a live exercise's debrief comes at its end
    exercise_announce(exercise_id=exercise.pk)
    return count
