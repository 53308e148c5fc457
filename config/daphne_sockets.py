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

And a websocket's handshake goes straight to Daphne's websocket protocol. Daphne gave every connection
to Twisted's HTTP channel, which parsed the handshake as a request (its headers, a request object, the
request's deferred processing), and only then saw the upgrade and wrote the request out again for
autobahn to parse a second time: a part of every join that told the server nothing new. Now a
connection's first bytes are looked at once (`first_bytes`): when they are a whole websocket handshake
and nothing more, with nothing that Daphne's HTTP channel would refuse or rewrite, autobahn reads them as
Daphne would have handed them over; anything else (a page's request, a handshake split over several
reads, an odd one) goes to the HTTP channel as before (docs/benchmarks.md, "The handshake read once").
"""

from __future__ import annotations

import re
from typing import Any

from daphne.http_protocol import HTTPFactory
from daphne.ws_protocol import WebSocketProtocol
from twisted.internet.interfaces import ITCPTransport
from twisted.internet.protocol import Protocol
from twisted.protocols.policies import ProtocolWrapper, TimeoutMixin
from twisted.web.http import HTTPChannel

from negotiations import limits
from negotiations.protocol import CLOSE_TOO_MANY

_server_close = WebSocketProtocol.serverClose
_on_message = WebSocketProtocol.onMessage
_build_http = HTTPFactory.buildProtocol

MOST_HEAD_BYTES = 16384  # Twisted's bound on a request's headers: a longer handshake takes its way
# A header's name as Daphne's HTTP channel allows it (daphne.utils.HEADER_NAME_RE), and its value in
# printable ASCII: a value with any other byte (which the channel may refuse, or decode otherwise than
# autobahn does) takes the channel's way.
NAME = rb"[-!#$%&'*+.^_`|~0-9a-zA-Z]+"
VALUE = rb"[\t\x20-\x7e]*"
HEADER_LINE = re.compile(rb"(" + NAME + rb"):(" + VALUE + rb")\r\n")
HANDSHAKE = re.compile(rb"GET (/[!-~]*) HTTP/1\.1\r\n((?:" + NAME + rb":" + VALUE + rb"\r\n)+)\r\n")
# What the channel acts on itself: a body to read, or an answer of its own (`Expect: 100-continue`).
CHANNELS_OWN = {b"content-length", b"transfer-encoding", b"expect"}


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


def websocket_query(data: bytes) -> bytes | None:
    """The query string of the websocket handshake that `data` is, whole and alone; None when `data` is
    anything else or anything Daphne's HTTP channel would refuse (HTTP 400) or rewrite before handing it
    to autobahn: not `GET <ascii path> HTTP/1.1`, a header name or value it may refuse (HEADER_LINE), more
    headers than it takes, a header twice (it joins them), a folded line, a body or an `Expect` (it acts
    on them), or more bytes after the head."""
    if len(data) > MOST_HEAD_BYTES or not data.startswith(b"GET /"):
        return None
    head = HANDSHAKE.fullmatch(data)
    if head is None:
        return None
    fields = HEADER_LINE.findall(head[2])
    if len(fields) > HTTPChannel.maxHeaders:  # the channel refuses more
        return None
    named = {name.lower(): value for name, value in fields}
    if len(named) != len(fields) or not named.keys().isdisjoint(CHANNELS_OWN):
        return None
    if named.get(b"upgrade", b"").strip().lower() != b"websocket":
        return None
    return head[1].partition(b"?")[2]


class FirstBytes(TimeoutMixin, Protocol):
    """A connection until its first bytes: then Daphne's websocket protocol when they are a websocket
    handshake (`websocket_query`), else Daphne's HTTP channel, which reads them as it always did. It
    waits for them as long as the HTTP channel waits for a request (its factory's idle timeout)."""

    def __init__(self, factory: HTTPFactory, addr: Any) -> None:
        self.factory = factory
        self.addr = addr

    def connectionMade(self) -> None:
        # Nagle's algorithm off, as Twisted's HTTP channel turns it off for every connection: the websocket
        # protocol's own attempt comes before its options are read, and fails unseen. Left on, a frame
        # sent after another waited for the peer's delayed acknowledgement, up to 40 ms.
        if ITCPTransport.providedBy(self.transport):
            self.transport.setTcpNoDelay(True)
        self.setTimeout(self.factory.timeOut)

    def timeoutConnection(self) -> None:
        """Nothing was said: dropped at once (over TLS a clean close would wait for the silent peer's
        answer, for ever; the HTTP channel forces its abort too)."""
        self.transport.abortConnection()

    def dataReceived(self, data: bytes) -> None:
        self.setTimeout(None)
        h2 = getattr(self.transport, "negotiatedProtocol", None) == b"h2"  # HTTP/2 is the channel's alone
        query = None if h2 else websocket_query(data)
        if query is None:
            protocol = _build_http(self.factory, self.addr)
        else:
            protocol = self.factory.server.ws_factory.buildProtocol(self.addr)
            protocol._raw_query_string = query  # as Daphne's HTTP channel passes it
        transport = self.transport
        if isinstance(transport, ProtocolWrapper):  # TLS wraps the connection (as Daphne's upgrade does)
            transport.wrappedProtocol = protocol
        else:
            transport.protocol = protocol
        protocol.makeConnection(transport)
        protocol.dataReceived(data)

    def connectionLost(self, reason: Any = None) -> None:
        self.setTimeout(None)


def first_bytes(self: HTTPFactory, addr: Any) -> FirstBytes:
    return FirstBytes(self, addr)


def read_handshakes_once() -> None:
    HTTPFactory.buildProtocol = first_bytes


def install() -> None:
    """In a Daphne process (config/asgi.py)."""
    read_handshakes_once()
    WebSocketProtocol.serverClose = server_close
    WebSocketProtocol.onMessage = on_message
