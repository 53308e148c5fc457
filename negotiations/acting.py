"""Every write to a live negotiation: store the event under the negotiation's row lock (or in one
statement), then, after the commit, ring the doorbell (negotiations.publishing). A student's, a bot's
or the instructor's action goes through negotiation_act; a pair whose time is up is closed here too,
by the deadline sweep and by its Celery task (`close_expired`, scheduled with `deadline_enqueue`).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from celery import shared_task
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from classrooms.models import Exercise
from core import negotiation as negotiation_rules
from core.negotiation import AGREED, IMPASSE, SETTLING, Action, Offer, State, after_offer, decide, standing_json
from core.refusal import Refused
from negotiations.debrief import debrief_enqueue, outcome_enqueue
from negotiations.models import Event, Negotiation, Seat, Settlement
from negotiations.protocol import EventJSON, PairJSON
from negotiations.publishing import (
    event_json,
    events_publish,
    exercise_announce,
    monitor_pair,
    negotiation_publish,
    on_commit_quietly,
    pair_end_announce,
)
from scenarios.services import version_spec

OPEN_STATUSES = (Negotiation.Status.WAITING, Negotiation.Status.NEGOTIATING)
# Events of the round that are not the pair's doing: an idle pair given more time stays idle on the monitor.
NOT_ACTIVITY = frozenset({"extended"})


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
        stored=negotiation.last_seq,
        chat_characters=negotiation.chat_characters,
    )


def event_append(
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
    if type_ not in NOT_ACTIVITY:
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


def _save_state(negotiation: Negotiation, state: State, now: datetime, reason: str = "") -> None:
    if negotiation.status == SETTLING and state.status != SETTLING:
        settlement_pair_done(negotiation, now)
    if state.status in (AGREED, IMPASSE) and negotiation.status in OPEN_STATUSES:
        negotiation.ended_at = now
        negotiation.end_reason = reason
        outcome_enqueue(negotiation_id=negotiation.pk)
        pair_end_announce(negotiation_id=negotiation.pk, exercise_id=negotiation.exercise_id, status=state.status)
    negotiation.status = state.status
    negotiation.standing = standing_json(state.standing)
    negotiation.agreement = state.agreement
    negotiation.save()


@dataclass(frozen=True)
class Ack:
    event: EventJSON
    duplicate: bool  # a retry: the first acknowledgement again, nothing new stored
    pair: PairJSON | None = None  # the pair's summary once stored (for the monitor); None for a retry
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
        raise Refused("observers watch; only the negotiators act", code="not_a_negotiator")
    if action.type in ("chat", "offer") and connection.vendor == "postgresql":
        ack = _store_at_once(negotiation_id, seat, action, now)
        if ack is not None:
            if notify and ack.pair is not None and ack.exercise_id is not None:
                events_publish(
                    negotiation_id=negotiation_id, exercise_id=ack.exercise_id, pair=ack.pair, events=[ack.event]
                )
            return ack
    negotiation_close_expired(negotiation_ids=[negotiation_id], now=now)
    with transaction.atomic():
        # Lock the pair's row only: the exercise and scenario rows are read, never locked (one pair's
        # action must not wait for another pair's).
        negotiation = (
            Negotiation.objects.select_for_update(of=("self",))
            .with_offers()
            .select_related("exercise__scenario_version")
            .get(pk=negotiation_id)
        )
        if action.client_msg_id:
            first = Event.objects.filter(negotiation=negotiation, seat=seat, client_msg_id=action.client_msg_id).first()
            if first is not None:
                return Ack(event_json(first), duplicate=True)
        if not _seat_unchanged(negotiation_id, seat):
            raise Refused(
                "this seat has been given to someone else; reconnect to see where you stand", code=SEAT_CHANGED
            )
        state = state_of(negotiation, negotiation.exercise)
        scenario = version_spec(negotiation.exercise.scenario_version)
        decision = decide(state, seat.role_key, action, now, scenario)
        event = event_append(
            negotiation,
            decision.type,
            decision.payload,
            now,
            role=seat.role_key,
            seat=seat,
            client_msg_id=action.client_msg_id,
        )
        new_state = decision.state
        if decision.type == "chat":
            negotiation.chat_characters += len(action.text)
        if decision.type == "offer":
            new_state = after_offer(new_state, seat.role_key, event.seq, decision.payload["packages"])
            negotiation.offers += 1  # counted before this one was stored
        _save_state(negotiation, new_state, now, reason=decision.type)
        payload = event_json(event)
        if notify:
            negotiation_publish(negotiation=negotiation, events=[payload])
    return Ack(payload, duplicate=False, pair=monitor_pair(negotiation), exercise_id=negotiation.exercise_id)


# A chat message or an offer, stored with its sequence number in one autocommit statement. Their only
# rules are decide()'s common ones (open, not paused, time not up, room left to store them): the WHERE
# clause checks them under the pair's row lock, which the UPDATE takes. The exercise row is read FOR KEY
# SHARE, so that a pause being committed (round_pause holds that row FOR UPDATE) is waited for and
# seen. An offer also becomes the side's standing offer, under the event's own seq. A retried
# client_msg_id violates the event's unique constraint: the statement is rolled back whole (no seq is
# used up) and the first ack is returned.
# The seat must still be the acting socket's (kind and student): a bot's seat taken over by a student
# refuses the bot's socket.
# The pair's offers are counted from its events, where the one being stored is not yet seen.
# Anything the statement does not store (refused, or not yet closed at its deadline) goes the ORM way,
# which says why.
_STORE_AT_ONCE = """
WITH pair AS (
    UPDATE {negotiation} AS n
    SET last_seq = n.last_seq + 1,
        last_activity_at = %(now)s,
        chat_characters = n.chat_characters + %(characters)s,
        standing = CASE WHEN %(offers)s = 1
            THEN jsonb_set(n.standing, ARRAY[%(role)s],
                           jsonb_build_object('seq', n.last_seq + 1, 'packages', %(packages)s::jsonb))
            ELSE n.standing END
    WHERE n.id = %(id)s
      AND n.status = 'negotiating'
      AND (n.deadline IS NULL OR n.deadline > %(now)s)
      AND n.last_seq < %(max_events)s
      AND n.chat_characters + %(characters)s <= %(max_characters)s
      AND EXISTS (SELECT 1 FROM {exercise} AS e WHERE e.id = n.exercise_id AND e.paused_at IS NULL FOR KEY SHARE)
      AND EXISTS (SELECT 1 FROM {seat} AS s WHERE s.id = %(seat)s AND s.negotiation_id = n.id
                  AND s.kind = %(kind)s AND s.student_id IS NOT DISTINCT FROM %(student)s)
    RETURNING n.id, n.number, n.status, n.deadline, n.last_seq, n.last_activity_at, n.exercise_id,
        (SELECT count(*) FROM {event} AS o WHERE o.negotiation_id = n.id AND o.type = 'offer') + %(offers)s AS offers
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
        "characters": len(action.text) if action.type == "chat" else 0,
        "max_events": negotiation_rules.MAX_EVENTS,
        "max_characters": negotiation_rules.MAX_CHAT_CHARACTERS,
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
    pk, number, status, deadline, seq, last_activity, exercise_id, offers = row
    stored = Negotiation(
        pk=pk, number=number, status=status, deadline=deadline, last_seq=seq, last_activity_at=last_activity,
        exercise_id=exercise_id,
    )  # fmt: skip
    stored.offers = offers
    event = Event(seq=seq, type=action.type, role=seat.role_key, payload=payload, created_at=now)
    return Ack(event_json(event), duplicate=False, pair=monitor_pair(stored), exercise_id=exercise_id)


def system_event_append(negotiation: Negotiation, type_: str, payload: dict[str, Any], now: datetime) -> EventJSON:
    """Store an event of the round itself (started, extended, ...) on a negotiation this transaction locks."""
    return event_json(event_append(negotiation, type_, payload, now))


def negotiation_close_as_impasse(
    negotiation: Negotiation, reason: str, now: datetime, *, tell_students: bool = True
) -> None:
    """End a locked, open negotiation without agreement: the time ran out, or the round was ended (whose
    end the whole class is told of, so that the pair's students need no notice of their own)."""
    event = system_event_append(negotiation, reason, {"status": IMPASSE}, now)
    negotiation.status, negotiation.standing = IMPASSE, {}
    negotiation.ended_at, negotiation.end_reason = now, reason
    negotiation.save()
    negotiation_publish(negotiation=negotiation, events=[event])
    if tell_students:
        pair_end_announce(negotiation_id=negotiation.pk, exercise_id=negotiation.exercise_id, status=IMPASSE)


def negotiation_close_expired(
    *, negotiation_ids: Iterable[int] | None = None, exercise_id: int | None = None, now: datetime | None = None
) -> list[int]:
    """End as impasse every open negotiation whose time is up. Running it twice changes nothing."""
    now = now or timezone.now()
    statuses = (*OPEN_STATUSES, SETTLING)
    candidates = Negotiation.objects.filter(status__in=statuses, deadline__lte=now, exercise__paused_at=None)
    if negotiation_ids is not None:
        candidates = candidates.filter(pk__in=list(negotiation_ids))
    if exercise_id is not None:
        candidates = candidates.filter(exercise_id=exercise_id)
    closed = []
    for pk in candidates.values_list("pk", flat=True):
        with transaction.atomic():
            negotiation = Negotiation.objects.select_for_update().with_offers().get(pk=pk)
            if negotiation.status not in statuses or negotiation.deadline is None or negotiation.deadline > now:
                continue  # someone else closed it, or the time was extended meanwhile
            if negotiation.status == SETTLING:
                settlement_pair_close(negotiation, "deadline", now)
                closed.append(pk)
                continue
            negotiation_close_as_impasse(negotiation, "deadline", now)
            outcome_enqueue(negotiation_id=negotiation.pk)
            closed.append(pk)
    return closed


def settlement_pair_close(negotiation: Negotiation, reason: str, now: datetime) -> None:
    """Take a locked pair out of the post-settlement round with its agreement as it stands: the round's
    time ran out ("deadline") or the instructor closed it ("closed")."""
    event = system_event_append(negotiation, "settlement_closed", {"reason": reason}, now)
    if reason == "deadline":
        settlement_pair_done(negotiation, now)
    negotiation.status, negotiation.standing = AGREED, {}
    negotiation.save()
    negotiation_publish(negotiation=negotiation, events=[event])


def settlement_pair_done(negotiation: Negotiation, now: datetime) -> None:
    """A locked pair leaves the post-settlement round (kept, improved, or its time ran out): once no other
    pair is left in it, the round is over and the class debrief is computed again. The round's row is
    locked after the pair's (the instructor's close takes it alone), so that of two last pairs leaving
    at once, the second sees the first gone."""
    round_ = Settlement.objects.select_for_update().filter(exercise_id=negotiation.exercise_id, closed_at=None).first()
    if round_ is None:
        return  # the instructor closed it: the close computes the debrief
    others = Negotiation.objects.filter(exercise_id=negotiation.exercise_id, status=SETTLING).exclude(pk=negotiation.pk)
    if others.exists():
        return
    round_.closed_at = now
    round_.save(update_fields=["closed_at"])
    if Exercise.objects.filter(pk=negotiation.exercise_id, state=Exercise.State.ENDED).exists():
        debrief_enqueue(exercise_id=negotiation.exercise_id)  # a live exercise's debrief comes at its end
    exercise_announce(exercise_id=negotiation.exercise_id)


def settlement_close_all(*, exercise_id: int, now: datetime) -> int:
    """End an exercise's post-settlement round now: every pair still in it keeps its agreement. Returns
    how many pairs were still in it; 0 (and nothing done) when no round is open."""
    with transaction.atomic():  # the round's row alone, then each pair's: the order of settlement_pair_done
        if not Settlement.objects.filter(exercise_id=exercise_id, closed_at=None).update(closed_at=now):
            return 0
    count = 0
    for pk in Negotiation.objects.filter(exercise_id=exercise_id, status=SETTLING).values_list("pk", flat=True):
        with transaction.atomic():
            negotiation = Negotiation.objects.select_for_update().with_offers().get(pk=pk)
            if negotiation.status != SETTLING:
                continue
            settlement_pair_close(negotiation, "closed", now)
            count += 1
    return count


@shared_task(name="negotiations.tasks.close_expired", acks_late=True, reject_on_worker_lost=True)
def close_expired(exercise_id: int) -> list[int]:
    """At a deadline: end as impasse the exercise's pairs whose time is up (idempotent)."""
    return negotiation_close_expired(exercise_id=exercise_id)


def deadline_enqueue(*, exercise_id: int, at: datetime) -> None:
    """After commit: a worker closes the exercise's expired pairs just after `at`. Quietly, as the other
    sends: the sockets' timers and every action's check close them too."""
    on_commit_quietly(
        lambda: close_expired.apply_async(args=[exercise_id], eta=at + timedelta(seconds=1)),
        f"schedule the deadline of exercise {exercise_id}",
    )
