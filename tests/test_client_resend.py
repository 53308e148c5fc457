"""The Python client (negotiations.client) does what docs/protocol.md asks of every client: an action
answered `rate_limited` or `server_error` is sent again with its client_msg_id, 1, 2 and 4 s apart, and
given back to the caller after that; any other refusal is given back at once."""

from __future__ import annotations

import asyncio
import json

import pytest

from negotiations import client as client_module
from negotiations.client import ErrorFrameReceived, LiveClient


class Connection:
    """What the client sends, recorded; always open."""

    class state:  # the attribute of websockets' connection
        name = "OPEN"

    def __init__(self) -> None:
        self.sent: list[dict] = []

    async def send(self, text: str) -> None:
        self.sent.append(json.loads(text))


@pytest.fixture
def quick(monkeypatch):
    monkeypatch.setattr(client_module, "RESEND_AFTER", (0.01, 0.02, 0.04))


def live_client() -> tuple[LiveClient, Connection]:
    connection = Connection()
    client = LiveClient("ws://x/", "", "http://x")
    client.connection = connection  # type: ignore[assignment]
    return client, connection


def refused(code: str, cid: str) -> dict:
    return {"type": "error", "code": code, "client_msg_id": cid, "message": "not this time"}


@pytest.mark.parametrize("code", ["rate_limited", "server_error"])
def test_an_action_refused_for_the_moment_is_sent_again_and_acknowledged_once(quick, code):
    async def scenario() -> None:
        client, connection = live_client()
        future = await client.submit({"type": "chat", "text": "hello", "client_msg_id": "c1"})
        client._handle(refused(code, "c1"))
        async with asyncio.timeout(5):
            while len(connection.sent) < 2:
                await asyncio.sleep(0.005)
        assert [f["client_msg_id"] for f in connection.sent] == ["c1", "c1"]
        assert not future.done() and "c1" in client.pending
        event = {"seq": 1, "type": "chat", "role": "seller", "payload": {"text": "hello"}, "at": "t"}
        client._handle({"type": "ack", "client_msg_id": "c1", "event": event})
        assert await future == event and client.pending == {}

    asyncio.run(scenario())


def test_after_three_resends_the_refusal_is_given_back(quick):
    async def scenario() -> None:
        client, connection = live_client()
        future = await client.submit({"type": "chat", "text": "hello", "client_msg_id": "c1"})
        async with asyncio.timeout(5):
            for sent in range(1, 5):
                while len(connection.sent) < sent:
                    await asyncio.sleep(0.005)
                client._handle(refused("server_error", "c1"))
        with pytest.raises(ErrorFrameReceived) as info:
            await asyncio.wait_for(future, 5)
        assert info.value.code == "server_error" and len(connection.sent) == 4 and client.pending == {}

    asyncio.run(scenario())


def test_any_other_refusal_is_given_back_at_once(quick):
    async def scenario() -> None:
        client, connection = live_client()
        future = await client.submit({"type": "chat", "text": "hello", "client_msg_id": "c1"})
        client._handle(refused("not_open", "c1"))
        with pytest.raises(ErrorFrameReceived):
            await asyncio.wait_for(future, 1)
        await asyncio.sleep(0.1)
        assert len(connection.sent) == 1 and client.pending == {}

    asyncio.run(scenario())
