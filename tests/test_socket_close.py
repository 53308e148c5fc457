"""A socket that is going away: whatever the server tries to send it meanwhile, its consumer still runs
`disconnect()`, so the partner hears that it left; and a path without a route is refused cleanly.

Between a close and the disconnect message that follows it (the peer answering the close, or Daphne
giving up on it after a second), Daphne raises on every send ("Attempt to send on a closed protocol").
The in-process tests reproduce that with a send that raises as Daphne's does; the others run a real
Daphne and read its log.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
from typing import Any

import pytest
from autobahn.exception import Disconnected
from websockets.asyncio.client import connect as ws_connect
from websockets.client import ClientProtocol
from websockets.exceptions import ConnectionClosed
from websockets.frames import Opcode
from websockets.protocol import State
from websockets.uri import parse_uri

from bench.stack import cpu_seconds
from classrooms.services import student_link_token
from config.asgi import application
from negotiations import limits
from negotiations.client import LiveClient, sign_in
from tests.base import student_client
from tests.live import Live, run
from tests.servers import LOGS, daphne


class ClosingSocket(Live):
    """A socket whose server raises on a send once the socket is closing, as Daphne does: after the
    application closed it, or after the peer did (`peer_closed()`) until the disconnect is delivered."""

    def __init__(self, path: str, client: Any) -> None:
        super().__init__(path, client)
        self.closing = False
        self.send_refused = asyncio.Event()

        async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
            async def send_as_daphne(message: dict[str, Any]) -> None:
                if message["type"] == "websocket.send" and self.closing:
                    self.send_refused.set()
                    raise Disconnected("Attempt to send on a closed protocol")
                if message["type"] == "websocket.close":
                    self.closing = True
                await send(message)

            await application(scope, receive, send_as_daphne)

        self.communicator.application = app

    def peer_closed(self) -> None:
        self.closing = True


async def went_offline(partner: Live, role: str) -> dict[str, Any]:
    while True:
        frame = await partner.recv_type("presence")
        if frame["role"] == role and frame["online"] is False:
            return frame


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("closed_by", ["the server, for flooding", "the peer"])
def test_a_closing_socket_sent_to_by_its_partner_still_leaves_and_is_heard_leaving(
    started_pair, monkeypatch, closed_by
):
    monkeypatch.setattr(limits, "FRAMES_PER_SECOND", 0.0)
    monkeypatch.setattr(limits, "REFUSALS_BEFORE_CLOSE", 3)
    negotiation, students = started_pair
    path = f"/ws/negotiations/{negotiation.pk}/"
    buyer, seller = student_client(students["buyer"]), student_client(students["seller"])

    async def go() -> dict[str, Any]:
        leaving = ClosingSocket(path, buyer)
        partner = Live(path, seller)
        await leaving.connect()
        await partner.connect()
        if closed_by == "the peer":
            leaving.peer_closed()
        else:
            for _ in range(limits.FRAME_BURST + 5):
                await leaving.send({"type": "typing"})
            while (await leaving.recv())["type"] != "close":
                pass
            assert leaving.closing
        await partner.send({"type": "typing"})  # relayed to the closing socket, whose send raises
        await asyncio.wait_for(leaving.send_refused.wait(), 5)
        await leaving.close()  # the disconnect arrives; this raises if the consumer died instead
        offline = await went_offline(partner, "buyer")  # disconnect() ran: it says so before leaving the group
        await partner.close()
        return offline

    assert run(go()) == {"type": "presence", "role": "buyer", "kind": "student", "online": False}


class SilentPeer:
    """A client that never answers the server's close, as a stalled browser would: on the server the
    socket stays closing until Daphne gives up on it, a second later."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, protocol: ClientProtocol) -> None:
        self.reader, self.writer, self.protocol = reader, writer, protocol

    @classmethod
    async def open(cls, url: str, cookie: str, origin: str) -> SilentPeer:
        uri = parse_uri(url)
        reader, writer = await asyncio.open_connection(uri.host, uri.port)
        protocol = ClientProtocol(uri)
        request = protocol.connect()
        request.headers["Origin"] = origin
        request.headers["Cookie"] = cookie
        protocol.send_request(request)
        peer = cls(reader, writer, protocol)
        peer.flush()
        while protocol.state is State.CONNECTING:
            protocol.receive_data(await asyncio.wait_for(reader.read(65536), 10))
        if protocol.handshake_exc is not None:
            raise protocol.handshake_exc
        return peer

    def flush(self) -> None:
        self.writer.write(b"".join(self.protocol.data_to_send()))

    def send(self, frame: dict[str, Any]) -> None:
        self.protocol.send_text(json.dumps(frame).encode())
        self.flush()

    async def until_closed(self) -> int | None:
        """Read until the server's close frame, and leave it unanswered; returns its code (None: the
        connection was reset before the frame was read, as a loaded machine at times does to a flood the
        server drops)."""
        while True:
            try:
                data = await asyncio.wait_for(self.reader.read(65536), 10)
            except ConnectionResetError:
                return None
            if not data:
                raise ConnectionError("the server dropped the connection without a close frame")
            self.protocol.receive_data(data)
            for event in self.protocol.events_received():
                if getattr(event, "opcode", None) is Opcode.CLOSE:
                    return self.protocol.close_rcvd.code  # type: ignore[union-attr]

    def abort(self) -> None:
        self.writer.transport.abort()


def daphne_log(port: int) -> str:
    return (LOGS / f"daphne-{port}.log").read_text()


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_on_daphne_a_socket_closed_for_flooding_while_its_partner_types_is_heard_leaving(started_pair):
    negotiation, students = started_pair
    with daphne() as (port, _):
        base = f"http://127.0.0.1:{port}"
        url = f"ws://127.0.0.1:{port}/ws/negotiations/{negotiation.pk}/"
        partner = LiveClient(url, sign_in(base, f"/s/{student_link_token(students['seller'])}/"), base)
        flooder_cookie = sign_in(base, f"/s/{student_link_token(students['buyer'])}/")

        def left(client: LiveClient) -> bool:
            return any(f["type"] == "presence" and f["role"] == "buyer" and not f["online"] for f in client.other)

        async def play() -> int | None:
            await partner.connect()
            flooder = await SilentPeer.open(url, flooder_cookie, base)
            for _ in range(limits.FRAME_BURST + limits.REFUSALS_BEFORE_CLOSE + 40):
                flooder.protocol.send_text(json.dumps({"type": "typing"}).encode())
            # In one write: the server drops the connection once it has read the flood, and a write after
            # that broke the pipe, which the client's reader then raised instead of the close frame.
            flooder.flush()
            code = await flooder.until_closed()
            await partner.send_raw(json.dumps({"type": "typing"}))  # reaches the closing socket's consumer
            await partner.wait_for(left, timeout=10)
            flooder.abort()
            await partner.close()
            return code

        code = asyncio.run(play())
    # The close code, or a reset before the flooder read it (a CI run on a loaded machine): either way the
    # partner, the point here, heard it leave.
    assert code in (limits.CLOSE_TOO_MANY, None)
    assert "Traceback" not in daphne_log(port)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_on_daphne_a_socket_to_a_path_without_a_route_is_closed_as_not_found():
    paths = ["/ws/negotiations/abc/", "/ws/exercises/1/monitor/extra/", "/elsewhere/"]
    with daphne() as (port, _):
        base = f"http://127.0.0.1:{port}"

        async def attempt(path: str) -> int | None:
            try:
                async with ws_connect(f"ws://127.0.0.1:{port}{path}", origin=base) as socket:  # type: ignore[arg-type]
                    await asyncio.wait_for(socket.recv(), 10)
            except ConnectionClosed as closed:
                return closed.rcvd.code if closed.rcvd else None
            return None

        async def attempts() -> list[int | None]:
            return [await attempt(path) for path in paths]

        codes = asyncio.run(attempts())
    assert codes == [4404, 4404, 4404]
    assert "Traceback" not in daphne_log(port)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_on_daphne_a_socket_closed_for_flooding_is_read_no_more(started_pair):
    """The close frame is the last thing the server does with a flooding socket: it drops the connection
    at once, instead of reading (and parsing) what the peer goes on sending until the closing
    handshake's timeout, a second later. Counted in the server's CPU time from the flood's first frame,
    which the machine's load barely moves: up to a second of it before (0.25-1 s), a few hundredths now
    (the join before the flood, a fresh process's first, took about as much again on a slow machine)."""
    negotiation, students = started_pair
    with daphne() as (port, server):
        base = f"http://127.0.0.1:{port}"
        url = f"ws://127.0.0.1:{port}/ws/negotiations/{negotiation.pk}/"
        cookie = sign_in(base, f"/s/{student_link_token(students['buyer'])}/")

        def flood() -> int | None:
            """A blocking socket and a thread that writes one frame again and again, never a close."""
            uri = parse_uri(url)
            protocol = ClientProtocol(uri)
            request = protocol.connect()
            request.headers["Origin"], request.headers["Cookie"] = base, cookie
            protocol.send_request(request)
            sock = socket.create_connection((uri.host, uri.port), timeout=10)
            sock.sendall(b"".join(protocol.data_to_send()))
            while protocol.state is State.CONNECTING:
                protocol.receive_data(sock.recv(65536))
            protocol.send_text(json.dumps({"type": "typing"}).encode())
            frames = b"".join(protocol.data_to_send()) * 16

            def keep_sending() -> None:
                with contextlib.suppress(OSError):
                    while True:  # as fast as TCP takes it, whatever the server answers
                        sock.sendall(frames)

            cpu.append(cpu_seconds(server.pid))  # from the flood's start: the join before it is not counted
            threading.Thread(target=keep_sending, daemon=True).start()
            try:
                while data := sock.recv(65536):  # until the server's end of the connection is gone
                    received.append(len(data))
                    protocol.receive_data(data)
            except OSError as error:
                received.append(repr(error))
            sock.close()
            received.append(
                f"handshake: {protocol.handshake_exc!r}, parser: {protocol.parser_exc!r}, {protocol.state.name}"
            )
            return protocol.close_rcvd.code if protocol.close_rcvd else None

        received: list[int | str] = []  # what each read got, and how the reading ended: said if it fails
        cpu: list[float] = []
        code = flood()
        spent = cpu_seconds(server.pid) - cpu[0]
    # The close code, or on a loaded machine at times a reset (the flood unread in the server's buffer
    # when it drops the connection) before the peer read it: never the peer's own timeout.
    said = f"reads: {received}\n{daphne_log(port)[-3000:]}"
    errors = [read for read in received[:-1] if isinstance(read, str)]  # how the reading ended, if not by EOF
    assert code == limits.CLOSE_TOO_MANY or (
        code is None and errors in ([], ["ConnectionResetError(104, 'Connection reset by peer')"])
    ), said
    assert spent < 0.15
    assert "Traceback" not in daphne_log(port)


def test_a_socket_leaves_without_a_trip_to_the_database_thread(monkeypatch):
    """Channels' disconnect checks for stale database connections through the process's one database
    thread; a class refused or leaving at once (a hostile user's 1,500 sockets a minute closed 4401) queued
    there behind the other pairs' writes. Parley's consumers read on the loop or through
    database_sync_to_async, which checks for itself."""
    import channels.generic.websocket

    from negotiations.consumers import NoRouteConsumer

    trips: list[str] = []

    async def checked() -> None:
        trips.append("close_old_connections")

    monkeypatch.setattr(channels.generic.websocket, "aclose_old_connections", checked)
    scope = {"type": "websocket", "path": "/ws/nowhere/", "headers": [], "url_route": {"kwargs": {}}}
    messages: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    sent: list[str] = []

    async def receive() -> dict[str, Any]:
        return await messages.get()

    async def send(message: dict[str, Any]) -> None:
        sent.append(message["type"])

    async def go() -> None:
        messages.put_nowait({"type": "websocket.connect"})
        messages.put_nowait({"type": "websocket.disconnect", "code": 4404})
        await asyncio.wait_for(NoRouteConsumer.as_asgi()(scope, receive, send), 5)

    asyncio.run(go())
    assert sent == ["websocket.accept", "websocket.close"]
    assert trips == []


def test_the_consumers_reach_the_database_only_through_the_checked_ways():
    """What lets the consumers skip Channels' stale-connection check (in `dispatch` and in the leave): every
    database call of theirs goes through database_sync_to_async, which checks before and after, or reads
    on the event loop's own connection (negotiations.loop_reads). A plain sync_to_async or async ORM call in
    a consumer's module would use the database thread's connection unchecked."""
    import re
    from pathlib import Path

    import negotiations.consumers
    import negotiations.notices

    for module in (negotiations.consumers, negotiations.notices):
        text = Path(module.__file__).read_text()
        unchecked = re.findall(r"(?<!database_)sync_to_async\(|\.a(?:get|filter|exists|count|create|save)\(", text)
        assert unchecked == [], f"{module.__name__}: {unchecked}"
