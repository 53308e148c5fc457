"""Telling sockets what was stored: the group names, the event and pair JSON, and the doorbells rung
after the commit. The database is the source of truth; a client that misses a message catches up by
sequence number, so a failing doorbell is logged, never raised.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from fractions import Fraction
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

from classrooms.models import Exercise, PlanningSheet
from core.negotiation import package_points
from core.spec import Scenario, plain
from negotiations.models import Event, Negotiation, Seat, Settlement
from negotiations.protocol import (
    BroadcastJSON,
    EventJSON,
    ExerciseJSON,
    MonitorSeatJSON,
    PairJSON,
    PairResultJSON,
    SeatJSON,
    SettlementJSON,
)
from scenarios.services import version_spec

log = logging.getLogger(__name__)


# Group names


def negotiation_group(negotiation_id: int) -> str:
    return f"negotiation.{negotiation_id}"


def monitor_group(exercise_id: int) -> str:
    return f"monitor.{exercise_id}"


def class_group(classroom_id: int) -> str:
    """Every student's notice socket of one class (ws/student/): the round's changes and the debrief."""
    return f"class.{classroom_id}"


def student_group(student_id: int) -> str:
    """Every open socket of one student, so that revoking their link closes them all."""
    return f"student.{student_id}"


def seat_group(seat_id: int) -> str:
    """Every open socket of a bot's or the instructor's seat, so that a student taking it over closes them."""
    return f"seat.{seat_id}"


# What the frames carry


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def event_json(event: Event) -> EventJSON:
    return {
        "seq": event.seq,
        "type": event.type,
        "role": event.role or None,
        "payload": event.payload,
        "at": event.created_at.isoformat(),
    }


def pair_summary(negotiation: Negotiation) -> PairJSON:
    """A pair as the monitor lists it; `negotiation` comes from Negotiation.objects.with_offers()."""
    return {
        "id": negotiation.pk,
        "number": negotiation.number,
        "status": negotiation.status,
        "deadline": iso(negotiation.deadline),
        "last_seq": negotiation.last_seq,
        "offers": negotiation.offers,
        "last_activity": iso(negotiation.last_activity_at),
    }


ENDED = (Negotiation.Status.AGREED, Negotiation.Status.IMPASSE, Negotiation.Status.SETTLING)  # with a result


def pair_result(negotiation: Negotiation, scenario: Scenario) -> PairResultJSON | None:
    """An ended pair's points for each role and their joint gain; at an impasse each side has its BATNA;
    in a post-settlement round, its agreement as it stands."""
    if negotiation.status in (Negotiation.Status.AGREED, Negotiation.Status.SETTLING) and negotiation.agreement:
        points = {r.key: package_points(scenario, negotiation.agreement, r.key) for r in scenario.roles}
    elif negotiation.status == Negotiation.Status.IMPASSE:
        points = {r.key: r.batna for r in scenario.roles}
    else:
        return None
    joint_gain = sum(points.values(), Fraction(0))
    return PairResultJSON(points={key: plain(value) for key, value in points.items()}, joint_gain=plain(joint_gain))


def monitor_pair(negotiation: Negotiation) -> PairJSON:
    """A pair as the monitor's `pair` frame carries it: the summary, and once it has ended its result
    (the scenario read then, in one query, so that an open pair's frame costs nothing more)."""
    result = None
    if negotiation.status in ENDED:
        version = Exercise.objects.select_related("scenario_version").get(pk=negotiation.exercise_id).scenario_version
        result = pair_result(negotiation, version_spec(version))
    return {**pair_summary(negotiation), "result": result}


def server_plays(kind: str) -> bool:
    """Whether the server plays a seat of this kind itself, without a socket (negotiations.bot_seats)."""
    return kind == "bot" and settings.SERVER_BOTS  # Seat.Kind.BOT


# A seat without a student is named by what sits there, in English as every frame's words are, whatever the
# language of the page that asked (Seat.Kind's labels follow it); the room shows its own words for these.
SEAT_NAMES = {"student": "Student", "observer": "Observer", "bot": "Bot", "instructor": "Instructor"}


def snapshot_seat(role: str, kind: str, name: str | None) -> SeatJSON:
    """A seat as every snapshot lists it: named by its student (`name`), or by what sits there (a bot, the
    instructor); a bot seat the server plays says so (`auto`): it has no socket, and plays while its pair
    negotiates."""
    item: SeatJSON = {"role": role, "kind": kind, "name": name if name is not None else SEAT_NAMES[kind]}
    if server_plays(kind):
        item["auto"] = True
    return item


def seat_json(seat: Seat, planned: bool) -> MonitorSeatJSON:
    """A seat as the monitor shows it: as the snapshots list it, with its id and its student's readiness."""
    named = snapshot_seat(seat.role_key, seat.kind, seat.student.display_name if seat.student else None)
    return {
        "id": seat.pk,
        **named,
        "sheet_opened": seat.sheet_opened_at is not None,
        "planning_saved": planned,
    }


def settlement_json(settlement: Settlement | None) -> SettlementJSON | None:
    """An exercise's post-settlement round as its summary carries it; None before one is opened."""
    if settlement is None:
        return None
    return {
        "opened_at": settlement.opened_at.isoformat(),
        "deadline": settlement.deadline.isoformat(),
        "closed_at": iso(settlement.closed_at),
    }


def exercise_summary(exercise: Exercise) -> ExerciseJSON:
    """The round's state; a live or ended exercise's post-settlement round read too (one query, then only:
    it opens once pairs have agreed, while the exercise runs or after it)."""
    settlement = None
    if exercise.state in (Exercise.State.LIVE, Exercise.State.ENDED):
        settlement = Settlement.objects.filter(exercise=exercise).first()
    return {
        "id": exercise.pk,
        "state": exercise.state,
        "deadline": iso(exercise.deadline),
        "paused": exercise.paused_at is not None,
        "paused_at": iso(exercise.paused_at),
        "settlement": settlement_json(settlement),
    }


# Doorbells, after the commit


def on_commit_quietly(call: Callable[[], object], what: str) -> None:
    """Run `call` after the commit; if it fails (Redis down), log it: what was stored stays stored, and
    the caller must not be told otherwise. The deadline sweep, the sockets' timers and resync catch up."""

    def run() -> None:
        try:
            call()
        except Exception:
            log.exception("after the commit, could not %s", what)

    transaction.on_commit(run)


def _group_send(group: str, message: dict[str, Any]) -> None:
    async_to_sync(get_channel_layer().group_send)(group, message)


def student_sockets_close(*, student_id: int) -> None:
    on_commit_quietly(
        lambda: _group_send(student_group(student_id), {"type": "session.revoked"}),
        f"close the sockets of student {student_id}",
    )


def student_sockets_close_on_link_change(sender: object, *, student_id: int, **kwargs: object) -> None:
    """classrooms' student_link_changed: the student's link was revoked or re-issued."""
    student_sockets_close(student_id=student_id)


def seat_sockets_close(*, seat_id: int) -> None:
    """After commit: the seat changed hands (a student took over a bot's or the instructor's seat); its
    open sockets close with CLOSE_SEAT_CHANGED and, reconnecting, are identified afresh."""
    on_commit_quietly(
        lambda: _group_send(seat_group(seat_id), {"type": "seat.changed"}),
        f"close the sockets of seat {seat_id}",
    )


async def events_forward(
    negotiation_id: int,
    exercise_id: int,
    pair: PairJSON,
    events: list[EventJSON],
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


def events_publish(*, negotiation_id: int, exercise_id: int, pair: PairJSON, events: list[EventJSON]) -> None:
    """After the commit, tell the pair's sockets and the monitor; a lost message is recovered by seq."""

    def publish() -> None:
        try:
            async_to_sync(events_forward)(negotiation_id, exercise_id, pair, events)
        except Exception:  # the layer may be down; the events are stored and clients resync
            log.exception("could not publish events of negotiation %s", negotiation_id)

    transaction.on_commit(publish)


def negotiation_publish(*, negotiation: Negotiation, events: list[EventJSON]) -> None:
    """After the commit: a locked negotiation's new events and its summary as this transaction leaves it."""
    events_publish(
        negotiation_id=negotiation.pk,
        exercise_id=negotiation.exercise_id,
        pair=monitor_pair(negotiation),
        events=events,
    )


def exercise_announce(*, exercise_id: int, monitor: bool = True) -> None:
    """After commit: tell the monitor (unless not `monitor`) and the class's students that the round
    changed (roles released, started, paused, extended, ended; pairs added or a student placed)."""

    def publish() -> None:
        exercise = Exercise.objects.get(pk=exercise_id)
        summary = exercise_summary(exercise)
        if monitor:
            _group_send(monitor_group(exercise_id), {"type": "monitor.exercise", "exercise": summary})
        notice = {"id": exercise_id, "state": summary["state"], "paused": summary["paused"]}
        _group_send(class_group(exercise.classroom_id), {"type": "notice.exercise", "exercise": notice})

    on_commit_quietly(publish, f"announce exercise {exercise_id}")


def seat_announce(*, seat_id: int) -> None:
    """After commit: a student opened their role sheet or saved their planning sheet; the monitor shows it."""

    def publish() -> None:
        seat = Seat.objects.select_related("student").get(pk=seat_id)
        planned = PlanningSheet.objects.filter(exercise_id=seat.exercise_id, student_id=seat.student_id).exists()
        message = {"type": "monitor.seat", "pair": seat.negotiation_id, "seat": seat_json(seat, planned)}
        _group_send(monitor_group(seat.exercise_id), message)

    on_commit_quietly(publish, f"announce seat {seat_id}")


def broadcast_publish(*, negotiation_ids: list[int], broadcast: BroadcastJSON, exercise_id: int) -> None:
    """After commit: the instructor's message to every pair of an exercise."""

    def publish() -> None:
        for pk in negotiation_ids:
            _group_send(negotiation_group(pk), {"type": "negotiation.broadcast", "broadcast": broadcast})

    on_commit_quietly(publish, f"broadcast to exercise {exercise_id}")


def pair_end_announce(*, negotiation_id: int, exercise_id: int, status: str) -> None:
    """After commit: a pair ended while the round runs on (an agreement, a walk-away, its time up). Its
    students' pages (the home card, the role sheet) say so and that the survey is next; only theirs:
    another pair's end is not the class's business."""

    def publish() -> None:
        notice = {"type": "notice.pair", "exercise": exercise_id, "status": status}
        for student_id in Seat.objects.filter(negotiation_id=negotiation_id, student__isnull=False).values_list(
            "student_id", flat=True
        ):
            _group_send(student_group(student_id), notice)

    on_commit_quietly(publish, f"announce the end of negotiation {negotiation_id}")


def debrief_announce(*, exercise_id: int) -> None:
    """After commit: the class debrief is stored; the monitor offers it, the students' pages show it."""

    def publish() -> None:
        _group_send(monitor_group(exercise_id), {"type": "monitor.debrief", "exercise": exercise_id})
        classroom_id = Exercise.objects.values_list("classroom_id", flat=True).get(pk=exercise_id)
        _group_send(class_group(classroom_id), {"type": "notice.debrief", "exercise": exercise_id})

    on_commit_quietly(publish, f"announce the debrief of exercise {exercise_id}")
