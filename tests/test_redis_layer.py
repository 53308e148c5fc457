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


def test_a_students_seats_and_class_groups_take_no_subscription_of_their_own():
    """The groups of a student, a seat and a class carry a few messages a round (a notice, a revoked link,
    a seat taken over), but a socket's join subscribed its student's group and its leaving unsubscribed
    it. Those groups travel on one channel a deployment, which a process subscribes once: joining and
    leaving them costs nothing in Redis, and a message still reaches only its group's members, in this
    process and in another."""
    from channels.layers import DEFAULT_CHANNEL_LAYER, channel_layers
    from redis.asyncio import Redis

    prefix = settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"]

    async def go():
        here, there = (channel_layers.make_backend(DEFAULT_CHANNEL_LAYER) for _ in range(2))  # two processes'
        redis = Redis.from_url(settings.REDIS_URL)
        try:
            mine = [await here.new_channel() for _ in range(3)]
            theirs = await there.new_channel()
            await asyncio.gather(
                here.group_add("student.7001", mine[0]),
                here.group_add("student.7001", mine[1]),
                here.group_add("seat.7002", mine[2]),
                there.group_add("student.7001", theirs),
                there.group_add("class.7003", theirs),
            )
            await here.group_discard("student.7001", mine[1])
            # Other tests' servers may listen on this prefix too: what is asked is that no channel names
            # these groups, and that both layers listen on the shared one.
            channels = {c.decode() for c in await redis.pubsub_channels(f"{prefix}*")}
            named = channels & {f"{prefix}__group__{g}" for g in ("student.7001", "seat.7002", "class.7003")}
            shared = getattr(here._get_layer(), "shared_channel", f"{prefix}groups")
            listening = [shared in layer._get_layer()._shards[0]._subscribed_to for layer in (here, there)]
            await there.group_send("student.7001", {"type": "test.message", "text": "to the student"})
            await here.group_send("seat.7002", {"type": "test.message", "text": "to the seat"})
            await here.group_send("class.7003", {"type": "test.message", "text": "to the class"})
            await here.group_send("student.7999", {"type": "test.message", "text": "to nobody here"})
            got = {
                "mine[0]": [(await asyncio.wait_for(here.receive(mine[0]), 5))["text"]],
                "mine[2]": [(await asyncio.wait_for(here.receive(mine[2]), 5))["text"]],
                "theirs": [(await asyncio.wait_for(there.receive(theirs), 5))["text"] for _ in range(2)],
            }
            # The latest message was published after the others on the same channel: once it is in,
            # anything stray would be too.
            await here.group_add("student.7999", mine[1])
            await here.group_send("student.7999", {"type": "test.message", "text": "the last"})
            last = (await asyncio.wait_for(here.receive(mine[1]), 5))["text"]
            stray = [c for c in (mine[0], mine[2]) if not here._get_layer().channels[c].empty()]
            stray += [theirs] if not there._get_layer().channels[theirs].empty() else []
            return named, shared in channels, listening, shared, got, last, stray
        finally:
            await here.flush()
            await there.flush()
            await redis.aclose()

    named, subscribed, listening, shared, got, last, stray = asyncio.run(go())
    assert named == set()  # no group's own channel (channels_redis's `<prefix>__group__student.7001`)
    assert shared == f"{prefix}groups" and subscribed and listening == [True, True]
    assert got == {
        "mine[0]": ["to the student"],
        "mine[2]": ["to the seat"],
        "theirs": ["to the student", "to the class"],
    }
    assert last == "the last"
    assert stray == []


def test_after_a_flush_a_shared_group_is_heard_again():
    """flush() closes the layer's connections and forgets its subscriptions: the next consumer to join a
    student's group subscribes the shared channel again, and hears its group."""
    from channels.layers import DEFAULT_CHANNEL_LAYER, channel_layers

    async def go():
        layer = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)
        try:
            first = await layer.new_channel()
            await layer.group_add("student.7101", first)
            await layer.flush()
            again = await layer.new_channel()
            await layer.group_add("student.7101", again)
            await layer.group_send("student.7101", {"type": "test.message", "text": "heard"})
            return (await asyncio.wait_for(layer.receive(again), 5))["text"]
        finally:
            await layer.flush()

    assert asyncio.run(go()) == "heard"


def test_the_shared_prefixes_are_those_of_the_rare_groups_and_not_of_the_busy_ones():
    """settings' `shared_groups` names groups by prefix; negotiations.publishing names the groups. A group
    renamed there must not fall off the shared channel, nor a negotiation's or a monitor's fall onto it."""
    from negotiations.publishing import class_group, monitor_group, negotiation_group, seat_group, student_group

    shared = tuple(settings.CHANNEL_LAYERS["default"]["CONFIG"]["shared_groups"])
    assert all(name(7).startswith(shared) for name in (student_group, seat_group, class_group))
    assert not any(name(7).startswith(shared) for name in (negotiation_group, monitor_group))
