"""Who a socket or a student's page stands for: a student's seat, a bot's seat, the instructor's seat
or a watching instructor, found from the session and never from a frame or the URL; and who may watch
the monitor.

Synchronous functions; the consumers call them through database_sync_to_async.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from django.contrib import auth
from django.http import Http404

from classrooms.access import SESSION_NONCE, SESSION_STUDENT
from classrooms.models import Exercise, Student
from negotiations.models import Negotiation, Seat
from negotiations.protocol import CLOSE_NOT_FOUND, CLOSE_NOT_SIGNED_IN
from scenarios.access import is_verified_instructor

# A bot seat's session (minted by `run_bots`, docs/bots.md): {"seat": seat id, "negotiation": its id}.
SESSION_BOT = "parley_bot_seat"


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


def session_user(session: Any) -> Any:
    """The user a socket's session is signed in as (AnonymousUser for none), checked as Django checks a
    request's (the password's hash); a student's session has none, and costs no query here."""
    return auth.get_user(SimpleNamespace(session=session))  # type: ignore[arg-type]


def session_identity(session: Any, user: Any) -> str | None:
    """Who a handshake's session stands for, read from the session already loaded (no database trip),
    as identify() reads it: the key of its sockets' caps and rates (negotiations.limits). None: nobody."""
    bot = session.get(SESSION_BOT)
    if bot is not None:
        return f"bot.{bot.get('seat')}" if isinstance(bot, dict) else None
    student = session.get(SESSION_STUDENT)
    if student is not None:
        return f"student.{student}"
    if user is not None and user.is_authenticated:
        return f"user.{user.pk}"
    return None


def identify(session: Any, user: Any, negotiation_id: int) -> Participant | int:
    """The participant a socket stands for, or a close code. The frame never says who you are.
    A student's seat is found in one query (docs/benchmarks.md, "The join")."""
    if session.get(SESSION_BOT) is not None:
        bot = session_bot_seat(session)
        if bot is None:
            return CLOSE_NOT_SIGNED_IN
        negotiation = _negotiation(negotiation_id)
        if (
            negotiation is None
            or bot.negotiation_id != negotiation.pk
            or negotiation.exercise.state == Exercise.State.DRAFT
        ):
            return CLOSE_NOT_FOUND
        return Participant(negotiation.pk, negotiation.exercise_id, bot, bot.role_key, bot.kind, bot.get_kind_display())
    if session.get(SESSION_STUDENT) is not None:
        seat = _student_seat(session, negotiation_id)
        if seat is not None:
            assert seat.student is not None
            return Participant(
                seat.negotiation_id, seat.exercise_id, seat, seat.role_key, seat.kind, seat.student.display_name
            )
        if session_student(session) is not None:
            return CLOSE_NOT_FOUND  # not yours, or does not exist: the same answer
    if user is not None and user.is_authenticated:
        negotiation = _negotiation(negotiation_id)
        if (
            negotiation is None
            or not is_verified_instructor(user)
            or not negotiation.exercise.classroom.instructors.filter(pk=user.pk).exists()
        ):
            return CLOSE_NOT_FOUND
        seat = negotiation.seats.filter(kind=Seat.Kind.INSTRUCTOR).first()
        if seat is not None:
            return Participant(negotiation.pk, negotiation.exercise_id, seat, seat.role_key, seat.kind, str(user))
        return Participant(negotiation.pk, negotiation.exercise_id, None, None, "watcher", str(user))
    return CLOSE_NOT_SIGNED_IN


def _negotiation(negotiation_id: int) -> Negotiation | None:
    return Negotiation.objects.select_related("exercise").filter(pk=negotiation_id).first()


def _student_seat(session: Any, negotiation_id: int) -> Seat | None:
    """The signed-in student's seat in the negotiation, once its roles are out; None when the session's
    student has no seat there or its link was revoked (then session_student() says which)."""
    seat = (
        Seat.objects.select_related("student")
        .filter(negotiation_id=negotiation_id, student_id=session.get(SESSION_STUDENT))
        .exclude(exercise__state=Exercise.State.DRAFT)
        .first()
    )
    if seat is None or seat.student is None:
        return None
    nonce = seat.student.link_nonce
    return seat if nonce and nonce == session.get(SESSION_NONCE) else None


def monitor_allowed(user: Any, exercise_id: int) -> bool:
    return bool(
        is_verified_instructor(user) and Exercise.objects.filter(pk=exercise_id, classroom__instructors=user).exists()
    )


def seat_for(student: Student, exercise_pk: int) -> Seat:
    """The student's own seat in an exercise whose roles are out; 404 for anything else."""
    seat = (
        Seat.objects.select_related("negotiation", "exercise__scenario_version", "exercise__classroom")
        .filter(student=student, exercise_id=exercise_pk, exercise__classroom_id=student.classroom_id)
        .exclude(exercise__state=Exercise.State.DRAFT)
        .first()
    )
    if seat is None:
        raise Http404("No such exercise")
    return seat


@dataclass(frozen=True)
class Company:
    """Who else sits at a seat's negotiation, as its student's page names them."""

    counterparts: list[Seat]  # the other side's negotiators (a student, a bot or the instructor)
    observed: list[Seat]  # for an observer: the negotiators of the role they sit beside


def seat_company(seat: Seat) -> Company:
    """The negotiators of the seat's pair other than the seat itself; observers are never named."""
    others = [
        s for s in seat.negotiation.seats.select_related("student").exclude(pk=seat.pk) if s.kind != Seat.Kind.OBSERVER
    ]
    return Company(
        counterparts=[s for s in others if s.role_key != seat.role_key],
        observed=[s for s in others if s.role_key == seat.role_key],
    )
