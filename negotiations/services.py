"""Every write to a live negotiation: store the event under the negotiation's row lock, then, after
the commit, ring the doorbell (the channel layer). The database is the source of truth; clients
that miss a message catch up by sequence number.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from classrooms.models import Exercise
from core.negotiation import AGREED, IMPASSE, OPEN, Action, Offer, Refused, State, after_offer, decide
from negotiations.models import Event, Negotiation, Seat
from scenarios.services import version_spec

log = logging.getLogger(__name__)
OPEN_STATUSES = (Negotiation.Status.WAITING, Negotiation.Status.NEGOTIATING)
IDLE_AFTER = timedelta(minutes=3)
MAX_EXTENSION = 120  # minutes at a time


def negotiation_group(negotiation_id: int) -> str:
    return f"negotiation.{negotiation_id}"


def monitor_group(exercise_id: int) -> str:
    return f"monitor.{exercise_id}"


def student_group(student_id: int) -> str:
    """Every open socket of one student, so that revoking their link closes them all."""
    return f"student.{student_id}"


def seat_group(seat_id: int) -> str:
    """Every open socket of a bot's or the instructor's seat, so that a student taking it over closes them."""
    return f"seat.{seat_id}"


def _on_commit_quietly(call: Callable[[], object], what: str) -> None:
    """Run `call` after the commit; if it fails (Redis down), log it: what was stored stays stored, and
    the caller must not be told otherwise. The deadline sweep, the sockets' timers and resync catch up."""

    def run() -> None:
        try:
            call()
        except Exception:
            log.exception("after the commit, could not %s", what)

    transaction.on_commit(run)


def student_sockets_close(*, student_id: int) -> None:
    _on_commit_quietly(
        lambda: async_to_sync(get_channel_layer().group_send)(student_group(student_id), {"type": "session.revoked"}),
        f"close the sockets of student {student_id}",
    )


def seat_sockets_close(*, seat_id: int) -> None:
    """After commit: the seat changed hands (a student took over a bot's or the instructor's seat); its
    open sockets close with CLOSE_SEAT_CHANGED and, reconnecting, are identified afresh."""
    _on_commit_quietly(
        lambda: async_to_sync(get_channel_layer().group_send)(seat_group(seat_id), {"type": "seat.changed"}),
        f"close the sockets of seat {seat_id}",
    )


def event_json(event: Event) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "type": event.type,
        "role": event.role or None,
        "payload": event.payload,
        "at": event.created_at.isoformat(),
    }


def state_of(negotiation: Negotiation, exercise: Exercise) -> State:
    roles = version_spec(exercise.scenario_version).role_keys
    standing = {
        role: Offer(int(offer["seq"]), role, tuple(offer["packages"])) for role, offer in negotiation.standing.items()
    }
    return State(
        status=negotiation.status,
        roles=(roles[0], roles[1]),
        standing=standing,
        agreement=negotiation.agreement,
        deadline=negotiation.deadline,
        paused=exercise.paused_at is not None,
    )


def pair_summary(negotiation: Negotiation) -> dict[str, Any]:
    return {
        "id": negotiation.pk,
        "number": negotiation.number,
        "status": negotiation.status,
        "deadline": negotiation.deadline.isoformat() if negotiation.deadline else None,
        "last_seq": negotiation.last_seq,
        "offers": negotiation.offer_count,
        "last_activity": negotiation.last_activity_at.isoformat() if negotiation.last_activity_at else None,
    }


# Publishing, after the commit


def _publish(negotiation_id: int, exercise_id: int, pair: dict[str, Any], events: list[dict[str, Any]]) -> None:
    """Tell the pair's sockets and the monitor. Called after commit; a lost message is recovered by seq."""
    try:
        async_to_sync(events_forward)(negotiation_id, exercise_id, pair, events)
    except Exception:  # the layer may be down; the events are stored and clients resync
        log.exception("could not publish events of negotiation %s", negotiation_id)


async def events_forward(
    negotiation_id: int,
    exercise_id: int,
    pair: dict[str, Any],
    events: list[dict[str, Any]],
    *,
    origin: str | None = None,
) -> None:
    """Ring the doorbell for stored events: the pair's sockets, then the monitor. `origin` is the socket
    that acted: it has its acknowledgement already and skips the echo."""
    layer = get_channel_layer()
    for event in events:
        await layer.group_send(
            negotiation_group(negotiation_id), {"type": "negotiation.event", "event": event, "origin": origin}
        )
    await layer.group_send(
        monitor_group(exercise_id), {"type": "monitor.pair", "pair": pair, "events": [e["type"] for e in events]}
    )


def exercise_summary(exercise: Exercise) -> dict[str, Any]:
    return {
        "id": exercise.pk,
        "state": exercise.state,
        "deadline": _iso(exercise.deadline),
        "paused": exercise.paused_at is not None,
        "paused_at": _iso(exercise.paused_at),
    }


def _announce_exercise(exercise_id: int) -> None:
    """After commit: tell the monitor that the round itself changed (started, paused, extended, ended)."""

    def publish() -> None:
        exercise = Exercise.objects.get(pk=exercise_id)
        async_to_sync(get_channel_layer().group_send)(
            monitor_group(exercise_id), {"type": "monitor.exercise", "exercise": exercise_summary(exercise)}
        )

    _on_commit_quietly(publish, f"announce exercise {exercise_id}")


def _after_commit(negotiation: Negotiation, events: list[dict[str, Any]]) -> None:
    pair = pair_summary(negotiation)
    transaction.on_commit(lambda: _publish(negotiation.pk, negotiation.exercise_id, pair, events))


# Storing


def _append(
    negotiation: Negotiation,
    type_: str,
    payload: dict[str, Any],
    now: datetime,
    *,
    role: str = "",
    seat: Seat | None = None,
    client_msg_id: str | None = None,
) -> Event:
    """Store the next event of a negotiation whose row this transaction holds locked."""
    negotiation.last_seq += 1
    negotiation.last_activity_at = now
    return Event.objects.create(
        negotiation=negotiation,
        seq=negotiation.last_seq,
        type=type_,
        role=role,
        seat=seat,
        payload=payload,
        client_msg_id=client_msg_id,
    )


def _ended(negotiation: Negotiation) -> None:
    """After commit: a Celery task computes the finished pair's outcome metrics."""
    from negotiations.tasks import compute_outcome

    # Quietly: a broker that is down must not turn the stored end into an error. The class debrief at
    # the round's end computes every pair's outcome that is missing.
    pk = negotiation.pk
    _on_commit_quietly(lambda: compute_outcome.delay(pk), f"send the outcome of negotiation {pk}")


def _save_state(negotiation: Negotiation, state: State, now: datetime, reason: str = "") -> None:
    if state.status in (AGREED, IMPASSE) and negotiation.status in OPEN_STATUSES:
        negotiation.ended_at = now
        negotiation.end_reason = reason
        _ended(negotiation)
    negotiation.status = state.status
    negotiation.standing = {
        role: {"seq": offer.seq, "packages": [dict(p) for p in offer.packages]}
        for role, offer in state.standing.items()
    }
    negotiation.agreement = state.agreement
    negotiation.save()


@dataclass(frozen=True)
class Ack:
    event: dict[str, Any]
    duplicate: bool  # a retry: the first acknowledgement again, nothing new stored
    pair: dict[str, Any] | None = None  # the pair's summary once stored (for the monitor); None for a retry
    exercise_id: int | None = None


ACTING_KINDS = (Seat.Kind.STUDENT, Seat.Kind.BOT, Seat.Kind.INSTRUCTOR)
SEAT_CHANGED = "seat_changed"


def _seat_unchanged(negotiation_id: int, seat: Seat) -> bool:
    """The seat a socket was opened for is still the same occupant's: a student placed into a bot's or
    the instructor's seat takes it over, and a socket opened before that must not act in their name."""
    return Seat.objects.filter(
        pk=seat.pk, negotiation_id=negotiation_id, kind=seat.kind, student_id=seat.student_id
    ).exists()


def negotiation_act(
    *, negotiation_id: int, seat: Seat, action: Action, now: datetime | None = None, notify: bool = True
) -> Ack:
    """Apply one student action; raises core.negotiation.Refused when the rules say no.

    With notify=False the caller forwards the stored event itself (events_forward), after this returns:
    the socket that acted does, so that its acknowledgement does not wait for the doorbell."""
    now = now or timezone.now()
    if seat.kind not in ACTING_KINDS:
        raise Refused("not_a_negotiator", "observers watch; only the negotiators act")
    if action.type in ("chat", "offer") and connection.vendor == "postgresql":
        ack = _store_at_once(negotiation_id, seat, action, now)
        if ack is not None:
            if notify and ack.pair is not None:
                pair, exercise_id, event = ack.pair, ack.exercise_id, ack.event
                transaction.on_commit(lambda: _publish(negotiation_id, exercise_id, pair, [event]))
            return ack
    negotiation_close_expired(negotiation_ids=[negotiation_id], now=now)
    with transaction.atomic():
        # Lock the pair's row only: the exercise and scenario rows are read, never locked (one pair's
        # action must not wait for another pair's).
        negotiation = (
            Negotiation.objects.select_for_update(of=("self",))
            .select_related("exercise__scenario_version")
            .get(pk=negotiation_id)
        )
        if action.client_msg_id:
            first = Event.objects.filter(negotiation=negotiation, seat=seat, client_msg_id=action.client_msg_id).first()
            if first is not None:
                return Ack(event_json(first), duplicate=True)
        if not _seat_unchanged(negotiation_id, seat):
            raise Refused(SEAT_CHANGED, "this seat has been given to someone else; reconnect to see where you stand")
        state = state_of(negotiation, negotiation.exercise)
        decision = decide(state, seat.role_key, action, now)
        event = _append(
            negotiation,
            decision.type,
            decision.payload,
            now,
            role=seat.role_key,
            seat=seat,
            client_msg_id=action.client_msg_id,
        )
        new_state = decision.state
        if decision.type == "offer":
            new_state = after_offer(new_state, seat.role_key, event.seq, decision.payload["packages"])
            negotiation.offer_count += 1
        _save_state(negotiation, new_state, now, reason=decision.type)
        payload = event_json(event)
        if notify:
            _after_commit(negotiation, [payload])
    return Ack(payload, duplicate=False, pair=pair_summary(negotiation), exercise_id=negotiation.exercise_id)


# A chat message or an offer, stored with its sequence number in one autocommit statement. Their only
# rules are decide()'s common ones (open, not paused, time not up): the WHERE clause checks them under
# the pair's row lock, which the UPDATE takes. The exercise row is read FOR KEY SHARE, so that a pause
# being committed (round_pause holds that row FOR UPDATE) is waited for and seen. An offer also becomes
# the side's standing offer, under the event's own seq. A retried client_msg_id violates the event's
# unique constraint: the statement is rolled back whole (no seq is used up) and the first ack is returned.
# The seat must still be the acting socket's (kind and student): a bot's seat taken over by a student
# refuses the bot's socket.
# Anything the statement does not store (refused, or not yet closed at its deadline) goes the ORM way,
# which says why.
_STORE_AT_ONCE = """
WITH pair AS (
    UPDATE {negotiation} AS n
    SET last_seq = n.last_seq + 1,
        last_activity_at = %(now)s,
        offer_count = n.offer_count + %(offers)s,
        standing = CASE WHEN %(offers)s = 1
            THEN jsonb_set(n.standing, ARRAY[%(role)s],
                           jsonb_build_object('seq', n.last_seq + 1, 'packages', %(packages)s::jsonb))
            ELSE n.standing END
    WHERE n.id = %(id)s
      AND n.status = 'negotiating'
      AND (n.deadline IS NULL OR n.deadline > %(now)s)
      AND EXISTS (SELECT 1 FROM {exercise} AS e WHERE e.id = n.exercise_id AND e.paused_at IS NULL FOR KEY SHARE)
      AND EXISTS (SELECT 1 FROM {seat} AS s WHERE s.id = %(seat)s AND s.negotiation_id = n.id
                  AND s.kind = %(kind)s AND s.student_id IS NOT DISTINCT FROM %(student)s)
    RETURNING n.id, n.number, n.status, n.deadline, n.last_seq, n.offer_count, n.last_activity_at, n.exercise_id
), stored AS (
    INSERT INTO {event} (negotiation_id, seq, type, role, seat_id, payload, client_msg_id, created_at)
    SELECT pair.id, pair.last_seq, %(type)s, %(role)s, %(seat)s, %(payload)s::jsonb, %(client_msg_id)s, %(now)s
    FROM pair
)
SELECT * FROM pair
"""


def _store_at_once(negotiation_id: int, seat: Seat, action: Action, now: datetime) -> Ack | None:
    if action.type == "offer":
        packages = [dict(p) for p in action.packages]
        payload: dict[str, Any] = {"packages": packages}
    else:
        packages, payload = [], {"text": action.text}
    sql = _STORE_AT_ONCE.format(
        negotiation=Negotiation._meta.db_table,
        exercise=Exercise._meta.db_table,
        event=Event._meta.db_table,
        seat=Seat._meta.db_table,
    )
    params = {
        "id": negotiation_id,
        "now": now,
        "offers": 1 if action.type == "offer" else 0,
        "role": seat.role_key,
        "packages": json.dumps(packages),
        "type": action.type,
        "seat": seat.pk,
        "kind": seat.kind,
        "student": seat.student_id,
        "payload": json.dumps(payload),
        "client_msg_id": action.client_msg_id,
    }
    try:
        savepoint = transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext()
        with savepoint, connection.cursor() as cursor:  # autocommit: the statement is its own transaction
            cursor.execute(sql, params)
            row = cursor.fetchone()
    except IntegrityError as exc:
        if getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None) != "event_client_msg_id_unique":
            raise
        return None  # a retry: the ORM way finds the first acknowledgement
    if row is None:
        return None
    pk, number, status, deadline, seq, offers, last_activity, exercise_id = row
    event = {"seq": seq, "type": action.type, "role": seat.role_key, "payload": payload, "at": now.isoformat()}
    pair = {
        "id": pk,
        "number": number,
        "status": status,
        "deadline": deadline.isoformat() if deadline else None,
        "last_seq": seq,
        "offers": offers,
        "last_activity": last_activity.isoformat() if last_activity else None,
    }
    return Ack(event, duplicate=False, pair=pair, exercise_id=exercise_id)


def _system_event(negotiation: Negotiation, type_: str, payload: dict[str, Any], now: datetime) -> dict[str, Any]:
    return event_json(_append(negotiation, type_, payload, now))


def _close_as_impasse(negotiation: Negotiation, reason: str, now: datetime) -> None:
    """End a locked, open negotiation without agreement: the time ran out, or the round was ended."""
    event = _system_event(negotiation, reason, {"status": IMPASSE}, now)
    negotiation.status, negotiation.standing = IMPASSE, {}
    negotiation.ended_at, negotiation.end_reason = now, reason
    negotiation.save()
    _after_commit(negotiation, [event])


def negotiation_close_expired(
    *, negotiation_ids: Iterable[int] | None = None, exercise_id: int | None = None, now: datetime | None = None
) -> list[int]:
    """End as impasse every open negotiation whose time is up. Running it twice changes nothing."""
    now = now or timezone.now()
    candidates = Negotiation.objects.filter(status__in=OPEN_STATUSES, deadline__lte=now, exercise__paused_at=None)
    if negotiation_ids is not None:
        candidates = candidates.filter(pk__in=list(negotiation_ids))
    if exercise_id is not None:
        candidates = candidates.filter(exercise_id=exercise_id)
    closed = []
    for pk in candidates.values_list("pk", flat=True):
        with transaction.atomic():
            negotiation = Negotiation.objects.select_for_update().get(pk=pk)
            if negotiation.status not in OPEN_STATUSES or negotiation.deadline is None or negotiation.deadline > now:
                continue  # someone else closed it, or the time was extended meanwhile
            _close_as_impasse(negotiation, "deadline", now)
            _ended(negotiation)
            closed.append(pk)
    return closed


# Round control: the instructor's actions on a whole exercise or one pair


def round_start(*, exercise: Exercise, now: datetime) -> None:
    """Open every waiting pair of an exercise that has just gone live."""
    for pk in exercise.negotiations.filter(status=Negotiation.Status.WAITING).values_list("pk", flat=True):
        with transaction.atomic():
            negotiation = Negotiation.objects.select_for_update().get(pk=pk)
            if negotiation.status != Negotiation.Status.WAITING:
                continue
            negotiation.status = OPEN
            negotiation.deadline = exercise.deadline
            event = _system_event(negotiation, "started", {"deadline": _iso(exercise.deadline)}, now)
            negotiation.save()
            _after_commit(negotiation, [event])
    deadline_schedule(exercise_id=exercise.pk, at=exercise.deadline)
    _announce_exercise(exercise.pk)


def round_end(*, exercise: Exercise, now: datetime) -> None:
    """Close every open pair as impasse: the instructor ended the round."""
    for pk in exercise.negotiations.filter(status__in=OPEN_STATUSES).values_list("pk", flat=True):
        with transaction.atomic():
            negotiation = Negotiation.objects.select_for_update().get(pk=pk)
            if negotiation.status not in OPEN_STATUSES:
                continue
            _close_as_impasse(negotiation, "ended", now)
    _announce_exercise(exercise.pk)
    from negotiations.tasks import compute_debrief

    _on_commit_quietly(lambda: compute_debrief.delay(exercise.pk), f"send the debrief of exercise {exercise.pk}")


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
            event = _system_event(
                negotiation, "extended", {"deadline": _iso(negotiation.deadline), "minutes": minutes}, now
            )
            negotiation.save()
            _after_commit(negotiation, [event])
            latest = max(latest or negotiation.deadline, negotiation.deadline)
            count += 1
    if latest is not None:
        deadline_schedule(exercise_id=exercise.pk, at=latest)
        if negotiation_id is None:
            Exercise.objects.filter(pk=exercise.pk).update(deadline=latest)
            _announce_exercise(exercise.pk)
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
            event = _system_event(
                negotiation,
                "paused" if paused else "resumed",
                {"deadline": _iso(negotiation.deadline)},
                now,
            )
            negotiation.save()
            _after_commit(negotiation, [event])
    if not paused and exercise.deadline:
        deadline_schedule(exercise_id=exercise.pk, at=exercise.deadline)
    _announce_exercise(exercise.pk)


def broadcast_send(*, exercise: Exercise, text: str) -> dict[str, Any]:
    from negotiations.models import Broadcast

    text = text.strip()
    if not text:
        raise Refused("empty", "write a message to broadcast")
    message = Broadcast.objects.create(exercise=exercise, text=text[:500])
    payload = {"text": message.text, "at": message.created_at.isoformat()}
    groups = [negotiation_group(pk) for pk in exercise.negotiations.values_list("pk", flat=True)]

    def publish() -> None:
        layer = get_channel_layer()
        for group in groups:
            async_to_sync(layer.group_send)(group, {"type": "negotiation.broadcast", "broadcast": payload})

    _on_commit_quietly(publish, f"broadcast to exercise {exercise.pk}")
    return payload


def deadline_schedule(*, exercise_id: int, at: datetime | None) -> None:
    """Ask a Celery worker to close expired pairs at the deadline (the sockets' own timers do it too)."""
    if at is None or settings.CELERY_TASK_ALWAYS_EAGER:
        return  # embedded: no worker honours an ETA; the sockets' timers and every action's check do it
    from negotiations.tasks import close_expired

    _on_commit_quietly(
        lambda: close_expired.apply_async(args=[exercise_id], eta=at + timedelta(seconds=1)),
        f"schedule the deadline of exercise {exercise_id}",
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def events_after(negotiation_id: int, last_seq: int) -> list[dict[str, Any]]:
    return [event_json(e) for e in Event.objects.filter(negotiation_id=negotiation_id, seq__gt=last_seq)]


__all__ = ["Refused", "negotiation_act"]
