"""The production path: two Daphne processes on one Redis and one PostgreSQL; the two students of a
pair on different processes negotiate to an agreement and both see every event, in order."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from classrooms.services import student_link_token
from negotiations.client import LiveClient, sign_in
from negotiations.models import Event
from tests.servers import LOGS, daphne

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

PACKAGE = {"price": 10500, "handover": "five-weeks", "warranty": "none", "tyres": "included"}


@pytest.fixture
def pair(started_pair):
    return started_pair


def client_on(port: int, student, negotiation_id: int) -> LiveClient:
    base = f"http://127.0.0.1:{port}"
    cookie = sign_in(base, f"/s/{student_link_token(student)}/")
    return LiveClient(f"ws://127.0.0.1:{port}/ws/negotiations/{negotiation_id}/", cookie, base)


def test_students_on_two_processes_negotiate_to_an_agreement_and_see_everything_in_order(live_daphne, pair):
    negotiation, seats = pair
    port_a = live_daphne  # the session's, and one of the test's own
    with daphne() as (port_b, process_b):
        # Both serve as production does (`parley-daphne`): on uvloop's event loop.
        for port in (port_a, port_b):
            assert "Serving on uvloop's event loop" in (LOGS / f"daphne-{port}.log").read_text()
        assert "/uvloop/loop." in Path(f"/proc/{process_b.pid}/maps").read_text()
        seller = client_on(port_a, seats["seller"], negotiation.pk)
        buyer = client_on(port_b, seats["buyer"], negotiation.pk)

        async def play() -> int:
            await seller.connect()
            await buyer.connect()
            await seller.act({"type": "chat", "text": "Good morning"})
            await buyer.act({"type": "chat", "text": "Morning! Is the car still for sale?"})
            first = await seller.act({"type": "offer", "packages": [PACKAGE]})
            await buyer.wait_for(lambda c: c.has_seq(first["seq"]))
            counter = await buyer.act({"type": "offer", "packages": [{**PACKAGE, "price": 9000}]})
            await seller.wait_for(lambda c: c.has_seq(counter["seq"]))
            meso = await seller.act({"type": "offer", "packages": [
                {**PACKAGE, "price": 9900},
                {**PACKAGE, "price": 9600, "tyres": "seller-keeps"},
                {**PACKAGE, "price": 10200, "warranty": "one-month"},
            ]})  # fmt: skip
            await buyer.wait_for(lambda c: c.has_seq(meso["seq"]))
            accept = await buyer.act({"type": "accept", "offer_seq": meso["seq"], "package": 1})
            await seller.wait_for(lambda c: c.has_seq(accept["seq"]))
            await seller.close()
            await buyer.close()
            return accept["seq"]

        last = asyncio.run(play())
    stored = [(e.seq, e.type) for e in Event.objects.filter(negotiation=negotiation)]
    assert [(e["seq"], e["type"]) for e in seller.events] == stored
    assert [(e["seq"], e["type"]) for e in buyer.events] == stored
    assert [seq for seq, _ in stored] == list(range(1, last + 1))
    assert stored[-1][1] == "accept"
    negotiation.refresh_from_db()
    assert negotiation.status == "agreed" and negotiation.agreement["tyres"] == "seller-keeps"


def test_a_cross_site_handshake_is_refused_by_a_real_daphne(live_daphne, pair):
    negotiation, seats = pair
    port = live_daphne
    base = f"http://127.0.0.1:{port}"
    cookie = sign_in(base, f"/s/{student_link_token(seats['seller'])}/")

    async def attempt(origin: str | None) -> int:
        client = LiveClient(f"ws://127.0.0.1:{port}/ws/negotiations/{negotiation.pk}/", cookie, origin)  # type: ignore[arg-type]
        try:
            await client.connect()
        except Exception as exc:  # websockets raises InvalidStatus with the HTTP response
            return getattr(getattr(exc, "response", None), "status_code", -1)
        await client.close()
        return 101

    async def all_attempts() -> list[int]:
        origins = ("http://evil.example", "http://127.0.0.1.evil.example", None, base)
        return [await attempt(origin) for origin in origins]

    codes = asyncio.run(all_attempts())
    assert codes == [403, 403, 403, 101]
