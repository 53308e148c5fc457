"""A socket that floods is rate limited: its extra frames are refused with an error and store nothing,
it is closed if it keeps on, and another pair negotiating meanwhile is not held up."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest

from negotiations import limits
from negotiations.models import Event
from tests.base import seats_by_role, start_round, student_client
from tests.live import Live, run

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def two_pairs(exercise, classroom):
    pairs = start_round(exercise, classroom, 4)
    return [(n, {role: student_client(seat.student) for role, seat in seats_by_role(n).items()}) for n in pairs]


@pytest.fixture
def no_refill(monkeypatch):
    """No token comes back during the test, so that the counts do not depend on how fast it runs."""
    monkeypatch.setattr(limits, "FRAMES_PER_SECOND", 0.0)


def chat(key: str) -> dict:
    return {"type": "chat", "client_msg_id": key, "text": f"message {key}"}


async def answers(live: Live, keys: set[str]) -> dict[str, dict]:
    """The ack or error of each client_msg_id, waited for frame by frame."""
    answered: dict[str, dict] = {}
    while not keys <= answered.keys():
        frame = await live.recv(timeout=10)
        if frame["type"] in ("ack", "error") and frame.get("client_msg_id") in keys:
            answered[frame["client_msg_id"]] = frame
    return answered


def stored_ids(negotiation) -> set[str]:
    return set(
        Event.objects.filter(negotiation=negotiation)
        .exclude(client_msg_id=None)
        .values_list("client_msg_id", flat=True)
    )


def test_frames_past_the_burst_are_refused_with_an_error_and_store_nothing(two_pairs, no_refill):
    (negotiation, clients), _ = two_pairs
    flood = 50

    async def go():
        live = Live(f"/ws/negotiations/{negotiation.pk}/", clients["seller"])
        await live.connect()
        for i in range(flood):
            await live.send(chat(f"f{i}"))
        result = await answers(live, {f"f{i}" for i in range(flood)})
        await live.close()
        return result

    result = run(go())
    acked = {k for k, frame in result.items() if frame["type"] == "ack"}
    refused = {k: frame for k, frame in result.items() if frame["type"] == "error"}
    assert acked == {f"f{i}" for i in range(limits.FRAME_BURST)}  # the first burst, in order
    assert len(refused) == flood - limits.FRAME_BURST
    assert {frame["code"] for frame in refused.values()} == {"rate_limited"}
    assert "too many frames" in next(iter(refused.values()))["message"]
    assert stored_ids(negotiation) == acked  # nothing stored for a refused frame


def test_a_socket_that_keeps_flooding_is_closed(two_pairs, no_refill, monkeypatch):
    monkeypatch.setattr(limits, "REFUSALS_BEFORE_CLOSE", 10)
    (negotiation, clients), _ = two_pairs

    async def go():
        live = Live(f"/ws/negotiations/{negotiation.pk}/", clients["buyer"])
        await live.connect()
        for _ in range(limits.FRAME_BURST + 40):
            await live.send({"type": "typing"})
        while True:
            frame = await live.recv(timeout=10)
            if frame["type"] == "close":
                return frame["code"], [f for f in live.frames if f.get("code") == "rate_limited"]

    code, refusals = run(go())
    assert code == limits.CLOSE_TOO_MANY
    assert len(refusals) == 10  # an error for each refused frame, then the close


def test_a_flood_does_not_hold_up_another_pair(two_pairs):
    (flooded, flooder), (other, clients) = two_pairs
    rounds = 10

    async def go():
        noisy = Live(f"/ws/negotiations/{flooded.pk}/", flooder["seller"])
        seller = Live(f"/ws/negotiations/{other.pk}/", clients["seller"])
        buyer = Live(f"/ws/negotiations/{other.pk}/", clients["buyer"])
        for live in (noisy, seller, buyer):
            await live.connect()

        async def flood() -> None:
            with contextlib.suppress(Exception):  # closed for flooding: that is the point
                for i in range(2000):
                    await noisy.send(chat(f"n{i}"))
                    await asyncio.sleep(0)

        flooding = asyncio.ensure_future(flood())
        delivered = []
        for i in range(rounds):
            sender, receiver = (seller, buyer) if i % 2 == 0 else (buyer, seller)
            await sender.send(chat(f"o{i}"))
            ack = await sender.recv_type("ack", timeout=5)  # an error frame here fails the test
            while True:  # the partner gets it, each within the timeout
                frame = await receiver.recv(timeout=5)
                if frame["type"] == "event" and frame["event"]["seq"] == ack["event"]["seq"]:
                    delivered.append(frame["event"]["payload"]["text"])
                    break
        await flooding
        for live in (seller, buyer):
            await live.close()
        while not await noisy.nothing(0.5):  # what the flooder was told
            if (await noisy.recv())["type"] == "close":
                break
        await noisy.close()  # its client answers the close, as a browser does
        refused = sum(1 for f in noisy.frames if f.get("code") == "rate_limited")
        return delivered, refused, any(f["type"] == "error" for f in seller.frames + buyer.frames)

    started = time.monotonic()
    delivered, refused, other_errors = run(go())
    elapsed = time.monotonic() - started
    assert delivered == [f"message o{i}" for i in range(rounds)]  # all of them, in order
    assert not other_errors
    assert refused > 0  # the flood was limited meanwhile
    stored = list(Event.objects.filter(negotiation=other, type="chat").values_list("client_msg_id", flat=True))
    assert stored == [f"o{i}" for i in range(rounds)]
    # the flooder got its burst and the refill, no more
    assert len(stored_ids(flooded)) <= limits.FRAME_BURST + limits.FRAMES_PER_SECOND * elapsed + 1


def test_daphne_closes_a_flooding_socket_as_it_reads_it_even_when_the_consumer_gets_no_turn(monkeypatch):
    """Daphne reads a flood in 64 KB chunks and queues each frame for the consumer; parsing those chunks
    can take the event loop's every turn, so a consumer counting what it reads falls behind and never
    reaches its close while the queue grows. The frames are counted as Daphne reads them: past the burst
    and the refusals a consumer would answer, the socket is closed (4429) with nothing more queued."""
    from daphne.ws_protocol import WebSocketProtocol

    import config.asgi  # noqa: F401  (installs the Daphne patches, as a Daphne process does)
    from negotiations.protocol import CLOSE_TOO_MANY

    monkeypatch.setattr(limits, "FRAMES_PER_SECOND", 0.0)  # no refill: the count does not depend on speed
    closed: list[int | None] = []
    socket = WebSocketProtocol()
    socket.application_queue = asyncio.Queue()
    socket.client_addr = ("127.0.0.1", 50000)
    socket.serverClose = lambda code=None: closed.append(code)  # as if the close frame went out
    for k in range(1000):  # one read of a flood: no turn of the event loop in between
        socket.onMessage(f'{{"type": "chat", "client_msg_id": "f{k}", "text": "flood"}}'.encode(), False)
    allowed = limits.FRAME_BURST + limits.REFUSALS_BEFORE_CLOSE
    assert closed == [CLOSE_TOO_MANY]
    assert socket.application_queue.qsize() == allowed  # what the consumer answers: stored, or refused
