"""The channel layer: channels_redis's pub/sub layer, with one Redis channel a process for its consumers.

channels_redis's pub/sub layer subscribes every consumer's own channel in Redis: a socket's join cost a
SUBSCRIBE, its confirmation read back, and an UNSUBSCRIBE when it left, though only that one process
ever listens to it. Here a process subscribes to one inbox (`<prefix>specific.<random>`) and names its
consumers' channels after it (`<inbox>!<random>`, the form Channels gives process-local channels): a
message to a consumer is published to its process's inbox with the consumer's channel in front, and one
to a consumer of the same process goes straight to its queue, without Redis. Groups are channels_redis's
own: a group message is one PUBLISH, read by every process subscribed to the group
(docs/operations.md, "The channel layer"; docs/benchmarks.md, "The join's CPU").

What a message to a consumer of a stopped process meets is what it met before: nobody listening, and
the message is gone (the layer drops by design; clients recover by sequence number).
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from channels_redis.pubsub import RedisPubSubChannelLayer, RedisPubSubLoopLayer, RedisSingleShardConnection
from channels_redis.utils import _wrap_close

SEPARATOR = b" "  # never in a channel name (Channels allows letters, digits, - _ . and one !)


class InboxLayer(RedisPubSubChannelLayer):
    """settings.CHANNEL_LAYERS's backend: one `LoopLayer` per event loop, as channels_redis makes its own."""

    def _get_layer(self) -> LoopLayer:
        loop = asyncio.get_running_loop()
        layer = self._layers.get(loop)
        if layer is None:
            layer = self._layers[loop] = LoopLayer(*self._args, **self._kwargs, channel_layer=self)
            _wrap_close(self, loop)
        return layer  # type: ignore[no-any-return]


class LoopLayer(RedisPubSubLoopLayer):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shards = [Shard(shard.host, self) for shard in self._shards]
        self.inbox = f"{self.prefix}specific.{uuid.uuid4().hex}"
        self.listening = False  # to the inbox

    async def new_channel(self, prefix: str = "specific.") -> str:
        if not self.listening:
            await self._get_shard(self.inbox).subscribe(self.inbox)
            self.listening = True
        channel = f"{self.inbox}!{uuid.uuid4().hex}"
        self.channels[channel] = asyncio.Queue()
        return channel

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        inbox, local, _ = channel.partition("!")
        if not local:  # not a consumer's: channels_redis's way
            await super().send(channel, message)
            return
        data = self.channel_layer.serialize(message)
        if inbox == self.inbox:  # a consumer of this process
            queue = self.channels.get(channel)
            if queue is not None:
                queue.put_nowait(data)
            return
        await self._get_shard(inbox).publish(inbox, channel.encode() + SEPARATOR + data)

    async def flush(self) -> None:
        await super().flush()
        self.listening = False


class Shard(RedisSingleShardConnection):  # type: ignore[misc]
    def _receive_message(self, message: dict[str, Any] | None) -> None:
        if message is not None:
            name = message["channel"]
            if (name.decode() if isinstance(name, bytes) else name) == self.channel_layer.inbox:
                channel, _, data = message["data"].partition(SEPARATOR)
                queue = self.channel_layer.channels.get(channel.decode())
                if queue is not None:
                    queue.put_nowait(data)
                return
        super()._receive_message(message)
