"""A test client for the live sockets, over Channels' in-process communicator."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.test import Client

from config.asgi import application
from negotiations import loop_reads

ORIGIN = b"http://localhost"  # an allowed host (testserver is added only after the ASGI app is built)


def run(coroutine: Any) -> Any:
    """Run a test's socket conversation; close the database connections its threads opened."""

    async def main() -> Any:
        try:
            return await coroutine
        finally:
            await database_sync_to_async(connections.close_all)()
            await loop_reads.close()

    return asyncio.run(main())


def cookie_of(client: Client) -> str:
    return "; ".join(f"{name}={morsel.value}" for name, morsel in client.cookies.items())


class Live:
    """One socket. `await live.connect()` returns the snapshot frame (or raises with the close code)."""

    def __init__(self, path: str, client: Client | None = None, origin: bytes | None = ORIGIN) -> None:
        headers = []
        if origin is not None:
            headers.append((b"origin", origin))
        if client is not None:
            headers.append((b"cookie", cookie_of(client).encode()))
        self.communicator = WebsocketCommunicator(application, path, headers=headers)
        self.frames: list[dict[str, Any]] = []

    async def connect(self) -> dict[str, Any]:
        connected, _ = await self.communicator.connect(timeout=5)
        if not connected:
            await self.communicator.disconnect()  # let the refusing application finish
            raise ConnectionRefusedError("handshake refused")  # Daphne answers such a handshake with HTTP 403
        first = await self.recv()
        if first.get("type") == "close":
            await self.communicator.disconnect()
            raise ConnectionRefusedError(first["code"])
        return first

    async def send(self, frame: dict[str, Any] | str) -> None:
        await self.communicator.send_to(text_data=frame if isinstance(frame, str) else json.dumps(frame))

    async def recv(self, timeout: float = 5) -> dict[str, Any]:
        message = await self.communicator.receive_output(timeout)
        if message["type"] == "websocket.close":
            return {"type": "close", "code": message.get("code")}
        frame = json.loads(message["text"])
        self.frames.append(frame)
        return frame

    async def recv_type(self, *types: str, timeout: float = 5) -> dict[str, Any]:
        """The next frame of one of these types, skipping presence and typing noise."""
        while True:
            frame = await self.recv(timeout)
            if frame["type"] in types:
                return frame
            if frame["type"] not in ("presence", "typing", "event", "broadcast", "pong", "pair"):
                raise AssertionError(f"expected {types}, got {frame}")

    async def nothing(self, timeout: float = 0.2) -> bool:
        return await self.communicator.receive_nothing(timeout)

    async def close(self) -> None:
        await self.communicator.disconnect()

    async def recv_event(self, event_type: str, timeout: float = 5) -> dict[str, Any]:
        """The next stored event of this type, whether it came as an event or an ack."""
        while True:
            frame = await self.recv(timeout)
            event = frame.get("event") if frame["type"] in ("event", "ack") else None
            if event and event["type"] == event_type:
                return event
            if frame["type"] == "error":
                raise AssertionError(f"error while waiting for {event_type}: {frame}")


async def refusal(live: Live) -> int | str:
    """The close code a socket is refused with, or "connected"."""
    try:
        await live.connect()
    except ConnectionRefusedError as refused:
        return refused.args[0]
    return "connected"
