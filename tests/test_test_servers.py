"""The test servers' helpers: a server started from a test's event loop leaves the loop turning."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator

import pytest

from tests.servers import in_a_thread

BLOCKING = 1.0  # seconds a start waits, as a Celery worker's wait for " ready." does on a loaded machine


@contextlib.contextmanager
def slow_to_start_and_stop() -> Iterator[str]:
    time.sleep(BLOCKING)
    yield "started"
    time.sleep(BLOCKING)


def test_a_server_started_and_stopped_beside_a_loop_leaves_its_sockets_beating():
    """A live client's heartbeat runs on the test's loop: a start that blocked it for the server's 8 s of
    silence had the student's socket closed with 4408 (a CI run's bot-seat test)."""

    async def main() -> tuple[str, float]:
        gaps: list[float] = []

        async def beat() -> None:
            last = time.monotonic()
            while True:
                await asyncio.sleep(0.02)
                gaps.append(time.monotonic() - last)
                last = time.monotonic()

        beating = asyncio.ensure_future(beat())
        while not gaps:  # beating before the server starts
            await asyncio.sleep(0.01)
        async with in_a_thread(slow_to_start_and_stop()) as started:
            pass
        beating.cancel()
        return started, max(gaps)

    started, longest = asyncio.run(main())
    assert started == "started"
    assert longest < BLOCKING / 2, f"the loop stood still for {longest:.2f} s while the server started or stopped"


def test_a_failure_inside_reaches_the_manager_and_the_test():
    seen: list[BaseException] = []

    @contextlib.contextmanager
    def manager() -> Iterator[None]:
        try:
            yield
        except BaseException as exc:
            seen.append(exc)
            raise

    async def main() -> None:
        async with in_a_thread(manager()):
            raise KeyError("inside")

    with pytest.raises(KeyError, match="inside"):
        asyncio.run(main())
    assert [type(e) for e in seen] == [KeyError]


def test_a_test_cancelled_while_its_server_starts_stops_the_server():
    events: list[str] = []

    @contextlib.contextmanager
    def manager() -> Iterator[None]:
        time.sleep(0.3)
        events.append("started")
        yield
        events.append("stopped")

    async def main() -> None:
        starting = asyncio.ensure_future(in_a_thread(manager()).__aenter__())
        await asyncio.sleep(0.05)
        starting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await starting

    asyncio.run(main())
    assert events == ["started", "stopped"]
