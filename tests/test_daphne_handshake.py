"""A websocket's handshake read once (config/daphne_sockets.py): Daphne's own protocols, on Twisted's
in-memory transport, with a stand-in for Daphne's server that records what it is given."""

from __future__ import annotations

import queue
import sys
from typing import Any

import pytest
import twisted.internet
from daphne.http_protocol import HTTPFactory, WebRequest
from daphne.utils import HEADER_NAME_RE, INVALID_HEADER_VALUE_BYTES
from daphne.ws_protocol import WebSocketFactory, WebSocketProtocol
from twisted.internet.address import IPv4Address
from twisted.internet.interfaces import ITCPTransport
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from zope.interface import implementer

import config.asgi  # noqa: F401  (installs the Daphne patches, as a Daphne process does)
from config.daphne_sockets import NAME, websocket_query

KEY = b"dGhlIHNhbXBsZSBub25jZQ=="
HANDSHAKE = (
    b"GET /ws/negotiations/7/?lang=de HTTP/1.1\r\n"
    b"Host: parley.example\r\n"
    b"Upgrade: websocket\r\n"
    b"Connection: Upgrade\r\n"
    b"Sec-WebSocket-Key: " + KEY + b"\r\n"
    b"Sec-WebSocket-Version: 13\r\n"
    b"Origin: https://parley.example\r\n"
    b"Cookie: csrftoken=x; sessionid=abc\r\n"
    b"\r\n"
)


class Server:
    """What Daphne's protocols ask of its server: the connections and applications they make."""

    root_path = ""
    server_name = "Daphne"
    proxy_forwarded_address_header = None

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock
        self.connected: list[Any] = []
        self.scopes: list[dict[str, Any]] = []
        self.http_factory = HTTPFactory(self)
        self.http_factory.timeOut = None
        self.ws_factory = WebSocketFactory(self, server="Daphne")
        self.ws_factory.setProtocolOptions(allowNullOrigin=True, openHandshakeTimeout=0)

    def protocol_connected(self, protocol: Any) -> None:
        self.connected.append(protocol)

    def protocol_disconnected(self, protocol: Any) -> None:
        pass

    def create_application(self, protocol: Any, scope: dict[str, Any]) -> Any:
        self.scopes.append(scope)
        return queue.SimpleQueue()  # the application's queue: the scope it would get is what is compared

    def log_action(self, *args: Any) -> None:
        pass


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Server:
    clock = Clock()  # no reactor is installed in the test process
    monkeypatch.setattr(twisted.internet, "reactor", clock, raising=False)
    monkeypatch.setitem(sys.modules, "twisted.internet.reactor", clock)
    return Server(clock)


@implementer(ITCPTransport)
class TCPTransport(StringTransport):
    """A TCP connection's transport in memory: whether Nagle's algorithm is off (TCP_NODELAY)."""

    no_delay = False

    def setTcpNoDelay(self, enabled: bool) -> None:
        self.no_delay = enabled

    def getTcpNoDelay(self) -> bool:
        return self.no_delay


def connect(server: Server, *chunks: bytes) -> TCPTransport:
    transport = TCPTransport(peerAddress=IPv4Address("TCP", "127.0.0.1", 50000))
    protocol = server.http_factory.buildProtocol(transport.getPeer())
    transport.protocol = protocol
    protocol.makeConnection(transport)
    for chunk in chunks:
        transport.protocol.dataReceived(chunk)
    return transport


def test_a_whole_handshake_goes_straight_to_the_websocket_protocol(server: Server) -> None:
    """Daphne parsed it as an HTTP request first (a WebRequest the server was told of), then wrote it out
    again for autobahn; now autobahn alone reads it, and the application gets the same scope."""
    transport = connect(server, HANDSHAKE)
    assert [type(p) for p in server.connected] == [WebSocketProtocol]
    assert isinstance(transport.protocol, WebSocketProtocol)
    [scope] = server.scopes
    assert scope["path"] == "/ws/negotiations/7/"
    assert scope["query_string"] == b"lang=de"
    assert (b"cookie", b"csrftoken=x; sessionid=abc") in scope["headers"]
    assert scope["client"] == ["127.0.0.1", 50000]

    split = Server()
    connect(split, HANDSHAKE[:40], HANDSHAKE[40:])  # in two reads: the HTTP channel's way, as before
    assert [type(p) for p in split.connected] == [WebRequest, WebSocketProtocol]
    assert split.scopes == server.scopes


def test_a_websocket_sends_each_frame_at_once_whichever_way_its_handshake_went(server: Server) -> None:
    """Nagle's algorithm off (TCP_NODELAY), as Twisted's HTTP channel set it for every connection: the
    websocket protocol's own attempt comes before its options are read, and fails unseen. With it on,
    a frame written after another waited for the peer's delayed acknowledgement, up to 40 ms: the live
    relay's p99 doubled."""
    assert connect(server, HANDSHAKE).no_delay
    assert connect(Server(), HANDSHAKE[:40], HANDSHAKE[40:]).no_delay


@pytest.mark.parametrize(
    "handshake",
    [
        HANDSHAKE.replace(b"Cookie: csrftoken=x; sessionid=abc\r\n", b"Cookie: a=1\r\nCookie: b=2\r\n"),
        HANDSHAKE.replace(b"Upgrade: websocket", b"Upgrade: WebSocket"),
        HANDSHAKE.replace(b"HTTP/1.1", b"HTTP/1.0"),
        HANDSHAKE.replace(b"Origin: https://parley.example\r\n", b"Content-Length: 0\r\n"),
    ],
    ids=["a header twice", "upgrade in capitals", "HTTP/1.0", "a body's length"],
)
def test_a_handshake_the_http_channel_rewrites_reaches_the_application_as_before(server: Server, handshake) -> None:
    """What Daphne's HTTP channel joins, rewrites or reads a body for takes its way (the scope is the
    one it always made); a handshake it does not rewrite goes straight through with the same scope."""
    connect(server, handshake)
    straight = websocket_query(handshake) is not None
    expected = [WebSocketProtocol] if straight else [WebRequest, WebSocketProtocol]
    assert [type(p) for p in server.connected] == expected
    split = Server()
    connect(split, handshake[:40], handshake[40:])
    assert split.scopes == server.scopes and len(server.scopes) == 1


@pytest.mark.parametrize(
    "handshake",
    [
        HANDSHAKE.replace(b"Origin:", b"Ori gin:"),  # a header name Daphne refuses
        HANDSHAKE.replace(b"Origin: https", b"Origin: \x0bhttps"),  # a value it refuses
        HANDSHAKE.replace(b"/ws/", "/wß/".encode()),  # a path not ascii
    ],
    ids=["header name", "header value", "path"],
)
def test_a_handshake_daphne_refuses_is_refused_as_before(server: Server, handshake: bytes) -> None:
    """The HTTP channel's way, which refuses it before any application is made."""
    assert websocket_query(handshake) is None
    transport = connect(server, handshake)
    assert [type(p) for p in server.connected] in ([], [WebRequest])
    assert server.scopes == []
    assert not transport.value().startswith(b"HTTP/1.1 101")


def test_a_page_and_more_bytes_after_a_handshake_go_to_the_http_channel(server: Server) -> None:
    page = b"GET /join/ HTTP/1.1\r\nHost: parley.example\r\n\r\n"
    assert websocket_query(page) is None
    assert websocket_query(HANDSHAKE + b"\x81\x80") is None  # a frame in the same read: the channel's way
    assert websocket_query(HANDSHAKE.replace(b"GET /ws", b"GET http://x/ws")) is None
    connect(server, page)
    assert [type(p) for p in server.connected] == [WebRequest]


def test_the_fast_way_refuses_what_daphne_refuses() -> None:
    """Its header names are Daphne's, and a value with any byte Daphne refuses takes the HTTP channel's way."""
    assert HEADER_NAME_RE.pattern == NAME
    assert websocket_query(HANDSHAKE) == b"lang=de"
    for byte in [*INVALID_HEADER_VALUE_BYTES, 0, 13, 10]:
        assert websocket_query(HANDSHAKE.replace(b"Origin: https", b"Origin: " + bytes([byte]) + b"https")) is None


def test_a_connection_that_sends_nothing_is_closed_after_the_http_channels_idle_time(server: Server) -> None:
    server.http_factory.timeOut = 60
    transport = connect(server)
    assert server.clock is not None
    server.clock.advance(59)
    assert not transport.disconnecting
    server.clock.advance(2)
    assert transport.disconnecting
