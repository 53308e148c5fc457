"""The floor under the join: what Daphne itself spends on a websocket, with no Parley in it.

    python -m bench.join_floor --sockets 400 --rounds 5

It starts one Daphne process as production starts it (`parley-daphne`: uvloop's event loop, unless
PARLEY_EVENT_LOOP says otherwise) serving this module's `application`, which has two websocket apps and
nothing else: `/ws/bare/` accepts and sends one 2 KB text frame (a snapshot's size) as a plain ASGI
callable; `/ws/channels/` does the same through Channels (the origin check, the URL router and an
AsyncWebsocketConsumer). Sockets connect --burst at once until --sockets are open, each waiting for its
frame; the Daphne process's CPU (from /proc) over those connects, divided by the sockets, is the
figure (median of --rounds, after one pass that warms the process; the two apps alternate).
Autobahn's debug text is deferred in that process as Parley's application defers it
(config/autobahn_logs.py; without that a bare handshake costs about a quarter more, which Parley's
join does not pay), and a websocket's handshake is parsed once, by autobahn, as Parley's Daphne parses
it (config/daphne_sockets.py; with `--http-first`, Daphne's own way: its HTTP channel first). A Parley
join (bench/join_cpu.py, bench/live_load.py) adds the session, the seat, the snapshot, the channel
layer and the presence to this.

The last line is JSON: {"sockets", "bare_ms", "channels_ms"}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from typing import Any

from bench.stack import stop

FRAME = json.dumps({"type": "snapshot", "padding": "x" * 2000})


def _django() -> None:
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(SECRET_KEY="join-floor-" + "x" * 40, ALLOWED_HOSTS=["127.0.0.1"], INSTALLED_APPS=[])
        django.setup()


async def bare(scope: dict[str, Any], receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "websocket.connect":
            await send({"type": "websocket.accept"})
            await send({"type": "websocket.send", "text": FRAME})
        elif message["type"] == "websocket.disconnect":
            return


def _channels_app() -> Any:
    _django()
    from channels.generic.websocket import AsyncWebsocketConsumer
    from channels.routing import URLRouter
    from channels.security.websocket import AllowedHostsOriginValidator
    from django.urls import path

    class Consumer(AsyncWebsocketConsumer):
        async def connect(self) -> None:
            await self.accept()
            await self.send(FRAME)

    return AllowedHostsOriginValidator(URLRouter([path("ws/channels/", Consumer.as_asgi())]))


_channels: Any = None


def _as_parley_serves() -> None:
    """What Parley's application changes in Daphne's own work, for every socket (config/asgi.py)."""
    before = os.environ.get("DJANGO_SETTINGS_MODULE")
    from config.autobahn_logs import format_lazily  # config/__init__ names Parley's settings for Celery
    from config.daphne_sockets import read_handshakes_once

    format_lazily()
    if not os.environ.get("JOIN_FLOOR_HTTP_FIRST"):
        read_handshakes_once()
    if before is None:  # this process's settings stay the bench's own (_django)
        os.environ.pop("DJANGO_SETTINGS_MODULE", None)


if __name__ != "__main__":  # in the Daphne process, which imports this module for its application
    _as_parley_serves()


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """What the Daphne process serves."""
    global _channels
    if scope["type"] == "websocket" and scope["path"] == "/ws/channels/":
        _channels = _channels or _channels_app()
        return await _channels(scope, receive, send)
    if scope["type"] == "websocket":
        return await bare(scope, receive, send)


def cpu_seconds(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()  # noqa: SIM115
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def one_pass(port: int, pid: int, path: str, sockets: int, burst: int) -> float:
    from websockets.asyncio.client import connect

    async def open_() -> Any:
        ws = await connect(f"ws://127.0.0.1:{port}{path}", origin=f"http://127.0.0.1:{port}", ping_interval=None)  # type: ignore[arg-type]
        await asyncio.wait_for(ws.recv(), 60)
        return ws

    started, opened = cpu_seconds(pid), []
    for first in range(0, sockets, burst):
        opened += await asyncio.gather(*(open_() for _ in range(min(burst, sockets - first))))
    spent = cpu_seconds(pid) - started
    await asyncio.gather(*(ws.close() for ws in opened))
    await asyncio.sleep(1.0)  # every socket gone before the next pass
    return spent * 1000 / sockets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sockets", type=int, default=400, help="sockets a pass (default 400)")
    parser.add_argument("--rounds", type=int, default=5, help="counted passes of each app (default 5)")
    parser.add_argument("--burst", type=int, default=50, help="sockets connecting at once (default 50)")
    parser.add_argument("--http-first", action="store_true",
                        help="Daphne's own way: each handshake parsed by its HTTP channel, then autobahn")  # fmt: skip
    args = parser.parse_args()

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "parley_daphne", "-b", "127.0.0.1", "-p", str(port), "bench.join_floor:application"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "JOIN_FLOOR_HTTP_FIRST": "1"} if args.http_first else None,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise SystemExit("Daphne did not start listening") from None
                time.sleep(0.1)
        paths = {"bare": "/ws/bare/", "channels": "/ws/channels/"}

        async def passes() -> dict[str, list[float]]:
            for path in paths.values():
                await one_pass(port, process.pid, path, args.sockets, args.burst)  # warming
            figures: dict[str, list[float]] = {name: [] for name in paths}
            for _ in range(args.rounds):
                for name, path in paths.items():
                    figures[name].append(await one_pass(port, process.pid, path, args.sockets, args.burst))
            return figures

        figures = asyncio.run(passes())
    finally:
        stop(process)
    for name, each in figures.items():
        passes_text = ", ".join(f"{v:.2f}" for v in each)
        print(
            f"{name}: {args.sockets} sockets, bursts of {args.burst}, {args.rounds} passes:"
            f" {statistics.median(each):.3f} ms of Daphne CPU a socket (passes: {passes_text})"
        )
    medians = {f"{name}_ms": round(statistics.median(each), 3) for name, each in figures.items()}
    print(json.dumps({"sockets": args.sockets, **medians}))


if __name__ == "__main__":
    main()
