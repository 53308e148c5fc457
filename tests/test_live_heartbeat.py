"""The heartbeat (docs/protocol.md, "Heartbeat"): the server answers a client's heartbeat, and a socket
it has heard nothing from for SOCKET_IDLE_SECONDS is closed, its partner told at once that the
participant left. On the real channel layer; the idle time is shortened here, and the production
values are checked against the 10 s bound below."""

from __future__ import annotations

import asyncio
import time

import pytest
from django.conf import settings as production

from negotiations import heartbeat, limits
from negotiations.protocol import CLOSE_SILENT
from tests.base import student_client
from tests.live import Live, run

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_production_values_see_a_dead_network_within_ten_seconds():
    every, idle = production.SOCKET_HEARTBEAT_SECONDS, production.SOCKET_IDLE_SECONDS
    assert (every, idle) == (3, 8)
    assert idle + heartbeat.LOOK_EVERY <= 9.5  # the server: idle, then at most one look later
    assert 2 * every + 1 + 1 <= 9.5  # the browser (live.js): two heartbeats and a second, on a 1 s tick
    assert idle >= 2 * every + 1  # a live client, one heartbeat late, is never taken for dead


def test_a_silent_socket_is_closed_and_its_partner_told_at_once(started_pair, settings):
    settings.SOCKET_IDLE_SECONDS = 1
    negotiation, students = started_pair
    path = f"/ws/negotiations/{negotiation.pk}/"
    clients = {role: student_client(student) for role, student in students.items()}

    async def go():
        seller, buyer = Live(path, clients["seller"]), Live(path, clients["buyer"])
        first = await seller.connect()
        await buyer.connect()
        await seller.send({"type": "heartbeat"})
        assert (await seller.recv_type("heartbeat")) == {"type": "heartbeat"}
        started = time.monotonic()

        async def keep_beating():
            while True:
                await seller.send({"type": "heartbeat"})
                await asyncio.sleep(0.3)

        beating = asyncio.ensure_future(keep_beating())
        while True:  # the buyer says nothing: the seller hears them leave (its heartbeats' answers keep coming)
            assert time.monotonic() - started < 5, "the seller was never told the silent buyer left"
            frame = await seller.recv(timeout=5)
            if frame["type"] == "presence" and frame["role"] == "buyer" and not frame["online"]:
                break
        told = time.monotonic() - started
        closed = await buyer.recv_type("close")
        beating.cancel()
        await seller.close()
        await buyer.close()
        return first, told, closed

    first, told, closed = run(go())
    assert first["heartbeat"] == {"every": 3, "idle": 1}
    assert 1 <= told <= 2.5  # idle, then at most one look
    assert closed["code"] == CLOSE_SILENT


def test_one_look_a_second_serves_every_socket():
    class Socket:
        def __init__(self, name: str, heard_at: float) -> None:
            self.channel_name, self.heard_at = name, heard_at

    watch = heartbeat.Silence()
    now = 1000.0
    watch.sockets = {s.channel_name: s for s in (Socket("a", now - 9), Socket("b", now - 2), Socket("c", now - 8.5))}
    assert sorted(s.channel_name for s in watch.silent(now)) == ["a", "c"]
    assert list(watch.sockets) == ["b"] and watch.silent(now) == []


@pytest.fixture
def shared_counts(monkeypatch):
    """The frames counted against the seat's and user's shared limits (in Redis when there is one)."""
    counted: list[list[str]] = []
    within = limits.Counts.within

    async def recorded(self, found):  # type: ignore[no-untyped-def]
        counted.append([limit.what for limit in found])
        return await within(self, found)

    monkeypatch.setattr(limits.Counts, "within", recorded)
    return counted


def test_a_heartbeat_is_answered_on_its_socket_alone_without_a_shared_count(started_pair, shared_counts):
    """A heartbeat costs no round trip to the shared counts; a chat still counts against the seat and user."""
    negotiation, students = started_pair
    path, client = f"/ws/negotiations/{negotiation.pk}/", student_client(students["seller"])

    async def go():
        seller = Live(path, client)
        await seller.connect()
        for _ in range(3):
            await seller.send('{"type":"heartbeat"}')  # as the browser writes it
            assert (await seller.recv_type("heartbeat")) == {"type": "heartbeat"}
        after_heartbeats = list(shared_counts)
        await seller.send({"type": "chat", "client_msg_id": "c1", "text": "hello"})
        await seller.recv_type("ack")
        await seller.close()
        return after_heartbeats

    after_heartbeats = run(go())
    assert after_heartbeats == []
    assert shared_counts == [["seat", "user"]]


def test_the_notices_answer_a_heartbeat_without_a_shared_count(started_pair, shared_counts):
    _, students = started_pair
    client = student_client(students["buyer"])

    async def go():
        notices = Live("/ws/student/", client)
        await notices.connect()
        await notices.send({"type": "heartbeat"})
        answer = await notices.recv_type("heartbeat")
        await notices.close()
        return answer

    assert run(go()) == {"type": "heartbeat"}
    assert shared_counts == []


def test_heartbeats_past_their_own_rate_count_as_frames_and_a_flood_of_them_is_closed(started_pair, monkeypatch):
    """A client cannot flood with heartbeats: past the socket's heartbeat bucket they count against its
    frames, are refused, and the socket is closed like any flooding socket."""
    for name in ("HEARTBEATS_PER_SECOND", "FRAMES_PER_SECOND"):
        monkeypatch.setattr(limits, name, 0.0)
    monkeypatch.setattr(limits, "REFUSALS_BEFORE_CLOSE", 10)
    negotiation, students = started_pair
    client = student_client(students["seller"])

    async def go():
        live = Live(f"/ws/negotiations/{negotiation.pk}/", client)
        await live.connect()
        for _ in range(limits.HEARTBEAT_BURST + limits.FRAME_BURST + 40):
            await live.send({"type": "heartbeat"})
        while (frame := await live.recv(timeout=10))["type"] != "close":
            pass
        return frame["code"], [f.get("code", f["type"]) for f in live.frames if f["type"] in ("heartbeat", "error")]

    code, answered = run(go())
    assert code == limits.CLOSE_TOO_MANY
    # Refused as they arrive; those let through as frames are answered in turn, unless the close comes first.
    assert answered.count("rate_limited") == 10
    assert limits.HEARTBEAT_BURST <= answered.count("heartbeat") <= limits.HEARTBEAT_BURST + limits.FRAME_BURST


def test_daphnes_own_count_takes_a_heartbeat_within_its_rate_apart_from_the_frames(monkeypatch):
    monkeypatch.setattr(limits, "HEARTBEATS_PER_SECOND", 0.0)
    count = limits.SocketFrames()
    for _ in range(limits.HEARTBEAT_BURST):
        assert not count.flooding(heartbeat=True)
    assert count.frames.refill() == limits.FRAME_BURST  # no frame taken
    assert not count.flooding(heartbeat=True)  # past its own rate, a heartbeat is a frame
    assert count.frames.refill() < limits.FRAME_BURST


@pytest.mark.parametrize(
    ("text", "heartbeat"),
    [('{"type":"heartbeat"}', True), (b'{"type": "heartbeat"}', True), ('{ "type" : "heartbeat" }\n', True),
     ('{"type":"heartbeat","x":1}', False), ('{"type":"ping"}', False), ("heartbeat", False), (None, False),
     ('{"type":"heartbeat"' + " " * 40 + "}", False), (b"\xff\xfe", False)],
)  # fmt: skip
def test_a_heartbeat_is_known_by_its_few_bytes(text, heartbeat):
    assert limits.is_heartbeat(text) is heartbeat
