"""A join's handshake: the socket is accepted before anything is looked up, then the session, the seat and
the snapshot are read: a student's on the event loop (negotiations.loop_reads, on PostgreSQL), anyone
else's in one trip to the process's database thread (negotiations.handshake). In a burst of joins that
thread queues, and Daphne drops a handshake not accepted within 5 s."""

from __future__ import annotations

import threading

import pytest
from channels.db import DatabaseSyncToAsync, database_sync_to_async
from django.db import connection
from django.test import Client

from classrooms import services
from classrooms.sessions import SessionStore
from negotiations import loop_reads
from negotiations.bot_seats import bot_seats_play_due
from tests.base import student_client
from tests.live import Live, run

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_handshake_is_accepted_while_its_session_waits_for_the_database(started_pair, monkeypatch):
    negotiation, students = started_pair
    client = student_client(students["seller"])
    gate = threading.Event()
    load = SessionStore.load

    def held(self):  # type: ignore[no-untyped-def]
        gate.wait(timeout=10)
        return load(self)

    monkeypatch.setattr(SessionStore, "load", held)

    async def go():
        live = Live(f"/ws/negotiations/{negotiation.pk}/", client)
        try:
            accepted, _ = await live.communicator.connect(timeout=3)
        finally:
            gate.set()
        snapshot = await live.recv()
        await live.close()
        return accepted, snapshot["type"]

    assert run(go()) == (True, "snapshot")


def counted_trips(monkeypatch) -> list[str]:  # type: ignore[no-untyped-def]
    """The names of the functions that go to the database thread from now on, the embedded server's own
    loop (no Redis) left out."""
    trips: list[str] = []
    handler = DatabaseSyncToAsync.thread_handler

    def counted(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        name = getattr(self.func, "__name__", repr(self.func))
        if name != bot_seats_play_due.__name__:
            trips.append(name)
        return handler(self, *args, **kwargs)

    monkeypatch.setattr(DatabaseSyncToAsync, "thread_handler", counted)
    return trips


def test_a_students_join_reads_on_the_event_loop_on_postgresql_and_in_one_trip_elsewhere(started_pair, monkeypatch):
    """A student page's two sockets: the pair's (session, seat and snapshot) and the notices' (session,
    student, rounds). On PostgreSQL both read on the event loop (negotiations.loop_reads), once the
    scenario is parsed; elsewhere the pair's socket makes one trip to the database thread and the notices'
    two (it listens before it reads its rounds)."""
    negotiation, students = started_pair
    client = student_client(students["buyer"])
    trips = counted_trips(monkeypatch)

    async def go():
        warm = Live(f"/ws/negotiations/{negotiation.pk}/", client)  # parses the scenario in this process
        await warm.connect()
        await warm.close()
        trips.clear()
        live = Live(f"/ws/negotiations/{negotiation.pk}/", client)
        snapshot = await live.connect()
        notices = Live("/ws/student/", client)
        exercises = (await notices.connect())["exercises"]
        joined = list(trips)
        await live.close()
        await notices.close()
        return snapshot["me"]["role"], [exercise["id"] for exercise in exercises], joined

    role, exercises, joined = run(go())
    assert role == "buyer"
    assert exercises == [negotiation.exercise_id]
    if connection.vendor == "postgresql":
        assert joined == []
    else:
        assert joined == ["_join", "_student_of", "student_rounds"]


def test_a_socket_reads_its_session_cookie_as_the_page_does_whatever_cookies_come_before_it(started_pair):
    """Another site's cookie on the same domain with a space in its value (`pref=a b`, as a script may set
    it): Django's pages read the session cookie after it, and the socket's handshake stopped there and
    closed the student out (4401)."""
    negotiation, students = started_pair
    session = student_client(students["seller"]).cookies["sessionid"].value
    cookies = f"pref=a b; sessionid={session}"
    assert Client().get("/s/", HTTP_COOKIE=cookies).status_code == 200  # the page: signed in
    assert Client().get("/s/", HTTP_COOKIE="pref=a b").status_code == 302  # without the session: not

    async def go():
        live = Live(f"/ws/negotiations/{negotiation.pk}/")
        live.communicator.scope["headers"].append((b"cookie", cookies.encode()))
        snapshot = await live.connect()
        await live.close()
        return snapshot["type"]

    assert run(go()) == "snapshot"


@pytest.mark.postgres
def test_a_join_whose_event_loop_connection_was_killed_reads_through_the_database_thread(started_pair, monkeypatch):
    """The database ends the event loop's connection (a restart, an administrator): the next join gets its
    snapshot all the same, read in the database thread, and the one after reads on a new connection."""
    negotiation, students = started_pair
    client = student_client(students["seller"])
    trips = counted_trips(monkeypatch)

    def terminate(pid: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])

    async def join() -> tuple[str, list[str]]:
        trips.clear()
        live = Live(f"/ws/negotiations/{negotiation.pk}/", client)
        snapshot = await live.connect()
        await live.close()
        return snapshot["me"]["role"], list(trips)

    async def go():
        await join()  # parses the scenario in this process
        first = await join()
        reader = loop_reads.readers()
        assert reader.connection is not None
        await database_sync_to_async(terminate)(reader.connection.info.backend_pid)
        return first, await join(), await join()

    first, after_kill, after_that = run(go())
    assert first == ("seller", [])
    assert after_kill == ("seller", ["_join"])
    assert after_that == ("seller", [])


@pytest.mark.postgres
@pytest.mark.parametrize("path", ["/ws/negotiations/{negotiation}/", "/ws/student/"])
def test_a_link_revoked_while_the_join_is_read_closes_the_socket(started_pair, monkeypatch, path):
    """The link is revoked just after the join read it as valid (the seat's, or the notices' student): the
    socket already listens to the student's group, so the revocation still closes it (4401)."""
    negotiation, students = started_pair
    student = students["seller"]
    client = student_client(student)
    fetch = loop_reads.fetch

    async def revoked_after(statement, params):  # type: ignore[no-untyped-def]
        rows = await fetch(statement, params)
        if "link_nonce" in statement:  # the seat's or the student's check, not the session's nor the rounds'
            await database_sync_to_async(services.student_link_revoke)(student=student)
        return rows

    monkeypatch.setattr(loop_reads, "fetch", revoked_after)

    async def go():
        live = Live(path.format(negotiation=negotiation.pk), client)
        await live.connect()
        return await live.recv_type("close")

    assert run(go()) == {"type": "close", "code": 4401}
