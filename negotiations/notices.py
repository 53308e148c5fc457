"""The student's notice socket (ws/student/): every student page opens one, so that the round's changes
(roles released, started, paused, ended) and the debrief reach the home page, the role sheet and the
room at once, without a reload (docs/protocol.md, "The student's notices").

It carries no negotiation: the snapshot lists the student's own exercises as their pages show them,
and a notice names an exercise of the student's class and its new state, nothing more. A page that
hears one reads itself again.
"""

from __future__ import annotations

import asyncio
from functools import cache
from typing import Any

from channels.db import database_sync_to_async
from django.db import connection
from django.utils import timezone

from classrooms.access import SESSION_NONCE, SESSION_STUDENT
from classrooms.models import Exercise, Student
from negotiations import limits, loop_reads
from negotiations.consumers import JsonSocket, control_frame, heartbeat_json
from negotiations.models import Debrief, Negotiation, Seat
from negotiations.participants import session_identity
from negotiations.protocol import (
    CLOSE_NOT_SIGNED_IN,
    DebriefFrame,
    PairEndFrame,
    RoundFrame,
    StudentExerciseJSON,
    StudentSnapshotFrame,
)
from negotiations.publishing import class_group, student_group


@cache
def _rounds_statement() -> str:
    seat, exercise, negotiation = Seat._meta.db_table, Exercise._meta.db_table, Negotiation._meta.db_table
    debrief = Debrief._meta.db_table
    # Only table names are formatted in; the values are parameters.
    return f"""
SELECT x.id, x.state, x.paused_at IS NOT NULL, n.status,
       EXISTS (SELECT 1 FROM {debrief} d WHERE d.exercise_id = x.id)
FROM {seat} s JOIN {exercise} x ON x.id = s.exercise_id JOIN {negotiation} n ON n.id = s.negotiation_id
WHERE s.student_id = %s AND x.state <> %s
ORDER BY x.created_at DESC, x.id DESC
"""  # noqa: S608


def student_rounds(student_id: int) -> list[StudentExerciseJSON]:
    """The exercises a student has a seat in, once released, newest first: what their pages show. One
    plain statement: every page's notice socket reads it on joining, and the ORM took several times
    longer to build the query than the database to answer it (docs/benchmarks.md, "The join's CPU")."""
    with connection.cursor() as cursor:
        cursor.execute(_rounds_statement(), _rounds_params(student_id))
        return _rounds(cursor.fetchall())


def _rounds_params(student_id: int) -> list[Any]:
    return [student_id, Exercise.State.DRAFT.value]


def _rounds(rows: list[Any]) -> list[StudentExerciseJSON]:
    return [
        {"id": id_, "state": state, "paused": bool(paused), "status": status, "debrief": bool(debriefed)}
        for id_, state, paused, status, debriefed in rows
    ]


@cache
def _student_statement() -> str:
    table, classroom = Student._meta.db_table, Student._meta.get_field("classroom").column
    return f"SELECT id, {classroom} FROM {table} WHERE id = %s AND link_nonce <> '' AND link_nonce = %s"  # noqa: S608


def _student_of(session: Any) -> tuple[str | None, tuple[int, int] | None]:
    """From the socket's session (loaded here): the key of its caps and rates, None for anyone but a
    student; and, while the student's link holds (as participants.session_student checks it), the student
    and their class, in one plain statement."""
    who, params = _student_params(session)
    if params is None:
        return who, None
    with connection.cursor() as cursor:
        cursor.execute(_student_statement(), params)
        found = cursor.fetchone()
    return who, None if found is None else (found[0], found[1])


def _student_params(session: Any) -> tuple[str | None, list[Any] | None]:
    """The key of the session's caps, and the student statement's parameters (None: no student to read)."""
    who = session_identity(session, None)
    if who is None or not who.startswith("student."):
        return None, None
    student, nonce = session.get(SESSION_STUDENT), session.get(SESSION_NONCE)
    if not isinstance(student, int) or not isinstance(nonce, str):
        return who, None
    return who, [student, nonce]


async def _student_of_on_loop(session: Any) -> tuple[str | None, tuple[int, int] | None] | None:
    """_student_of, read on the event loop (negotiations.loop_reads), the session loaded there; None when
    the read failed."""
    who, params = _student_params(session)
    if params is None:
        return who, None
    try:
        rows = await loop_reads.fetch(_student_statement(), params)
    except loop_reads.Unavailable:
        return None
    return who, (rows[0][0], rows[0][1]) if rows else None


async def _rounds_of(student_id: int) -> list[StudentExerciseJSON]:
    """student_rounds, on the event loop where it can be, in the database thread otherwise."""
    if loop_reads.applies():
        try:
            return _rounds(await loop_reads.fetch(_rounds_statement(), _rounds_params(student_id)))
        except loop_reads.Unavailable:
            pass
    return await database_sync_to_async(student_rounds)(student_id)


class StudentConsumer(JsonSocket):
    """ws/student/: a signed-in student's notices. Anyone else is closed with 4401."""

    groups_joined: tuple[str, ...] = ()

    async def connect(self) -> None:
        await self.accept()
        session = self.scope["session"]
        on_loop = await loop_reads.session_load(session)  # a student's session, read on the event loop
        student = loop_reads.session_student(session) if on_loop else None
        if student is not None:  # listening before the link is checked: a revocation meanwhile closes
            await self.listen((student_group(student),))
        # The student: read on the event loop (negotiations.loop_reads), or in the database thread.
        read = await _student_of_on_loop(session) if on_loop else None
        who, found = read if read is not None else await database_sync_to_async(_student_of)(session)
        if who is None:
            await self.close(code=CLOSE_NOT_SIGNED_IN)
            return
        if not await self.hold_place(limits.notice_caps(who)):
            return
        if found is None:  # the link was revoked or re-issued
            await self.close(code=CLOSE_NOT_SIGNED_IN)
            return
        student_id, classroom_id = found
        self.shared_limits = limits.frame_limits(who, None)
        # Listen before the snapshot is read, so that no notice falls between the two.
        await self.listen((class_group(classroom_id), student_group(student_id)))
        exercises = await _rounds_of(student_id)
        await self.send_frame(
            StudentSnapshotFrame(
                type="snapshot",
                server_time=timezone.now().isoformat(),
                exercises=exercises,
                heartbeat=heartbeat_json(),
            )
        )
        self.heartbeat_watch()

    async def listen(self, groups: tuple[str, ...]) -> None:
        joining = tuple(group for group in groups if group not in self.groups_joined)
        self.groups_joined += joining
        await asyncio.gather(*(self.channel_layer.group_add(group, self.channel_name) for group in joining))

    async def disconnect(self, code: int) -> None:
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if control_frame(text_data) == {"type": "heartbeat"}:
            await self.send_heartbeat()
            return
        await self.send_error("bad_frame", 'this socket takes only {"type": "heartbeat"}')

    # Messages from the channel layer

    async def notice_exercise(self, message: dict[str, Any]) -> None:
        await self.send_frame(RoundFrame(type="exercise", exercise=message["exercise"]))

    async def notice_pair(self, message: dict[str, Any]) -> None:
        await self.send_frame(PairEndFrame(type="pair", exercise=message["exercise"], status=message["status"]))

    async def notice_debrief(self, message: dict[str, Any]) -> None:
        await self.send_frame(DebriefFrame(type="debrief", exercise=message["exercise"]))

    async def session_revoked(self, message: dict[str, Any]) -> None:
        """The student's personal link was revoked or re-issued: this device is signed out."""
        await self.close(code=CLOSE_NOT_SIGNED_IN)
