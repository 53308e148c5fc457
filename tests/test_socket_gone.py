"""A send to a socket whose connection is gone is dropped, not an error of the server: whatever the event
loop raises for it (negotiations.consumers.socket_gone)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from autobahn.exception import Disconnected

from negotiations.consumers import NoRouteConsumer, socket_gone

# What uvloop raises when Twisted writes to a connection whose socket it has closed (a CI run's traceback,
# a student's network dropped while the server acknowledged an offer).
UVLOOP_CLOSED = RuntimeError(
    "unable to perform operation on <UVPoll closed=True 0x7f81596da880>; the handler is closed"
)


@pytest.mark.parametrize(
    "raised", [UVLOOP_CLOSED, ConnectionResetError(104, "reset"), Disconnected("closing")], ids=repr
)
def test_a_consumer_whose_socket_is_gone_drops_its_sends_and_ends_quietly(raised: Exception):
    scope = {"type": "websocket", "path": "/ws/nowhere/", "headers": [], "url_route": {"kwargs": {}}}
    messages: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    sent: list[str] = []
    closing = asyncio.Event()

    async def receive() -> dict[str, Any]:
        return await messages.get()

    async def send(message: dict[str, Any]) -> None:
        sent.append(message["type"])
        if message["type"] == "websocket.close":
            closing.set()
        raise raised

    async def go() -> None:
        messages.put_nowait({"type": "websocket.connect"})
        app = asyncio.ensure_future(NoRouteConsumer.as_asgi()(scope, receive, send))
        closed = asyncio.ensure_future(closing.wait())
        await asyncio.wait({closed, app}, timeout=5, return_when=asyncio.FIRST_COMPLETED)
        closed.cancel()
        if app.done():
            app.result()  # it raised before its close: say what
        messages.put_nowait({"type": "websocket.disconnect", "code": 1006})
        await asyncio.wait_for(app, 5)  # ends without raising

    asyncio.run(go())
    assert sent == ["websocket.accept", "websocket.close"]


def test_other_errors_are_not_taken_for_a_gone_socket():
    assert socket_gone(UVLOOP_CLOSED) and socket_gone(BrokenPipeError()) and socket_gone(Disconnected())
    assert not socket_gone(RuntimeError("something else broke")) and not socket_gone(ValueError("closed"))
    # uvloop says "the handler is closed" of any closed handle (a timer, a server, another process's pipe):
    # only a poll handle's, where Twisted's writes to the socket go, is the socket's connection gone
    for other in ("<UVTimer closed=True 0x7f81596da880>", "<TCPServer closed=True 0x7f81596da880>"):
        assert not socket_gone(RuntimeError(f"unable to perform operation on {other}; the handler is closed"))
    assert not socket_gone(RuntimeError(f"{UVLOOP_CLOSED} while sending; the handler is closed"))


def test_a_send_failing_for_another_reason_is_raised_not_dropped():
    """A consumer that took any failed send for a gone socket would stop reading its client and would
    never close it: another error ends the consumer with that error."""
    scope = {"type": "websocket", "path": "/ws/nowhere/", "headers": [], "url_route": {"kwargs": {}}}
    broken = RuntimeError("unable to perform operation on <UVTimer closed=True 0x7f8>; the handler is closed")

    messages: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def receive() -> dict[str, Any]:
        return await messages.get()

    async def send(message: dict[str, Any]) -> None:
        raise broken

    async def go() -> None:
        messages.put_nowait({"type": "websocket.connect"})
        await asyncio.wait_for(NoRouteConsumer.as_asgi()(scope, receive, send), 5)

    with pytest.raises(RuntimeError) as raised:
        asyncio.run(go())
    assert raised.value is broken
