"""Guarantees under time and dropped sockets, on the real services (Redis, PostgreSQL, Daphne, a Celery worker).

The silent class is tests/test_faults_silence.py; killed processes are tests/test_faults_restarts.py."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from classrooms.services import student_link_token
from negotiations.client import LiveClient, sign_in
from negotiations.models import Event, Negotiation
from negotiations.rounds import deadline_schedule
from tests.servers import celery_worker

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def pair(started_pair):
    return started_pair


def wait_until(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(0.1)  # polling the database: the condition is a row changing in another process


def test_a_celery_worker_closes_a_pair_at_its_deadline_with_nobody_connected(pair, exercise):
    negotiation, _ = pair
    deadline = timezone.now() + timedelta(seconds=2)
    Negotiation.objects.filter(pk=negotiation.pk).update(deadline=deadline)
    with celery_worker():
        deadline_schedule(exercise_id=exercise.pk, at=deadline)  # on_commit runs at once outside a transaction
        wait_until(lambda: Negotiation.objects.get(pk=negotiation.pk).status == "impasse", timeout=30)
    negotiation.refresh_from_db()
    assert negotiation.end_reason == "deadline" and negotiation.ended_at >= deadline
    assert Event.objects.filter(negotiation=negotiation, type="deadline").count() == 1


def test_a_socket_dropped_after_an_offer_before_its_ack_loses_nothing_and_repeats_nothing(live_daphne, pair):
    negotiation, seats = pair
    package = {"price": 9900, "handover": "five-weeks", "warranty": "none", "tyres": "included"}
    port = live_daphne
    base = f"http://127.0.0.1:{port}"
    url = f"ws://127.0.0.1:{port}/ws/negotiations/{negotiation.pk}/"
    seller = LiveClient(url, sign_in(base, f"/s/{student_link_token(seats['seller'])}/"), base)
    buyer = LiveClient(url, sign_in(base, f"/s/{student_link_token(seats['buyer'])}/"), base)

    async def play() -> None:
        await seller.connect()
        await buyer.connect()
        frame = {"type": "offer", "client_msg_id": "offer-1", "packages": [package]}
        seller.pending["offer-1"] = frame
        await seller.send_raw(json.dumps(frame))
        await seller.drop()  # gone before the acknowledgement could arrive
        for i in range(3):  # the partner talks meanwhile
            await buyer.act({"type": "chat", "text": f"hello? {i}"})
        await seller.connect()  # reconnects, takes what it missed, resends the offer with the same id
        await seller.wait_for(lambda c: not c.pending and any(e["type"] == "offer" for e in c.events))
        await buyer.wait_for(lambda c: c.last_seq == seller.last_seq)
        await seller.close()
        await buyer.close()

    asyncio.run(play())
    stored = [(e.seq, e.type) for e in Event.objects.filter(negotiation=negotiation)]
    assert [t for _, t in stored].count("offer") == 1
    assert [(e["seq"], e["type"]) for e in seller.events] == stored
    assert [(e["seq"], e["type"]) for e in buyer.events] == stored
