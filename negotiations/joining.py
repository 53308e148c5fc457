"""A student's join in one SQL statement: the seat that the session's student holds in the negotiation
(the link's nonce checked, the roles out) and, only if there is one, everything its snapshot shows, read
by PostgreSQL as one JSON document in one consistent view of the database.

The join is the live room's busiest path (a class connects at once), and building the same reads with
the ORM cost about 4 ms of CPU a join, most of it compiling the five queries (docs/benchmarks.md, "The
join"). The frame is the one negotiations.snapshots builds from the ORM (`snapshot_frame`), and
tests/test_join_statement.py checks that both show the same. Other databases, and every other kind
of participant, take the ORM's way (`identify`, then `snapshot`).

A synchronous function; the consumers call it through database_sync_to_async.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from django.db import connection

from classrooms.access import SESSION_NONCE, SESSION_STUDENT
from classrooms.models import Exercise, Student
from core.negotiation import SNAPSHOT_EVENTS
from core.spec import Scenario
from negotiations.models import Broadcast, Event, Negotiation, Seat
from negotiations.participants import SESSION_BOT, Participant
from negotiations.protocol import SnapshotFrame
from negotiations.snapshots import SNAPSHOT_BROADCASTS, exercise_spec, snapshot_frame

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@cache
def join_statement() -> str:
    """Times come as whole microseconds since the epoch (exact, and formatted here as the ORM's are)."""
    seat, student, exercise = Seat._meta.db_table, Student._meta.db_table, Exercise._meta.db_table
    negotiation, event, broadcast = Negotiation._meta.db_table, Event._meta.db_table, Broadcast._meta.db_table

    def micros(column: str) -> str:
        return f"(extract(epoch FROM {column}) * 1000000)::bigint"

    # Only table names and constants are formatted in; every value is a parameter.
    return f"""
WITH me AS (
    SELECT s.id, s.role_key, s.kind, s.exercise_id, st.display_name
    FROM {seat} s JOIN {student} st ON st.id = s.student_id JOIN {exercise} x ON x.id = s.exercise_id
    WHERE s.negotiation_id = %(negotiation)s AND s.student_id = %(student)s AND x.state <> %(draft)s
      AND st.link_nonce <> '' AND st.link_nonce = %(nonce)s
), pair AS (
    SELECT n.id, n.number, n.status, {micros("n.deadline")} AS deadline, n.last_seq,
           (SELECT count(*) FROM {event} o WHERE o.negotiation_id = n.id AND o.type = 'offer') AS offers,
           {micros("n.last_activity_at")} AS last_activity, n.standing, n.agreement,
           x.id AS exercise, x.title, x.paused_at IS NOT NULL AS paused
    FROM {negotiation} n JOIN {exercise} x ON x.id = n.exercise_id
    WHERE n.id = %(negotiation)s AND EXISTS (SELECT 1 FROM me)
)
SELECT json_build_object(
    'me', (SELECT row_to_json(me) FROM me),
    'pair', (SELECT row_to_json(pair) FROM pair),
    'seats', (SELECT json_agg(json_build_object('role', s.role_key, 'kind', s.kind, 'name', st.display_name)
                              ORDER BY s.role_key, s.kind, s.id)
              FROM pair JOIN {seat} s ON s.negotiation_id = pair.id LEFT JOIN {student} st ON st.id = s.student_id),
    'events', (SELECT json_agg(json_build_object('seq', e.seq, 'type', e.type, 'role', e.role,
                                                 'payload', e.payload, 'at', e.at) ORDER BY e.seq DESC)
               FROM (SELECT e.seq, e.type, e.role, e.payload, {micros("e.created_at")} AS at
                     FROM pair JOIN {event} e ON e.negotiation_id = pair.id AND e.seq <= pair.last_seq
                     ORDER BY e.seq DESC LIMIT {SNAPSHOT_EVENTS + 1}) e),
    'broadcasts', (SELECT json_agg(json_build_object('text', b.text, 'at', b.at) ORDER BY b.at, b.id)
                   FROM (SELECT b.id, b.text, {micros("b.created_at")} AS at
                         FROM pair JOIN {broadcast} b ON b.exercise_id = pair.exercise
                         ORDER BY b.created_at DESC, b.id DESC LIMIT {SNAPSHOT_BROADCASTS}) b)
)::text
"""  # noqa: S608


def iso(micros: int | None) -> str | None:
    return (EPOCH + timedelta(microseconds=micros)).isoformat() if micros is not None else None


def student_join(session: Any, negotiation_id: int) -> tuple[Participant, SnapshotFrame] | None:
    """The student's participant and snapshot; None when this way does not apply or finds no seat (not
    on PostgreSQL, not a student's session, not their pair, a revoked link, roles not out): then
    identify() tells who it is, or which refusal."""
    params = join_params(session, negotiation_id)
    if connection.vendor != "postgresql" or params is None:
        return None
    with connection.cursor() as cursor:
        cursor.execute(join_statement(), params)
        found = json.loads(cursor.fetchone()[0])
    if found["me"] is None or found["pair"] is None:
        return None
    return joined(found, params, exercise_spec(found["me"]["exercise_id"]))


def join_params(session: Any, negotiation_id: int) -> dict[str, Any] | None:
    """The join statement's parameters from a loaded session; None for anyone but a student."""
    student = session.get(SESSION_STUDENT)
    if session.get(SESSION_BOT) is not None or not isinstance(student, int):
        return None
    return {
        "negotiation": negotiation_id,
        "student": student,
        "nonce": session.get(SESSION_NONCE),
        "draft": Exercise.State.DRAFT.value,
    }


def joined(found: dict[str, Any], params: dict[str, Any], spec: Scenario) -> tuple[Participant, SnapshotFrame]:
    """The participant and snapshot from the join statement's document, once it found the seat (its `me`
    and `pair`), with the scenario of the seat's exercise."""
    me, pair = found["me"], found["pair"]
    negotiation_id, student = params["negotiation"], params["student"]
    seat = Seat(
        pk=me["id"], negotiation_id=negotiation_id, exercise_id=me["exercise_id"], role_key=me["role_key"],
        kind=me["kind"], student_id=student,
    )  # fmt: skip
    participant = Participant(negotiation_id, me["exercise_id"], seat, seat.role_key, seat.kind, me["display_name"])
    events = found["events"] or []
    for event in events:
        event["role"] = event["role"] or None
        event["at"] = iso(event["at"])
    frame = snapshot_frame(
        participant,
        spec,
        negotiation={
            "id": pair["id"],
            "number": pair["number"],
            "status": pair["status"],
            "deadline": iso(pair["deadline"]),
            "last_seq": pair["last_seq"],
            "offers": pair["offers"],
            "last_activity": iso(pair["last_activity"]),
            "exercise": pair["exercise"],
            "title": pair["title"],
            "paused": pair["paused"],
            "standing": pair["standing"],
            "agreement": pair["agreement"],
        },
        seats=list(found["seats"] or []),  # role, kind and name: snapshot_frame names each and marks a bot's
        latest=events,
        broadcasts=[{"text": b["text"], "at": iso(b["at"])} for b in found["broadcasts"] or []],
    )
    return participant, frame
