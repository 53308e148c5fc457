"""The open-loop load generator of bench/live_load.py: one asyncio process for a share of the pairs.

Every student's sends are scheduled in advance; latency runs from the scheduled time to the partner
(and the monitor) receiving the event, so that any stall counts. It reports each send, each receipt and
its own CPU back through a pipe.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import random
import resource
import time
from dataclasses import dataclass, field
from typing import Any

PACKAGE = {"price": 10500, "handover": "five-weeks", "warranty": "none", "tyres": "included"}
DRAIN_SECONDS = 15.0
HEARTBEAT = json.dumps({"type": "heartbeat"})


# Who sends


@dataclass
class Student:
    index: int
    negotiation: int
    role: str
    session: str
    daphne: int  # which Daphne process it connects to


# The load generator: one asyncio process for a share of the pairs


@dataclass
class Sent:
    cid: str
    negotiation: int
    scheduled: float
    sent: float = 0.0
    acked: float = 0.0
    seq: int = 0
    error: str = ""


@dataclass
class Outcome:
    sent: list[tuple[str, int, float, float, float, int, str]] = field(default_factory=list)
    partner: dict[tuple[int, int], float] = field(default_factory=dict)  # (negotiation, seq) -> received
    monitor: list[tuple[float, int, int]] = field(default_factory=list)  # (received, negotiation, last_seq)
    out_of_order: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    connect_failures: int = 0
    cpu_s: float = 0.0
    rss_mb: float = 0.0
    gc_passes: list[tuple[float, float, int]] = field(default_factory=list)  # (started, ms, generation) over 5 ms


async def generate(share: list[Student], ports: list[int], monitor: tuple[int, str, int] | None,
                   total: int, args: dict[str, Any], pipe) -> Outcome:  # type: ignore[no-untyped-def]  # fmt: skip
    from websockets.asyncio.client import connect

    loop = asyncio.get_running_loop()
    out = Outcome()
    sockets: dict[int, Any] = {}
    last_seq: dict[int, int] = {}
    pending: dict[str, Sent] = {}
    snapshots: dict[int, asyncio.Future[None]] = {s.index: loop.create_future() for s in share}
    now = time.monotonic
    readers: list[asyncio.Task[None]] = []

    async def read(student: Student, ws: Any) -> None:
        partner = out.partner
        with contextlib.suppress(Exception):
            async for text in ws:
                t = now()
                frame = json.loads(text)
                kind = frame["type"]
                if kind == "event":
                    event = frame["event"]
                    seq = event["seq"]
                    if seq != last_seq[student.index] + 1 and seq > last_seq[student.index]:
                        out.out_of_order += 1
                    last_seq[student.index] = max(last_seq[student.index], seq)
                    if event["role"] != student.role:
                        partner.setdefault((student.negotiation, seq), t)
                elif kind == "ack":
                    sent = pending.get(frame["client_msg_id"])
                    if sent is not None:
                        sent.acked, sent.seq = t, frame["event"]["seq"]
                        last_seq[student.index] = max(last_seq[student.index], sent.seq)
                elif kind == "snapshot":
                    last_seq[student.index] = frame["last_seq"]
                    snapshots[student.index].set_result(None)
                    every = (frame.get("heartbeat") or {}).get("every") if args["heartbeat"] else None
                    if every:
                        readers.append(loop.create_task(beat(ws, float(every))))
                elif kind == "error":
                    code = frame.get("code", "?")
                    out.errors[code] = out.errors.get(code, 0) + 1
                    sent = pending.get(frame.get("client_msg_id") or "")
                    if sent is not None:
                        sent.error = code

    async def beat(ws: Any, every: float) -> None:
        """A heartbeat every `every` seconds (the snapshot's), as the browser sends it whatever else it
        sends (docs/protocol.md, "Heartbeat"): the server closes a socket silent for 8 s. Phases spread
        over the class."""
        with contextlib.suppress(Exception):
            await asyncio.sleep(random.uniform(0, every))
            while True:
                await ws.send(HEARTBEAT)
                await asyncio.sleep(every)

    async def read_monitor(ws: Any, ready: asyncio.Future[None]) -> None:
        with contextlib.suppress(Exception):
            async for text in ws:
                t = now()
                frame = json.loads(text)
                if frame["type"] == "pair":
                    out.monitor.append((t, frame["pair"]["id"], frame["pair"]["last_seq"]))
                elif frame["type"] == "snapshot" and not ready.done():
                    ready.set_result(None)

    def url(port: int, path: str) -> str:
        return f"ws://127.0.0.1:{port}{path}"

    async def open_socket(student: Student) -> None:
        try:
            ws = await connect(
                url(ports[student.daphne], f"/ws/negotiations/{student.negotiation}/"),
                origin=f"http://127.0.0.1:{ports[student.daphne]}",  # type: ignore[arg-type]
                additional_headers={"Cookie": f"sessionid={student.session}"},
                open_timeout=120,
                ping_interval=None,  # Daphne pings; answering is enough
                max_queue=None,
            )
        except Exception as exc:
            out.connect_failures += 1
            reason = f"{type(exc).__name__}: {exc}"[:100]
            out.errors[reason] = out.errors.get(reason, 0) + 1
            snapshots[student.index].set_result(None)
            return
        sockets[student.index] = ws
        last_seq[student.index] = 0
        readers.append(loop.create_task(read(student, ws)))
        await asyncio.wait_for(snapshots[student.index], 120)

    monitor_ws = None
    if monitor is not None:
        port, session, exercise = monitor
        monitor_ws = await connect(url(port, f"/ws/exercises/{exercise}/monitor/"), origin=f"http://127.0.0.1:{port}",  # type: ignore[arg-type]
                                   additional_headers={"Cookie": f"sessionid={session}"}, ping_interval=None,
                                   max_queue=None)  # fmt: skip
        ready = loop.create_future()
        readers.append(loop.create_task(read_monitor(monitor_ws, ready)))
        await asyncio.wait_for(ready, 30)

    # Join burst: every student at once, from a start time shared by all generators.
    start = pipe.recv()
    await asyncio.sleep(max(0.0, start - now()))
    joining = time.process_time()
    await asyncio.gather(*(open_socket(s) for s in share))
    pipe.send(("connected", now(), out.connect_failures, time.process_time() - joining))

    # Open loop: every send scheduled before the first one goes out.
    t0 = pipe.recv()
    interval, duration, offers = args["interval"], args["duration"], args["offers"]
    rng = random.Random(args["seed"])
    schedule: list[tuple[float, Student, int]] = []
    for student in share:
        first = t0 + student.index * interval / total
        k = 0
        while first + k * interval < t0 + duration:
            schedule.append((first + k * interval, student, k))
            k += 1
    schedule.sort(key=lambda item: item[0])
    frames = []
    for at, student, k in schedule:
        cid = f"{student.index}-{k}"
        if rng.random() < offers:
            package = {**PACKAGE, "price": rng.randrange(85, 111) * 100}
            frame = {"type": "offer", "client_msg_id": cid, "packages": [package]}
        else:
            frame = {"type": "chat", "client_msg_id": cid, "text": f"load message {cid} " + "x" * 40}
        frames.append((at, student, cid, json.dumps(frame)))
    await asyncio.sleep(max(0.0, t0 - now()))
    for at, student, cid, text in frames:
        delay = at - now()
        if delay > 0:
            await asyncio.sleep(delay)
        ws = sockets.get(student.index)
        sent = Sent(cid, student.negotiation, at)
        pending[cid] = sent
        if ws is None:
            sent.error = "not_connected"
            continue
        sent.sent = now()
        try:
            await ws.send(text)
        except Exception:
            sent.error = "closed"

    # Drain: wait for every acknowledgement and delivery, or give up after DRAIN_SECONDS.
    give_up = now() + DRAIN_SECONDS
    while now() < give_up:
        waiting = [s for s in pending.values() if not s.error and not s.acked]
        waiting += [s for s in pending.values() if s.acked and (s.negotiation, s.seq) not in out.partner]
        if not waiting:
            break
        await asyncio.sleep(0.1)
    if monitor_ws is not None:
        await asyncio.sleep(0.5)
    for ws in list(sockets.values()) + ([monitor_ws] if monitor_ws else []):
        with contextlib.suppress(Exception):
            await asyncio.wait_for(ws.close(), 5)
    out.sent = [(s.cid, s.negotiation, s.scheduled, s.sent, s.acked, s.seq, s.error) for s in pending.values()]
    return out


def generator_process(share, ports, monitor, total, args, pipe) -> None:  # type: ignore[no-untyped-def]
    passes: list[tuple[float, float, int]] = []
    started = [0.0]

    def timed(phase: str, info: dict[str, Any]) -> None:  # this process's own collector passes, as they stall it
        if phase == "start":
            started[0] = time.monotonic()
        elif (ms := (time.monotonic() - started[0]) * 1000) > 5:
            passes.append((started[0], ms, info["generation"]))

    gc.callbacks.append(timed)
    # The collector is off in this process: a class's browsers each have their own heap, and one full
    # pass over this process's thousands of sockets (80-350 ms, seen here) would stop every student at
    # once and be counted as the server's latency. What a run makes lives to its end anyway.
    if not args.get("gc"):
        gc.disable()
    out = asyncio.run(generate(share, ports, monitor, total, args, pipe))
    out.gc_passes = passes
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out.cpu_s = usage.ru_utime + usage.ru_stime
    out.rss_mb = usage.ru_maxrss / 1024
    pipe.send(("done", out))
