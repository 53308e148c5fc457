"""The round: the instructor's actions on a whole exercise or one pair (start, pause, extend, end,
broadcast) and the deadline's schedule. Each stores its events on the pairs, then rings the doorbell
after the commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from classrooms.models import Exercise
from core.negotiation import OPEN, Refused
from negotiations.acting import (
    OPEN_STATUSES,
    negotiation_close_as_impasse,
    negotiation_close_expired,
    system_event_append,
)
from negotiations.models import Broadcast, Negotiation
from negotiations.protocol import BroadcastJSON
from negotiations.publishing import broadcast_publish, exercise_announce, iso, negotiation_publish
from negotiations.task_queue import deadline_enqueue, debrief_enqueue

MAX_EXTENSION = 120  # minutes at a time


def round_start(*, exercise: Exercise, now: datetime) -> None:
    """Open every waiting pair of an exercise that has just gone live."""
    for pk in exercise.negotiations.filter(status=Negotiation.Status.WAITING).values_list("pk", flat=True):
        with transaction.atomic():
            negotiation = Negotiation.objects.select_for_update().get(pk=pk)
            if negotiation.status != Negotiation.Status.WAITING:
                continue
            negotiation.status = OPEN
            negotiation.deadline = exercise.deadline
            event = system_event_append(negotiation, "started", {"deadline": iso(exercise.deadline)}, now)
            negotiation.save()
            negotiation_publish(negotiation=negotiation, events=[event])
    deadline_schedule(exercise_id=exercise.pk, at=exercise.deadline)
    exercise_announce(exercise_id=exercise.pk)


def round_end(*, exercise: Exercise, now: datetime) -> None:
    """Close every open pair as impasse: the instructor ended the round."""
    for pk in exercise.negotiations.filter(status__in=OPEN_STATUSES).values_list("pk", flat=True):
        with transaction.atomic():
            negotiation = Negotiation.objects.select_for_update().get(pk=pk)
            if negotiation.status not in OPEN_STATUSES:
                continue
            negotiation_close_as_impasse(negotiation, "ended", now)
    exercise_announce(exercise_id=exercise.pk)
    debrief_enqueue(exercise_id=exercise.pk)


def time_extend(*, exercise: Exercise, minutes: int, negotiation_id: int | None = None, now: datetime) -> int:
    """Give one pair, or every open pair, more time. Returns how many pairs were extended.

    A pair whose time is already up is closed first, not brought back: extend before the deadline."""
    if not 1 <= minutes <= MAX_EXTENSION:
        raise Refused("bad_minutes", f"Give a number of minutes from 1 to {MAX_EXTENSION}.")
    if negotiation_id is not None and not exercise.negotiations.filter(pk=negotiation_id).exists():
        raise Refused("no_such_pair", "No such pair in this exercise.")
    negotiation_close_expired(exercise_id=exercise.pk, now=now)
    pairs = exercise.negotiations.filter(status=OPEN)
    if negotiation_id is not None:
        pairs = pairs.filter(pk=negotiation_id)
    count = 0
    latest = None
    for pk in pairs.values_list("pk", flat=True):
        with transaction.atomic():
            negotiation = Negotiation.objects.select_for_update().get(pk=pk)
            if negotiation.status != OPEN or negotiation.deadline is None:
                continue
            negotiation.deadline = max(negotiation.deadline, now) + timedelta(minutes=minutes)
            event = system_event_append(
                negotiation, "extended", {"deadline": iso(negotiation.deadline), "minutes": minutes}, now
            )
            negotiation.save()
            negotiation_publish(negotiation=negotiation, events=[event])
            latest = max(latest or negotiation.deadline, negotiation.deadline)
            count += 1
    if latest is not None:
        deadline_schedule(exercise_id=exercise.pk, at=latest)
        if negotiation_id is None:
            Exercise.objects.filter(pk=exercise.pk).update(deadline=latest)
            exercise_announce(exercise_id=exercise.pk)
    return count


def round_pause(*, exercise: Exercise, paused: bool, now: datetime) -> None:
    """Pause the clock and every action; on resuming, every open pair gets the paused time back."""
    with transaction.atomic():
        exercise = Exercise.objects.select_for_update().get(pk=exercise.pk)
        if exercise.state != Exercise.State.LIVE:
            raise Refused("not_live", "Only a live round can be paused or resumed.")
        if paused == (exercise.paused_at is not None):
            return
        gained = timedelta(0) if paused else now - exercise.paused_at  # type: ignore[operator]
        exercise.paused_at = now if paused else None
        if exercise.deadline and not paused:
            exercise.deadline += gained
        exercise.save(update_fields=["paused_at", "deadline"])
        for negotiation in Negotiation.objects.select_for_update().filter(exercise=exercise, status=OPEN):
            if negotiation.deadline and not paused:
                negotiation.deadline += gained
            event = system_event_append(
                negotiation,
                "paused" if paused else "resumed",
                {"deadline": iso(negotiation.deadline)},
                now,
            )
            negotiation.save()
            negotiation_publish(negotiation=negotiation, events=[event])
    if not paused and exercise.deadline:
        deadline_schedule(exercise_id=exercise.pk, at=exercise.deadline)
    exercise_announce(exercise_id=exercise.pk)


def broadcast_send(*, exercise: Exercise, text: str) -> BroadcastJSON:
    text = text.strip()
    if not text:
        raise Refused("empty", "write a message to broadcast")
    message = Broadcast.objects.create(exercise=exercise, text=text[:500])
    payload: BroadcastJSON = {"text": message.text, "at": message.created_at.isoformat()}
    negotiation_ids = list(exercise.negotiations.values_list("pk", flat=True))
    broadcast_publish(negotiation_ids=negotiation_ids, broadcast=payload, exercise_id=exercise.pk)
    return payload


def deadline_schedule(*, exercise_id: int, at: datetime | None) -> None:
    """Ask a Celery worker to close expired pairs at the deadline (the sockets' own timers do it too)."""
    if at is None or settings.CELERY_TASK_ALWAYS_EAGER:
        return  # embedded: no worker honours an ETA; the sockets' timers and every action's check do it
    deadline_enqueue(exercise_id=exercise_id, at=at)
