"""What a socket needs from the database: who is connecting, and what they may see.

Synchronous functions; the consumers call them through database_sync_to_async.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from classrooms.access import SESSION_NONCE, SESSION_STUDENT
from classrooms.models import Exercise, Student
from core.spec import Scenario, plain
from negotiations.models import Broadcast, Event, Negotiation, Seat
from negotiations.services import IDLE_AFTER, event_json, exercise_summary, negotiation_close_expired, pair_summary
from scenarios.services import version_spec

# A bot seat's session (minted by `run_bots`, docs/bots.md): {"seat": seat id, "negotiation": its id}.
SESSION_BOT = "parley_bot_seat"

# Close codes (documented in docs/protocol.md)
CLOSE_NOT_SIGNED_IN = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_SEAT_CHANGED = 4409  # the seat was given to someone else (a student took over a bot's seat): reconnect


@dataclass(frozen=True)
class Participant:
    negotiation_id: int
    exercise_id: int
    seat: Seat | None  # None: an instructor watching the transcript
    role: str | None  # the role whose sheet and points this socket sees
    kind: str  # student, observer, bot, instructor, or watcher
    name: str

    @property
    def can_act(self) -> bool:
        return self.seat is not None and self.kind in (Seat.Kind.STUDENT, Seat.Kind.BOT, Seat.Kind.INSTRUCTOR)


def session_student(session: Any) -> Student | None:
    pk = session.get(SESSION_STUDENT)
    if pk is None:
        return None
    student = Student.objects.filter(pk=pk).first()
    if student is None or not student.link_nonce or student.link_nonce != session.get(SESSION_NONCE):
        return None
    return student


def session_bot_seat(session: Any) -> Seat | None:
    """The bot seat a bot's session stands for, while that seat is still a bot's (a student placed into it
    takes it over). An expired or unknown session has no data, so it stands for nothing."""
    data = session.get(SESSION_BOT)
    if not isinstance(data, dict) or not isinstance(data.get("seat"), int):
        return None
    seat = Seat.objects.filter(pk=data["seat"], kind=Seat.Kind.BOT).first()
    if seat is None or seat.negotiation_id != data.get("negotiation"):
        return None
    return seat


def identify(session: Any, user: Any, negotiation_id: int) -> Participant | int:
    """The participant a socket stands for, or a close code. The frame never says who you are."""
    negotiation = Negotiation.objects.select_related("exercise").filter(pk=negotiation_id).first()
    if session.get(SESSION_BOT) is not None:
        bot = session_bot_seat(session)
        if bot is None:
            return CLOSE_NOT_SIGNED_IN
        if (
            negotiation is None
            or bot.negotiation_id != negotiation.pk
            or negotiation.exercise.state == Exercise.State.DRAFT
        ):
            return CLOSE_NOT_FOUND
        return Participant(negotiation.pk, negotiation.exercise_id, bot, bot.role_key, bot.kind, bot.get_kind_display())
    student = session_student(session)
    if student is not None:
        seat = None
        if negotiation is not None and negotiation.exercise.state != Exercise.State.DRAFT:
            seat = Seat.objects.filter(negotiation=negotiation, student=student).first()
        if seat is None:
            return CLOSE_NOT_FOUND  # not yours, or does not exist: the same answer
        return Participant(
            negotiation.pk, negotiation.exercise_id, seat, seat.role_key, seat.kind, student.display_name
        )
    if user is not None and user.is_authenticated:
        if negotiation is None or not negotiation.exercise.classroom.instructors.filter(pk=user.pk).exists():
            return CLOSE_NOT_FOUND
        seat = negotiation.seats.filter(kind=Seat.Kind.INSTRUCTOR).first()
        if seat is not None:
            return Participant(negotiation.pk, negotiation.exercise_id, seat, seat.role_key, seat.kind, str(user))
        return Participant(negotiation.pk, negotiation.exercise_id, None, None, "watcher", str(user))
    return CLOSE_NOT_SIGNED_IN


def last_seq(negotiation_id: int) -> int:
    """The number of the negotiation's latest stored event (the pong's, for clients to catch up)."""
    return Negotiation.objects.filter(pk=negotiation_id).values_list("last_seq", flat=True).first() or 0


def issues_for(scenario: Scenario, role: str | None) -> list[dict[str, Any]]:
    """Every issue with its options and, when a role is given, that role's points only."""
    issues = []
    for issue in scenario.issues:
        item: dict[str, Any] = {"key": issue.key, "name": issue.name, "kind": issue.kind}
        if issue.kind == "numeric":
            item.update(min=plain(issue.minimum), max=plain(issue.maximum), step=plain(issue.step), unit=issue.unit)
            if role is not None and issue.linear is not None:
                line = issue.linear[role]
                item["points"] = {"at_min": plain(line.at_min), "at_max": plain(line.at_max)}
        else:
            item["options"] = [
                {"key": o.key, "label": o.label, **({"points": plain(o.points[role])} if role else {})}
                for o in issue.options
            ]
        issues.append(item)
    return issues


def snapshot(participant: Participant) -> dict[str, Any]:
    negotiation = Negotiation.objects.select_related("exercise__scenario_version").get(pk=participant.negotiation_id)
    exercise = negotiation.exercise
    scenario = version_spec(exercise.scenario_version)
    seats = negotiation.seats.select_related("student")
    return {
        "type": "snapshot",
        "server_time": timezone.now().isoformat(),
        "negotiation": {
            **pair_summary(negotiation),
            "exercise": exercise.pk,
            "title": exercise.title,
            "paused": exercise.paused_at is not None,
            "standing": negotiation.standing,
            "agreement": negotiation.agreement,
        },
        "me": {
            "role": participant.role,
            "kind": participant.kind,
            "name": participant.name,
            "can_act": participant.can_act,
            "batna": plain(scenario.role(participant.role).batna) if participant.role else None,
        },
        "roles": [{"key": r.key, "name": r.name} for r in scenario.roles],
        "seats": [
            {"role": s.role_key, "kind": s.kind, "name": s.student.display_name if s.student else s.get_kind_display()}
            for s in seats
        ],
        "issues": issues_for(scenario, participant.role),
        # Only the events the row above has counted: one stored meanwhile (by a socket of another
        # process) comes through the group this socket already listens to. Listing it here too, beyond
        # `last_seq`, would have the client apply it twice.
        "events": [event_json(e) for e in Event.objects.filter(negotiation=negotiation, seq__lte=negotiation.last_seq)],
        "broadcasts": [
            {"text": b.text, "at": b.created_at.isoformat()} for b in Broadcast.objects.filter(exercise=exercise)
        ],
        "last_seq": negotiation.last_seq,
    }


def monitor_allowed(user: Any, exercise_id: int) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and Exercise.objects.filter(pk=exercise_id, classroom__instructors=user).exists()
    )


def monitor_snapshot(exercise_id: int) -> dict[str, Any]:
    """Every pair of an exercise in a fixed number of queries, whatever the class size."""
    negotiation_close_expired(exercise_id=exercise_id)
    exercise = Exercise.objects.select_related("scenario_version").get(pk=exercise_id)
    scenario = version_spec(exercise.scenario_version)
    negotiations = exercise.negotiations.order_by("number")
    seats: dict[int, list[dict[str, Any]]] = {}
    for seat in Seat.objects.filter(exercise=exercise).select_related("student"):
        seats.setdefault(seat.negotiation_id, []).append(
            {
                "role": seat.role_key,
                "kind": seat.kind,
                "name": seat.student.display_name if seat.student else seat.get_kind_display(),
            }
        )
    now = timezone.now()
    pairs = []
    for negotiation in negotiations:
        idle = negotiation.status == Negotiation.Status.NEGOTIATING and (
            now - (negotiation.last_activity_at or exercise.started_at or now) > IDLE_AFTER
        )
        pairs.append({**pair_summary(negotiation), "idle": idle, "seats": seats.get(negotiation.pk, [])})
    return {
        "type": "snapshot",
        "server_time": now.isoformat(),
        "exercise": {**exercise_summary(exercise), "title": exercise.title},
        "roles": [{"key": r.key, "name": r.name} for r in scenario.roles],
        "idle_after_seconds": int(IDLE_AFTER.total_seconds()),
        "pairs": pairs,
    }
