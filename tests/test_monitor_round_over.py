"""The monitor once the round is over, and what the instructor's controls leave alone: a broadcast or an
extension after the end is refused with its reason, and an extension is not a pair's activity."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from negotiations.models import Negotiation
from negotiations.snapshots import monitor_snapshot
from tests.base import start_round
from tests.live import Live, run

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_broadcast_or_an_extension_after_the_end_is_refused_and_says_why(exercise, classroom, instructor_client):
    start_round(exercise, classroom, 4)
    instructor_client.post(f"/exercises/{exercise.pk}/monitor/end/")
    broadcast = instructor_client.post(f"/exercises/{exercise.pk}/monitor/broadcast/", {"text": "Well done"})
    extend = instructor_client.post(f"/exercises/{exercise.pk}/monitor/extend/", {"minutes": "5"})
    assert broadcast.status_code == 400 and broadcast.json() == {
        "error": "Cannot broadcast now: the exercise is over. Nobody is negotiating any more."
    }
    assert extend.status_code == 400 and extend.json() == {
        "error": "Cannot give more time now: the exercise is over. Nobody is negotiating any more."
    }
    assert not exercise.broadcasts.exists()


def test_extending_time_leaves_an_idle_pair_flagged_idle(exercise, classroom, instructor_client):
    start_round(exercise, classroom, 4)
    quiet_since = timezone.now() - timedelta(minutes=10)
    Negotiation.objects.filter(exercise=exercise).update(last_activity_at=quiet_since)

    async def go():
        monitor = Live(f"/ws/exercises/{exercise.pk}/monitor/", instructor_client)
        await monitor.connect()
        await _post(instructor_client, f"/exercises/{exercise.pk}/monitor/extend/", {"minutes": "5"})
        frame = await monitor.recv_type("pair")
        await monitor.close()
        return frame

    frame = run(go())
    assert frame["events"] == ["extended"] and frame["pair"]["last_activity"] == quiet_since.isoformat()
    assert [pair["idle"] for pair in monitor_snapshot(exercise.pk)["pairs"]] == [True, True]


async def _post(client, url, data):
    from channels.db import database_sync_to_async

    return await database_sync_to_async(client.post)(url, data)
