"""The negotiation socket when the server fails on an action (the database connection drops): the sender
is told which action was not taken, keeps its socket, and sending it again stores it once.

Not among the modules that must log no traceback: a failure of the database is logged with one."""

from __future__ import annotations

import logging

import pytest
from django.db import OperationalError

from negotiations import acting
from negotiations.models import Event
from tests.base import student_client
from tests.live import Live, run

# The failure is planted in the one-statement store, PostgreSQL's (other databases take the ORM's way).
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("fails", ["before storing", "after storing"])
def test_a_chat_the_database_failed_on_is_answered_with_its_id_and_taken_once_when_sent_again(
    started_pair, monkeypatch, caplog, fails
):
    negotiation, students = started_pair
    store = acting._store_at_once
    calls = []

    def flaky(*args, **kwargs):  # the database connection fails once, before or after the commit
        calls.append(1)
        if len(calls) > 1:
            return store(*args, **kwargs)
        if fails == "after storing":
            store(*args, **kwargs)
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(acting, "_store_at_once", flaky)
    seller = student_client(students["seller"])

    async def go():
        a = Live(f"/ws/negotiations/{negotiation.pk}/", seller)
        await a.connect()
        frame = {"type": "chat", "client_msg_id": "c-1", "text": "Still there?"}
        await a.send(frame)
        error = await a.recv_type("error")
        await a.send(frame)  # the same frame again, as the error invites
        ack = await a.recv_type("ack")
        await a.close()
        return error, ack

    with caplog.at_level(logging.ERROR, logger="negotiations.consumers"):
        error, ack = run(go())
    assert error["code"] == "server_error" and error["client_msg_id"] == "c-1"
    assert "send it again" in error["message"]
    assert ack["client_msg_id"] == "c-1" and ack["event"]["payload"]["text"] == "Still there?"
    assert ack["duplicate"] is (fails == "after storing")
    assert Event.objects.filter(negotiation=negotiation, type="chat").count() == 1
    assert [r.exc_info[0] for r in caplog.records if r.exc_info] == [OperationalError]
