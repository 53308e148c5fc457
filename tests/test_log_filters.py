"""The faults the system recovers from are logged in one line; any other error keeps its traceback."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable

import redis.exceptions
from billiard.einfo import ExceptionWithTraceback
from billiard.exceptions import WorkerLostError

from config.log_filters import ExpectedFaultsOnOneLine


def record_of(exc: BaseException, message: str = "could not forward an event of negotiation %s") -> logging.LogRecord:
    def fail() -> None:
        raise exc

    return record_of_call(fail, message)


def record_of_call(call: Callable[[], object], message: str) -> logging.LogRecord:
    """The record of `log.exception(message, 4)` while handling what `call` raised."""
    try:
        call()
    except BaseException:
        return logging.LogRecord("x", logging.ERROR, __file__, 1, message, (4,), sys.exc_info())
    raise AssertionError("it did not raise")


def formatted(record: logging.LogRecord) -> str:
    assert ExpectedFaultsOnOneLine().filter(record)
    return logging.Formatter().format(record)


def test_a_lost_redis_connection_is_one_line_naming_the_error():
    text = formatted(record_of(redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379.")))
    assert (
        text == "could not forward an event of negotiation 4 (ConnectionError: Error 111 connecting to 127.0.0.1:6379.)"
    )


def test_a_lost_pool_process_is_one_line_even_wrapped_as_celery_hands_it_over():
    lost = WorkerLostError("Worker exited prematurely: signal 9 (SIGKILL) Job: 0.")
    text = formatted(record_of(ExceptionWithTraceback(lost, "Traceback ..."), "Task handler raised error: %r"))
    assert "Traceback" not in text and "WorkerLostError: Worker exited prematurely" in text


def test_a_bug_keeps_its_traceback():
    text = formatted(record_of(ValueError("a bug")))
    assert "Traceback (most recent call last)" in text and "ValueError: a bug" in text


def test_a_connection_error_outside_redis_keeps_its_traceback():
    text = formatted(record_of(ConnectionResetError("the peer went away"), "frame of negotiation %s failed"))
    assert "Traceback (most recent call last)" in text and "ConnectionResetError: the peer went away" in text


def test_a_connection_error_raised_inside_the_redis_client_is_one_line():
    """The standard library's ConnectionError, as asyncio raises it under redis-py when Redis restarts."""
    namespace: dict = {"__name__": "redis.asyncio.connection"}
    exec("def read():\n    raise ConnectionResetError('Connection lost')", namespace)  # noqa: S102
    text = formatted(record_of_call(namespace["read"], "could not forward an event of negotiation %s"))
    assert text == "could not forward an event of negotiation 4 (ConnectionResetError: Connection lost)"


def test_a_cleanup_cancelled_inside_the_redis_layer_at_shutdown_is_one_line():
    """Daphne stopping cancels its consumers; channels_redis then unsubscribes each consumer's channel, and
    that await is cancelled too (channels_redis.pubsub logs 'Unexpected exception while cleaning-up channel')."""
    namespace: dict = {"__name__": "channels_redis.pubsub", "asyncio": asyncio}
    exec("def unsubscribe():\n    raise asyncio.CancelledError()", namespace)  # noqa: S102
    text = formatted(record_of_call(namespace["unsubscribe"], "Unexpected exception while cleaning-up channel %s:"))
    assert text == "Unexpected exception while cleaning-up channel 4: (CancelledError: )"


def test_a_cancellation_outside_the_redis_clients_keeps_its_traceback():
    def cancelled() -> None:
        raise asyncio.CancelledError()

    text = formatted(record_of_call(cancelled, "frame of negotiation %s failed"))
    assert "Traceback (most recent call last)" in text and "CancelledError" in text


def test_a_write_on_a_transport_closed_under_the_redis_client_on_uvloop_is_one_line():
    """On uvloop, redis-py writing to a connection Redis has just closed (its reconnect's HELLO, during a
    restart) gets a RuntimeError where asyncio's loop raises a ConnectionError: the same expected fault."""
    namespace: dict = {"__name__": "redis.asyncio.connection"}
    closed = "unable to perform operation on <TCPTransport closed=True reading=False 0x1>; the handler is closed"
    exec(f"def send():\n    raise RuntimeError({closed!r})", namespace)  # noqa: S102
    text = formatted(record_of_call(namespace["send"], "Unexpected exception in receive task %s"))
    assert text == f"Unexpected exception in receive task 4 (RuntimeError: {closed})"


def test_a_runtime_error_in_the_redis_client_that_is_not_a_closed_transport_keeps_its_traceback():
    namespace: dict = {"__name__": "redis.asyncio.connection"}
    exec("def send():\n    raise RuntimeError('a bug')", namespace)  # noqa: S102
    text = formatted(record_of_call(namespace["send"], "Unexpected exception in receive task %s"))
    assert "Traceback (most recent call last)" in text
