"""A socket closed for flooding is read no more.

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

from negotiations.protocol import CLOSE_TOO_MANY

_server_close = WebSocketProtocol.serverClose


def server_close(self: Any, code: int | None = None) -> None:
    _server_close(self, code)
    if code == CLOSE_TOO_MANY and self.transport is not None:
        self.transport.loseConnection()  # the close frame is written first; nothing more is read


def install() -> None:
    """In a Daphne process (config/asgi.py)."""
    WebSocketProtocol.serverClose = server_close
