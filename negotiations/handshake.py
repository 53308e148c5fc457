"""The websocket handshake before any consumer: a socket that cannot stand for anyone is refused here,
without a database trip, a consumer or the channel layer.

A handshake without the session cookie, or with one this server did not make, is anonymous: it is
closed with 4401 at once, before the session is loaded (docs/protocol.md, "Connecting"). A session
that opens sockets too fast is refused at the handshake, before its session is loaded. Only the other
handshakes go on to the consumer, with the session in the scope not yet loaded: the consumer accepts
the socket first, then loads the session and identifies the participant in one trip to the database
thread (participants.session_user for an instructor), so that a burst of joins queues after the
handshake, not within Daphne's handshake timeout (docs/benchmarks.md, "The join").
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http.cookie import parse_cookie

from classrooms import sessions
from negotiations import limits
from negotiations.protocol import CLOSE_NOT_SIGNED_IN


def session_key(scope: dict[str, Any]) -> str | None:
    """The session cookie's value; None without one, or when this server did not make it (its HMAC,
    classrooms.sessions): a forged cookie is as anonymous as none, and costs no lookup. Read as Django
    reads a page's cookies (the standard library's SimpleCookie stopped at any cookie before it with a
    space in its value, and took ten times as long)."""
    name = settings.SESSION_COOKIE_NAME
    for header, value in scope.get("headers", ()):
        if header == b"cookie" and name.encode() in value:
            key = parse_cookie(value.decode("latin-1")).get(name)
            if key is not None and sessions.is_signed(key):
                return key
    return None


class SessionCookieRequired:
    """ASGI middleware: a websocket without the session cookie is accepted and closed with 4401 (so that
    the client reads the code, not a bare failed handshake); one whose session opens sockets faster than
    its handshakes allow (negotiations.limits) is refused (HTTP 403), so that reconnecting at once after
    every close costs nothing; the rest go on to `inner`, with their session (not loaded) in the scope."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] != "websocket":
            return await self.inner(scope, receive, send)
        key = session_key(scope)
        if key is not None and limits.handshakes().take(key):
            return await self.inner(dict(scope, session=sessions.SessionStore(key)), receive, send)
        message = await receive()
        if message["type"] == "websocket.connect":
            if key is None:
                await send({"type": "websocket.accept"})
                await send({"type": "websocket.close", "code": CLOSE_NOT_SIGNED_IN})
            else:
                await send({"type": "websocket.close"})  # before accepting: the handshake is refused


def signed_in(consumer: Any) -> Any:
    """A consumer behind the cookie check. Channels' own stack (cookies, session, user) is not used: it
    loaded the session and the user before the consumer could accept the socket, in a trip of its own."""
    return SessionCookieRequired(consumer)
