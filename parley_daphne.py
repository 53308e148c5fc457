"""`parley-daphne`: Daphne, on uvloop's event loop. It takes Daphne's own arguments and runs Daphne's own
command line; production runs it in place of `daphne` (README.md, "Deploying").

A module at the top of the checkout that imports nothing of the project: Daphne puts the directory it is
started in first on the import path and loads `config.asgi` from there, as plain `daphne` does. (Inside
the `config` package, the command loaded `config` from where pip had installed it, before Daphne could,
and with it settings whose templates and static files were not there.)

Daphne runs Twisted on an asyncio event loop that it makes as `daphne.server` is first imported, before
the application is loaded, so the loop can only be chosen before that import: here. On uvloop a join
costs about a seventh less CPU in Daphne, measured side by side (docs/benchmarks.md, "Daphne on
uvloop"): Redis's, PostgreSQL's and the sockets' I/O, and the loop's own turns. `PARLEY_EVENT_LOOP=asyncio`
keeps asyncio's own loop (to compare, or where uvloop is not installed); on Windows, which uvloop does not
support, asyncio's is the default. The process says which loop it serves on, in its first line.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading

LOOPS = ("uvloop", "asyncio")
# Once Daphne has stopped, how long a request still running in a worker thread may take to finish before
# the process exits without it (a thread waiting on the stopped event loop would never finish).
STOP_GRACE_SECONDS = 5.0
STOPPED_WITHOUT_THREADS = (
    "parley-daphne: a request was still running in a thread {seconds:g} s after the server stopped; "
    "exiting without it\n"
)


def choose_loop(environ: os._Environ[str] | dict[str, str] = os.environ) -> str:
    """Install the event loop policy PARLEY_EVENT_LOOP names (uvloop by default); the loop's name."""
    default = "asyncio" if sys.platform == "win32" else "uvloop"
    wanted = environ.get("PARLEY_EVENT_LOOP", default).strip().lower() or default
    if wanted not in LOOPS:
        raise SystemExit(f"PARLEY_EVENT_LOOP={wanted!r}: say one of {', '.join(LOOPS)}")
    if "daphne.server" in sys.modules:
        raise SystemExit("parley-daphne: Daphne's server was imported before its event loop could be chosen")
    if wanted == "uvloop":
        try:
            import uvloop
        except ImportError:
            raise SystemExit(
                "PARLEY_EVENT_LOOP=uvloop, but uvloop is not installed: install it, or set PARLEY_EVENT_LOOP=asyncio"
            ) from None
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return wanted


def main() -> None:
    loop = choose_loop()
    print(f"Serving on {loop}'s event loop", file=sys.stderr, flush=True)
    from daphne.cli import CommandLineInterface

    sys.argv[0] = "daphne"  # Daphne's own usage and messages
    status = 1  # unless Daphne's command returns: an exception or SystemExit on its way out keeps its own
    try:
        CommandLineInterface.entrypoint()
        status = 0
    finally:
        exit_within(STOP_GRACE_SECONDS, status)


def exit_within(seconds: float, status: int = 0) -> None:
    """Daphne's event loop has stopped (SIGTERM, SIGINT). Python's exit then waits for every worker thread,
    and a request whose thread waits on that loop (a sync view's `async_to_sync`, the middleware's way
    into an async one) waits for ever: the process lived on, holding its database connections. A watch
    ends the process with `status` once `seconds` have passed, saying so on standard error if it can (a
    closed or full stderr must not keep it alive); a normal exit ends the watch with it."""

    def watch() -> None:
        try:
            os.write(2, STOPPED_WITHOUT_THREADS.format(seconds=seconds).encode())
        except BaseException:  # noqa: S110 (nothing more to do: the exit below is the point)
            pass
        finally:
            os._exit(status)

    timer = threading.Timer(seconds, watch)
    timer.daemon = True
    timer.start()


if __name__ == "__main__":
    main()
