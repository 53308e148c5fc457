"""A join's handshake: the socket is accepted before anything is looked up, then the session, the seat and
the snapshot come in one trip to the process's database thread (negotiations.handshake). In a burst of
joins that thread queues, and Daphne drops a handshake not accepted within 5 s."""

from __future__ import annotations

import threading

import pytest
from channels.db import DatabaseSyncToAsync
from django.test import Client

from classrooms.sessions import SessionStore
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


def test_a_students_join_is_one_trip_to_the_database_thread(started_pair, monkeypatch):
    negotiation, students = started_pair
    client = student_client(students["buyer"])
    trips: list[str] = []
    handler = DatabaseSyncToAsync.thread_handler

    def counted(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        name = getattr(self.func, "__name__", repr(self.func))
        if name != bot_seats_play_due.__name__:  # the embedded server's own loop (no Redis), not the join
            trips.append(name)
        return handler(self, *args, **kwargs)

    monkeypatch.setattr(DatabaseSyncToAsync, "thread_handler", counted)

    async def go():
        live = Live(f"/ws/negotiations/{negotiation.pk}/", client)
        snapshot = await live.connect()
        joined = list(trips)
        await live.close()
        return snapshot["me"]["role"], joined

    role, joined = run(go())
    assert role == "buyer"
    assert joined == ["_join"]


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
