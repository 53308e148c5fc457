"""One hostile user against the production stack: does another pair notice?

    python -m bench.hostile --duration 60 --baseline 20
    python -m bench.hostile --duration 60 --baseline 20 --proxy    # behind nginx, as deployed

It starts what bench/live_load.py starts (two Daphne processes, a Celery worker, PostgreSQL and Redis
databases of its own) and prepares two started pairs. The measured pair (its two students on different
Daphne processes) chats open loop, `--rate` chats a second between them (4 by default, a legitimate
client's pace), for the whole run; its latency runs from each chat's scheduled time to the partner
receiving it. The student of the other pair is the attacker; that pair's other student is connected
too and must not be closed either. Every legitimate socket sends a heartbeat every 3 s, as the browser
does (a socket the server hears nothing from for 8 s is closed, 4408). After a baseline, each attack
runs for `--duration` seconds, in another process, with a pause between attacks:

- sockets:    the attacker's student opens 60 sockets (both processes) and chats on each at the
              socket's rate, reconnecting each at once when it is closed
- flood:      one socket of that student sends chats as fast as TCP takes them; reconnects when closed
- handshakes: anonymous handshakes, 200 at a time, without end
- forged:     the same with a made-up session cookie, a new one each time
- monitors:   the class's instructor opens monitors of the exercise, 100 at a time, holding each
              until it is closed and opening another at once

Without `--proxy` it measures Parley alone: the attacker reaches Daphne directly, with no proxy in
front, the worst case. In production the proxy's per-address limits on new connections
(docs/operations.md, "On the internet") refuse a handshake flood before any Python runs. With `--proxy`
every client (the measured pair, the attacker's partner, the attacker) connects through a real nginx
configured as the docs deploy it (bench/proxy.py reads its site from the README and its limits from
docs/operations.md; the Debian package `nginx` must be installed, its service need not run), the two
Daphne processes its upstream, with TRUSTED_PROXY_COUNT=1 as the README says. So that the per-address
limits apply as they would, the attacker connects from 127.0.0.2 and the students from 127.0.0.1, each
socket's port chosen as it connects, as on machines of their own (`from_address`); nginx picks each
socket's Daphne process (round robin). The pause between attacks is then long enough for
the attacker's burst of new connections to come back (burst / rate, 15 s with the docs' values), so
that each attack starts with all of it.

It prints the measured pair's p50/p99 in the baseline and under each attack, the CPU seconds both
Daphne processes used in each phase, what each attack got (answers by close code or refused
handshakes, chats stored, for the flood how long a flooding socket lived, from its first frame to its
close, and the attacker's own CPU seconds), and whether any legitimate socket was closed. With
`--proxy` it also prints, under each phase, nginx's CPU seconds, how nginx answered the handshakes by
client address and status (101 upgraded, 503 refused by its limits, 403 refused by Parley's handshake
limit; a socket is logged when it closes, so a phase counts from its start to the next one's) and its
error log summed up by kind of message; the logs themselves are in artifacts/bench/hostile-nginx-*.log.
The attacker runs on the same machine: on 2 cores its own CPU competes with the servers' (and nginx's),
so the figures are an upper bound. The last line is JSON: {"baseline": {"p50_ms", "p99_ms"},
"<attack>": {"p50_ms", "p99_ms", "p99_delta_ms"}, ..., "legitimate_closed": n}; with `--proxy` each
phase also has "nginx", how it answered the attacker: {"<status>": count}.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import random
import resource
import socket
import string
import time
from collections import Counter
from typing import Any

from bench.live_load import LOGS, percentile, prepare, setup
from bench.proxy import Mark, Proxy, describe, nginx, proxied, proxy_option
from bench.stack import celery_worker, cpu_seconds, daphne

ATTACKS = ("sockets", "flood", "handshakes", "forged", "monitors")
PAUSE = 3.0  # seconds between phases, so that one attack's tail is not counted in the next
FORGED = "forged"
HEARTBEAT_SECONDS = 3.0  # docs/protocol.md, "Heartbeat"
STUDENTS, ATTACKER = "127.0.0.1", "127.0.0.2"  # with --proxy, so that nginx's per-address limits apply
IP_BIND_ADDRESS_NO_PORT = getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24)  # Linux's; see from_address
OPEN_TIMEOUT = 30.0


def url(port: int, path: str) -> str:
    return f"ws://127.0.0.1:{port}{path}"


async def from_address(source: str, port: int, timeout: float) -> socket.socket:
    """A TCP connection to 127.0.0.1:`port` from the loopback address `source`, its port chosen as it
    connects (IP_BIND_ADDRESS_NO_PORT), as another machine's would be. Bound with port 0 instead, a socket
    takes its port of the machine's ephemeral range toward every destination, and keeps it through the
    minute of TIME_WAIT after the client closes: a handshake flood (the client closes each refused one)
    then uses the range up, and the servers on this machine can no longer connect, nginx to Daphne
    ("Cannot assign requested address", and the upstreams marked failed), Daphne to PostgreSQL (the
    measured pair's chats refused with `server_error`). An attacker elsewhere spends its own ports."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
        sock.bind((source, 0))
        sock.setblocking(False)
        await asyncio.wait_for(asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port)), timeout)
    except BaseException:
        sock.close()
        raise
    return sock


async def open_ws(port: int, path: str, session: str | None, source: str | None = None) -> Any:
    """A socket to `path`, with `session`'s cookie, from the loopback address `source` (by default the
    system's choice, 127.0.0.1)."""
    from websockets.asyncio.client import connect

    if session == FORGED:  # a key of a session's form that no server made
        session = "".join(random.choices(string.ascii_lowercase + string.digits, k=40))
    headers = {"Cookie": f"sessionid={session}"} if session else {}
    local = {"sock": await from_address(source, port, OPEN_TIMEOUT)} if source else {}
    return await connect(url(port, path), origin=f"http://127.0.0.1:{port}", additional_headers=headers,  # type: ignore[arg-type]
                         open_timeout=OPEN_TIMEOUT, ping_interval=None, max_queue=None, **local)  # fmt: skip


def close_code(ws: Any) -> int | None:
    return getattr(ws, "close_code", None)


# The measured pair and the attacker's partner: legitimate clients


async def measure(ports: list[int], pair: list[dict[str, Any]], bystander: dict[str, Any], rate: float,
                  start: float, end: float, source: str | None) -> dict[str, Any]:  # fmt: skip
    now = time.monotonic
    received: dict[str, float] = {}
    closed: list[str] = []
    finishing = asyncio.Event()
    sockets = []
    for i, student in enumerate([*pair, bystander]):
        ws = await open_ws(ports[i % 2], f"/ws/negotiations/{student['negotiation']}/", student["session"], source)
        sockets.append((student, ws))

    async def read(student: dict[str, Any], ws: Any) -> None:
        with contextlib.suppress(Exception):  # closed: said below
            async for text in ws:
                frame = json.loads(text)
                if frame["type"] == "event" and frame["event"]["type"] == "chat":
                    received.setdefault(frame["event"]["payload"]["text"], now())
        if not finishing.is_set():
            closed.append(f"{student['role']} of pair {student['negotiation']}: {close_code(ws)}")

    async def heartbeat(ws: Any) -> None:  # as the browser does: a socket silent for 8 s is closed (4408)
        with contextlib.suppress(Exception):
            while True:
                await asyncio.sleep(HEARTBEAT_SECONDS)
                await ws.send('{"type": "heartbeat"}')

    readers = [asyncio.ensure_future(read(student, ws)) for student, ws in sockets]
    readers += [asyncio.ensure_future(heartbeat(ws)) for _, ws in sockets]
    sent: list[tuple[str, float]] = []
    await asyncio.sleep(max(0.0, start - now()))
    k = 0
    while (at := start + k / rate) < end:
        await asyncio.sleep(max(0.0, at - now()))
        text = f"measured {k}"
        with contextlib.suppress(Exception):
            await sockets[k % 2][1].send(json.dumps({"type": "chat", "client_msg_id": f"m{k}", "text": text}))
        sent.append((text, at))
        k += 1
    give_up = now() + 10
    while now() < give_up and any(text not in received for text, _ in sent):
        await asyncio.sleep(0.1)  # the last deliveries
    finishing.set()
    for _, ws in sockets:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(ws.close(), 5)
    for reader in readers:
        reader.cancel()
    return {
        "latencies": [(at, (received[text] - at) * 1000 if text in received else None) for text, at in sent],
        "closed": closed,
    }


def measurer_process(ports, pair, bystander, rate, start, end, source, pipe) -> None:  # type: ignore[no-untyped-def]
    pipe.send(asyncio.run(measure(ports, pair, bystander, rate, start, end, source)))


# The attacks


async def attack(name: str, ports: list[int], hostile: dict[str, Any], monitor: tuple[str, int],
                 end: float, source: str | None) -> dict[str, Any]:  # fmt: skip
    codes: Counter[str] = Counter()
    acks = 0
    lived: list[float] = []  # how long each flooding socket lived, from its first frame to its close
    now = time.monotonic
    negotiation_path = f"/ws/negotiations/{hostile['negotiation']}/"

    async def until_closed(ws: Any, send_every: float | None, flood: bool = False) -> None:
        nonlocal acks

        async def read() -> None:
            nonlocal acks
            with contextlib.suppress(Exception):
                async for text in ws:
                    if '"type":"ack"' in text:
                        acks += 1

        reader = asyncio.ensure_future(read())
        k = 0
        opened = now()
        with contextlib.suppress(Exception):  # closed by the server: counted below
            while now() < end and not reader.done():
                text = json.dumps({"type": "chat", "client_msg_id": f"h{id(ws)}-{k}", "text": f"hostile {k}"})
                if flood:
                    await ws.send(text)  # as fast as the socket drains
                elif send_every is not None:
                    await ws.send(text)
                    await asyncio.sleep(send_every)
                else:
                    await asyncio.wait([reader], timeout=max(0.0, end - now()))
                k += 1
        with contextlib.suppress(Exception):
            await asyncio.wait_for(reader, 2)
        if flood and reader.done():
            lived.append(now() - opened)
        reader.cancel()
        codes[str(close_code(ws))] += 1

    async def keep_going(i: int, path: str, session: str | None, send_every: float | None, flood: bool) -> None:
        while now() < end:
            try:
                ws = await open_ws(ports[i % 2], path, session, source)
            except Exception as exc:
                codes[f"refused ({type(exc).__name__})"] += 1
                continue
            await until_closed(ws, send_every, flood)

    if name == "sockets":
        tasks = [keep_going(i, negotiation_path, hostile["session"], 0.2, False) for i in range(60)]
    elif name == "flood":
        tasks = [keep_going(0, negotiation_path, hostile["session"], None, True)]
    elif name in ("handshakes", "forged"):
        session = FORGED if name == "forged" else None
        tasks = [keep_going(i, negotiation_path, session, None, False) for i in range(200)]
    elif name == "monitors":
        session, exercise = monitor
        tasks = [keep_going(i, f"/ws/exercises/{exercise}/monitor/", session, None, False) for i in range(100)]
    else:
        raise ValueError(name)
    await asyncio.gather(*tasks)
    found: dict[str, Any] = {"closes": dict(codes), "acks": acks}
    if lived:
        found["flood_socket_lived_ms_p50"] = round(percentile(sorted(lived), 0.5) * 1000)
    return found


def attacker_process(name, ports, hostile, monitor, start, end, source, pipe) -> None:  # type: ignore[no-untyped-def]
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    time.sleep(max(0.0, start - time.monotonic()))
    found = asyncio.run(attack(name, ports, hostile, monitor, end, source))
    usage = resource.getrusage(resource.RUSAGE_SELF)  # on the same cores as the servers: it competes
    pipe.send({**found, "attacker_cpu_s": round(usage.ru_utime + usage.ru_stime, 2)})


# Running it


def summary(latencies: list[tuple[float, float | None]], start: float, end: float) -> dict[str, Any]:
    window = [ms for at, ms in latencies if start <= at < end]
    delivered = sorted(ms for ms in window if ms is not None)
    return {
        "sent": len(window),
        "lost": len(window) - len(delivered),
        "p50_ms": round(percentile(delivered, 0.5), 1),
        "p99_ms": round(percentile(delivered, 0.99), 1),
        "max_ms": round(percentile(delivered, 1.0), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of each attack (default 60)")
    parser.add_argument("--baseline", type=float, default=20.0, help="seconds measured with no attack")
    parser.add_argument("--rate", type=float, default=4.0, help="the measured pair's chats a second")
    parser.add_argument("--attacks", default=",".join(ATTACKS), help=f"some of {','.join(ATTACKS)}")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/parley_hostile")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/10")
    proxy_option(parser, f"the attacker from {ATTACKER}, the students from {STUDENTS}")
    args = parser.parse_args()
    attacks = [a for a in args.attacks.split(",") if a]
    if unknown := set(attacks) - set(ATTACKS):
        parser.error(f"unknown attacks: {', '.join(sorted(unknown))}")

    env = setup(args.database_url, args.redis_url)
    import redis
    from django.db import connections

    redis.Redis.from_url(args.redis_url).flushdb()
    plan = prepare(4)
    connections.close_all()
    measured, (hostile, bystander) = plan.students[:2], plan.students[2:4]
    as_dict = lambda s: {"negotiation": s.negotiation, "role": s.role, "session": s.session}  # noqa: E731
    students_from, attacker_from = (STUDENTS, ATTACKER) if args.proxy else (None, None)

    with contextlib.ExitStack() as stack:
        servers = [stack.enter_context(daphne(proxied(env, args.proxy), LOGS, f"hostile-daphne-{i}", timeout=120))
                   for i in range(2)]  # fmt: skip
        stack.enter_context(celery_worker(env, LOGS / "hostile-celery.log", loglevel="WARNING"))
        ports = [port for port, _ in servers]
        proxy = stack.enter_context(nginx(ports, LOGS, "hostile-nginx")) if args.proxy else None
        if proxy is not None:
            print(f"every client through nginx on port {proxy.port} (the docs' site and limits),"
                  f" the attacker from {ATTACKER}, the students from {STUDENTS};"
                  f" {proxy.refill_s:g} s between attacks (the attacker's burst of connections refills)")  # fmt: skip
            ports = [proxy.port, proxy.port]
        # Behind nginx each attack starts with the address's whole burst of new connections, as an
        # attacker who waits would have it: the pause lets the attack before spend none of it.
        pause = PAUSE if proxy is None else max(PAUSE, proxy.refill_s)
        context = multiprocessing.get_context("fork")
        t0 = time.monotonic() + 3.0
        phases = [("baseline", t0, t0 + args.baseline)]
        for name in attacks:
            begin = phases[-1][2] + pause
            phases.append((name, begin, begin + args.duration))
        end = phases[-1][2]
        mine, theirs = context.Pipe()
        measurer = context.Process(target=measurer_process,
                                   args=(ports, [as_dict(s) for s in measured], as_dict(bystander), args.rate,
                                         t0, end, students_from, theirs))  # fmt: skip
        measurer.start()
        pids = [process.pid for _, process in servers]
        marks: list[Mark] = []  # where nginx's logs were as each phase began, and at the end

        def daphne_cpu() -> float:
            return sum(cpu_seconds(pid) for pid in pids)

        def at(moment: float) -> float:
            time.sleep(max(0.0, moment - time.monotonic()))
            return daphne_cpu()

        def mark() -> None:
            if proxy is not None:
                marks.append(proxy.mark())

        cpu_start = at(phases[0][1])
        mark()
        results: dict[str, Any] = {"baseline": {"daphne_cpu_s": round(at(phases[0][2]) - cpu_start, 2)}}
        for name, begin, finish in phases[1:]:
            cpu_start = at(begin)
            mark()
            a_mine, a_theirs = context.Pipe()
            attacker = context.Process(target=attacker_process,
                                       args=(name, ports, as_dict(hostile), (plan.monitor_session, plan.exercise),
                                             begin, finish, attacker_from, a_theirs))  # fmt: skip
            attacker.start()
            results[name] = {"daphne_cpu_s": round(at(finish) - cpu_start, 2)}
            results[name].update(a_mine.recv())
            attacker.join()
        outcome = mine.recv()
        measurer.join()
        mark()  # the legitimate sockets are closed: their lines are written

    print(
        f"\nmeasured pair: {args.rate:g} chats a second; baseline {args.baseline:g} s, each attack {args.duration:g} s"
    )
    base = summary(outcome["latencies"], phases[0][1], phases[0][2])
    report: dict[str, Any] = {"baseline": {"p50_ms": base["p50_ms"], "p99_ms": base["p99_ms"]}}
    print(
        f"{'phase':<12} {'sent':>5} {'lost':>5} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'p99 moved':>10}  attack got"
    )
    for i, (name, begin, finish) in enumerate(phases):
        s = summary(outcome["latencies"], begin, finish)
        moved = s["p99_ms"] - base["p99_ms"]
        got = results.get(name, {})
        print(f"{name:<12} {s['sent']:>5} {s['lost']:>5} {s['p50_ms']:>8.1f} {s['p99_ms']:>8.1f} {s['max_ms']:>8.1f}"
              f" {moved if name != 'baseline' else 0:>+10.1f}  {got}")  # fmt: skip
        if name != "baseline":
            report[name] = {"p50_ms": s["p50_ms"], "p99_ms": s["p99_ms"], "p99_delta_ms": round(moved, 1),
                            "lost": s["lost"]}  # fmt: skip
        if proxy is not None:
            report.setdefault(name, {})["nginx"] = proxy_phase(proxy, marks[i], marks[i + 1], attacker_from)
    print(f"legitimate sockets closed: {outcome['closed'] or 'none'}")
    report["legitimate_closed"] = len(outcome["closed"])
    print(json.dumps(report))


def proxy_phase(proxy: Proxy, start: Mark, end: Mark, attacker: str | None) -> dict[str, int]:
    """Print what nginx did in a phase (from its start to the next one's, so that the sockets an attack
    held are counted when they close); return how it answered the attacker, by status."""
    lines, found = describe(proxy, start, end)
    for line in lines:
        print(f"{'':<12} {line}")
    return found.get(attacker or "", {})


if __name__ == "__main__":
    main()
