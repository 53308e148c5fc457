"""The joins' reads on the event loop (negotiations.loop_reads), as a class joins at once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from classrooms.sessions import SessionStore, signed_key
from negotiations import loop_reads
from tests.base import student_client
from tests.live import run

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def test_the_sessions_of_a_burst_of_sockets_are_read_together_each_its_own(started_pair, monkeypatch):
    """A page opens two sockets and each reads its session: in a class's join burst that was one statement,
    one round trip and one pass through psycopg a socket. The sessions asked for while the loop turns are
    read in one statement, and each socket still gets its own session, an expired or unknown one none."""
    _, students = started_pair
    keys = [student_client(students[role]).cookies["sessionid"].value for role in ("buyer", "seller")]
    expired = SessionStore()
    expired["note"] = "expired"
    expired.create()
    Session.objects.filter(session_key=expired.session_key).update(expire_date=timezone.now() - timedelta(seconds=1))
    unknown = signed_key()

    statements: list[str] = []
    fetch = loop_reads.LoopReader.fetch

    async def counted(self, statement, params):  # type: ignore[no-untyped-def]
        statements.append(statement)
        return await fetch(self, statement, params)

    monkeypatch.setattr(loop_reads.LoopReader, "fetch", counted)

    async def go():
        asked = [*keys * 10, expired.session_key, unknown]  # twenty sockets of two students, and two more
        sessions = [SessionStore(key) for key in asked]
        loaded = await asyncio.gather(*(loop_reads.session_load(session) for session in sessions))
        return loaded, [(session.session_key, loop_reads.session_student(session)) for session in sessions]

    loaded, read = run(go())
    assert loaded == [True] * 22
    assert read[:2] == [(keys[0], students["buyer"].pk), (keys[1], students["seller"].pk)]
    assert read[2:20] == read[:2] * 9
    assert read[20:] == [(None, None), (None, None)]  # no unexpired row: the key is dropped, as Django does
    assert len(statements) <= 2, statements  # 22, one a socket
