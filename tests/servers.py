"""Real server processes for tests that cross process boundaries: Daphne and a Celery worker.

They share the test database (PostgreSQL's, or SQLite's test file; the test's data is committed with
transaction=True) and Redis with the test process. Most tests that need a Daphne take the test process's
own (`live_daphne`), started once and kept for the session: each start costs about a second of CPU.
A test that stops, kills or measures its server, or gives it settings of its own, starts one (`daphne()`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from django.conf import settings
from django.db import connection

from bench import stack
from bench.stack import ROOT, stop

LOGS = ROOT / "artifacts"
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")  # this pytest process, among parallel ones


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


def assert_no_traceback(log: Path, start: int = 0) -> None:
    """A server under a test's faults reports each in a line: a traceback in its log (from byte `start`,
    where the test began) is a bug."""
    with log.open("rb") as file:
        file.seek(start)
        text = file.read().decode(errors="replace")
    start = text.find("Traceback")
    assert start < 0, f"a traceback in {log}:\n{text[max(0, start - 300) : start + 3000]}"


@contextlib.contextmanager
def daphne(**env: str) -> Iterator[tuple[int, subprocess.Popen]]:
    """Daphne on a free port, on the test's database and Redis (bench/stack.py starts it). A test that
    passes leaves no traceback in its log."""
    with stack.daphne(server_env(**env), LOGS) as started:
        yield started
    assert_no_traceback(LOGS / f"daphne-{started[0]}.log")


class SessionDaphne:
    """The test process's Daphne, on its test database and Redis: started when a test first wants it, and
    again when it has exited or the environment a server would get has changed (a test's monkeypatched
    setting); stopped when the session ends."""

    def __init__(self) -> None:
        self.running = contextlib.ExitStack()
        self.port = 0
        self.process: subprocess.Popen | None = None
        self.env: dict[str, str] = {}

    def port_and_log(self) -> tuple[int, Path]:
        env = server_env()
        if self.process is None or self.process.poll() is not None or env != self.env:
            self.running.close()
            self.port, self.process = self.running.enter_context(stack.daphne(env, LOGS))
            self.env = env
        return self.port, LOGS / f"daphne-{self.port}.log"


@pytest.fixture(scope="session")
def session_daphne(django_db_setup) -> Iterator[SessionDaphne]:
    """Stopped before the test database is dropped."""
    shared = SessionDaphne()
    try:
        yield shared
    finally:
        shared.running.close()


@pytest.fixture
def live_daphne(transactional_db, session_daphne: SessionDaphne) -> Iterator[int]:
    """The port of the session's Daphne, for a test whose data is committed; no traceback in what the
    Daphne logs during the test."""
    port, log = session_daphne.port_and_log()
    start = log.stat().st_size
    yield port
    assert_no_traceback(log, start)


@contextlib.contextmanager
def celery_worker(*, ready: bool = False, **env: str) -> Iterator[subprocess.Popen]:
    """A Celery worker (solo pool) on the test's database and Redis; no traceback in its log either.
    With `ready`, yields once the worker says it is ready to take tasks."""
    log = LOGS / f"celery-worker-{WORKER}-{_test_name()}-{next(_WORKERS_STARTED)}.log"
    with stack.celery_worker(server_env(**env), log) as process, worker_log_on_failure(log):
        if ready:
            wait_until_worker_ready(process, log)
        yield process
    assert_no_traceback(log)


def wait_until_worker_ready(process: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    """Until the Celery worker writing `log` says it is ready to take tasks."""
    deadline = time.monotonic() + timeout
    while " ready." not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the Celery worker did not get ready:\n{log.read_text(errors='replace')}")
        time.sleep(0.05)  # polling the log another process writes


@contextlib.contextmanager
def worker_log_on_failure(log: Path) -> Iterator[None]:
    """A test that fails with a worker running: its report ends with what the worker did (CI's report shows
    the output, not the artifacts)."""
    try:
        yield
    except BaseException:
        lines = log.read_text(errors="replace").splitlines()[-40:]
        sys.stderr.write(f"--- the last lines of {log.name}:\n" + "\n".join(lines) + "\n")
        raise


_WORKERS_STARTED = itertools.count(1)

T = TypeVar("T")


@contextlib.asynccontextmanager
async def in_a_thread(manager: contextlib.AbstractContextManager[T]) -> AsyncIterator[T]:
    """A server's context manager entered and left in a thread, for a test whose event loop holds live
    sockets: a Celery worker's wait for " ready." (seconds on a loaded machine) would otherwise stop their
    heartbeats, and the server closes a socket silent for 8 s with 4408."""
    entering = asyncio.ensure_future(asyncio.to_thread(manager.__enter__))
    try:
        value = await asyncio.shield(entering)
    except asyncio.CancelledError:  # the test was cancelled while its server started: the server is stopped
        with contextlib.suppress(BaseException):
            await entering
            await asyncio.to_thread(manager.__exit__, None, None, None)
        raise
    try:
        yield value
    except BaseException as exc:
        if not await asyncio.to_thread(manager.__exit__, type(exc), exc, exc.__traceback__):
            raise
    else:
        await asyncio.to_thread(manager.__exit__, None, None, None)


def _test_name() -> str:
    """The running test's name, for a log of its own: a CI run's failure can then be read in the worker's log,
    which the next test's worker would otherwise write over."""
    test = os.environ.get("PYTEST_CURRENT_TEST", "").split("::")[-1].split(" ")[0]
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", test)[:80] or "outside-a-test"


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
                self.stop(kill=True)  # not left running when it answers too late
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


@pytest.fixture
def server(live_daphne: int) -> Iterator[str]:
    """The session's Daphne and, with Redis, a Celery worker of the test's own: the live pages' server."""
    with contextlib.ExitStack() as stack:
        if settings.REDIS_URL:
            stack.enter_context(celery_worker())
        yield f"http://127.0.0.1:{live_daphne}"


class Cable:
    """A TCP relay between a browser and Daphne that can be cut without closing anything, as a dropped
    Wi-Fi or a phone in a tunnel does: while cut, nothing passes either way and neither end is told.
    With `sockets_only`, only websocket connections are cut (held from their first bytes when cut before
    they open): pages still load, as when a network passes pages but not the socket's long connection."""

    def __init__(self, port: int, *, sockets_only: bool = False) -> None:
        self.target = port
        self.sockets_only = sockets_only
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.up = threading.Event()
        self.up.set()
        self.always = threading.Event()
        self.always.set()
        self.links: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                near, _ = self.server.accept()
            except OSError:
                return  # closed
            far = socket.create_connection(("127.0.0.1", self.target))
            self.links += [near, far]
            threading.Thread(target=self._link, args=(near, far), daemon=True).start()

    def _link(self, near: socket.socket, far: socket.socket) -> None:
        with contextlib.suppress(OSError):
            first = near.recv(65536)
            cut = self.up
            if self.sockets_only and b"upgrade: websocket" not in first.lower():
                cut = self.always
            threading.Thread(target=self._pump, args=(far, near, cut), daemon=True).start()
            cut.wait()
            far.sendall(first)
            self._pump(near, far, cut)

    def _pump(self, source: socket.socket, sink: socket.socket, cut: threading.Event) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                cut.wait()  # cut: held here, the connection left open
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self.up.set()
        self.server.close()
        for link in self.links:
            link.close()
