"""The student's notice socket (ws/student/): every student page opens one, so that the round's changes
(roles released, started, paused, ended) and the debrief reach the home page, the role sheet and the
room at once, without a reload (docs/protocol.md, "The student's notices").

It carries no negotiation: the snapshot lists the student's own exercises as their pages show them,
and a notice names an exercise of the student's class and its new state, nothing more. A page that
hears one reads itself again.
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from django.db.models import Exists, OuterRef
from django.utils import timezone

from classrooms.models import Exercise
from negotiations import limits
from negotiations.consumers import JsonSocket, control_frame, heartbeat_json
from negotiations.models import Debrief, Seat
from negotiations.participants import session_identity, session_student
from negotiations.protocol import (
    CLOSE_NOT_SIGNED_IN,
    DebriefFrame,
    PairEndFrame,
    RoundFrame,
    StudentExerciseJSON,
    StudentSnapshotFrame,
)
from negotiations.publishing import class_group, student_group


def student_rounds(student_id: int) -> list[StudentExerciseJSON]:
    """The exercises a student has a seat in, once released, newest first: what their pages show (two
    queries' worth, in one)."""
    debriefed = Debrief.objects.filter(exercise=OuterRef("exercise"))
    seats = (
        Seat.objects.filter(student_id=student_id)
        .exclude(exercise__state=Exercise.State.DRAFT)
        .annotate(debriefed=Exists(debriefed))
        .select_related("exercise", "negotiation")
        .order_by("-exercise__created_at", "-exercise_id")
    )
    return [
        {
            "id": seat.exercise_id,
            "state": seat.exercise.state,
            "paused": seat.exercise.paused_at is not None,
            "status": seat.negotiation.status,
            "debrief": seat.debriefed,
        }
        for seat in seats
    ]


def _student_of(session: Any) -> tuple[str | None, tuple[int, int] | None]:
    """From the socket's session (loaded here): the key of its caps and rates, None for anyone but a
    student; and, while the student's link holds, the student and their class."""
    who = session_identity(session, None)
    if who is None or not who.startswith("student."):
        return None, None
    student = session_student(session)
    return who, None if student is None else (student.pk, student.classroom_id)


class StudentConsumer(JsonSocket):
    """ws/student/: a signed-in student's notices. Anyone else is closed with 4401."""

    groups_joined: tuple[str, ...] = ()

    async def connect(self) -> None:
        await self.accept()
        who, found = await database_sync_to_async(_student_of)(self.scope["session"])
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
        self.groups_joined = (class_group(classroom_id), student_group(student_id))
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        exercises = await database_sync_to_async(student_rounds)(student_id)
        await self.send_frame(
            StudentSnapshotFrame(
                type="snapshot",
                server_time=timezone.now().isoformat(),
                exercises=exercises,
                heartbeat=heartbeat_json(),
            )
        )
        self.heartbeat_watch()

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
