"""The faults Parley is built to survive are logged in one line each, not with a traceback.

A Redis restart, a dropped connection or a Celery pool process killed mid-task is expected
(docs/operations.md): the code recovers from it (clients resume by sequence number, tasks are
redelivered), so the log says what happened and where, in one line. A traceback stays the sign of a bug.
"""

from __future__ import annotations

import logging

import redis.exceptions
from billiard.exceptions import WorkerLostError

EXPECTED = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, WorkerLostError, ConnectionError)


class ExpectedFaultsOnOneLine(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        exc = getattr(exc, "exc", exc)  # Celery hands a lost worker's error over wrapped
        if isinstance(exc, EXPECTED):
            record.msg, record.args = f"{record.getMessage()} ({type(exc).__name__}: {exc})", None
            record.exc_info, record.exc_text = None, None
        return True
