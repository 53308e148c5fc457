"""The server's side of the heartbeat (docs/protocol.md, "Heartbeat"): a socket that has sent nothing
for SOCKET_IDLE_SECONDS is taken for dead and closed, so that its partner learns within seconds that
the participant is gone, even when the network dropped without a close (a laptop's Wi-Fi, a phone
going into a tunnel), which TCP itself would notice only minutes later.

One watch per event loop (a Daphne process has one) looks at every socket once a second: the cost is
one timer per process and a comparison per socket, whatever the number of sockets.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Protocol

from django.conf import settings

from negotiations.limits import PerLoop

log = logging.getLogger(__name__)
LOOK_EVERY = 1.0  # seconds between two looks at the sockets


class Watched(Protocol):
    channel_name: str
    heard_at: float  # time.monotonic() of the last message from the client

    async def gone_silent(self) -> None: ...


class Silence:
    """The sockets of one event loop that the heartbeat rule applies to. `watch` when a socket has been
    accepted, `leave` when it disconnects; a socket silent for longer than the idle time is handed to its
    own `gone_silent` (once) and forgotten."""

    def __init__(self) -> None:
        self.sockets: dict[str, Watched] = {}
        self.task: asyncio.Task[None] | None = None
        self.closing: set[asyncio.Task[None]] = set()  # held until done, so that none is collected midway

    def watch(self, socket: Watched) -> None:
        self.sockets[socket.channel_name] = socket
        if self.task is None or self.task.done():
            self.task = asyncio.ensure_future(self.look())

    def leave(self, socket: Watched) -> None:
        self.sockets.pop(socket.channel_name, None)

    def silent(self, now: float) -> list[Watched]:
        idle = float(settings.SOCKET_IDLE_SECONDS)
        found = [s for s in self.sockets.values() if now - s.heard_at > idle]
        for socket in found:
            del self.sockets[socket.channel_name]
        return found

    async def look(self) -> None:
        while self.sockets:
            await asyncio.sleep(LOOK_EVERY)
            for socket in self.silent(time.monotonic()):
                task = asyncio.ensure_future(self._close(socket))
                self.closing.add(task)
                task.add_done_callback(self.closing.discard)
        self.task = None

    @staticmethod
    async def _close(socket: Watched) -> None:
        try:
            await socket.gone_silent()
        except Exception:
            log.exception("closing a silent socket failed")


silence = PerLoop(Silence)  # the watched sockets of the running event loop
