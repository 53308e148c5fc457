"""Loaded into a Celery worker by the fault tests only (`celery worker --include tests.worker_pause`).

The first class debrief that any worker computes under one PARLEY_PAUSE_KEY stops in the middle: after
the pairs' outcomes are stored, before the debrief itself is. It tells the test its process id through
Redis and waits there until the test kills it. Every other run goes straight through. Each run also
records its process id, so that the test can tell how often the debrief was attempted, and by whom.
"""

from __future__ import annotations

import os
from typing import Any

import redis

from negotiations import debrief

KEY = os.environ["PARLEY_PAUSE_KEY"]
_store_debrief = debrief._store_debrief


def _paused_store_debrief(*args: Any, **kwargs: Any) -> Any:
    client = redis.Redis.from_url(os.environ["REDIS_URL"], socket_timeout=310)  # above the BLPOP below
    pid = os.getpid()
    client.rpush(f"{KEY}:runs", pid)
    if client.set(f"{KEY}:paused", pid, nx=True):
        client.rpush(f"{KEY}:reached", pid)
        client.blpop([f"{KEY}:never"], timeout=300)  # killed here by the test
        raise RuntimeError("the fault test did not kill the paused debrief")
    return _store_debrief(*args, **kwargs)


debrief._store_debrief = _paused_store_debrief  # type: ignore[assignment]
