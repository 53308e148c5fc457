"""Real server processes for tests that cross process boundaries: Daphne and a Celery worker.

They share the test database (PostgreSQL's, or SQLite's test file; the test's data is committed with
transaction=True) and Redis with the test process.
"""

from __future__ import annotations

import contextlib
import os
import re
import selectors
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


def _drain(stream, log) -> None:  # type: ignore[no-untyped-def]
    for line in stream:
        log.write(line)
        log.flush()


@contextlib.contextmanager
def daphne(**env: str) -> Iterator[tuple[int, subprocess.Popen]]:
    """Daphne on a free port; waits for its 'Listening on' line, not on a timer."""
    LOGS.mkdir(exist_ok=True)
    process = subprocess.Popen(
        [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", "0", "config.asgi:application"],
        cwd=ROOT, env=server_env(**env), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    lines = []
    port = None
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(process.stderr, selectors.EVENT_READ)
            deadline = time.monotonic() + 30
            while port is None:
                if not selector.select(timeout=max(0.0, deadline - time.monotonic())):
                    raise TimeoutError("Daphne did not start listening within 30 s:\n" + "".join(lines))
                line = process.stderr.readline()
                if not line:
                    raise RuntimeError(f"Daphne exited with {process.wait()}:\n" + "".join(lines))
                lines.append(line)
                match = re.search(r"Listening on TCP address 127\.0\.0\.1:(\d+)", line)
                port = int(match.group(1)) if match else None
        log = open(LOGS / f"daphne-{port}.log", "w")  # noqa: SIM115
        log.writelines(lines)
        drain = threading.Thread(target=_drain, args=(process.stderr, log), daemon=True)
        drain.start()
        yield port, process
    finally:
        stop(process)
        if port is not None:
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
