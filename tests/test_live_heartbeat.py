"""The heartbeat (docs/protocol.md, "Heartbeat"): the server answers a client's heartbeat, and a socket
it has heard nothing from for SOCKET_IDLE_SECONDS is closed, its partner told at once that the
participant left. On the real channel layer; the idle time is shortened here, and the production
values are checked against the 10 s bound below."""

from __future__ import annotations

import asyncio
import time

import pytest
from django.conf import settings as production

from negotiations import heartbeat
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
