"""An ASGI application for tests/test_serve.py, shaped as Django's handler is: a request runs in a task of
its own, which the application waits for with `asyncio.wait`, so that cancelling the application leaves
that task running; it goes into a worker thread (a sync middleware) and from there waits on the event
loop (`async_to_sync`, the middleware's way into the async ones) for ever."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from asgiref.sync import async_to_sync, sync_to_async


async def _for_ever() -> None:
    await asyncio.Event().wait()


def _in_a_thread() -> None:
    print("a request waits in a thread", file=sys.stderr, flush=True)
    async_to_sync(_for_ever)()


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "http":
        request = asyncio.ensure_future(sync_to_async(_in_a_thread)())
        await asyncio.wait([request])  # as django.core.handlers.asgi.ASGIHandler.handle waits
