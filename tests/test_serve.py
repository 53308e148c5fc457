"""`parley-daphne` (parley_daphne.py): Daphne's command line on the event loop PARLEY_EVENT_LOOP names,
uvloop by default; a loop it does not know is refused before Daphne starts, saying what to write."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
import uvloop

import parley_daphne as serve

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def policy():
    before = asyncio.get_event_loop_policy()
    yield
    asyncio.set_event_loop_policy(before)


@pytest.fixture
def daphne_not_imported(monkeypatch):
    monkeypatch.delitem(sys.modules, "daphne.server", raising=False)


def test_uvloop_by_default_and_asyncio_on_request(policy, daphne_not_imported):
    def made() -> asyncio.AbstractEventLoop:
        loop = asyncio.new_event_loop()
        loop.close()
        return loop

    assert serve.choose_loop({}) == "uvloop"
    assert isinstance(made(), uvloop.Loop)
    asyncio.set_event_loop_policy(None)
    assert serve.choose_loop({"PARLEY_EVENT_LOOP": " Asyncio "}) == "asyncio"
    assert not isinstance(made(), uvloop.Loop)


def test_a_loop_it_does_not_know_is_refused_naming_the_ones_it_does(policy, daphne_not_imported):
    with pytest.raises(SystemExit, match="PARLEY_EVENT_LOOP='trio': say one of uvloop, asyncio"):
        serve.choose_loop({"PARLEY_EVENT_LOOP": "trio"})


def test_too_late_once_daphne_made_its_loop(policy, monkeypatch):
    monkeypatch.setitem(sys.modules, "daphne.server", object())
    with pytest.raises(SystemExit, match="imported before its event loop could be chosen"):
        serve.choose_loop({})


def test_the_command_imports_nothing_of_the_project(tmp_path):
    """Daphne loads `config.asgi` from the directory it is started in, as plain `daphne` does: the command
    must not have loaded `config` (or any of the project) from where pip installed it before that."""
    project = {path.name for path in ROOT.iterdir() if (path / "__init__.py").exists()}
    assert {"config", "classrooms", "negotiations"} <= project
    done = subprocess.run(
        [sys.executable, "-c", "import sys, parley_daphne; print(' '.join(sorted(sys.modules)))"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    loaded = {name.split(".")[0] for name in done.stdout.split()}
    assert loaded & project == set()


def test_the_command_refuses_a_bad_loop_before_serving():
    done = subprocess.run(
        [str(BIN / "parley-daphne"), "config.asgi:application"],
        env={"PARLEY_EVENT_LOOP": "tokio", "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode != 0
    assert "PARLEY_EVENT_LOOP='tokio': say one of uvloop, asyncio" in done.stderr


def test_a_request_stuck_in_a_thread_does_not_keep_the_server_from_stopping():
    """Daphne stops its event loop on SIGTERM; a request whose worker thread waits on that loop (a sync
    view's `async_to_sync`) then waits for ever, and Python's exit waited for that thread: a stopped
    Daphne of a CI run lived on, holding its database sessions. It now exits within its grace period."""
    import queue
    import signal
    import socket
    import threading
    import time

    process = subprocess.Popen(
        [sys.executable, "-m", "parley_daphne", "-b", "127.0.0.1", "-p", "0", "tests.hung_app:application"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stderr], daemon=True).start()  # type: ignore[union-attr]

    def wait_for(text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while True:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            if text in line:
                return line

    try:
        port = int(wait_for("Listening on TCP address 127.0.0.1:").rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as client:
            client.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            wait_for("a request waits in a thread")
            assert catches_sigterm(process.pid)
            process.send_signal(signal.SIGTERM)
            started = time.monotonic()
            code = process.wait(timeout=serve.STOP_GRACE_SECONDS + 15)
        assert code == 0 and time.monotonic() - started < serve.STOP_GRACE_SECONDS + 5
        said = wait_for("still running in a thread", timeout=5)
        assert said == serve.STOPPED_WITHOUT_THREADS.format(seconds=serve.STOP_GRACE_SECONDS)
        assert "5 s after the server stopped; exiting without it" in said  # as docs/operations.md says
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stderr.close()  # type: ignore[union-attr]


def catches_sigterm(pid: int, timeout: float = 10) -> bool:
    """Whether the process has a handler for SIGTERM (/proc's SigCgt mask), waiting up to `timeout` s."""
    import signal
    import time

    deadline = time.monotonic() + timeout
    while True:
        status = Path(f"/proc/{pid}/status").read_text()
        caught = int(next(line for line in status.splitlines() if line.startswith("SigCgt:")).split()[1], 16)
        if caught & (1 << (signal.SIGTERM - 1)):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)  # no event to wait on: the kernel's mask is only read


def test_a_server_with_nothing_running_stops_at_once_and_says_nothing_of_threads():
    process = subprocess.Popen(
        [sys.executable, "-m", "parley_daphne", "-b", "127.0.0.1", "-p", "0", "tests.hung_app:application"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stderr is not None
        for line in process.stderr:
            if "Listening on TCP address" in line:
                break
        assert catches_sigterm(process.pid)  # Twisted installs its handlers just after it starts listening
        process.terminate()
        assert process.wait(timeout=serve.STOP_GRACE_SECONDS - 1) == 0  # well within the grace
        assert "still running in a thread" not in process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stderr.close()  # type: ignore[union-attr]


def test_a_server_that_a_tests_timeout_interrupts_while_stopping_is_killed_not_left_running(monkeypatch):
    """bench.stack.stop sends SIGTERM and waits; when the test's own timeout struck during that wait, the
    exception left the process running (a CI run's Daphne lived on, holding its database sessions)."""
    from bench.stack import stop

    process = subprocess.Popen(
        [sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
         "print('ready', flush=True); time.sleep(120)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    wait = process.wait
    try:
        assert process.stdout is not None and process.stdout.readline() == "ready\n"

        def struck(timeout: float | None = None) -> int:
            if timeout is not None:
                raise RuntimeError("the test's timeout")  # as pytest-timeout interrupts the wait
            return wait()

        monkeypatch.setattr(process, "wait", struck)
        with pytest.raises(RuntimeError, match="the test's timeout"):
            stop(process, timeout=10)
        assert process.poll() is not None  # killed, not left behind
    finally:
        if process.poll() is None:
            process.kill()
            wait()
        process.stdout.close()  # type: ignore[union-attr]
