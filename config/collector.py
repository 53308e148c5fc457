"""The garbage collector in a Daphne process: full passes kept short, and the long one moved to when a
class leaves (docs/operations.md, "Memory and the garbage collector"; docs/benchmarks.md, "The tail").

A full (generation 2) pass scans every object the collector tracks and holds every socket of the process
meanwhile. Start-up freezes Django and the libraries out of every pass (`gc.freeze()`), but a class
joining makes tens of thousands of objects more (each socket's consumer, its Twisted and autobahn
protocols, its subscriptions) that live as long as the socket, and full passes over them took 40-90 ms
a few times a minute. So the sockets' objects are frozen too, once the joins settle (no new socket for
`SETTLE_SECONDS`), and after any full pass slower than `SLOW_PASS_MS`: what a pass scans is then only
what was made since.

Frozen objects are still freed when nothing refers to them; only reference cycles among them wait. So
once as many frozen sockets have left as are still open (at least `LEFT_BEFORE_FULL`), a class has
gone: the whole heap is collected once (at most once every `WHOLE_EVERY_SECONDS`, should sockets come
and go all the time on an overloaded server) and what lives is frozen again. Memory stays bounded by the
sockets open, and that one long pass falls when a class leaves. A socket that never lived through a
freeze (a refused handshake, a short visit) leaves its cycles to the ordinary young passes: it does
not count.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

SETTLE_SECONDS = 1.0  # no new socket for this long: a burst of joins is over
SLOW_PASS_MS = 10.0  # a full pass longer than this freezes what it scanned
LEFT_BEFORE_FULL = 50  # sockets gone since the last whole collection before another is considered
WHOLE_EVERY_SECONDS = 60.0  # at most one whole collection a minute, however the sockets come and go
CHECK_SECONDS = 0.5


class Collector:
    """Counts the process's sockets and decides when to freeze and when to collect everything."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.open = 0
        self.left = 0  # frozen sockets closed since the last whole collection
        self.freezes = 0
        self.collected_at: float | None = None  # the last whole collection
        self.last_join: float | None = None  # a socket opened since the last freeze
        self.slow_pass = 0.0  # the longest full pass over SLOW_PASS_MS since the last check, in ms
        self._pass_started = 0.0
        self._scheduled = False

    # The sockets

    def joined(self) -> int:
        """A socket opened; returns what `closed()` is to be told."""
        self.open += 1
        self.last_join = self.clock()
        return self.freezes

    def closed(self, freezes_at_join: int) -> None:
        self.open -= 1
        if self.freezes > freezes_at_join:
            self.left += 1

    # The collector's own passes

    def on_pass(self, phase: str, info: dict[str, Any]) -> None:
        """A `gc.callbacks` hook: times the full passes; a slow one asks for a freeze (and is logged
        from the event loop, not from inside the collector)."""
        if info["generation"] != 2:
            return
        if phase == "start":
            self._pass_started = time.perf_counter()
            return
        ms = (time.perf_counter() - self._pass_started) * 1000
        if ms > SLOW_PASS_MS:
            self.slow_pass = max(self.slow_pass, ms)

    # Deciding, every CHECK_SECONDS

    def check(self) -> str | None:
        """Freeze or collect everything if it is time; says which it did."""
        rested = self.collected_at is None or self.clock() - self.collected_at >= WHOLE_EVERY_SECONDS
        if rested and self.left >= max(LEFT_BEFORE_FULL, self.open):
            started = time.perf_counter()
            gc.unfreeze()
            found = gc.collect()
            gc.freeze()
            self.freezes += 1
            log.info(
                "%d sockets left, %d open: collected everything (%d unreachable) in %.0f ms",
                self.left, self.open, found, (time.perf_counter() - started) * 1000,
            )  # fmt: skip
            self.left, self.last_join, self.slow_pass = 0, None, 0.0
            self.collected_at = self.clock()
            return "collected"
        settled = self.last_join is not None and self.clock() - self.last_join >= SETTLE_SECONDS
        if settled or self.slow_pass:
            if self.slow_pass:
                log.info("a full collection took %.0f ms with %d sockets open", self.slow_pass, self.open)
            gc.freeze()
            self.freezes += 1
            self.last_join, self.slow_pass = None, 0.0
            return "frozen"
        return None

    def _tick(self) -> None:
        try:
            self.check()
        finally:
            asyncio.get_running_loop().call_later(CHECK_SECONDS, self._tick)

    def start(self) -> None:
        """Checks every CHECK_SECONDS on the running event loop, from the first call on."""
        if not self._scheduled:
            self._scheduled = True
            gc.callbacks.append(self.on_pass)
            asyncio.get_running_loop().call_later(CHECK_SECONDS, self._tick)


class CountSockets:
    """ASGI middleware: tells the collector of each websocket as it opens and once its application ends."""

    def __init__(self, inner: Any, collector: Collector) -> None:
        self.inner, self.collector = inner, collector

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] != "websocket":
            return await self.inner(scope, receive, send)
        self.collector.start()
        freezes = self.collector.joined()
        try:
            return await self.inner(scope, receive, send)
        finally:
            self.collector.closed(freezes)
