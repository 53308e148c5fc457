"""A class that sits in silence while the rest of the suite runs: the guarantee that idle sockets survive.

Ten pairs (twenty sockets) connect to a Daphne on the real Redis when the session starts, say nothing
for PARLEY_SILENCE_SECONDS, and then the silent-class test checks that every socket is still open, was
never closed, and hears its partner. The silence overlaps the rest of the suite instead of adding to it.

How long: several times the longest timer that acts on an idle socket. Those are Daphne's keepalive (a
ping after 20 s idle; the socket closed if no answer comes within 30 s), the websockets client's own
(a ping after 20 s, 20 s to answer), and the channel layer's Redis socket timeout (REDIS_SOCKET_TIMEOUT,
30 s; its pub/sub reader polls every 0.1 s and reconnects after 1 s). The longest is 30 s, so CI
(PARLEY_REQUIRE_SERVICES set) waits 120 s, four of them; other runs 60 s. `make soak` waits ten minutes,
which also outlasts redis-server's TCP keepalive (300 s).

The class lives in a database of its own, copied from the freshly migrated test database: pytest-django
empties the test database after every transactional test, which would delete the silent class's rows
under its open sockets. Its ids start at ten million so that its channel-layer groups, on the same
Redis, never meet those of the other tests.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from tests.servers import LOGS, ROOT, daphne, server_env

REQUIRED = os.environ.get("PARLEY_REQUIRE_SERVICES", "") in ("1", "true", "yes")
SILENCE = float(os.environ.get("PARLEY_SILENCE_SECONDS") or (120 if REQUIRED else 60))  # see above
PAIRS = 10
FIRST_ID = 10_000_000
TEST_NAME = "test_a_silent_class_keeps_its_sockets_for_the_whole_session"


def setup_class() -> None:
    """Run in a subprocess on the silent database: make the class and print its seats as JSON."""
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from classrooms import services
    from classrooms.models import User
    from negotiations import rounds
    from negotiations.models import Seat
    from scenarios.services import builtin_scenarios_load, scenario_version_get

    with connection.cursor() as cursor:
        cursor.execute("SELECT schemaname, sequencename FROM pg_sequences WHERE schemaname = 'public'")
        for schema, name in cursor.fetchall():
            cursor.execute("SELECT setval(%s, %s)", [f'"{schema}"."{name}"', FIRST_ID])
    builtin_scenarios_load()
    teacher = User.objects.create_user(
        "silent@example.com", "a-long-password", first_name="Sally", verified_at=timezone.now()
    )
    classroom = services.classroom_create(owner=teacher, name="Silent class", term="All session")
    exercise = services.exercise_create(
        classroom=classroom, title="Read your role", scenario_version=scenario_version_get("used-car"),
        time_limit_minutes=240, created_by=teacher,
    )  # fmt: skip
    result = services.roster_import(
        classroom=classroom, text="name\n" + "\n".join(f"Quiet {i}" for i in range(2 * PAIRS))
    )
    rounds.exercise_pair(exercise=exercise, student_ids=[s.pk for s in result.created], seed=1)
    rounds.exercise_release(exercise=exercise)
    rounds.exercise_start(exercise=exercise)
    seats = Seat.objects.filter(exercise=exercise).select_related("student").order_by("negotiation", "role_key")
    print(json.dumps([
        {"negotiation": s.negotiation_id, "role": s.role_key, "link": f"/s/{services.student_link_token(s.student)}/"}
        for s in seats
    ]))  # fmt: skip


@dataclass
class SilentClass:
    """The silent pairs' Daphne and sockets, kept by a thread of their own for the whole session."""

    database: str
    started_at: float = 0.0
    seats: list[dict[str, Any]] = field(default_factory=list)
    clients: list[Any] = field(default_factory=list)
    closes: list[tuple[int, Any]] = field(default_factory=list)  # (client index, close code) seen
    port: int = 0
    watchers: list[asyncio.Future[None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="silent-class", daemon=True)
        self._daphne: Any = None

    def start(self) -> None:
        """Create the class in its database, start its Daphne and connect every socket."""
        from negotiations.client import LiveClient, sign_in

        env = server_env(DATABASE_URL=self.database)
        env.pop("REDIS_URL", None)  # set-up only: eager tasks, no deadline task left on the shared broker
        made = subprocess.run(
            [sys.executable, "-c", "from tests.silent_class import setup_class; setup_class()"],
            cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=120,
        )  # fmt: skip
        if made.returncode != 0:
            raise RuntimeError("could not set up the silent class:\n" + made.stderr[-3000:])
        self.seats = json.loads(made.stdout.strip().splitlines()[-1])
        self._daphne = daphne(DATABASE_URL=self.database)
        self.port, self.process = self._daphne.__enter__()
        base = f"http://127.0.0.1:{self.port}"
        url = f"ws://127.0.0.1:{self.port}/ws/negotiations"
        self.clients = [
            LiveClient(f"{url}/{seat['negotiation']}/", sign_in(base, seat["link"]), base) for seat in self.seats
        ]
        self.thread.start()
        self.run(self._connect_all(), timeout=60)
        self.started_at = time.monotonic()

    async def _connect_all(self) -> None:
        for index, client in enumerate(self.clients):
            await client.connect()
            self.watchers.append(asyncio.ensure_future(self._watch(index, client)))

    async def _watch(self, index: int, client: Any) -> None:
        """Record the close of any socket, whenever it happens."""
        await client.connection.wait_closed()
        self.closes.append((index, client.connection.close_code))

    def run(self, coroutine: Any, timeout: float) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def remaining(self) -> float:
        return max(0.0, self.started_at + SILENCE - time.monotonic())

    async def talk(self) -> list[str]:
        """After the silence: each side of each pair says something; the other must hear it."""
        problems = []
        for n, (seller, buyer) in enumerate(zip(self.clients[1::2], self.clients[::2], strict=True)):
            for speaker, listener in ((seller, buyer), (buyer, seller)):
                try:
                    event = await speaker.act({"type": "chat", "text": f"Still there? ({n})"}, timeout=10)
                    await listener.wait_for(lambda c, seq=event["seq"]: c.has_seq(seq), timeout=10)
                except Exception as exc:  # collect every pair's problem, then report them all
                    problems.append(f"pair {n}: {exc!r}")
        return problems

    def stop(self) -> None:
        async def close_all() -> None:
            for client in self.clients:
                await client.close()

        try:
            if self.thread.is_alive():
                try:
                    self.run(close_all(), timeout=30)
                finally:
                    self.loop.call_soon_threadsafe(self.loop.stop)
                    self.thread.join(timeout=10)
            if self._daphne is not None:
                self._let_go()
        finally:  # whatever failed above, the server stops: it holds the silent class's database
            if self._daphne is not None:
                self._daphne.__exit__(None, None, None)

    def _let_go(self, timeout: float = 30) -> None:
        """Until the server's consumers have finished with the closed sockets: leaving its groups is the
        last thing each does, so no group is left subscribed on Redis. Stopping Daphne earlier would cancel
        them midway (a traceback in its log)."""
        import redis
        from django.conf import settings

        prefix = settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"]
        client = redis.Redis.from_url(settings.REDIS_URL)
        deadline = time.monotonic() + timeout
        while client.pubsub_channels(f"{prefix}__group__*") and time.monotonic() < deadline:
            time.sleep(0.05)  # polling Redis: the condition is another process's subscriptions
        client.close()

    def log(self) -> str:
        path = LOGS / f"daphne-{self.port}.log"
        return path.read_text() if path.exists() else ""
