"""The joins' reads on the event loop (negotiations.loop_reads), as a class joins at once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import psycopg
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


def test_a_socket_gone_while_its_session_is_read_leaves_the_others_theirs(started_pair, monkeypatch):
    """A socket closes (its task cancelled) while the statement that reads its session is out: the
    others' sessions still come back, and the next socket's is read in a statement of its own."""
    _, students = started_pair
    keys = [student_client(students[role]).cookies["sessionid"].value for role in ("buyer", "seller")]
    fetch = loop_reads.LoopReader.fetch
    statements: list[list[str]] = []

    async def go():
        out, release = asyncio.Event(), asyncio.Event()

        async def held(self, statement, params):  # type: ignore[no-untyped-def]
            statements.append(list(params[0]))
            out.set()
            await release.wait()
            return await fetch(self, statement, params)

        monkeypatch.setattr(loop_reads.LoopReader, "fetch", held)
        sessions = [SessionStore(key) for key in keys]
        tasks = [asyncio.ensure_future(loop_reads.session_load(session)) for session in sessions]
        await asyncio.wait_for(out.wait(), 5)
        tasks[0].cancel()
        release.set()
        done = await asyncio.gather(*tasks, return_exceptions=True)
        later = SessionStore(keys[0])
        return done, sessions[1], later, await loop_reads.session_load(later)

    done, kept, later, loaded_later = run(go())
    assert isinstance(done[0], asyncio.CancelledError) and done[1] is True
    assert loop_reads.session_student(kept) == students["seller"].pk
    assert loaded_later is True and loop_reads.session_student(later) == students["buyer"].pk
    assert statements == [keys, [keys[0]]]


@pytest.mark.parametrize("failure", ["connection", "unexpected"])
def test_when_the_sessions_cannot_be_read_on_the_loop_each_socket_reads_its_own_in_the_thread(
    started_pair, monkeypatch, caplog, failure
):
    """The loop's connection failed (each socket's join then takes the database thread's way, as the
    consumers do on False), or something else went wrong, which is logged with its traceback."""
    _, students = started_pair
    keys = [student_client(students[role]).cookies["sessionid"].value for role in ("buyer", "seller")]

    async def failing(self, statement, params):  # type: ignore[no-untyped-def]
        if failure == "connection":
            raise loop_reads.Unavailable
        raise RuntimeError("a bug in the statement")

    monkeypatch.setattr(loop_reads.LoopReader, "fetch", failing)

    async def go():
        return await asyncio.gather(*(loop_reads.session_load(SessionStore(key)) for key in keys))

    assert run(go()) == [False, False]
    logged = [r for r in caplog.records if "reading the joins' sessions failed" in r.getMessage()]
    if failure == "connection":
        assert logged == []
    else:
        assert len(logged) == 1 and "a bug in the statement" in str(logged[0].exc_info[1])


@pytest.mark.parametrize("prepared", [True, False])
def test_the_loop_connection_prepares_the_statements_a_join_repeats(started_pair, settings, prepared):
    """A join's statements are planned once a connection, not at every join: parsing and planning the
    join's statement cost PostgreSQL several times running it, and a class joins at once. Behind a pooler
    that cannot keep a connection's prepared statements, DB_PREPARED_STATEMENTS=false prepares none."""
    settings.DB_PREPARED_STATEMENTS = prepared
    repeated = "SELECT count(*) FROM django_session WHERE session_key = ANY(%s)"

    async def go():
        try:
            for _ in range(3):  # alone, then several at once (in a pipeline)
                await loop_reads.fetch(repeated, [["one", "two"]])
                await asyncio.gather(*(loop_reads.fetch(repeated, [["one", str(k)]]) for k in range(3)))
            return await loop_reads.fetch("SELECT statement FROM pg_prepared_statements", [])
        finally:
            await loop_reads.close()

    shown = [statement for (statement,) in run(go())]
    assert any("FROM django_session WHERE session_key = ANY($1)" in s for s in shown) == prepared, shown


def test_the_statements_asked_while_the_loop_turns_go_in_one_pipeline_each_with_its_own_rows(started_pair, monkeypatch):
    """A burst's joins each sent their statement, and each waited for its round trip before the next could
    go. What is asked while the loop turns goes in one pipeline; every statement gets its own rows."""
    pipelines: list[int] = []
    pipeline = psycopg.AsyncConnection.pipeline

    def counted(self):  # type: ignore[no-untyped-def]
        pipelines.append(1)
        return pipeline(self)

    monkeypatch.setattr(psycopg.AsyncConnection, "pipeline", counted)

    def asked(k: int) -> tuple[str, list[object]]:  # three statements, their runs interleaved
        if k % 3 == 0:
            return "SELECT %s::int * 2, %s::text", [k, f"s{k}"]
        if k % 3 == 1:
            return "SELECT generate_series(1, %s::int)", [k % 4]  # rows of their own: none, one, several
        return "SELECT %s::text || '!'", [f"t{k}"]

    def expected(k: int) -> list[tuple[object, ...]]:
        if k % 3 == 0:
            return [(2 * k, f"s{k}")]
        if k % 3 == 1:
            return [(n,) for n in range(1, k % 4 + 1)]
        return [(f"t{k}!",)]

    async def go():
        try:
            return await asyncio.gather(*(loop_reads.fetch(*asked(k)) for k in range(30)))
        finally:
            await loop_reads.close()

    assert run(go()) == [expected(k) for k in range(30)]
    assert pipelines == [1]


def test_a_statement_failing_in_a_pipeline_sends_its_batch_to_the_thread_and_the_next_opens_a_connection(
    started_pair, caplog
):
    """A failure aborts what follows it in the pipeline: every statement of the batch is Unavailable (its
    socket reads in the database thread), the connection is dropped with what it had prepared, and the
    next statement is read on a new one."""

    async def go():
        try:
            batch = await asyncio.gather(
                *(loop_reads.fetch("SELECT 1 / %s::int", [k]) for k in (1, 0, 2)), return_exceptions=True
            )
            return batch, await loop_reads.fetch("SELECT 6 / %s::int", [3])
        finally:
            await loop_reads.close()

    batch, after = run(go())
    assert [type(outcome) for outcome in batch] == [loop_reads.Unavailable] * 3
    assert after == [(2,)]
    assert any("the joins' connection failed" in r.getMessage() for r in caplog.records)
