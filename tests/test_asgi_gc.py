"""The Daphne process keeps the garbage collector's full passes short: its start-up heap (Django, the
apps, the libraries) is frozen out of them, so that a pass scans what the sockets hold, not the
whole program (docs/benchmarks.md, "The tail"). Before, passes of 95-176 ms held a handful of
events a minute together: the p99.9 of the live benchmark. The sockets' own objects are frozen too once
the joins settle (config/collector.py), and collected once the class has left, so that memory follows
the sockets open."""

from __future__ import annotations

import gc
import subprocess
import sys
import weakref
from pathlib import Path

import pytest

from config.collector import LEFT_BEFORE_FULL, SETTLE_SECONDS, WHOLE_EVERY_SECONDS, Collector
from tests.base import student_client
from tests.live import Live, run

ROOT = Path(__file__).resolve().parent.parent
PROBE = "import gc, config.asgi; print(gc.get_freeze_count())"


def test_the_asgi_application_freezes_its_start_up_heap_out_of_the_collector():
    env = {"DJANGO_SETTINGS_MODULE": "config.settings", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert int(out.stdout) > 50_000  # Django, the apps and the libraries are out of every pass


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Held:
    """An object in a reference cycle, as a socket's consumer and its protocol are."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def unfrozen():
    """The test process's heap is left as it was found: nothing it freezes stays frozen."""
    yield
    gc.unfreeze()


def test_the_sockets_objects_are_frozen_once_the_joins_settle(unfrozen):
    clock = Clock()
    collector = Collector(clock)
    sockets = [Held() for _ in range(1000)]  # what a burst of joins leaves behind
    for _ in sockets:
        collector.joined()
    before = gc.get_freeze_count()
    clock.now += SETTLE_SECONDS / 2
    assert collector.check() is None  # still joining
    clock.now += SETTLE_SECONDS
    assert collector.check() == "frozen"
    assert gc.get_freeze_count() >= before + len(sockets)  # out of every full pass from now on
    assert collector.check() is None  # once


def test_a_slow_full_pass_freezes_what_it_scanned(unfrozen):
    collector = Collector(Clock())
    collector.on_pass("start", {"generation": 2})
    collector._pass_started -= 1  # a pass of a second
    collector.on_pass("stop", {"generation": 2, "collected": 0, "uncollectable": 0})
    assert collector.check() == "frozen"


def test_the_cycles_of_a_class_that_left_are_collected_when_it_has_gone(unfrozen):
    clock = Clock()
    collector = Collector(clock)
    held = Held()
    gone = weakref.ref(held)
    joined = [collector.joined() for _ in range(LEFT_BEFORE_FULL)]
    clock.now += SETTLE_SECONDS
    assert collector.check() == "frozen"
    del held  # a frozen cycle: no pass sees it
    gc.collect()
    assert gone() is not None
    for freezes in joined[:-1]:
        collector.closed(freezes)
    assert collector.check() is None  # one socket still to leave
    collector.closed(joined[-1])
    assert collector.check() == "collected"
    assert gone() is None  # memory stays bounded by the sockets open
    assert collector.open == 0 and collector.left == 0


def test_sockets_that_never_lived_through_a_freeze_do_not_bring_on_a_whole_collection(unfrozen):
    collector = Collector(Clock())
    for _ in range(LEFT_BEFORE_FULL * 4):  # refused handshakes, short visits
        collector.closed(collector.joined())
    assert collector.left == 0


@pytest.mark.django_db(transaction=True)
def test_the_application_tells_the_collector_of_each_socket_while_it_is_open(started_pair):
    from config import asgi

    negotiation, students = started_pair
    opened = asgi.collector.open
    buyer = student_client(students["buyer"])

    async def go() -> list[int]:
        live = Live(f"/ws/negotiations/{negotiation.pk}/", buyer)
        await live.connect()
        while_open = asgi.collector.open
        await live.close()
        return [while_open]

    assert run(go()) == [opened + 1]
    assert asgi.collector.open == opened


def test_a_whole_collection_comes_at_most_once_a_minute(unfrozen):
    clock = Clock()
    collector = Collector(clock)

    def a_class_comes_and_goes() -> str | None:
        joined = [collector.joined() for _ in range(LEFT_BEFORE_FULL)]
        clock.now += SETTLE_SECONDS
        assert collector.check() == "frozen"
        for freezes in joined:
            collector.closed(freezes)
        return collector.check()

    assert a_class_comes_and_goes() == "collected"
    assert a_class_comes_and_goes() is None  # a second later: waits
    clock.now += WHOLE_EVERY_SECONDS
    assert collector.check() == "collected"
