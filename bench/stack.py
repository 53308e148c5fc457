"""Starting the stack's server processes, Daphne and Celery workers, for the tests and the benchmarks.

Tooling, not application code: tests/servers.py, the silent class and bench/ start their processes
here, each with its own environment (the tests' database and Redis, or the benchmark's) and log file.
A Daphne is ready when it says on which port it listens: the starter waits for that line, not a timer.
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
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LISTENING = re.compile(r"Listening on TCP address 127\.0\.0\.1:(\d+)")
TICK = os.sysconf("SC_CLK_TCK")


def _drain(stream: IO[str], log: IO[str], lines: queue.Queue[str | None]) -> None:
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
def daphne(
    env: dict[str, str], logs: Path, name: str | None = None, timeout: float = 30, cwd: Path = ROOT
) -> Iterator[tuple[int, subprocess.Popen[str]]]:
    """Daphne on a free port of 127.0.0.1; yields (port, process) once it listens, stops it on leaving.

    Its output goes to `logs`/`name`.log, by default daphne-PORT.log. `cwd`: the checkout it serves.
    """
    logs.mkdir(parents=True, exist_ok=True)
    # As production starts it (`parley-daphne`, parley_daphne.py), from the checkout served; a checkout from
    # before that command (another tree compared, bench/join_cpu.py --against) with plain `daphne`.
    launcher = [str(BIN / "python"), "-m", "parley_daphne"]
    if not (Path(cwd) / "parley_daphne.py").exists():
        launcher = [str(BIN / "daphne")]
    process = subprocess.Popen(
        [*launcher, "-b", "127.0.0.1", "-p", "0", "config.asgi:application"],
        cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stderr is not None
    log = open(logs / f"daphne-starting-{process.pid}.log", "w")  # noqa: SIM115
    lines: queue.Queue[str | None] = queue.Queue()
    drain = threading.Thread(target=_drain, args=(process.stderr, log, lines), daemon=True)
    drain.start()
    seen: list[str] = []
    port = None
    try:
        deadline = time.monotonic() + timeout
        while port is None:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                said = "".join(seen)
                raise TimeoutError(f"Daphne did not start listening within {timeout:.0f} s:\n{said}") from None
            if line is None:
                raise RuntimeError(f"Daphne exited with {process.wait()}:\n" + "".join(seen))
            seen.append(line)
            match = LISTENING.search(line)
            port = int(match.group(1)) if match else None
        os.replace(log.name, logs / f"{name or f'daphne-{port}'}.log")  # the log keeps its open handle
        yield port, process
    finally:
        try:
            stop(process)
        finally:
            drain.join(timeout=5)
            log.close()


@contextlib.contextmanager
def celery_worker(
    env: dict[str, str],
    log: Path,
    *,
    pool: str = "solo",
    concurrency: int = 1,
    loglevel: str = "INFO",
    options: Sequence[str] = (),
    own_group: bool = False,
    append: bool = False,
) -> Iterator[subprocess.Popen[bytes]]:
    """A Celery worker of the project's app, its output in `log` (added to it with `append`); stopped
    (TERM, then KILL) on leaving.

    `own_group` starts it in a process group of its own, so that a prefork pool's children are killed
    with it when it does not stop in time.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    command = [str(BIN / "celery"), "-A", "config", "worker", "--loglevel", loglevel]
    command += ["--pool", pool, "--concurrency", str(concurrency), *options]
    with log.open("a" if append else "w") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=own_group
        )
    try:
        yield process
    finally:
        stop(process, group=own_group, timeout=20 if pool == "prefork" else 10)


def stop(process: subprocess.Popen, *, kill: bool = False, group: bool = False, timeout: float = 10) -> None:  # type: ignore[type-arg]
    """Stop a server process: SIGTERM (SIGKILL with `kill`), then SIGKILL (its group's) if it lingers."""
    if process.poll() is None:
        process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except BaseException as exc:  # it lingers, or a test's timeout struck meanwhile: never leave it running
            with contextlib.suppress(ProcessLookupError):  # gone meanwhile
                if group:
                    os.killpg(process.pid, signal.SIGKILL)
                else:
                    process.kill()
            process.wait()
            if not isinstance(exc, subprocess.TimeoutExpired):
                raise


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process, from /proc (fields 14 and 15 of stat)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return float("nan")
    fields = text[text.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / TICK
