"""Load the live relay on the production stack of this machine, open loop, and measure it.

    python -m bench.live_load --students 1000 --interval 5 --duration 60

It starts what production runs: two Daphne processes (DEBUG off, production-like settings), a Celery
worker, on PostgreSQL (a database of its own, `parley_load`, created and migrated here) and Redis (a db
number of its own). It prepares a class of N students in N/2 started pairs of the used-car scenario,
signs each student in the way the personal link does (a session row per student), connects the two
students of every pair to DIFFERENT Daphne processes, plus one instructor monitor socket.

Then an open loop: every student's sends are scheduled in advance, one event every `interval` seconds,
staggered uniformly over the class; and, as the browser does, every socket sends a heartbeat every 3 s
(the snapshot's `heartbeat.every`) from its snapshot to the end (`--no-heartbeat`: none, as before
heartbeats existed). Latency is measured from the scheduled time, so that any stall
(of the servers or of this generator) counts, to the partner receiving the event and to the monitor
seeing it. Lost: acknowledged to the sender but never delivered to the partner, or sent and never
acknowledged. The join burst's CPU is reported for the Daphne processes and for what shares their cores:
the generators, PostgreSQL and Redis. The generator (bench/load_generator.py) is one asyncio process per
`--generators` (the two students of a pair in the same one); the clock is CLOCK_MONOTONIC, shared by
every process of the machine.
The generator runs with its garbage collector off (one full pass over its thousands of sockets stopped
every student at once for 80-350 ms, and was counted as the server's tail; `--generator-gc` leaves it
on); the report lists its passes over 5 ms, and names the run's slowest seconds, so that a stall shows.

With `--proxy` every socket goes through nginx configured as the docs deploy it (bench/proxy.py; the
Debian package `nginx` installed), from one address as a class behind a campus network would, and the
Daphne processes run with TRUSTED_PROXY_COUNT=1: a handshake nginx refuses (503, its per-address limit)
counts as a failed join, and the report ends with how nginx answered (by status) and its error log
summed up. Each student opens one socket here, their pair's; in a browser a student's page holds two
(the pair's and the notices', docs/protocol.md), so a class of N behind one address is 2N sockets.

The last line is JSON: {"students", "p50_ms", "p99_ms", "p999_ms", "monitor_p99_ms", "lost", "connect_s"}.
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import json
import multiprocessing
import os
import random
import re
import resource
import signal
import subprocess
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from bench.load_generator import Outcome, Student, generator_process
from bench.proxy import describe, nginx, proxied, proxy_option
from bench.stack import ROOT, celery_worker, cpu_seconds, daphne
from core.negotiation import MAX_EVENTS

LOGS = ROOT / "artifacts" / "bench"


# Settings of every process of the stack, this one included


def stack_env(database_url: str, redis_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        DEBUG="false",
        SECRET_KEY="parley-load-benchmark-" + "x" * 40,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        # Plain HTTP on loopback: no proxy, no TLS. Everything else as production.
        SECURE_SSL_REDIRECT="false",
        SECURE_COOKIES="false",
        BEHIND_TLS_PROXY="false",
        SECURE_HSTS_SECONDS="0",
        DB_CONN_MAX_AGE="60",
        LOG_LEVEL="INFO",  # Daphne says "Listening on" at INFO; nothing logs per message
    )
    return env


def ensure_database(url: str) -> None:
    """Create the benchmark's own database if it does not exist (it is migrated afterwards)."""
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise SystemExit(f"the database name must be letters, digits and _, got {name!r}")
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')


def setup(database_url: str, redis_url: str) -> dict[str, str]:
    """This process on the benchmark's settings: as many files as allowed, Django set up on its own
    database (created and migrated). Returns the environment of the stack's processes."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    env = stack_env(database_url, redis_url)
    os.environ.update(env)
    ensure_database(database_url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return env


# Preparing the class


@dataclass
class Plan:
    students: list[Student]
    exercise: int
    monitor_session: str
    prepare_s: float


def prepare(count: int) -> Plan:
    """A class of `count` students, paired and started, each with a session as the personal link makes."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from classrooms import services
    from classrooms.access import SESSION_NONCE, SESSION_STUDENT
    from classrooms.accounts import instructor_create
    from classrooms.sessions import SessionStore, signed_key
    from negotiations import rounds
    from negotiations.models import Seat
    from scenarios.services import builtin_scenarios_load, scenario_version_get

    started = time.monotonic()
    builtin_scenarios_load()
    stamp = f"{int(time.time())}-{random.randrange(10**6)}"
    instructor = instructor_create(
        email=f"load-{stamp}@example.com",
        password="a-long-password-for-load",  # noqa: S106
        verified=True,
    )
    classroom = services.classroom_create(owner=instructor, name=f"Load {stamp}")
    created = []
    for first in range(0, count, 2000):  # a roster upload takes at most 2000 students
        names = "\n".join(f"Student {i}" for i in range(first, min(count, first + 2000)))
        result = services.roster_import(classroom=classroom, text=f"name\n{names}\n")
        if result.problems:
            raise SystemExit(f"roster: {result.problems}")
        created += result.created
    exercise = services.exercise_create(
        classroom=classroom,
        title="Load",
        scenario_version=scenario_version_get("used-car"),
        time_limit_minutes=120,
        created_by=instructor,
    )
    rounds.exercise_pair(exercise=exercise, student_ids=[s.pk for s in created], seed=1)
    rounds.exercise_release(exercise=exercise)
    rounds.exercise_start(exercise=exercise)

    # What POST /s/<token>/ stores (classrooms.access.student_login), written in one statement.
    store = SessionStore()
    expiry = timezone.now() + timedelta(seconds=store.get_session_cookie_age())
    rows, students = [], []
    seats = Seat.objects.filter(exercise=exercise, kind=Seat.Kind.STUDENT).select_related("student", "negotiation")
    for seat in seats.order_by("negotiation__number", "role_key"):
        key = signed_key()
        data = {SESSION_STUDENT: seat.student.pk, SESSION_NONCE: seat.student.link_nonce}
        rows.append(Session(session_key=key, session_data=store.encode(data), expire_date=expiry))
        students.append(Student(len(students), seat.negotiation_id, seat.role_key, key, 0))
    Session.objects.bulk_create(rows)
    for i, student in enumerate(students):
        pair = i // 2
        student.daphne = (pair + i) % 2  # the two students of a pair on different processes
    monitor = SessionStore()
    monitor.update(
        {
            SESSION_KEY: str(instructor.pk),
            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: instructor.get_session_auth_hash(),
        }
    )
    monitor.create()
    return Plan(students, exercise.pk, monitor.session_key or "", time.monotonic() - started)


# Processes: start, stop, measure


@contextlib.contextmanager
def profiled(py_spy: str, pid: int, out: Path = LOGS / "daphne-0.profile.txt") -> Iterator[None]:
    process = subprocess.Popen(
        [py_spy, "record", "--pid", str(pid), "--rate", "200", "--gil", "--format", "raw", "--nonblocking",
         "-o", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
        print(f"profile of process {pid} in {out}")


def peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


# Numbers


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(q * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


def monitor_latencies(outcomes: list[Outcome], acked: list[tuple[int, int, float]]) -> tuple[list[float], int]:
    """For each acknowledged event (negotiation, seq, scheduled): the first time the monitor saw that pair
    at that seq or later."""
    seen: dict[int, tuple[list[float], list[int]]] = {}
    for out in outcomes:
        for t, negotiation, last in sorted(out.monitor):
            times, highest = seen.setdefault(negotiation, ([], []))
            times.append(t)
            highest.append(max(last, highest[-1] if highest else 0))
    latencies, missing = [], 0
    for negotiation, seq, scheduled in acked:
        times, highest = seen.get(negotiation, ([], []))
        i = bisect.bisect_left(highest, seq)
        if i == len(highest):
            missing += 1
        else:
            latencies.append((times[i] - scheduled) * 1000)
    return sorted(latencies), missing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=1000, help="students, an even number (default 1000)")
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between one student's sends")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of sending")
    parser.add_argument("--offers", type=float, default=0.2, help="share of sends that are offers, not chat")
    parser.add_argument("--daphnes", type=int, default=2, help="Daphne processes (default 2)")
    parser.add_argument("--generators", type=int, default=1, help="load generator processes (default 1)")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/parley_load")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--generator-gc",
        action="store_true",
        help="leave the generator's garbage collector on, as before 2026-12-05 (its stalls counted)",
    )
    parser.add_argument("--no-heartbeat", dest="heartbeat", action="store_false",
                        help="send no heartbeats (as before they existed); the server then closes a student "
                             "silent for SOCKET_IDLE_SECONDS")  # fmt: skip
    parser.add_argument("--profile", metavar="PY_SPY", help="path of a py-spy binary: profile the first Daphne")
    proxy_option(parser, "the class and its monitor from one address (127.0.0.1)")
    args = parser.parse_args()
    if args.students < 2 or args.students % 2:
        parser.error("--students must be an even number, at least 2")
    per_pair = 2 * int(args.duration / args.interval) + 1  # both students' sends, and the start
    if per_pair > MAX_EVENTS:
        parser.error(
            f"each pair would store about {per_pair} events; a negotiation stores at most {MAX_EVENTS} "
            "(docs/operations.md): shorten --duration or lengthen --interval"
        )

    env = setup(args.database_url, args.redis_url)
    import redis
    from django.db import connection, connections

    with connection.cursor() as cursor:
        cursor.execute("SHOW fsync")
        fsync = cursor.fetchone()[0]
        cursor.execute("SHOW synchronous_commit")
        sync_commit = cursor.fetchone()[0]
    print(f"PostgreSQL: fsync={fsync} synchronous_commit={sync_commit}; database {args.database_url}")
    if fsync != "on" or sync_commit != "on":
        print("WARNING: events are not durable on this server; the numbers do not meet the target's terms")
    redis.Redis.from_url(args.redis_url).flushdb()
    plan = prepare(args.students)
    print(f"prepared {args.students} students in {len(plan.students) // 2} started pairs in {plan.prepare_s:.1f} s")
    connections.close_all()

    with contextlib.ExitStack() as stack:
        servers = [stack.enter_context(daphne(proxied(env, args.proxy), LOGS, f"daphne-{i}", timeout=120))
                   for i in range(args.daphnes)]  # fmt: skip
        worker = stack.enter_context(celery_worker(env, LOGS / "celery.log", loglevel="WARNING"))
        ports = [port for port, _ in servers]
        proxy = stack.enter_context(nginx(ports, LOGS)) if args.proxy else None
        if proxy is not None:  # nginx spreads the sockets over the processes (round robin), not the generator
            print(f"every socket through nginx on port {proxy.port} (the docs' site and limits), from 127.0.0.1")
            ports = [proxy.port] * len(ports)
            before_join = proxy.mark()
        if args.profile:  # a sampling profile of the first Daphne process, connects and loop included
            stack.enter_context(profiled(args.profile, servers[0][1].pid))
        for s in plan.students:
            s.daphne %= args.daphnes
        pairs = sorted({s.negotiation for s in plan.students})
        shares: list[list[Student]] = [[] for _ in range(args.generators)]
        for s in plan.students:
            shares[pairs.index(s.negotiation) % args.generators].append(s)
        context = multiprocessing.get_context("fork")
        pipes, generators = [], []
        for g, share in enumerate(shares):
            mine, theirs = context.Pipe()
            monitor = (ports[0], plan.monitor_session, plan.exercise) if g == 0 else None
            process = context.Process(
                target=generator_process,
                args=(share, ports, monitor, args.students,
                      {"interval": args.interval, "duration": args.duration, "offers": args.offers,
                       "seed": args.seed + g, "heartbeat": args.heartbeat, "gc": args.generator_gc}, theirs),
            )  # fmt: skip
            process.start()
            pipes.append(mine)
            generators.append(process)
        time.sleep(1.0)  # the monitor connects first
        daphne_pids = {f"daphne-{i}": p.pid for i, (_, p) in enumerate(servers)}
        connect_cpu = {name: cpu_seconds(pid) for name, pid in daphne_pids.items()}
        joins_pg = {pid: cpu_seconds(pid) for pid in _postgres_backends(args.database_url)}
        joins_redis_pid = int(redis.Redis.from_url(args.redis_url).info("server")["process_id"])
        joins_redis = cpu_seconds(joins_redis_pid)
        start = time.monotonic() + 0.5
        for pipe in pipes:
            pipe.send(start)
        connected = [pipe.recv() for pipe in pipes]
        connect_s = max(t for _, t, _, _ in connected) - start
        connect_failures = sum(f for _, _, f, _ in connected)
        connect_cpu = {name: cpu_seconds(pid) - connect_cpu[name] for name, pid in daphne_pids.items()}
        # The rest of the machine's CPU in the burst: on one machine the load generators' handshakes, PostgreSQL
        # and Redis share its cores with Daphne, and the time to connect is theirs too.
        others = {
            "the generators": sum(cpu for _, _, _, cpu in connected),
            "postgres": sum(cpu_seconds(pid) - joins_pg.get(pid, 0.0) for pid in _postgres_backends(args.database_url)),
            "redis-server": cpu_seconds(joins_redis_pid) - joins_redis,
        }
        print(f"{args.students} students connected with their snapshots in {connect_s:.2f} s"
              f" ({connect_failures} failed); Daphne CPU for the joins: "
              + ", ".join(f"{name} {cpu:.2f} s" for name, cpu in connect_cpu.items())
              + f" ({sum(connect_cpu.values()) * 1000 / args.students:.1f} ms a student); the rest of the"
              " machine's: " + ", ".join(f"{name} {cpu:.2f} s" for name, cpu in others.items()))  # fmt: skip

        pids = {f"daphne-{i}": p.pid for i, (_, p) in enumerate(servers)}
        pids["celery"] = worker.pid
        pg = _postgres_backends(args.database_url)
        redis_pid = int(redis.Redis.from_url(args.redis_url).info("server")["process_id"])
        before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        before_pg = {pid: cpu_seconds(pid) for pid in pg}
        before_redis = cpu_seconds(redis_pid)
        t0 = time.monotonic() + 1.0
        for pipe in pipes:
            pipe.send(t0)
        outcomes = []
        for pipe in pipes:
            _kind, out = pipe.recv()
            outcomes.append(out)
        loop_s = time.monotonic() - t0
        after = {name: cpu_seconds(pid) for name, pid in pids.items()}
        pg_cpu = sum(cpu_seconds(pid) - before_pg.get(pid, 0.0) for pid in _postgres_backends(args.database_url))
        redis_cpu = cpu_seconds(redis_pid) - before_redis
        rss = {name: peak_rss_mb(pid) for name, pid in pids.items()}
        for process in generators:
            process.join()
        nginx_lines = describe(proxy, before_join, proxy.mark())[0] if proxy is not None else []

    report(args, outcomes, connect_s, connect_failures, loop_s, before, after, rss, pg_cpu, redis_cpu, nginx_lines)


def first_scheduled(timeline: list[tuple[float, float]]) -> float:
    return min((scheduled for scheduled, _ in timeline), default=0.0)


def slowest_seconds(timeline: list[tuple[float, float]], worst: int = 4) -> str:
    """The seconds of the run (from its first scheduled event) whose slowest deliveries were the slowest:
    a tail spread over the run is the server's steady cost, one crowded into a second is a stall."""
    if not timeline:
        return "none"
    first = min(scheduled for scheduled, _ in timeline)
    seconds: dict[int, list[float]] = {}
    for scheduled, ms in timeline:
        seconds.setdefault(int(scheduled - first), []).append(ms)
    ranked = sorted(seconds.items(), key=lambda item: max(item[1]), reverse=True)[:worst]
    return ", ".join(
        f"{second} s: {len(values)}, {percentile(sorted(values), 0.99):.0f}, {max(values):.0f} ms"
        for second, values in ranked
    )


def _postgres_backends(database_url: str) -> list[int]:
    from django.db import connection

    name = urllib.parse.urlsplit(database_url).path.lstrip("/")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [name])
        return [row[0] for row in cursor.fetchall()]


def report(
    args, outcomes, connect_s, connect_failures, loop_s, before, after, rss, pg_cpu, redis_cpu, nginx_lines
) -> None:  # type: ignore[no-untyped-def]
    partner_ms, acked, lost_acked, unacked, refused, late = [], [], 0, 0, 0, []
    timeline: list[tuple[float, float]] = []  # (scheduled, ms to the partner)
    for out in outcomes:
        for _cid, negotiation, scheduled, sent, acked_at, seq, error in out.sent:
            if error and error not in ("closed", "not_connected"):
                refused += 1
                continue
            if sent:
                late.append((sent - scheduled) * 1000)
            if not acked_at:
                unacked += 1
                continue
            acked.append((negotiation, seq, scheduled))
            received = out.partner.get((negotiation, seq))
            if received is None:
                lost_acked += 1
            else:
                partner_ms.append((received - scheduled) * 1000)
                timeline.append((scheduled, (received - scheduled) * 1000))
    partner_ms.sort()
    late.sort()
    monitor_ms, monitor_missing = monitor_latencies(outcomes, acked)
    events = len(acked)
    errors: dict[str, int] = {}
    for out in outcomes:
        for code, n in out.errors.items():
            errors[code] = errors.get(code, 0) + n
    print(f"\n{args.students} students, one event each every {args.interval:g} s for {args.duration:g} s"
          f" ({args.offers:.0%} offers), {args.daphnes} Daphne processes, {args.generators} generator(s)")  # fmt: skip
    print(f"events acknowledged {events} ({events / max(loop_s, 1e-9):.0f}/s over {loop_s:.1f} s),"
          f" refused {refused}, errors {errors or 'none'}")  # fmt: skip
    print(f"to the partner: p50 {percentile(partner_ms, 0.5):.1f} ms, p99 {percentile(partner_ms, 0.99):.1f} ms,"
          f" p99.9 {percentile(partner_ms, 0.999):.1f} ms, max {percentile(partner_ms, 1.0):.1f} ms")  # fmt: skip
    print(
        f"slowest seconds of the run (second: events, p99, max to the partner; the run's second 0 began at"
        f" {first_scheduled(timeline):.1f} s of CLOCK_MONOTONIC): {slowest_seconds(timeline)}"
    )
    print(f"to the monitor: p50 {percentile(monitor_ms, 0.5):.1f} ms, p99 {percentile(monitor_ms, 0.99):.1f} ms"
          f" (never seen by the monitor: {monitor_missing})")  # fmt: skip
    print(f"lost: {lost_acked} acknowledged but not delivered, {unacked} sent but never acknowledged;"
          f" out of order or gaps at a socket: {sum(o.out_of_order for o in outcomes)}")  # fmt: skip
    print(f"generator send lag behind schedule: p50 {percentile(late, 0.5):.2f} ms,"
          f" p99 {percentile(late, 0.99):.2f} ms")  # fmt: skip
    began = first_scheduled(timeline)
    passes = sorted(p for out in outcomes for p in out.gc_passes if p[0] >= began)
    print(f"the generator's own collector passes over 5 ms in the run: {len(passes)}"
          + "".join(f", {ms:.0f} ms (generation {g}) at {at - began:.1f} s" for at, ms, g in passes[:6]))  # fmt: skip
    print("process          CPU s (loop)  CPU ms/event  peak RSS MB")
    daphne_cpu = 0.0
    for name in before:
        cpu = after[name] - before[name]
        if name.startswith("daphne"):
            daphne_cpu += cpu
        print(f"{name:<16} {cpu:>12.2f}  {cpu * 1000 / max(events, 1):>12.2f}  {rss[name]:>11.0f}")
    print(f"{'daphne (all)':<16} {daphne_cpu:>12.2f}  {daphne_cpu * 1000 / max(events, 1):>12.2f}")
    for i, out in enumerate(outcomes):
        print(f"{f'generator-{i}':<16} {out.cpu_s:>12.2f}  {'(whole run)':>12}  {out.rss_mb:>11.0f}")
    print(f"{'postgres (ours)':<16} {pg_cpu:>12.2f}  {pg_cpu * 1000 / max(events, 1):>12.2f}")
    print(f"{'redis-server':<16} {redis_cpu:>12.2f}  {'(shared)':>12}")
    for line in nginx_lines:  # with --proxy: the join and the run, the sockets counted as they closed
        print(line)
    lost = lost_acked + unacked + connect_failures

    def ms(value: float) -> float | None:
        return None if value != value else round(value, 2)  # NaN (nothing delivered) is not JSON

    print(json.dumps({
        "students": args.students,
        "p50_ms": ms(percentile(partner_ms, 0.5)),
        "p99_ms": ms(percentile(partner_ms, 0.99)),
        "p999_ms": ms(percentile(partner_ms, 0.999)),
        "monitor_p99_ms": ms(percentile(monitor_ms, 0.99)),
        "lost": lost,
        "connect_s": round(connect_s, 2),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
