"""A websocket's handshake read once (config/daphne_sockets.py): Daphne's own protocols, on Twisted's
in-memory transport, with a stand-in for Daphne's server that records what it is given."""

from __future__ import annotations

import contextlib
import queue
import sys
from pathlib import Path
from typing import Any

import pytest
import twisted.internet
import twisted.test
from daphne.http_protocol import HTTPFactory, WebRequest
from daphne.utils import HEADER_NAME_RE, INVALID_HEADER_VALUE_BYTES
from daphne.ws_protocol import WebSocketFactory, WebSocketProtocol
from OpenSSL import SSL
from twisted.internet import ssl
from twisted.internet.address import IPv4Address
from twisted.internet.interfaces import ITCPTransport
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.protocols.tls import TLSMemoryBIOFactory
from twisted.web.http import HTTPChannel
from zope.interface import implementer

import config.asgi  # noqa: F401  (installs the Daphne patches, as a Daphne process does)
from config.daphne_sockets import NAME, FirstBytes, websocket_query

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

    def unregisterProducer(self) -> None:  # as a TCP transport does: nothing registered is no error
        self.producer = None

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


MANY_HEADERS = b"".join(b"X-%d: 1\r\n" % k for k in range(HTTPChannel.maxHeaders))


@pytest.mark.parametrize(
    ("handshake", "straight", "reaches"),
    [
        (HANDSHAKE.replace(b"Cookie: csrftoken=x; sessionid=abc\r\n", b"Cookie: a=1\r\nCookie: b=2\r\n"), False, True),
        (HANDSHAKE.replace(b"Upgrade: websocket", b"Upgrade: WebSocket"), True, True),
        (HANDSHAKE.replace(b"HTTP/1.1", b"HTTP/1.0"), False, True),
        (HANDSHAKE.replace(b"Origin: https://parley.example\r\n", b"Content-Length: 0\r\n"), False, True),
        (HANDSHAKE.replace(b"Origin: https://parley.example\r\n", b"Expect: 100-continue\r\n"), False, True),
        (HANDSHAKE.replace(b"Origin: https://parley.example\r\n", b"X-Forwarded-For: \xa01.2.3.4\r\n"), False, True),
        (HANDSHAKE.replace(b"?lang=de", b"?lang=de#top"), True, False),  # autobahn refuses it, either way
    ],
    ids=["a header twice", "upgrade in capitals", "HTTP/1.0", "a body", "expect", "a byte not ascii", "fragment"],
)
def test_a_handshake_gets_the_same_scope_and_answer_either_way(
    server: Server, handshake: bytes, straight: bool, reaches: bool
) -> None:
    """What Daphne's HTTP channel joins, rewrites, acts on or may decode otherwise takes its way; the rest
    goes straight to autobahn. Either way the application gets the scope, and the client the bytes, that
    the channel's way gives (a handshake in two reads takes the channel's way)."""
    assert (websocket_query(handshake) is not None) is straight
    transport = connect(server, handshake)
    assert (WebRequest in [type(p) for p in server.connected]) is not straight
    split = Server()
    split_transport = connect(split, handshake[:40], handshake[40:])
    assert [type(p) for p in split.connected][:1] == [WebRequest]
    assert split.scopes == server.scopes and len(server.scopes) == int(reaches)
    if reaches:  # the channel's "100 Continue", or nothing yet (the application has not accepted)
        assert transport.value() == split_transport.value()
    else:  # autobahn's refusal (the channel's way then wrote a 500 after it, on the same connection)
        assert transport.value().startswith(b"HTTP/1.1 400 ")
        assert split_transport.value().startswith(transport.value())


def test_more_headers_than_the_http_channel_takes_are_refused_as_before(server: Server) -> None:
    handshake = HANDSHAKE.replace(b"Origin: https://parley.example\r\n", MANY_HEADERS)
    assert websocket_query(handshake) is None
    transport = connect(server, handshake)
    assert transport.value().startswith(b"HTTP/1.1 400") and server.scopes == []


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
    for byte in [*INVALID_HEADER_VALUE_BYTES, 0, 13, 10, 0x7F, 0xA0]:
        assert websocket_query(HANDSHAKE.replace(b"Origin: https", b"Origin: " + bytes([byte]) + b"https")) is None


def test_a_connection_that_sends_nothing_is_closed_after_the_http_channels_idle_time(server: Server) -> None:
    server.http_factory.timeOut = 60
    transport = connect(server)
    assert server.clock is not None
    server.clock.advance(59)
    assert not transport.disconnecting
    server.clock.advance(2)
    assert transport.disconnecting


def test_over_tls_a_connection_that_says_nothing_is_dropped_after_the_idle_time(server: Server) -> None:
    """Daphne serving TLS itself (an `ssl:` endpoint): a client that finishes the TLS handshake and goes
    silent. A clean close would wait for its answer for ever; it is aborted, as the HTTP channel's own
    timeout forces its close."""
    pem = (Path(twisted.test.__file__).parent / "server.pem").read_bytes()
    assert server.clock is not None
    server.http_factory.timeOut = 60
    tls = TLSMemoryBIOFactory(
        ssl.PrivateCertificate.loadPEM(pem).options(), False, server.http_factory, clock=server.clock
    )
    transport = TCPTransport(peerAddress=IPv4Address("TCP", "127.0.0.1", 50000))
    protocol = tls.buildProtocol(transport.getPeer())
    transport.protocol = protocol
    protocol.makeConnection(transport)
    client = SSL.Connection(SSL.Context(SSL.TLS_METHOD), None)
    client.set_connect_state()
    for _ in range(10):  # the TLS handshake, through memory
        with contextlib.suppress(SSL.WantReadError):
            client.do_handshake()
        with contextlib.suppress(SSL.WantReadError):
            protocol.dataReceived(client.bio_read(65536))
        if answer := transport.value():
            transport.clear()
            client.bio_write(answer)
    assert protocol._handshakeDone and isinstance(protocol.wrappedProtocol, FirstBytes)
    server.clock.advance(59)
    assert not transport.disconnecting
    server.clock.advance(2)
    assert transport.disconnecting or transport.disconnected
    server.clock.advance(3600)
    assert transport.disconnected  # aborted, not left waiting for the peer's close_notify
