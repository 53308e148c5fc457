"""Guarantees across a process that dies: a Daphne killed with -9, a Redis restarted with its memory lost.

Each ends with nothing acknowledged lost (every ack is in the database with the same number and
content), every effect once (each client_msg_id stored once, however often it was sent), at most one
agreement, and both sides holding exactly the stored events, in order, without gaps.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import urllib.parse
from collections import Counter
from typing import Any

import pytest
import websockets

from classrooms.services import student_link_token
from negotiations.client import LiveClient, sign_in
from negotiations.models import Event, Negotiation
from tests.base import seats_by_role, start_round
from tests.servers import daphne, redis_server

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

PACKAGE = {"price": 10500, "handover": "five-weeks", "warranty": "none", "tyres": "included"}


def client_on(port: int, student, negotiation_id: int) -> LiveClient:
    base = f"http://127.0.0.1:{port}"
    cookie = sign_in(base, f"/s/{student_link_token(student)}/")
    return LiveClient(f"ws://127.0.0.1:{port}/ws/negotiations/{negotiation_id}/", cookie, base)


def move_to(client: LiveClient, port: int) -> None:
    """Point a client at another Daphne process (its session cookie is valid on every process)."""
    path = urllib.parse.urlsplit(client.ws_url).path
    client.ws_url, client.origin = f"ws://127.0.0.1:{port}{path}", f"http://127.0.0.1:{port}"


def is_down(client: LiveClient) -> bool:
    return client.connection is None or client._reader is None or client._reader.done()


async def keep_up(client: LiveClient, timeout: float = 20) -> None:
    """Reconnect a client whose socket closed, as the room's script does; connect() resyncs by sequence
    number and resends every unacknowledged action with its first client_msg_id."""
    deadline = time.monotonic() + timeout
    while is_down(client):
        try:
            await client.connect()
        except (OSError, websockets.InvalidHandshake, websockets.ConnectionClosed, TimeoutError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)  # the server refused the handshake: try again, as a browser would


async def send_action(client: LiveClient, frame: dict[str, Any]) -> None:
    """Queue an action until acknowledged and send it if the socket is up (else the reconnect sends it)."""
    client.pending[frame["client_msg_id"]] = frame
    await send_raw(client, frame)


async def heartbeat(client: LiveClient) -> None:
    """What the room does every 20 s: ping. The client resumes when the pong's last_seq is ahead of its own
    (an announcement was lost on the way)."""
    if not is_down(client):
        await client.ping()


async def send_raw(client: LiveClient, frame: dict[str, Any]) -> None:
    if not is_down(client):
        with contextlib.suppress(websockets.ConnectionClosed):
            await client.send_raw(json.dumps(frame))


async def settle(clients: list[LiveClient], done, timeout: float = 30, what: str = "") -> None:  # type: ignore[no-untyped-def]
    """Keep every client connected, with a heartbeat each second, until done() holds. A socket that stays
    open but never catches up with the stored events fails here."""
    deadline = time.monotonic() + timeout
    beat = 0.0
    while not done():
        if time.monotonic() > deadline:
            states = [(c.ws_url.rsplit(":", 1)[-1], c.last_seq, sorted(c.pending), is_down(c)) for c in clients]
            raise AssertionError(f"not settled within {timeout} s ({what}): {states}")
        for client in clients:
            await keep_up(client)
        if time.monotonic() - beat > 1:
            beat = time.monotonic()
            for client in clients:
                await heartbeat(client)
        waits = [asyncio.ensure_future(c._changed.wait()) for c in clients]
        await asyncio.wait(waits, timeout=0.5, return_when=asyncio.FIRST_COMPLETED)
        for wait in waits:
            wait.cancel()
        for client in clients:
            client._changed.clear()


def assert_nothing_lost_and_each_effect_once(negotiation: Negotiation, clients: list[LiveClient], acked) -> None:  # type: ignore[no-untyped-def]
    stored = list(Event.objects.filter(negotiation=negotiation))
    assert [e.seq for e in stored] == list(range(1, len(stored) + 1)), "gapless numbering"
    by_seq = {e.seq: e for e in stored}
    for event in acked:  # every acknowledged event is there, unchanged
        kept = by_seq.get(event["seq"])
        assert kept is not None and (kept.type, kept.role, kept.payload) == (
            event["type"], event["role"], event["payload"]
        ), (event, kept)  # fmt: skip
    ids = Counter(e.client_msg_id for e in stored if e.client_msg_id)
    assert all(count == 1 for count in ids.values()), ids
    for client in clients:
        assert [(e["seq"], e["type"]) for e in client.events] == [(e.seq, e.type) for e in stored]
        assert not client.pending, client.pending
    assert [e.type for e in stored].count("accept") <= 1


@pytest.mark.slow
def test_a_daphne_killed_mid_negotiation_loses_nothing_acknowledged_and_repeats_nothing(started_pair):
    negotiation, seats = started_pair
    with daphne() as (port_a, process_a), daphne() as (port_b, _):
        seller = client_on(port_a, seats["seller"], negotiation.pk)
        buyer = client_on(port_b, seats["buyer"], negotiation.pk)
        acked: list[dict[str, Any]] = []

        async def play() -> None:
            await seller.connect()
            await buyer.connect()
            acked.append(await seller.act({"type": "chat", "text": "Good morning"}))
            acked.append(await seller.act({"type": "offer", "packages": [PACKAGE]}))
            buyer_offer = await buyer.act({"type": "offer", "packages": [{**PACKAGE, "price": 9000}]})
            acked.append(buyer_offer)
            await seller.wait_for(lambda c: c.has_seq(buyer_offer["seq"]))

            # Mid-negotiation: an offer reaches the database, a chat is on its way, and the process dies.
            retried = {"type": "offer", "client_msg_id": "counter-1", "packages": [{**PACKAGE, "price": 9800}]}
            in_flight = {"type": "chat", "client_msg_id": "chat-in-flight", "text": "Is that your last word?"}
            await send_action(seller, retried)
            await send_action(seller, in_flight)
            await asyncio.to_thread(wait_stored, negotiation.pk, "counter-1")
            process_a.kill()
            await seller.drop()
            assert await asyncio.to_thread(process_a.wait, 10) == -9  # the buyer's heartbeats go on meanwhile
            seller.pending[retried["client_msg_id"]] = retried  # as if its ack never arrived
            seller.pending[in_flight["client_msg_id"]] = in_flight

            for i in range(2):  # the partner, on the other process, carries on meanwhile
                acked.append(await buyer.act({"type": "chat", "text": f"Hello? {i}"}))

            move_to(seller, port_b)  # the room reconnects; the proxy sends it to the living process
            await settle([seller, buyer], lambda: not seller.pending and seller.last_seq == buyer.last_seq,
                         what="after the kill")  # fmt: skip

            # Both accept the other's offer at the same instant: one agreement.
            counter = [e for e in seller.events if e["type"] == "offer" and e["role"] == "seller"][-1]
            results = await asyncio.gather(
                seller.act({"type": "accept", "offer_seq": buyer_offer["seq"], "package": 0}),
                buyer.act({"type": "accept", "offer_seq": counter["seq"], "package": 0}),
                return_exceptions=True,
            )
            assert sum(not isinstance(r, BaseException) for r in results) == 1, results
            await settle([seller, buyer], lambda: seller.last_seq == buyer.last_seq and not buyer.pending,
                         what="after the accepts")  # fmt: skip
            await seller.close()
            await buyer.close()

        asyncio.run(play())
    assert_nothing_lost_and_each_effect_once(negotiation, [seller, buyer], acked)
    stored = Event.objects.filter(negotiation=negotiation)
    assert stored.filter(client_msg_id="counter-1").count() == 1
    assert stored.filter(client_msg_id="chat-in-flight").count() == 1
    negotiation.refresh_from_db()
    assert negotiation.status == "agreed"


def wait_resubscribed(url: str, negotiation_ids: list[int], timeout: float = 10) -> None:
    """Until both Daphne processes listen again to every pair's group (PUBSUB NUMSUB)."""
    import redis as redis_py

    from negotiations.publishing import negotiation_group

    prefix = f"parley.{urllib.parse.urlsplit(url).path.strip('/') or '0'}.__group__"
    channels = [prefix + negotiation_group(pk) for pk in negotiation_ids]
    client = redis_py.Redis.from_url(url)
    deadline = time.monotonic() + timeout
    while not all(count == 2 for _, count in client.pubsub_numsub(*channels)):
        if time.monotonic() > deadline:
            raise TimeoutError(f"not resubscribed within {timeout} s: {client.pubsub_numsub(*channels)}")
        time.sleep(0.05)  # polling Redis: the condition is another process's subscription


def wait_stored(negotiation_id: int, client_msg_id: str, timeout: float = 10) -> None:
    from django.db import connection

    deadline = time.monotonic() + timeout
    try:
        while not Event.objects.filter(negotiation_id=negotiation_id, client_msg_id=client_msg_id).exists():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{client_msg_id} was never stored")
            time.sleep(0.005)  # polling a row another process writes
    finally:
        connection.close()


@pytest.mark.slow
def test_a_redis_restart_loses_nothing_acknowledged_and_the_pairs_carry_on(exercise, classroom):
    """Redis is killed and started again empty: the channel layer's queues and group memberships are
    gone. Sockets whose consumer lost Redis are closed and reconnect; none stays open but deaf."""
    negotiations = start_round(exercise, classroom, 8)
    with redis_server() as redis, daphne(REDIS_URL=redis.url()) as (port_a, _), \
            daphne(REDIS_URL=redis.url()) as (port_b, _):  # fmt: skip
        pairs = []
        for i, negotiation in enumerate(negotiations):
            seats = seats_by_role(negotiation)
            seller = client_on(port_a if i % 2 else port_b, seats["seller"].student, negotiation.pk)
            buyer = client_on(port_b if i % 2 else port_a, seats["buyer"].student, negotiation.pk)
            pairs.append((negotiation, seller, buyer))
        everyone = [c for _, seller, buyer in pairs for c in (seller, buyer)]
        acked: dict[int, list[dict[str, Any]]] = {n.pk: [] for n in negotiations}

        async def play() -> None:
            for client in everyone:
                await client.connect()
            for negotiation, seller, buyer in pairs:
                acked[negotiation.pk].append(await seller.act({"type": "offer", "packages": [PACKAGE]}))
                acked[negotiation.pk].append(await buyer.act({"type": "chat", "text": "Let me think"}))
            await settle(everyone, lambda: all(s.last_seq == b.last_seq for _, s, b in pairs), what="before")

            await asyncio.to_thread(redis.restart)

            for n, (_, seller, buyer) in enumerate(pairs):  # everyone talks straight after the restart
                await send_action(seller, {"type": "chat", "client_msg_id": f"s-after-{n}", "text": "Still here"})
                await send_action(buyer, {"type": "chat", "client_msg_id": f"b-after-{n}", "text": "Me too"})
            await settle(everyone, lambda: all(not s.pending and not b.pending and s.last_seq == b.last_seq
                                               for _, s, b in pairs), what="after the restart")  # fmt: skip

            # The pub/sub layer resubscribes within about a second of Redis coming back (a message
            # published meanwhile is lost, and recovered by seq as above): wait for both processes.
            await asyncio.to_thread(wait_resubscribed, redis.url(), [n.pk for n in negotiations])
            # The sockets now open hear their partner directly: no resync needed any more.
            for negotiation, seller, buyer in pairs:
                offer = next(e for e in buyer.events if e["type"] == "offer")
                accept = await buyer.act({"type": "accept", "offer_seq": offer["seq"], "package": 0})
                acked[negotiation.pk].append(accept)
                await seller.wait_for(lambda c, seq=accept["seq"]: c.has_seq(seq), timeout=5)
            for client in everyone:
                await client.close()

        asyncio.run(play())
    for negotiation, seller, buyer in pairs:
        assert_nothing_lost_and_each_effect_once(negotiation, [seller, buyer], acked[negotiation.pk])
        negotiation.refresh_from_db()
        assert negotiation.status == "agreed"
        assert Event.objects.filter(negotiation=negotiation, type="chat").count() == 3
