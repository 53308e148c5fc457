"""A student's join read on the event loop, without the trip to the database thread.

A student's sockets join with a few read-only statements: the session's row, then the seat and the
snapshot in one statement (negotiations.joining), or the student and their rounds for the notices
(negotiations.notices). Through database_sync_to_async each trip went into the process's one database
thread and back (asgiref's executor, Django's connection checks on both sides, the event loop and the
thread taking the GIL from each other), and a join burst queued there. Here the same statements run on
the event loop, on one PostgreSQL connection of the loop's own (psycopg's asynchronous connection, in
autocommit: each statement its own consistent view, as the database thread reads them). A statement is
prepared on that connection once it has run twice (at once when it goes with others in a pipeline), so
that PostgreSQL parses it once and settles on a plan, not at every join (a pooler between Daphne and
PostgreSQL must keep a connection's prepared statements, or DB_PREPARED_STATEMENTS be off:
docs/operations.md). What they check is unchanged: the
session's expiry, the link's nonce (a revoked link finds no seat), the roles being out.

The sessions that sockets ask for while the loop turns are read together, in one statement (a page opens
two sockets, and a class joins at once); what is asked while it is out goes in the next. Likewise the
statements asked for while the loop turns (a burst's seats and snapshots, its notices' students and
rounds) go to PostgreSQL together, in one pipeline: one round trip and one wait for the socket, where
each had its own, one after another (docs/benchmarks.md, "The handshake read once, the joins'
statements in one pipeline").

Only on PostgreSQL, and only for a student's session; everyone else, and every refusal, takes the
thread's way (`None` from here), and so does a join when this connection fails (it is dropped, and the
next join opens another).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from importlib import import_module
from typing import Any, Generic, TypeVar

import psycopg
from django.conf import settings
from django.db import connections

from classrooms.access import SESSION_STUDENT
from negotiations import limits
from negotiations.participants import SESSION_BOT

log = logging.getLogger(__name__)


A = TypeVar("A")
R = TypeVar("R")

PREPARE_AFTER = 2  # runs of a statement before this connection prepares it (psycopg's prepare_threshold)


class Unavailable(Exception):
    """This loop's connection failed; the caller takes the database thread's way."""


class EachTurn(Generic[A, R]):
    """What is asked for while the event loop turns, handled together from its next turn (`handle`: the
    list of what was asked, in order, to the list of each one's answer), until nothing more is asked.
    An asker gets its own answer; every asker of a batch that failed gets Unavailable (a failure other
    than the connection's is logged as `failed` says), and takes the database thread's way."""

    def __init__(self, handle: Callable[[list[A]], Awaitable[list[R]]], failed: str) -> None:
        self.handle = handle
        self.failed = failed
        self.asked: list[tuple[A, asyncio.Future[R]]] = []
        self.handling: asyncio.Task[None] | None = None

    async def ask(self, item: A) -> R:
        answer: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self.asked.append((item, answer))
        if self.handling is None or self.handling.done():  # (a task cancelled before its first step)
            self.handling = asyncio.ensure_future(self.handle_asked())
        return await answer

    async def handle_asked(self) -> None:
        batch: list[tuple[A, asyncio.Future[R]]] = []
        try:
            while self.asked:
                batch, self.asked = self.asked, []
                try:
                    answers: list[R] | None = await self.handle([item for item, _ in batch])
                except Exception as exc:
                    if not isinstance(exc, Unavailable):  # not the connection's failure: say what it was
                        log.exception(self.failed)
                    answers = None
                for k, (_, answer) in enumerate(batch):
                    if not answer.done():  # else its socket went away meanwhile
                        if answers is None:
                            answer.set_exception(Unavailable())
                        else:
                            answer.set_result(answers[k])
                batch = []
        finally:
            self.handling = None
            for _, answer in [*batch, *self.asked]:  # cancelled: its askers go the thread's way
                if not answer.done():
                    answer.set_exception(Unavailable())
            self.asked = []


class LoopReader:
    """One event loop's connection for the joins' reads: the sessions asked for in one turn read in one
    statement, and the statements asked for in one turn sent in one pipeline."""

    def __init__(self) -> None:
        self.connection: psycopg.AsyncConnection[Any] | None = None
        self.opening = asyncio.Lock()
        self.sessions = EachTurn(
            self.read_sessions, "reading the joins' sessions failed: the database thread reads them"
        )
        self.statements = EachTurn(self.run, "the joins' statements failed: the database thread reads them")

    async def connect(self) -> psycopg.AsyncConnection[Any]:
        async with self.opening:
            if self.connection is None or self.connection.closed:
                params = connections["default"].get_connection_params()
                for django_only in ("cursor_factory", "context"):  # Django's cursor and adapters
                    params.pop(django_only, None)
                # Prepared once they have run PREPARE_AFTER times on this connection: Django turns psycopg's
                # preparing off for its own connections (for poolers), and parsing and planning the join's
                # statement cost PostgreSQL several times running it.
                params["prepare_threshold"] = PREPARE_AFTER if settings.DB_PREPARED_STATEMENTS else None
                self.connection = await psycopg.AsyncConnection.connect(**params, autocommit=True)
            return self.connection

    async def fetch(self, statement: str, params: Any) -> list[tuple[Any, ...]]:
        """The statement's rows, read with the others asked for meanwhile; Unavailable when the connection
        failed (it is dropped)."""
        return await self.statements.ask((statement, params))

    async def run(self, statements: list[tuple[str, Any]]) -> list[list[tuple[Any, ...]]]:
        """Each statement's rows: one alone as it is, several in one pipeline (one round trip, and one
        wait for the socket), the runs of one statement given to psycopg together (`executemany`, which
        sends them in one go: each `execute` in a pipeline still waited for the socket once); Unavailable
        when a statement or the connection failed. The connection is then dropped, whatever failed:
        psycopg counts a pipeline's statements as prepared before PostgreSQL has prepared them, and a
        failure before them would leave it naming statements that do not exist."""
        try:
            connection = await self.connect()
            if len(statements) == 1:
                async with connection.cursor() as cursor:
                    await cursor.execute(*statements[0])
                    return [await cursor.fetchall()]
            alike: dict[str, list[int]] = {}  # a statement: where its runs are in `statements`
            for k, (statement, _) in enumerate(statements):
                alike.setdefault(statement, []).append(k)
            cursors = []
            async with connection.pipeline():
                for statement, runs in alike.items():
                    cursor = connection.cursor()
                    cursors.append((cursor, runs))
                    await cursor.executemany(statement, [statements[k][1] for k in runs], returning=True)
            rows: list[list[tuple[Any, ...]]] = [[] for _ in statements]
            for cursor, runs in cursors:
                for k in runs:  # a result a run, in order
                    rows[k] = await cursor.fetchall()
                    cursor.nextset()
            return rows
        except psycopg.Error as exc:
            log.warning("the joins' connection failed (%s): the database thread reads instead", exc)
            await self.close()
            raise Unavailable from exc

    async def session_data(self, session: Any) -> str | None:
        """The data of the session's unexpired row, or None; read with the others asked for meanwhile
        (Unavailable: the connection failed)."""
        if not session.session_key:
            return None
        return await self.sessions.ask(session.session_key)

    async def read_sessions(self, keys: list[str]) -> list[str | None]:
        """The sessions' data (None for a key without an unexpired row), in one statement."""
        statement, params = session_store().read_many_statement(list(dict.fromkeys(keys)))
        found: dict[str, str] = dict(await self.fetch(statement, params))  # type: ignore[arg-type]
        return [found.get(key) for key in keys]

    async def close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None and not connection.closed:
            try:
                await connection.close()
            except psycopg.Error:
                log.debug("closing the joins' connection failed", exc_info=True)


readers = limits.PerLoop(LoopReader)  # the running event loop's


def session_store() -> Any:
    """The session engine's store (classrooms.sessions.SessionStore), whose statement reads many sessions."""
    return import_module(settings.SESSION_ENGINE).SessionStore


def applies() -> bool:
    return bool(connections["default"].vendor == "postgresql")


async def session_load(session: Any) -> bool:
    """Load a socket's session (classrooms.sessions.SessionStore) on the loop: False when it cannot be,
    and the caller's trip to the database thread loads it there."""
    if not applies():
        return False
    try:
        data = await readers().session_data(session)
    except Unavailable:
        return False
    session.loaded(data)
    return True


def session_student(session: Any) -> int | None:
    """The student a loaded session stands for (not yet checked against their link), or None."""
    student = session.get(SESSION_STUDENT)
    if session.get(SESSION_BOT) is not None or not isinstance(student, int):
        return None
    return student


async def fetch(statement: str, params: Any) -> list[tuple[Any, ...]]:
    """The rows of a join's statement on the running loop's connection (Unavailable: it failed)."""
    return await readers().fetch(statement, params)


async def close() -> None:
    """Close the running loop's connection, if it opened one (a test's conversation, as it ends)."""
    reader = readers.made.get(asyncio.get_running_loop())
    if reader is not None:
        await reader.close()
