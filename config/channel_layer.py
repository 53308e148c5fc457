"""The channel layer: channels_redis's pub/sub layer, with one Redis channel a process for its consumers.

channels_redis's pub/sub layer subscribes every consumer's own channel in Redis: a socket's join cost a
SUBSCRIBE, its confirmation read back, and an UNSUBSCRIBE when it left, though only that one process
ever listens to it. Here a process subscribes to one inbox (`<prefix>specific.<random>`) and names its
consumers' channels after it (`<inbox>!<random>`, the form Channels gives process-local channels): a
message to a consumer is published to its process's inbox with the consumer's channel in front, and one
to a consumer of the same process goes straight to its queue, without Redis. Groups are channels_redis's
own: a group message is one PUBLISH, read by every process subscribed to the group
(docs/operations.md, "The channel layer"; docs/benchmarks.md, "The join's CPU").

The groups of a student, a seat and a class (`shared_groups` in the layer's CONFIG: name prefixes) carry a
few messages a round, but a socket's join subscribed its student's group, a SUBSCRIBE and its
confirmation read back, and its leaving unsubscribed it. They travel on one Redis channel a deployment
(`<prefix>groups`, each message with its group's name in front), which a process subscribes once, as it
does its inbox; a process hands a message to its own members of that group and drops the rest. Joining
and leaving such a group is a dict's work; every process reads every such message (a few a round for
each student). A negotiation's and a monitor's groups, which carry every event, keep a channel each.
All of a deployment's processes must agree on `shared_groups` (they read it from the same settings).

What a message to a consumer of a stopped process meets is what it met before: nobody listening, and
the message is gone (the layer drops by design; clients recover by sequence number).

And the commands go to Redis together (`Shard`): channels_redis sent one command at a time, each
publish waiting for its reply before the next could go, so that in a class's join burst every socket's
subscriptions and presence queued one round trip after another, and each cost redis-py's whole command
path. Here what the consumers ask for while a round trip is out goes in the next, in the order asked:
the publishes in one pipeline, the subscriptions in one SUBSCRIBE (an UNSUBSCRIBE likewise). A consumer
still waits until what it asked for is sent (`group_add` until its SUBSCRIBE is, so that it listens
before it reads its snapshot), as before.
"""

from __future__ import annotations

import asyncio
import itertools
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
    def __init__(self, *args: Any, shared_groups: tuple[str, ...] | list[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shards = [Shard(shard.host, self) for shard in self._shards]
        self.inbox = f"{self.prefix}specific.{uuid.uuid4().hex}"
        self.listening = False  # to the inbox
        self.shared_prefixes = tuple(shared_groups)
        self.shared_channel = f"{self.prefix}groups"
        self.shared: dict[str, set[str]] = {}  # a shared group's consumers in this process
        # A consumer's name within the process: a count, not uuid4 again (os.urandom lets go of the GIL,
        # and in a join burst the event loop then waited for the database thread to hand it back).
        self.names = itertools.count(1)

    async def new_channel(self, prefix: str = "specific.") -> str:
        if not self.listening:
            await self._get_shard(self.inbox).subscribe(self.inbox)
            self.listening = True
        channel = f"{self.inbox}!{next(self.names)}"
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

    async def group_add(self, group: str, channel: str) -> None:
        if not group.startswith(self.shared_prefixes):
            await super().group_add(group, channel)
            return
        if channel not in self.channels:
            raise RuntimeError(f"group_add({group!r}, {channel!r}): the channel is not this process's")
        self.shared.setdefault(group, set()).add(channel)
        shard = self._get_shard(self.shared_channel)
        if self.shared_channel not in shard._subscribed_to:  # once a process (and again after a flush);
            await shard.subscribe(self.shared_channel)  # whoever comes meanwhile waits for the same SUBSCRIBE

    async def group_discard(self, group: str, channel: str) -> None:
        if not group.startswith(self.shared_prefixes):
            await super().group_discard(group, channel)
            return
        members = self.shared.get(group)
        if members is not None:
            members.discard(channel)
            if not members:
                del self.shared[group]

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        if not group.startswith(self.shared_prefixes):
            await super().group_send(group, message)
            return
        data = self.channel_layer.serialize(message)
        await self._get_shard(self.shared_channel).publish(self.shared_channel, group.encode() + SEPARATOR + data)

    def deliver_shared(self, data: bytes) -> None:
        """A message on the shared groups' channel: to this process's members of its group, if any. A
        member whose consumer ended without leaving the group is let go here."""
        name, _, data = data.partition(SEPARATOR)
        group = name.decode()
        members = self.shared.get(group)
        if not members:
            return
        for channel in list(members):
            queue = self.channels.get(channel)
            if queue is None:
                members.discard(channel)
            else:
                queue.put_nowait(data)
        if not members:
            del self.shared[group]

    async def flush(self) -> None:
        await super().flush()
        self.listening = False
        self.shared = {}


class Shard(RedisSingleShardConnection):  # type: ignore[misc]
    """channels_redis's connections to one Redis, its commands sent together (the module's docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queued: list[tuple[str, Any, asyncio.Future[None]]] = []
        self.sender: asyncio.Task[None] | None = None

    def _ask(self, kind: str, item: Any) -> asyncio.Future[None]:
        sent: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.queued.append((kind, item, sent))
        if self.sender is None:
            self.sender = asyncio.ensure_future(self._send_queued())
        return sent

    async def publish(self, channel: str, message: bytes) -> None:
        await self._ask("publish", (channel, message))

    async def subscribe(self, channel: str) -> None:
        await self._ask("subscribe", channel)

    async def unsubscribe(self, channel: str) -> None:
        await self._ask("unsubscribe", channel)

    async def _send_queued(self) -> None:
        """From the loop's next turn: what was asked meanwhile, in order, runs of one kind together; what is
        asked while they are out goes next."""
        try:
            while self.queued:
                batch, self.queued = self.queued, []
                async with self._lock:  # flush() takes it too
                    for kind, run in itertools.groupby(batch, key=lambda asked: asked[0]):
                        asked = list(run)
                        try:
                            await self._send(kind, [item for _, item, _ in asked])
                        except Exception as exc:
                            for _, _, sent in asked:
                                if not sent.done():
                                    sent.set_exception(exc)
                        else:
                            for _, _, sent in asked:
                                if not sent.done():
                                    sent.set_result(None)
        finally:
            self.sender = None

    async def _send(self, kind: str, items: list[Any]) -> None:
        self._ensure_redis()
        if kind == "publish":
            if len(items) == 1:
                await self._redis.publish(*items[0])
                return
            async with self._redis.pipeline(transaction=False) as pipe:
                for channel, message in items:
                    pipe.publish(channel, message)
                await pipe.execute()
            return
        self._ensure_receiver()
        if kind == "subscribe":
            channels = [c for c in dict.fromkeys(items) if c not in self._subscribed_to]
            if channels:
                await self._pubsub.subscribe(*channels)
                self._subscribed_to.update(channels)
        else:
            channels = [c for c in dict.fromkeys(items) if c in self._subscribed_to]
            if channels:
                await self._pubsub.unsubscribe(*channels)
                self._subscribed_to.difference_update(channels)

    def _receive_message(self, message: dict[str, Any] | None) -> None:
        if message is not None:
            name = message["channel"]
            name = name.decode() if isinstance(name, bytes) else name
            if name == self.channel_layer.inbox:
                channel, _, data = message["data"].partition(SEPARATOR)
                queue = self.channel_layer.channels.get(channel.decode())
                if queue is not None:
                    queue.put_nowait(data)
                return
            if name == self.channel_layer.shared_channel:
                self.channel_layer.deliver_shared(message["data"])
                return
        super()._receive_message(message)
