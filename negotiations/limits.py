"""What one socket, seat or user may send and hold: the rates and caps of the live sockets
(docs/protocol.md, "Limits"; docs/operations.md). The consumers count every frame here as it arrives,
before any parsing or database work.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.conf import settings
from redis.exceptions import NoScriptError

from negotiations.protocol import CLOSE_TOO_MANY, CLOSE_TOO_MANY_SOCKETS

__all__ = [
    "CLOSE_TOO_MANY",
    "CLOSE_TOO_MANY_SOCKETS",
    "FRAMES_PER_SECOND",
    "FRAME_BURST",
    "HEARTBEATS_PER_SECOND",
    "HEARTBEAT_BURST",
    "REFUSALS_BEFORE_CLOSE",
]
log = logging.getLogger(__name__)
T = TypeVar("T")

# Frames a socket may send: bursts of FRAME_BURST, FRAMES_PER_SECOND on average. A browser sends a
# typing frame every 2 s at most and resends its unacknowledged actions after a reconnect, far below.
# Past the limit a frame is refused with an error (nothing stored); a socket that keeps on flooding
# (REFUSALS_BEFORE_CLOSE refusals, one forgiven a second) is closed with CLOSE_TOO_MANY.
FRAMES_PER_SECOND = 5.0
FRAME_BURST = 30
REFUSALS_BEFORE_CLOSE = 60
# Heartbeats a socket may send beside its frames (a browser sends one every 3 s), answered by the socket
# alone: no shared count, no parsing beyond the frame's few bytes. Past these, a heartbeat counts as a
# frame (the socket's rate, then its seat's and user's), so a flood of heartbeats is refused and closed
# like any flood; a user's sockets together get at most SOCKETS_PER_USER times this rate answered free.
HEARTBEATS_PER_SECOND = 1.0
HEARTBEAT_BURST = 5
_HEARTBEAT = {"type": "heartbeat"}


class TokenBucket:
    """`take()` is true while within the rate: `burst` tokens, refilled at `rate` a second."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens, self.stamp = burst, clock()

    def refill(self) -> float:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return self.tokens

    def take(self) -> bool:
        if self.refill() >= 1:
            self.tokens -= 1
            return True
        return False


def is_heartbeat(text: str | bytes | None) -> bool:
    """The frame is `{"type": "heartbeat"}`, however spaced: anything longer is not read."""
    if not text or len(text) > 40:
        return False
    try:
        return bool(json.loads(text) == _HEARTBEAT)
    except ValueError:
        return False


class SocketFrames:
    """One socket's frames against its own rate: `frames` (FRAME_BURST, FRAMES_PER_SECOND), `heartbeats`
    beside them (HEARTBEAT_BURST, HEARTBEATS_PER_SECOND) and the refusals past them
    (REFUSALS_BEFORE_CLOSE, one forgiven a second). The consumer answers each frame from them; Daphne's
    protocol keeps a count of its own as it reads the frames (config/daphne_sockets.py)."""

    def __init__(self) -> None:
        self.frames = TokenBucket(FRAMES_PER_SECOND, FRAME_BURST)
        self.heartbeats = TokenBucket(HEARTBEATS_PER_SECOND, HEARTBEAT_BURST)
        self.refusals = TokenBucket(1.0, REFUSALS_BEFORE_CLOSE)

    def flooding(self, heartbeat: bool = False) -> bool:
        """Count one frame: true once it is past the rate and the refusals too (the socket is closed). A
        heartbeat within its own rate is not a frame."""
        if heartbeat and self.heartbeats.take():
            return False
        return not self.frames.take() and not self.refusals.take()


# Across sockets and processes: what one seat and one user (a session's identity) may send and hold.
# The counts live in Redis when the deployment has one (every Daphne process shares them), in the
# process otherwise (the embedded mode has one process). Each frame that passes its socket's bucket
# costs a script over two keys, a heartbeat within its own bucket none; a socket costs one on connecting,
# one on leaving; those asked for at once share a round trip (Counts).
SEAT_FRAMES_PER_SECOND = 5.0  # a seat's sockets together: one person
SEAT_FRAME_BURST = 30
USER_FRAMES_PER_SECOND = 10.0  # a user's sockets together, whatever seats and pages they are on
USER_FRAME_BURST = 60
SOCKETS_PER_SEAT = 4  # a seat's (or a watcher's) sockets of one negotiation: a few tabs and devices
SOCKETS_PER_USER = 16  # every negotiation and monitor socket of one user
MONITOR_SOCKETS_PER_USER = 4  # monitors of one user, whatever the exercise
NOTICE_SOCKETS_PER_USER = 8  # a student's notice sockets (one per open page: home, role sheet, room)
# Handshakes one session may open, per process, counted before its session is loaded: a browser
# reconnecting with its back-off (0.5 s doubling to 10 s), in a few tabs at once, stays far below.
# Past them the handshake is refused (HTTP 403) without any database or Redis work.
HANDSHAKE_BURST = 20
HANDSHAKES_PER_SECOND = 0.5
HELD_SECONDS = 90.0  # a place lasts this long unless refreshed: a dead process's places lapse
REFRESH_SECONDS = 30.0  # an open socket's place is refreshed this often (a third of HELD_SECONDS)
REFRESH_SLICES = 30  # the refresh's slices of a process's sockets, one after the other over that time

_BUCKETS = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local left = {}
for i, key in ipairs(KEYS) do
  local rate, burst = tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])
  local v = redis.call('HMGET', key, 'tokens', 'stamp')
  local tokens, stamp = tonumber(v[1]) or burst, tonumber(v[2]) or now
  tokens = math.min(burst, tokens + math.max(0, now - stamp) / 1000 * rate)
  if tokens < 1 then return i end
  left[i] = tokens - 1
end
for i, key in ipairs(KEYS) do
  redis.call('HSET', key, 'tokens', tostring(left[i]), 'stamp', now)
  redis.call('PEXPIRE', key, 120000)
end
return 0
"""

_HOLD = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local member, held = ARGV[1], tonumber(ARGV[2])
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  if redis.call('ZSCORE', key, member) == false and redis.call('ZCARD', key) >= tonumber(ARGV[2 + i]) then
    return i
  end
end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now + held, member)
  redis.call('EXPIRE', key, math.ceil(held))
end
return 0
"""


@dataclass(frozen=True)
class Limit:
    what: str  # "seat" or "user", for the error message
    key: str
    rate: float  # frames a second
    burst: float


@dataclass(frozen=True)
class Cap:
    key: str
    most: int


class Counts:
    """The shared counts of one event loop (a Daphne process has one). `within(limits)` takes a frame
    from every bucket or from none; `hold(member, caps)` gives a socket a place under every cap or none.

    With Redis, the scripts and releases of every socket that asks meanwhile go in one pipeline, one at a
    time on one connection: a class joining at once costs a few round trips, not one a socket, and never
    more connections than the client may open (past them, places were let in uncounted)."""

    def __init__(self) -> None:
        self.held: dict[str, list[str]] = {}
        # The sockets holding places in Redis by their refresh slice, each its own slice for its life.
        self.slices: list[set[str]] = [set() for _ in range(REFRESH_SLICES)]
        self.slice_of: dict[str, int] = {}
        self.turn = 0
        self.buckets: dict[str, TokenBucket] = {}
        self.places: dict[str, set[str]] = {}
        self.refresher: asyncio.Task[None] | None = None
        self.redis = None
        self.pending: list[tuple[Any, tuple[Any, ...], asyncio.Future[Any]]] = []
        self.sender: asyncio.Task[None] | None = None
        if settings.REDIS_URL:
            from redis.asyncio import Redis

            self.redis = Redis.from_url(settings.REDIS_URL, socket_timeout=5)
            self.buckets_script = self.redis.register_script(_BUCKETS)
            self.hold_script = self.redis.register_script(_HOLD)
            self.prefix = f"{settings.CHANNEL_LAYERS['default']['CONFIG']['prefix']}limits."

    async def command(self, *args: Any, script: Any = None) -> Any:
        """One Redis command (an EVALSHA of `script`) in the next pipeline; its reply, or its error raised."""
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.pending.append((script, args, done))
        if self.sender is None:
            self.sender = asyncio.ensure_future(self.send_pending())
        return await done

    async def send_pending(self) -> None:
        """Runs from the loop's next turn: what was asked meanwhile goes together, and what is asked while
        a pipeline is out goes in the next."""
        try:
            while self.pending:
                batch, self.pending = self.pending, []
                try:
                    replies = await self.pipeline([args for _, args, _ in batch])
                    unknown = [i for i, r in enumerate(replies) if isinstance(r, NoScriptError)]
                    if unknown:  # a new Redis, or its scripts flushed: load them, then those commands again
                        for script in {id(batch[i][0]): batch[i][0] for i in unknown}.values():
                            await self.redis.script_load(script.script)  # type: ignore[union-attr]
                        again = await self.pipeline([batch[i][1] for i in unknown])
                        for i, reply in zip(unknown, again, strict=True):
                            replies[i] = reply
                except Exception as exc:
                    replies = [exc] * len(batch)
                for (_, _, done), reply in zip(batch, replies, strict=True):
                    if done.done():
                        continue  # its socket went away meanwhile
                    if isinstance(reply, Exception):
                        done.set_exception(reply)
                    else:
                        done.set_result(reply)
        finally:
            self.sender = None

    async def pipeline(self, commands: list[tuple[Any, ...]]) -> list[Any]:
        assert self.redis is not None
        async with self.redis.pipeline(transaction=False) as pipe:
            for args in commands:
                pipe.execute_command(*args)
            return list(await pipe.execute(raise_on_error=False))

    async def run_script(self, script: Any, keys: list[str], args: list[Any]) -> int:
        return int(await self.command("EVALSHA", script.sha, len(keys), *keys, *args, script=script))

    async def within(self, limits: list[Limit]) -> int:
        """0 if the frame is within every limit (counted against each), else the 1-based index of the
        first limit it is past (counted against none)."""
        if self.redis is not None:
            keys = [self.prefix + limit.key for limit in limits]
            args = [x for limit in limits for x in (limit.rate, limit.burst)]
            try:
                return await self.run_script(self.buckets_script, keys, args)
            except Exception as exc:  # Redis away: the sockets' own buckets still hold
                log.warning("could not count a frame in Redis (%s: %s)", type(exc).__name__, exc)
                return 0
        buckets = [self.buckets.setdefault(limit.key, TokenBucket(limit.rate, limit.burst)) for limit in limits]
        for i, bucket in enumerate(buckets, 1):
            if bucket.refill() < 1:
                return i
        for bucket in buckets:
            bucket.tokens -= 1
        return 0

    async def hold(self, member: str, caps: list[Cap]) -> int:
        """0 if the socket `member` now holds a place under every cap, else the 1-based index of the
        first cap that is full (no place taken)."""
        if self.redis is not None:
            keys = [self.prefix + cap.key for cap in caps]
            try:
                full = await self.run_script(self.hold_script, keys, [member, HELD_SECONDS, *[c.most for c in caps]])
            except Exception as exc:  # Redis away: the socket is let in uncounted
                log.warning("could not count a socket in Redis (%s: %s)", type(exc).__name__, exc)
                return 0
            if not full:
                self.held[member] = keys
                if member not in self.slice_of:
                    self.slice_of[member] = self.turn % REFRESH_SLICES
                    self.slices[self.slice_of[member]].add(member)
                    self.turn += 1
                if self.refresher is None:
                    self.refresher = asyncio.ensure_future(self.refresh())
            return full
        for i, cap in enumerate(caps, 1):
            if len(self.places.get(cap.key, ())) >= cap.most:
                return i
        for cap in caps:
            self.places.setdefault(cap.key, set()).add(member)
        self.held[member] = [cap.key for cap in caps]
        return 0

    async def release(self, member: str) -> None:
        keys = self.held.pop(member, [])
        if member in self.slice_of:
            self.slices[self.slice_of.pop(member)].discard(member)
        if self.redis is not None:
            if keys:
                try:
                    await asyncio.gather(*(self.command("ZREM", key, member) for key in keys))
                except Exception as exc:  # the place lapses by itself
                    log.warning("could not release a socket's place (%s: %s)", type(exc).__name__, exc)
            return
        for key in keys:
            self.places.get(key, set()).discard(member)
            if not self.places.get(key, True):
                del self.places[key]

    async def refresh(self) -> None:
        """Keep this process's places from lapsing while their sockets are open: each is refreshed once
        every REFRESH_SECONDS, a slice of the sockets at a time, spread over that time (a thousand
        sockets' places in one pipeline held the event loop, and every pair on the process, for tens of
        milliseconds). A socket keeps its slice for its life, so that others coming and going do not move
        its turn: it is refreshed within REFRESH_SECONDS of joining, then every REFRESH_SECONDS (plus the
        round's pipelines' time), and one refresh missed (Redis away) still leaves its place held."""
        assert self.redis is not None
        while True:
            for part in range(REFRESH_SLICES):
                await asyncio.sleep(REFRESH_SECONDS / REFRESH_SLICES)
                places = [(member, self.held[member]) for member in self.slices[part] if member in self.held]
                if places:
                    await self.refresh_places(places)

    async def refresh_places(self, places: list[tuple[str, list[str]]]) -> None:
        assert self.redis is not None
        try:
            until = time.time() + HELD_SECONDS
            async with self.redis.pipeline(transaction=False) as pipe:
                for member, keys in places:
                    for key in keys:
                        pipe.zadd(key, {member: until}, xx=True)
                # The set lives as long as its places: its expiry, set when a place was taken, would
                # otherwise drop the places of sockets open longer than HELD_SECONDS, and the cap with them.
                for key in {key for _, keys in places for key in keys}:
                    pipe.expire(key, math.ceil(HELD_SECONDS))
                await pipe.execute()
        except Exception as exc:  # Redis away: the places lapse, the sockets stay open
            log.warning("could not refresh the sockets' places (%s: %s)", type(exc).__name__, exc)


class PerLoop(Generic[T]):
    """One `make()` per running event loop: one per Daphne process, and a fresh one for each test
    conversation (asyncio.run), so that nothing outlives the loop its tasks and connections belong to."""

    def __init__(self, make: Callable[[], T]) -> None:
        self.make = make
        self.made: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, T] = weakref.WeakKeyDictionary()

    def __call__(self) -> T:
        loop = asyncio.get_running_loop()
        found = self.made.get(loop)
        if found is None:
            found = self.made[loop] = self.make()
        return found


counts = PerLoop(Counts)  # the counts of the running event loop


class Handshakes:
    """A token bucket per session key, in the process: `take(key)` is true while the session is within
    its handshakes. Forgets every key past 100,000 of them (a flood of invented keys)."""

    def __init__(self) -> None:
        self.buckets: dict[str, TokenBucket] = {}

    def take(self, key: str) -> bool:
        bucket = self.buckets.get(key)
        if bucket is None:
            if len(self.buckets) >= 100_000:
                self.buckets.clear()
            bucket = self.buckets[key] = TokenBucket(HANDSHAKES_PER_SECOND, HANDSHAKE_BURST)
        return bucket.take()


handshakes = PerLoop(Handshakes)


def frame_limits(who: str, seat: str | None) -> list[Limit]:
    """What a frame of this identity (and seat) counts against, beyond its own socket's bucket."""
    found = [Limit("user", f"rate.{who}", USER_FRAMES_PER_SECOND, USER_FRAME_BURST)]
    if seat is not None:
        found.insert(0, Limit("seat", f"rate.{seat}", SEAT_FRAMES_PER_SECOND, SEAT_FRAME_BURST))
    return found


def negotiation_caps(who: str, negotiation_id: int) -> list[Cap]:
    return [Cap(f"sockets.{who}.n{negotiation_id}", SOCKETS_PER_SEAT), Cap(f"sockets.{who}", SOCKETS_PER_USER)]


def monitor_caps(who: str) -> list[Cap]:
    return [Cap(f"monitors.{who}", MONITOR_SOCKETS_PER_USER), Cap(f"sockets.{who}", SOCKETS_PER_USER)]


def notice_caps(who: str) -> list[Cap]:
    """A student's notice sockets: a few pages in a few tabs, and among the user's sockets in all."""
    return [Cap(f"notices.{who}", NOTICE_SOCKETS_PER_USER), Cap(f"sockets.{who}", SOCKETS_PER_USER)]
