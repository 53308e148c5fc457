"""The CPU of a join's database work, in one process, without sockets:

    python -m bench.join_cpu --students 400

It prepares a class as bench/live_load.py does (its own PostgreSQL database, a session row per student),
then, for every student in turn, loads the session (the configured engine), and identifies the seat
and builds the snapshot as the consumer does (`negotiations.consumers._join`, which loads the session
too, in the same trip to the database thread), encoding the frame as sent.
It prints the process CPU per join (median of --rounds passes over the class) for the session load and
for the join. Only this process runs, so the figure moves little with the machine's load, unlike the
live benchmark's; the handshake, the channel layer and the sockets are not in it.

The last line is JSON: {"students", "session_ms", "join_ms"}.

With --sockets it measures instead the whole join through the ASGI application, as Daphne runs it but
without Daphne's HTTP and websocket handshake: the cookie check, the consumer, the session, the seat and
the snapshot, the caps and subscriptions in Redis, the presence and its reply; students connect in
bursts of --burst at once, and the process CPU per join is printed (median of --rounds); then they leave
in bursts of --burst, and the CPU per leave (the partner told, the groups and the caps let go) is printed
too, with {"students", "socket_ms", "leave_ms"} on the last line. It uses nothing of this tree but the
application, so it can be copied into an older tree to compare.

With --daphne it measures a student page's join as the server sees it: --daphnes Daphne processes
started as bench/live_load.py starts them (the two students of a pair on different processes), students
opening the two sockets of a page (their pair's and their notices', docs/protocol.md) --burst at once
(the next ones once those have joined, so that a busy machine does not hold a handshake past Daphne's
5 s), each waiting for both snapshots and for the partner's presence (its own announcement, or the reply to
this one's), so that the whole join is over on both sides. The Daphne processes' CPU (from /proc) over
each burst, divided by the students, is the figure: Twisted's HTTP and autobahn's websocket handshakes
included. The first burst warms the processes and is not counted; every socket closes between two
bursts. {"students", "daphne_ms"} on the last line; --profile PY_SPY records the first Daphne's GIL
holder over the counted bursts (artifacts/bench/join-daphne-0.profile.txt, raw for a flame graph).
With --against TREE (another checkout of Parley, the code before, on the same .venv) that tree's Daphne
processes run beside this one's and the bursts alternate between the two, a few seconds apart, so that
both meet the same machine: the line of each, and "before_ms" on the last line. On a shared machine
this is the comparison to trust; two runs one after the other saw the load change between them.
--before-env NAME=VALUE sets a variable for the other tree's processes alone: `--against .
--before-env PARLEY_EVENT_LOOP=asyncio` compares this code on uvloop with the same on asyncio's loop.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import time
import urllib.parse
from pathlib import Path

from bench.live_load import LOGS, prepare, profiled, setup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=400, help="students, an even number (default 400)")
    parser.add_argument("--rounds", type=int, default=5, help="passes over the class (default 5)")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/parley_load")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9")
    parser.add_argument("--sockets", action="store_true", help="the whole join through the ASGI application")
    parser.add_argument("--burst", type=int, default=50, help="students connecting at once (default 50)")
    parser.add_argument("--daphne", action="store_true", help="a page's two sockets, through Daphne processes")
    parser.add_argument("--daphnes", type=int, default=2, help="with --daphne: Daphne processes (default 2)")
    parser.add_argument("--profile", metavar="PY_SPY", help="with --daphne: profile the first Daphne (py-spy)")
    parser.add_argument(
        "--before-env",
        metavar="NAME=VALUE",
        action="append",
        default=[],
        help="with --against: an environment variable of the other tree's processes only"
        " (PARLEY_EVENT_LOOP=asyncio, with --against . for the same code on asyncio's loop)",
    )
    parser.add_argument("--against", metavar="TREE", help="with --daphne: another checkout (the code before), served"
                        " at the same time on the next Redis db; the bursts alternate")  # fmt: skip
    args = parser.parse_args()
    env = setup(args.database_url, args.redis_url)
    if args.sockets:
        sockets(args)
        return
    if args.daphne:
        served(args, env)
        return
    from importlib import import_module

    from django.conf import settings

    from negotiations import consumers

    SessionStore = import_module(settings.SESSION_ENGINE).SessionStore  # as a socket's join loads it
    plan = prepare(args.students)
    students = [(s.session, s.negotiation) for s in plan.students]
    consumers._join(SessionStore(students[0][0]), students[0][1])  # the scenario, once

    def per_join(work) -> float:  # type: ignore[no-untyped-def]
        started = time.process_time()
        for key, negotiation in students:
            work(key, negotiation)
        return (time.process_time() - started) * 1000 / len(students)

    def session(key: str, negotiation: int) -> None:
        SessionStore(key).keys()

    loaded = {key: SessionStore(key) for key, _ in students}
    for store in loaded.values():
        store.keys()

    def join(key: str, negotiation: int) -> None:
        joined = consumers._join(loaded[key], negotiation)
        assert not isinstance(joined, int), joined
        json.dumps(joined[1], separators=(",", ":"))

    sessions = [per_join(session) for _ in range(args.rounds)]
    joins = [per_join(join) for _ in range(args.rounds)]
    print(f"{args.students} students, {args.rounds} passes: session load {statistics.median(sessions):.3f} ms CPU,"
          f" join {statistics.median(joins):.3f} ms CPU (passes: {', '.join(f'{j:.2f}' for j in joins)})")  # fmt: skip
    print(json.dumps({"students": args.students, "session_ms": round(statistics.median(sessions), 3),
                      "join_ms": round(statistics.median(joins), 3)}))  # fmt: skip


def sockets(args: argparse.Namespace) -> None:
    from channels.testing import WebsocketCommunicator
    from django.db import connections

    from config.asgi import application

    plan = prepare(args.students)

    async def connect(student) -> WebsocketCommunicator:  # type: ignore[no-untyped-def]
        socket = WebsocketCommunicator(
            application,
            f"/ws/negotiations/{student.negotiation}/",
            headers=[(b"origin", b"http://localhost"), (b"cookie", f"sessionid={student.session}".encode())],
        )
        connected, _ = await socket.connect(timeout=30)
        frame = json.loads(await socket.receive_from(timeout=30))
        assert connected and frame["type"] == "snapshot", frame
        return socket

    async def one_pass() -> tuple[float, float]:
        started, open_ = time.process_time(), []
        for first in range(0, len(plan.students), args.burst):
            open_ += await asyncio.gather(*(connect(s) for s in plan.students[first : first + args.burst]))
        spent = time.process_time() - started
        started = time.process_time()
        for first in range(0, len(open_), args.burst):
            await asyncio.gather(*(socket.disconnect() for socket in open_[first : first + args.burst]))
        left = time.process_time() - started
        return spent * 1000 / len(plan.students), left * 1000 / len(plan.students)

    async def passes() -> list[tuple[float, float]]:
        await one_pass()  # the scenario read and the connections opened, once
        return [await one_pass() for _ in range(args.rounds)]

    measured = asyncio.run(passes())
    connections.close_all()
    joins, leaves = [j for j, _ in measured], [left for _, left in measured]
    each = ", ".join(f"{j:.2f}" for j in joins)
    print(f"{args.students} students through the ASGI application, bursts of {args.burst}, {args.rounds} passes:"
          f" {statistics.median(joins):.3f} ms CPU a join (passes: {each}),"
          f" {statistics.median(leaves):.3f} ms a leave")  # fmt: skip
    print(json.dumps({"students": args.students, "socket_ms": round(statistics.median(joins), 3),
                      "leave_ms": round(statistics.median(leaves), 3)}))  # fmt: skip


def served(args: argparse.Namespace, env: dict[str, str]) -> None:
    import redis
    from django.db import connections

    from bench.stack import ROOT, cpu_seconds, daphne

    plan = prepare(args.students)
    connections.close_all()
    env = dict(env, SOCKET_IDLE_SECONDS="120")  # a burst slowed by a busy machine is not closed as silent
    sides = {"this": (ROOT, env)}
    if args.against:  # the other tree's processes on the next Redis db (channel and key names apart)
        parts = urllib.parse.urlsplit(args.redis_url)
        other = parts._replace(path=f"/{int(parts.path.strip('/') or 0) + 1}").geturl()
        before_env = dict(env, REDIS_URL=other, **dict(pair.split("=", 1) for pair in args.before_env))
        sides = {"before": (Path(args.against).resolve(), before_env), "after": (ROOT, env)}
    for _, side_env in sides.values():
        redis.Redis.from_url(side_env["REDIS_URL"]).flushdb()
    with contextlib.ExitStack() as stack:
        servers = {
            name: [
                stack.enter_context(daphne(side_env, LOGS, f"join-{name}-{i}", timeout=120, cwd=tree))
                for i in range(args.daphnes)
            ]
            for name, (tree, side_env) in sides.items()
        }
        joins = asyncio.run(
            bursts(args, plan, {name: (servers[name], side_env["REDIS_URL"]) for name, (_, side_env) in sides.items()},
                   cpu_seconds)
        )  # fmt: skip
    for name, each in joins.items():
        tree = f" ({sides[name][0]})" if args.against else ""
        print(f"{name}{tree}: {args.students} students, a page's two sockets each, through {args.daphnes} Daphne"
              f" processes, {args.rounds} bursts: {statistics.median(each):.3f} ms of Daphne CPU a student"
              f" (bursts: {', '.join(f'{j:.2f}' for j in each)})")  # fmt: skip
    figures = {"students": args.students, "daphne_ms": round(statistics.median(joins[list(sides)[-1]]), 3)}
    if args.against:
        figures["before_ms"] = round(statistics.median(joins["before"]), 3)
    print(json.dumps(figures))


async def bursts(args, plan, servers, cpu_seconds) -> dict[str, list[float]]:  # type: ignore[no-untyped-def]
    import redis
    from websockets.asyncio.client import connect

    async def open_(port: int, path: str, session: str):  # type: ignore[no-untyped-def]
        return await connect(
            f"ws://127.0.0.1:{port}{path}",
            origin=f"http://127.0.0.1:{port}",  # type: ignore[arg-type]
            additional_headers={"Cookie": f"sessionid={session}"},
            open_timeout=120,
            ping_interval=None,
            max_queue=None,
        )

    async def frame_of(ws, kind: str) -> None:  # type: ignore[no-untyped-def]
        while json.loads(await asyncio.wait_for(ws.recv(), 120))["type"] != kind:
            pass

    async def page(student, ports: list[int]):  # type: ignore[no-untyped-def]
        port = ports[student.daphne % len(ports)]
        pair, notices = await asyncio.gather(
            open_(port, f"/ws/negotiations/{student.negotiation}/", student.session),
            open_(port, "/ws/student/", student.session),
        )
        await asyncio.gather(frame_of(pair, "snapshot"), frame_of(notices, "snapshot"))
        await frame_of(pair, "presence")  # the partner's: both sides of the pair have joined
        return pair, notices

    async def burst(name: str) -> float:
        processes, redis_url = servers[name]
        ports, pids = [port for port, _ in processes], [process.pid for _, process in processes]
        started, opened = sum(cpu_seconds(pid) for pid in pids), []
        for first in range(0, len(plan.students), args.burst):
            opened += await asyncio.gather(*(page(s, ports) for s in plan.students[first : first + args.burst]))
        spent = sum(cpu_seconds(pid) for pid in pids) - started
        await asyncio.gather(*(ws.close() for sockets in opened for ws in sockets))
        await asyncio.sleep(2.0)  # the servers see every socket leave, and settle
        # Places a leaving socket could not release would lapse only after 90 s (negotiations.limits): the
        # next burst starts with none held.
        places = redis.Redis.from_url(redis_url)
        for key in places.scan_iter(match="parley.*limits.*"):
            places.delete(key)
        return spent * 1000 / len(plan.students)

    for name in servers:
        await burst(name)  # the processes warmed: the scenario read, the connections opened
    out, last = LOGS / "join-daphne-0.profile.txt", list(servers)[-1]
    joins: dict[str, list[float]] = {name: [] for name in servers}
    with profiled(args.profile, servers[last][0][0][1].pid, out) if args.profile else contextlib.nullcontext():
        for _ in range(args.rounds):
            for name in servers:  # with --against, the two trees' bursts alternate
                joins[name].append(await burst(name))
    return joins


if __name__ == "__main__":
    main()
