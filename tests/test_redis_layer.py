"""The channel layer that REDIS_URL selects carries messages between processes' consumers."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import pytest
from channels.layers import get_channel_layer
from django.conf import settings

pytestmark = pytest.mark.redis


def test_the_configured_layer_is_redis_and_carries_a_group_message():
    layer = settings.CHANNEL_LAYERS["default"]
    assert layer["BACKEND"] == "config.channel_layer.InboxLayer"
    # Pub/sub channels are shared by every db number of a Redis: the prefix keeps deployments apart.
    assert layer["CONFIG"]["prefix"] == f"parley.{urlsplit(settings.REDIS_URL).path.strip('/') or '0'}."

    async def roundtrip() -> dict:
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add("parley-test-group", channel)
        try:
            await layer.group_send("parley-test-group", {"type": "test.message", "text": "hello"})
            return await asyncio.wait_for(layer.receive(channel), timeout=5)
        finally:
            await layer.group_discard("parley-test-group", channel)

    assert asyncio.run(roundtrip()) == {"type": "test.message", "text": "hello"}


def test_a_process_listens_on_one_channel_for_all_its_consumers_and_each_gets_its_own_messages():
    """A consumer's channel costs no subscription of its own (a SUBSCRIBE on joining, an UNSUBSCRIBE on
    leaving): a process's consumers share its one, and a message reaches the one consumer it names, from
    another process or from its own."""
    from channels.layers import DEFAULT_CHANNEL_LAYER, channel_layers
    from redis.asyncio import Redis

    prefix = settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"]

    async def go():
        here, there = (channel_layers.make_backend(DEFAULT_CHANNEL_LAYER) for _ in range(2))  # two processes'
        redis = Redis.from_url(settings.REDIS_URL)
        try:
            others = set(await redis.pubsub_channels(f"{prefix}specific.*"))  # servers of other tests
            mine = [await here.new_channel() for _ in range(3)]
            theirs = await there.new_channel()
            subscribed = set(await redis.pubsub_channels(f"{prefix}specific.*")) - others
            await here.send(mine[1], {"type": "test.message", "text": "from this process"})
            await there.send(mine[2], {"type": "test.message", "text": "from another"})
            await here.send(theirs, {"type": "test.message", "text": "to another"})
            addressed = [(here, mine[1]), (here, mine[2]), (there, theirs)]
            got = [await asyncio.wait_for(layer.receive(c), 5) for layer, c in addressed]
            stray = [c for c in mine[:2] if not here._get_layer().channels[c].empty()]  # nothing more, nothing else
            return len(subscribed), [m["text"] for m in got], stray
        finally:
            await here.flush()
            await there.flush()
            await redis.aclose()

    subscribed, texts, stray = asyncio.run(go())
    assert subscribed == 2  # one a process, not one a consumer (4)
    assert texts == ["from this process", "from another", "to another"]
    assert stray == []


def test_a_burst_of_consumers_subscribes_and_publishes_in_a_few_writes(monkeypatch):
    """A class joining at once: each consumer's group subscription and group message used to be a command
    of its own, one round trip after another; what they ask for meanwhile goes together, in order."""
    from channels.layers import DEFAULT_CHANNEL_LAYER, channel_layers
    from redis.asyncio.connection import AbstractConnection

    writes: list[object] = []
    send = AbstractConnection.send_packed_command

    async def counted(self, command, check_health=True):  # type: ignore[no-untyped-def]
        writes.append(command)
        return await send(self, command, check_health)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", counted)

    async def go():
        layer = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)
        try:
            channels = [await layer.new_channel() for _ in range(50)]
            await layer.group_send("parley-test-warm", {"type": "test.message"})  # the connections opened
            writes.clear()
            await asyncio.gather(*(layer.group_add(f"parley-test-burst.{i}", c) for i, c in enumerate(channels)))
            subscribing = len(writes)
            writes.clear()
            await asyncio.gather(
                *(layer.group_send(f"parley-test-burst.{i}", {"type": "test.message", "n": i}) for i in range(50))
            )
            publishing = len(writes)
            got = [(await asyncio.wait_for(layer.receive(c), 5))["n"] for c in channels]
            return subscribing, publishing, got
        finally:
            await layer.flush()

    subscribing, publishing, got = asyncio.run(go())
    assert subscribing <= 2 and publishing <= 2, (subscribing, publishing)  # 50 and 50 one at a time
    assert got == list(range(50))
