"""A flooding socket is closed as Daphne reads it, and read no more.

Daphne reads what a peer sends in chunks (64 KB) and queues each frame for the consumer, which counts it
against the socket's rate. Parsing a flood's chunks can take the event loop's every turn, so that the
consumer's count falls behind (a few frames a second) and never reaches its close while the queue grows
without end. So the protocol counts each frame as it reads it, by the consumer's own rule
(`negotiations.limits.SocketFrames`, heartbeats within their own rate apart): once a socket is past its
rate and its refusals, it is closed with CLOSE_TOO_MANY and nothing more it sends is queued.

When the application closes a socket, Daphne (autobahn) sends the close frame and waits up to a second
(the closing handshake's timeout, which Daphne does not expose) for the peer's answer, reading and
parsing whatever the peer still sends meanwhile: a flooding peer that ignores the close kept a process
busy for that second. A socket closed with CLOSE_TOO_MANY is dropped instead once its close frame is
written: Twisted stops reading it at once, and what the peer sends after is refused by the kernel. Other
closes keep the closing handshake, so that a client reads its close code cleanly.
"""

from __future__ import annotations

from typing import Any

from daphne.ws_protocol import WebSocketProtocol

from negotiations import limits
from negotiations.protocol import CLOSE_TOO_MANY

_server_close = WebSocketProtocol.serverClose
_on_message = WebSocketProtocol.onMessage


def on_message(self: Any, payload: bytes, isBinary: bool) -> None:
    if getattr(self, "flooded", False):
        return  # closed for flooding: what was read with the flood is not queued
    count = getattr(self, "frame_count", None)
    if count is None:
        count = self.frame_count = limits.SocketFrames()
    if count.flooding(heartbeat=not isBinary and limits.is_heartbeat(payload)):
        self.flooded = True
        self.serverClose(code=CLOSE_TOO_MANY)
        return
    _on_message(self, payload, isBinary)


def server_close(self: Any, code: int | None = None) -> None:
    _server_close(self, code)
    if code == CLOSE_TOO_MANY and self.transport is not None:
        self.transport.loseConnection()  # the close frame is written first; nothing more is read


def install() -> None:
    """In a Daphne process (config/asgi.py)."""
    WebSocketProtocol.serverClose = server_close
    WebSocketProtocol.onMessage = on_message
