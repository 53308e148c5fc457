"""Real server processes for tests that cross process boundaries: Daphne and a Celery worker.

They share the test database (PostgreSQL's, or SQLite's test file; the test's data is committed with
transaction=True) and Redis with the test process.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LOGS = ROOT / "artifacts"


def server_env(**extra: str) -> dict[str, str]:
    """The test process's settings for a server process: its test database and its Redis."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.postgresql":
        password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
        host = f"{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}"
        env["DATABASE_URL"] = f"postgres://{db.get('USER') or 'postgres'}{password}@{host}/{db['NAME']}"
    else:
        if connection.is_in_memory_db():
            raise RuntimeError("a server process cannot share an in-memory test database")
        env.pop("DATABASE_URL", None)
        env["SQLITE_PATH"] = str(db["NAME"])  # the test database's file (config/settings.py)
    if settings.REDIS_URL:
        env["REDIS_URL"] = settings.REDIS_URL
    env.update(extra)
    return env


def _drain(stream, log, lines: queue.Queue) -> None:  # type: ignore[no-untyped-def]
    """Copy a server's output to its log, line by line, and hand each line to the starter too.

    A thread, not a selector: a buffered readline() may take several lines at once, after which the
    selector would not wake again for the lines already buffered.
    """
    for line in stream:
        lines.put(line)
        log.write(line)
        log.flush()
    lines.put(None)  # the process closed its output: it exited


@contextlib.contextmanager
def daphne(**env: str) -> Iterator[tuple[int, subprocess.Popen]]:
    """Daphne on a free port; waits for its 'Listening on' line, not on a timer."""
    LOGS.mkdir(exist_ok=True)
    process = subprocess.Popen(
        [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", "0", "config.asgi:application"],
        cwd=ROOT, env=server_env(**env), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    log = open(LOGS / f"daphne-starting-{process.pid}.log", "w")  # noqa: SIM115
    lines: queue.Queue[str | None] = queue.Queue()
    drain = threading.Thread(target=_drain, args=(process.stderr, log, lines), daemon=True)
    drain.start()
    seen: list[str] = []
    port = None
    try:
        deadline = time.monotonic() + 30
        while port is None:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError("Daphne did not start listening within 30 s:\n" + "".join(seen)) from None
            if line is None:
                raise RuntimeError(f"Daphne exited with {process.wait()}:\n" + "".join(seen))
            seen.append(line)
            match = re.search(r"Listening on TCP address 127\.0\.0\.1:(\d+)", line)
            port = int(match.group(1)) if match else None
        os.replace(log.name, LOGS / f"daphne-{port}.log")  # the log keeps its open handle
        yield port, process
    finally:
        stop(process)
        drain.join(timeout=5)
        log.close()


@contextlib.contextmanager
def celery_worker(**env: str) -> Iterator[subprocess.Popen]:
    LOGS.mkdir(exist_ok=True)
    log = open(LOGS / "celery-worker.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [str(BIN / "celery"), "-A", "config", "worker", "--loglevel", "INFO", "--concurrency", "1", "--pool", "solo"],
        cwd=ROOT, env=server_env(**env), stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        yield process
    finally:
        stop(process)
        log.close()


def stop(process: subprocess.Popen, *, kill: bool = False) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """A private redis-server on a fixed free port, without persistence, that a test can restart.

    `url(db)` is its address; `restart()` kills it (SIGKILL: everything in it is lost) and starts a
    fresh one on the same port, as an operator's restart or a crash-and-respawn would.
    """

    def __init__(self, program: str = "/usr/bin/redis-server") -> None:
        self.program = program
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        LOGS.mkdir(exist_ok=True)
        self.process = subprocess.Popen(
            [self.program, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--logfile", str(LOGS / f"redis-{self.port}.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        import socket

        deadline = time.monotonic() + 10
        while True:  # ready when it answers PING
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(64).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)  # polling a port that is not open yet

    def stop(self, *, kill: bool = False) -> None:
        if self.process is not None:
            stop(self.process, kill=kill)
            self.process = None

    def restart(self) -> None:
        self.stop(kill=True)
        self.start()


@contextlib.contextmanager
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
