"""The faults Parley is built to survive are logged in one line each, not with a traceback.

A Redis restart, a dropped connection or a Celery pool process killed mid-task is expected
(docs/operations.md): the code recovers from it (clients resume by sequence number, tasks are
redelivered), so the log says what happened and where, in one line. A traceback stays the sign of a bug.

Only those: Redis's errors, a lost pool process, and, when raised inside the Redis clients, the standard
library's ConnectionError (asyncio's, under redis-py, when Redis restarts; uvloop's RuntimeError for a write on
a closed transport, the same fault) and a cancellation (a Daphne
that stops cancels its consumers, and channels_redis's clean-up of their channels is cancelled with them).
The same error raised anywhere else keeps its traceback.
"""

from __future__ import annotations

import asyncio
import logging

import redis.exceptions
from billiard.exceptions import WorkerLostError

EXPECTED = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, WorkerLostError)
REDIS_CLIENTS = ("redis", "channels_redis")


def _expected(exc: BaseException | None) -> bool:
    if isinstance(exc, EXPECTED):
        return True
    if exc is None or not (isinstance(exc, ConnectionError | asyncio.CancelledError) or _closed_transport(exc)):
        return False
    return _raised_inside_redis(exc)


def _closed_transport(exc: BaseException) -> bool:
    """uvloop's word for a write on a connection already closed, where asyncio's loop raises a
    ConnectionError (redis-py reconnecting while Redis restarts)."""
    return isinstance(exc, RuntimeError) and str(exc).endswith("the handler is closed")


def _raised_inside_redis(exc: BaseException) -> bool:
    tb = exc.__traceback__
    while tb is not None:
        if str(tb.tb_frame.f_globals.get("__name__", "")).split(".")[0] in REDIS_CLIENTS:
            return True
        tb = tb.tb_next
    return False


class ExpectedFaultsOnOneLine(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        exc = getattr(exc, "exc", exc)  # Celery hands a lost worker's error over wrapped
        if _expected(exc):
            record.msg, record.args = f"{record.getMessage()} ({type(exc).__name__}: {exc})", None
            record.exc_info, record.exc_text = None, None
        return True
