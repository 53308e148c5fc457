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
    assert layer["BACKEND"] == "channels_redis.pubsub.RedisPubSubChannelLayer"
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
