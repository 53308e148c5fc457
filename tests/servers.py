"""Real server processes for tests that cross process boundaries: Daphne and a Celery worker.

They share the test database (PostgreSQL; the test's data is committed with transaction=True) and
Redis with the test process.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LOGS = ROOT / "artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url() -> str:
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        raise RuntimeError("server processes share the test database only on PostgreSQL")
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def server_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(DATABASE_URL=database_url(), REDIS_URL=settings.REDIS_URL, DJANGO_SETTINGS_MODULE="config.settings")
    env.update(extra)
    return env


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)  # polling a port: there is no event to wait on
    raise TimeoutError(f"nothing listened on port {port} within {timeout} s")


@contextlib.contextmanager
def daphne(port: int | None = None, **env: str) -> Iterator[tuple[int, subprocess.Popen]]:
    port = port or free_port()
    LOGS.mkdir(exist_ok=True)
    log = open(LOGS / f"daphne-{port}.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        cwd=ROOT, env=server_env(**env), stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_for_port(port, process)
        yield port, process
    finally:
        stop(process)
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
