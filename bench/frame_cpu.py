"""The CPU of the steady state's frames, in one process, through the ASGI application:

    python -m bench.frame_cpu --students 200

It prepares a class as bench/live_load.py does (its own PostgreSQL database, a session row per student),
connects every student's negotiation socket and the instructor's monitor to the ASGI application as
Daphne runs it, but in this process and without Daphne's HTTP and websocket framing, on the configured
channel layer (Redis). Then, in rounds where every student sends one frame and the round ends when
every answer is in: heartbeats (each answered), chats and offers (each acknowledged, relayed to the
partner and told to the monitor, through Redis). It prints the process CPU per frame of each kind,
all of its work counted (the rate counts, the store, the relay, the answers), the median of --rounds
passes. Only this process runs, so the figure moves less with the machine's load than the live
benchmark's. It uses nothing of this tree but the application, so it can be copied into an older tree
to compare.

The last line is JSON: {"students", "heartbeat_ms", "chat_ms", "offer_ms"}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from typing import Any

from bench.live_load import prepare, setup
from bench.load_generator import PACKAGE

KINDS = {"heartbeat": 4, "chat": 3, "offer": 2}  # rounds of each kind in one pass


class Socket:
    """One socket to the ASGI application: frames in through a queue, frames out counted."""

    def __init__(self, application: Any, path: str, cookie: str) -> None:
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.received: list[str] = []
        self.wanted, self.ready = 0, asyncio.get_running_loop().create_future()
        scope = {
            "type": "websocket",
            "path": path,
            "query_string": b"",
            "headers": [(b"origin", b"http://localhost"), (b"cookie", f"sessionid={cookie}".encode())],
            "subprotocols": [],
        }
        self.inbox.put_nowait({"type": "websocket.connect"})
        self.task = asyncio.ensure_future(application(scope, self.inbox.get, self.send))

    async def send(self, message: dict[str, Any]) -> None:
        if message["type"] == "websocket.send":
            self.received.append(message["text"])
            if len(self.received) >= self.wanted and not self.ready.done():
                self.ready.set_result(None)
        elif message["type"] == "websocket.close":
            raise SystemExit(f"a socket was closed: {message}")

    def expect(self, more: int) -> asyncio.Future[None]:
        """A future done once `more` frames past those already received are in."""
        self.wanted = len(self.received) + more
        self.ready = asyncio.get_running_loop().create_future()
        if more <= 0:
            self.ready.set_result(None)
        return self.ready

    def put(self, text: str) -> None:
        self.inbox.put_nowait({"type": "websocket.receive", "text": text})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=200, help="students, an even number (default 200)")
    parser.add_argument("--rounds", type=int, default=5, help="passes (default 5), after one to warm up")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/parley_load")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9")
    args = parser.parse_args()
    setup(args.database_url, args.redis_url)
    import redis
    from django.db import connections

    from config.asgi import application

    redis.Redis.from_url(args.redis_url).flushdb()
    plan = prepare(args.students)
    counter = [0]

    def frame(kind: str) -> str:
        counter[0] += 1
        if kind == "heartbeat":
            return '{"type":"heartbeat"}'
        if kind == "chat":
            return json.dumps({"type": "chat", "client_msg_id": f"c{counter[0]}", "text": "a message " + "x" * 40})
        package = {**PACKAGE, "price": 8500 + 100 * (counter[0] % 26)}
        return json.dumps({"type": "offer", "client_msg_id": f"o{counter[0]}", "packages": [package]})

    async def run() -> dict[str, list[float]]:
        monitor = Socket(application, f"/ws/exercises/{plan.exercise}/monitor/", plan.monitor_session)
        await asyncio.wait_for(monitor.expect(1), 30)  # its snapshot
        sockets = [Socket(application, f"/ws/negotiations/{s.negotiation}/", s.session) for s in plan.students]
        # The snapshot, then a presence from the partner (its own or the answer to it), whatever the order.
        try:
            await asyncio.wait_for(asyncio.gather(*(s.expect(2) for s in sockets)), 60)
        except TimeoutError:
            raise SystemExit(f"not all joined: {[s.received for s in sockets if len(s.received) < 2][:3]}") from None
        await asyncio.sleep(0.5)
        spent: dict[str, list[float]] = {kind: [] for kind in KINDS}
        for _ in range(args.rounds + 1):
            for kind, rounds in KINDS.items():
                started = time.process_time()
                for _ in range(rounds):
                    # A heartbeat is answered; an action is acknowledged and relayed to the partner.
                    waits = [s.expect(1 if kind == "heartbeat" else 2) for s in sockets]
                    for s in sockets:
                        s.put(frame(kind))
                    await asyncio.wait_for(asyncio.gather(*waits), 60)
                spent[kind].append((time.process_time() - started) * 1000 / (rounds * len(sockets)))
                await asyncio.sleep(0.2)  # the monitor's last summaries
        errors = [t for s in sockets for t in s.received if '"type":"error"' in t]
        if errors:
            raise SystemExit(f"{len(errors)} errors, the first: {errors[0]}")
        for s in [*sockets, monitor]:
            s.inbox.put_nowait({"type": "websocket.disconnect", "code": 1000})
        await asyncio.gather(*(s.task for s in [*sockets, monitor]), return_exceptions=True)
        return {kind: values[1:] for kind, values in spent.items()}  # the first pass warms up

    spent = asyncio.run(run())
    connections.close_all()
    for kind, values in spent.items():
        each = ", ".join(f"{v:.3f}" for v in values)
        print(f"{kind:<10} {statistics.median(values):.3f} ms CPU a frame (passes: {each})")
    medians = {f"{kind}_ms": round(statistics.median(values), 3) for kind, values in spent.items()}
    print(json.dumps({"students": args.students, **medians}))


if __name__ == "__main__":
    main()
