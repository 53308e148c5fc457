"""Time the class debrief: from the instructor ending the round to the debrief reaching the monitor.

    python -m bench.debrief [--pairs 300] [--scenario used-car|farm-expansion] [--runs 5] [--seed S]
                            [--database-url URL] [--redis-url URL] [--concurrency 2] [--end-at-once]
                            [--kill-worker]

The production path, end to end, on this machine: PostgreSQL, Redis, and a real Celery worker started
by the script (prefork pool, `--concurrency` processes). The script drops and re-creates its own
database (the name must contain "bench"), migrates it, and empties its own Redis database (never db 0).

Each run builds a fresh class of `--pairs` pairs on the built-in scenario and plays it through the
service layer, as students would: offers, counter-offers (some with several packages), rejections,
chat, then most pairs accept a package, a few walk away and the rest are still talking when the round
ends (the round end closes them as impasse). The pairs' own outcome tasks run on the worker as the pairs
finish, as in a class; the script waits for them before ending the round. With --end-at-once the worker
takes no task during the play, so that they all wait ahead of the debrief, as if every pair had just
finished.

Then a listener joins the exercise's monitor group on the channel layer, as the instructor's monitor
socket does, and the clock runs from the instructor's round-end call (`exercise_end`: it commits and
sends the debrief task after the commit) until the `debrief` announcement reaches the listener. The
stored Debrief is then checked to cover every pair. Median and spread over the runs; the last line is
JSON {"pairs": N, "seconds": median}.

With --kill-worker the worker dies in the middle of the debrief, as a machine crash would: its pool
processes are stopped (SIGSTOP) before the round ends, so that the worker takes the debrief's message
from Redis and cannot finish it; once Redis holds the message as taken (unacknowledged), the whole
worker is killed (SIGKILL) and a new one started at once, as a supervisor restarts it. The clock then
runs from the kill to the announcement (the new worker's sweep sends the debrief again; the dead
worker's message waits out the visibility timeout).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

from bench import stack

LOG = stack.ROOT / "artifacts" / "bench-debrief-worker.log"
SCENARIOS = ("used-car", "farm-expansion")


def configure(args: argparse.Namespace) -> None:
    """Point this process (and the worker it starts) at the benchmark's own database and Redis db."""
    db = urlparse(args.database_url)
    name = db.path.lstrip("/")
    if "bench" not in name:
        sys.exit(f"--database-url must name a database meant for the benchmark (with 'bench' in it), got {name!r}")
    redis_db = urlparse(args.redis_url).path.lstrip("/") or "0"
    if redis_db == "0":
        sys.exit("--redis-url must name a Redis database other than 0 (the script empties it)")
    os.environ["DATABASE_URL"] = args.database_url
    os.environ["REDIS_URL"] = args.redis_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["DEBUG"] = "false"  # as in production (with DEBUG on, Django also keeps every query)
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    recreate_database(args.database_url, name)


def recreate_database(url: str, name: str) -> None:
    import psycopg

    maintenance = urlunparse(urlparse(url)._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def prepare() -> None:
    import django

    django.setup()
    import redis
    from django.conf import settings
    from django.core.management import call_command

    from scenarios.services import builtin_scenarios_load

    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    call_command("migrate", verbosity=0, interactive=False)
    builtin_scenarios_load()


# The worker


@contextlib.contextmanager
def running_worker(concurrency: int, *, ready: bool = True) -> Iterator[subprocess.Popen[bytes]]:
    """The production worker (prefork pool) in its own process group, ready when it answers a ping
    (unless `ready` is False); stopped on leaving."""
    from config.celery import app

    env = {**os.environ, "LOG_LEVEL": "INFO"}
    options = ["--without-gossip", "--without-mingle"]
    with stack.celery_worker(
        env, LOG, pool="prefork", concurrency=concurrency, options=options, own_group=True, append=True
    ) as worker:
        deadline = time.monotonic() + 60
        while ready and not app.control.ping(timeout=0.5):
            if worker.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"the Celery worker did not start; see {LOG}")
        yield worker


def pool_stop(worker: Any) -> None:
    """Stop (SIGSTOP) the worker's pool processes, leaving the worker itself taking messages."""
    children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children").read_text().split()
    if not children:
        sys.exit(f"the worker has no pool processes to stop; see {LOG}")
    for pid in children:
        os.kill(int(pid), signal.SIGSTOP)


def held(exercise_id: int, timeout: float) -> None:
    """Wait until Redis holds the exercise's debrief message as taken by a worker (unacknowledged)."""
    import redis
    from django.conf import settings

    def taken() -> bool:
        for body in client.hvals("unacked"):
            headers = json.loads(body)[0]["headers"]
            if headers["task"] == "negotiations.tasks.compute_debrief" and headers["argsrepr"] == f"({exercise_id},)":
                return True
        return False

    client = redis.Redis.from_url(settings.REDIS_URL)
    deadline = time.monotonic() + timeout
    while not taken():
        if time.monotonic() > deadline:
            sys.exit(f"the worker did not take the debrief within {timeout:.0f} s; see {LOG}")
        time.sleep(0.01)  # polling another process's state in Redis


def consuming(on: bool) -> None:
    """Make the worker stop or resume taking tasks from the queue; returns once it has done so."""
    from config.celery import app

    command = app.control.add_consumer if on else app.control.cancel_consumer
    if not command("celery", reply=True, timeout=10, limit=1):  # one worker: do not wait for others
        sys.exit(f"the worker did not answer; see {LOG}")


# A class that has played


class Player:
    """Plays one pair through the service layer with a random but plausible style."""

    def __init__(self, spec: Any, rng: random.Random) -> None:
        self.spec, self.rng = spec, rng
        self.roles = spec.role_keys
        self.ranked = {role: [self._ranked(issue, role) for issue in spec.issues] for role in self.roles}

    @staticmethod
    def _ranked(issue: Any, role: str) -> list[str]:
        return [o.key for o in sorted(issue.choices(), key=lambda o: o.points[role], reverse=True)]

    def package(self, role: str, concession: float) -> dict[str, str]:
        """A complete package: near the role's favourite options, further away as it concedes."""
        partner = self.roles[1] if role == self.roles[0] else self.roles[0]
        chosen = {}
        for issue, mine, theirs in zip(self.spec.issues, self.ranked[role], self.ranked[partner], strict=True):
            # Now and then it gives an issue away (a logroll, or not).
            options = theirs if self.rng.random() < 0.25 * concession else mine
            spread = concession * self.rng.uniform(0.3, 1.2)
            chosen[issue.key] = options[min(len(options) - 1, round(spread * (len(options) - 1) / 2))]
        return chosen

    def play(self, negotiation_id: int, seats: dict[str, Any], fate: str) -> None:
        from core.negotiation import Action
        from negotiations.acting import negotiation_act

        rng = self.rng
        count = {"n": 0}

        def act(role: str, kind: str, **fields: Any) -> dict[str, Any]:
            count["n"] += 1
            action = Action(kind, f"{role}-{count['n']}", **fields)
            return negotiation_act(negotiation_id=negotiation_id, seat=seats[role], action=action).event

        first = rng.choice(self.roles)
        second = self.roles[1] if first == self.roles[0] else self.roles[0]
        rounds = rng.randint(1, 6)
        last: dict[str, Any] | None = None
        for k in range(rounds):
            role = first if k % 2 == 0 else second
            if rng.random() < 0.3:
                act(role, "chat", text=rng.choice(("Hello", "What matters most to you?", "Let me think", "Fair?")))
            if last is not None and rng.random() < 0.15:
                act(role, "reject", offer_seq=last["seq"], reason="Too far from what I need")
            concession = min(1.0, (k + 1) / rounds * rng.uniform(0.6, 1.4))
            meso = rng.random() < 0.2
            packages = tuple(self.package(role, concession) for _ in range(rng.randint(2, 3) if meso else 1))
            last = act(role, "offer", packages=packages)
        responder = second if (rounds - 1) % 2 == 0 else first
        if fate == "agree" and last is not None:
            act(responder, "accept", offer_seq=last["seq"], package=rng.randrange(len(last["payload"]["packages"])))
        elif fate == "walk_away":
            act(responder, "walk_away", reason="My alternative is better")


def build_class(pairs: int, slug: str, rng: random.Random, run: int) -> tuple[Any, dict[str, int]]:
    from django.utils import timezone

    from classrooms import services
    from classrooms.models import User
    from negotiations import rounds
    from negotiations.models import Seat
    from scenarios.services import scenario_version_get, version_spec

    version = scenario_version_get(slug)
    instructor = User.objects.filter(email="bench@example.edu").first()
    instructor = instructor or User.objects.create_user(
        "bench@example.edu", None, first_name="Bench", verified_at=timezone.now()
    )
    classroom = services.classroom_create(owner=instructor, name=f"Benchmark class {run}")
    roster = "name\n" + "".join(f"Student {run}-{i}\n" for i in range(2 * pairs))
    students = services.roster_import(classroom=classroom, text=roster).created
    exercise = services.exercise_create(
        classroom=classroom, title="Benchmark", scenario_version=version, time_limit_minutes=60, created_by=instructor
    )
    rounds.exercise_pair(exercise=exercise, student_ids=[s.pk for s in students], seed=run)
    rounds.exercise_release(exercise=exercise)
    rounds.exercise_start(exercise=exercise)
    seats: dict[int, dict[str, Any]] = {}
    for seat in Seat.objects.filter(exercise=exercise, kind=Seat.Kind.STUDENT):
        seats.setdefault(seat.negotiation_id, {})[seat.role_key] = seat
    player = Player(version_spec(version), rng)
    fates = {"agree": 0, "walk_away": 0, "open": 0}
    for negotiation_id in sorted(seats):
        fate = rng.choices(("agree", "walk_away", "open"), weights=(80, 5, 15))[0]
        fates[fate] += 1
        player.play(negotiation_id, seats[negotiation_id], fate)
    return exercise, fates


def wait_for_outcomes(exercise: Any, timeout: float = 300) -> None:
    """Wait until the worker has computed the outcome of every pair that finished during play."""
    from negotiations.models import Outcome

    finished = exercise.negotiations.filter(status__in=("agreed", "impasse")).count()
    deadline = time.monotonic() + timeout
    while Outcome.objects.filter(negotiation__exercise=exercise).count() < finished:
        if time.monotonic() > deadline:
            sys.exit(f"the worker did not compute the pairs' outcomes within {timeout:.0f} s; see {LOG}")
        time.sleep(0.2)  # polling rows written by another process


# The listener: the monitor's view of the channel layer


class Listener(threading.Thread):
    """Joins the exercise's monitor group and notes when the `debrief` announcement arrives."""

    def __init__(self, exercise_id: int, timeout: float) -> None:
        super().__init__(daemon=True)
        self.exercise_id, self.timeout = exercise_id, timeout
        self.joined, self.done = threading.Event(), threading.Event()
        self.at: float | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            asyncio.run(self.listen())
        except BaseException as exc:  # reported by the main thread
            self.error = exc
        finally:
            self.joined.set()
            self.done.set()

    async def listen(self) -> None:
        from channels.layers import DEFAULT_CHANNEL_LAYER, channel_layers

        from negotiations.publishing import monitor_group

        layer = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)
        channel = await layer.new_channel()
        group = monitor_group(self.exercise_id)
        await layer.group_add(group, channel)
        self.joined.set()
        try:
            async with asyncio.timeout(self.timeout):
                while True:
                    message = await layer.receive(channel)
                    if message["type"] == "monitor.debrief" and message["exercise"] == self.exercise_id:
                        self.at = time.perf_counter()
                        return
        finally:
            await layer.group_discard(group, channel)
            # The list-based layer closes its connections with close_pools(), the pub/sub layer with flush().
            await (layer.close_pools() if hasattr(layer, "close_pools") else layer.flush())


def time_round_end(
    exercise: Any, pairs: int, timeout: float, *, kill: tuple[subprocess.Popen[bytes], int] | None = None
) -> tuple[float, float, float]:
    """Seconds from the round-end call to the debrief announcement, to the call's return (the pairs
    closed and the task sent), and to the debrief's storing in the worker (by the clock of the machine).
    With `kill` (the worker and its concurrency), the worker is killed once it holds the debrief and a
    new one started at once; the first and last figures then run from the kill."""
    from negotiations import rounds
    from negotiations.models import Debrief

    listener = Listener(exercise.pk, timeout)
    listener.start()
    listener.joined.wait()
    with contextlib.ExitStack() as restarted:
        if kill is not None:
            pool_stop(kill[0])
        start, wall = time.perf_counter(), time.time()
        rounds.exercise_end(exercise=exercise)
        returned = time.perf_counter() - start
        if kill is not None:
            held(exercise.pk, timeout)
            os.killpg(kill[0].pid, signal.SIGKILL)  # the worker and its pool, as a machine crash would
            start, wall = time.perf_counter(), time.time()
            kill[0].wait()
            restarted.enter_context(running_worker(kill[1], ready=False))  # as its supervisor would
        listener.done.wait()
    if listener.at is None:
        sys.exit(f"no debrief announcement within {timeout:.0f} s ({listener.error!r}); see {LOG}")
    debrief = Debrief.objects.get(exercise=exercise)
    ids = set(exercise.negotiations.values_list("pk", flat=True))
    assert len(ids) == pairs and {int(k) for k in debrief.sources} == ids, "the debrief does not cover every pair"
    assert len(debrief.data["pairs"]) == pairs and debrief.data["open_pairs"] == 0
    return listener.at - start, returned, debrief.computed_at.timestamp() - wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=300)
    parser.add_argument("--scenario", choices=SCENARIOS, default="used-car")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes (one per core)")
    parser.add_argument("--timeout", type=float, default=120, help="seconds to wait for one debrief")
    parser.add_argument(
        "--end-at-once",
        action="store_true",
        help="the worker takes no task while the class plays, so that at the round end the pairs' own "
        "outcome tasks are all still queued ahead of the debrief (as if every pair had just finished)",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/parley_bench"),
        help="dropped and re-created (its name must contain 'bench'); default $BENCH_DATABASE_URL or parley_bench",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"),
        help="emptied first, never db 0; default $BENCH_REDIS_URL or redis://127.0.0.1:6379/14",
    )
    parser.add_argument(
        "--kill-worker",
        action="store_true",
        help="kill the worker (SIGKILL) while it holds the debrief, start a new one, and time from the kill",
    )
    args = parser.parse_args()
    configure(args)
    LOG.parent.mkdir(parents=True, exist_ok=True)
    LOG.write_text("")  # each worker of this run adds to it
    prepare()
    rng = random.Random(args.seed)
    load = os.getloadavg()[0]
    seconds, calls = [], []
    for run in range(1, args.runs + 1):
        # A worker per run: with --kill-worker, the one started after the kill is stopped with the run.
        with running_worker(args.concurrency) as worker:
            built = time.perf_counter()
            if args.end_at_once:
                consuming(False)
            exercise, fates = build_class(args.pairs, args.scenario, rng, run)
            if args.end_at_once:
                consuming(True)  # the pairs' outcome tasks are all queued at the round end
            else:
                wait_for_outcomes(exercise)
            played = time.perf_counter() - built
            kill = (worker, args.concurrency) if args.kill_worker else None
            ready, returned, stored = time_round_end(exercise, args.pairs, args.timeout, kill=kill)
        seconds.append(ready)
        calls.append(returned)
        since = "the worker was killed" if args.kill_worker else "the round end"
        print(
            f"run {run}: {args.pairs} pairs ({fates['agree']} agreed, {fates['walk_away']} walked away, "
            f"{fates['open']} open at the end; set up and played in {played:.1f} s): debrief announced "
            f"{ready:.3f} s after {since} (the round-end call took {returned:.3f} s, "
            f"the debrief was stored at {stored:.3f} s)",
            flush=True,
        )
    spread = f"min {min(seconds):.3f} s, max {max(seconds):.3f} s" if seconds else ""
    end_load = os.getloadavg()[0]
    print(f"machine: {os.cpu_count()} cores; load average (1 min) {load:.2f} at the start, {end_load:.2f} at the end")
    print(
        f"{args.scenario}, {args.pairs} pairs, {len(seconds)} runs, worker --concurrency {args.concurrency}: "
        f"median {statistics.median(seconds):.3f} s ({spread}); round-end call median {statistics.median(calls):.3f} s"
    )
    print(json.dumps({"pairs": args.pairs, "seconds": round(statistics.median(seconds), 3)}))


if __name__ == "__main__":
    main()
