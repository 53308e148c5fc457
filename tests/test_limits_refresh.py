"""The places of a process's open sockets, kept from lapsing in Redis (negotiations.limits.Counts.refresh)."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest
import redis
from django.conf import settings
from redis.asyncio.client import Pipeline

from negotiations import limits
from tests.live import run

pytestmark = [pytest.mark.redis]
SOCKETS = 300
WAIT = 30  # seconds: a bound on the wait, never a pause


def test_the_places_of_open_sockets_are_refreshed_a_slice_at_a_time(monkeypatch):
    """Every open socket's places are refreshed before they lapse, and never all in one go: 1000 sockets of
    a process made one pipeline of 2000 commands every 30 s, built and read on the event loop, and every
    pair on that process waited for it (the live benchmark's slowest seconds, 30 s after the join)."""
    monkeypatch.setattr(limits, "REFRESH_SECONDS", 1.0)  # the places held 90 s, refreshed every second
    sizes: list[int] = []
    execute = Pipeline.execute

    async def counted(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        sizes.append(len(self.command_stack))
        return await execute(self, *args, **kwargs)

    monkeypatch.setattr(Pipeline, "execute", counted)
    client = redis.Redis.from_url(settings.REDIS_URL)
    prefix = f"{settings.CHANNEL_LAYERS['default']['CONFIG']['prefix']}limits."
    keys = [f"test-refresh-{i}" for i in range(SOCKETS)]
    client.delete(*(prefix + key for key in keys))

    async def go() -> dict[str, float]:
        counts = limits.Counts()
        for i, key in enumerate(keys):  # one at a time: each its own pipeline of one
            assert await counts.hold(f"socket-{i}", [limits.Cap(key, 4)]) == 0
        held = {key: client.zscore(prefix + key, f"socket-{i}") for i, key in enumerate(keys)}
        sizes.clear()
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            scores = {key: client.zscore(prefix + key, f"socket-{i}") for i, key in enumerate(keys)}
            if all(scores[key] > held[key] for key in keys):
                break
            await asyncio.sleep(0.1)  # polling Redis, where the refresh lands
        counts.refresher.cancel()
        await counts.redis.aclose()
        return {key: scores[key] - held[key] for key in keys}

    try:
        later = run(go())
    finally:
        client.delete(*(prefix + key for key in keys))
    assert all(moved > 0 for moved in later.values()), "a socket's place was not refreshed"
    assert sizes and max(sizes) <= SOCKETS // 10, f"{max(sizes)} commands in one pipeline: {sizes}"


def test_a_cap_still_holds_after_its_sockets_have_been_open_longer_than_a_place_is_held(monkeypatch):
    """A socket's place is refreshed while it is open; so is the sorted set that holds it. Its expiry was
    set when a place was taken and never again: 90 s after a seat's last join, Redis dropped the set with
    its places, and a fifth socket of the seat got in (and after each 90 s, four more)."""
    monkeypatch.setattr(limits, "HELD_SECONDS", 1.5)
    monkeypatch.setattr(limits, "REFRESH_SECONDS", 0.25)  # a loop late by a second, on a loaded machine, is no lapse
    client = redis.Redis.from_url(settings.REDIS_URL)
    prefix = f"{settings.CHANNEL_LAYERS['default']['CONFIG']['prefix']}limits."
    cap = limits.Cap("test-refresh-cap", 1)
    client.delete(prefix + cap.key)

    async def go() -> tuple[int, int]:
        counts = limits.Counts()
        assert await counts.hold("open-socket", [cap]) == 0
        await asyncio.sleep(2 * limits.HELD_SECONDS)  # the time under test: the socket open, two holds long
        second = await counts.hold("another-socket", [cap])
        counts.refresher.cancel()
        await counts.redis.aclose()
        return second, client.zcard(prefix + cap.key)

    try:
        second, held = run(go())
    finally:
        client.delete(prefix + cap.key)
    assert (second, held) == (1, 1), "the cap let another socket in: the open socket's place had lapsed"


def test_a_socket_keeps_its_turn_to_be_refreshed_while_others_come_and_go(monkeypatch):
    """Each open socket's place is refreshed every REFRESH_SECONDS, whoever else joins or leaves: when the
    slices were cut from the list of sockets at each round, one socket leaving moved the others' turns,
    and a socket refreshed at the start of one round could wait until the end of the next (about twice
    the period; a missed refresh then let its place lapse)."""
    monkeypatch.setattr(limits, "REFRESH_SECONDS", 2.0)
    refreshed: dict[str, list[float]] = {}
    refresh_places = limits.Counts.refresh_places

    async def recorded(self, places):  # type: ignore[no-untyped-def]
        for member, _ in places:
            refreshed.setdefault(member, []).append(time.monotonic())
        await refresh_places(self, places)

    monkeypatch.setattr(limits.Counts, "refresh_places", recorded)
    client = redis.Redis.from_url(settings.REDIS_URL)
    prefix = f"{settings.CHANNEL_LAYERS['default']['CONFIG']['prefix']}limits."
    keys = [f"test-turns-{i}" for i in range(limits.REFRESH_SLICES + 1)]
    client.delete(*(prefix + key for key in keys))

    async def go() -> None:
        counts = limits.Counts()
        for i, key in enumerate(keys):
            assert await counts.hold(f"socket-{i}", [limits.Cap(key, 4)]) == 0
        # Once the last socket (the 31st) has been refreshed, the first one leaves.
        deadline = time.monotonic() + WAIT
        while f"socket-{len(keys) - 1}" not in refreshed and time.monotonic() < deadline:
            await asyncio.sleep(0.05)  # polling what the refresh records, on its own loop
        await counts.release("socket-0")
        await asyncio.sleep(2.5 * limits.REFRESH_SECONDS)  # the time under test: two rounds after the leave
        counts.refresher.cancel()
        await counts.redis.aclose()

    try:
        run(go())
    finally:
        client.delete(*(prefix + key for key in keys))
    gaps = {m: max(b - a for a, b in itertools.pairwise(t)) for m, t in refreshed.items() if len(t) > 1}
    assert f"socket-{len(keys) - 1}" in gaps, refreshed
    slowest = max(gaps, key=gaps.__getitem__)
    assert gaps[slowest] < 1.5 * limits.REFRESH_SECONDS, f"{slowest} waited {gaps[slowest]:.2f} s between refreshes"
