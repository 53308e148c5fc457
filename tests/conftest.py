"""Markers for tests that need a real service, and the switch that makes their absence a failure.

A test marked `postgres`, `redis` or `browser` is skipped, with the reason, where that service is
missing (a browser test needs Chromium, chromedriver and axe-core); with PARLEY_REQUIRE_SERVICES=1 (as
.ci/run sets) the same absence fails the test instead.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from functools import cache
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.test import TransactionTestCase

from config.log_filters import ExpectedFaultsOnOneLine
from tests.browser import AXE

pytest_plugins = ["tests.base", "tests.browser", "tests.servers"]

REQUIRED = os.environ.get("PARLEY_REQUIRE_SERVICES", "") in ("1", "true", "yes")


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=2):
            return True
    except OSError:
        return False


@cache
def missing(marker: str) -> str | None:
    """Why the service behind a marker is unavailable, or None when it is there."""
    if marker == "postgres":
        if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
            return "needs PostgreSQL: set DATABASE_URL=postgres://USER@HOST:PORT/DB"
        return None
    if marker == "redis":
        if not settings.REDIS_URL:
            return "needs Redis: set REDIS_URL=redis://HOST:PORT/DB"
        if not _reachable(settings.REDIS_URL, 6379):
            return f"needs Redis, but nothing answers at {settings.REDIS_URL}"
        return None
    if marker == "browser":
        for program in ("chromium", "chromedriver"):
            if not shutil.which(program):
                return f"needs {program} (Debian packages chromium and chromium-driver)"
        if not AXE.exists():  # every browser test checks its pages with it (tests/browser.py)
            return "needs axe-core: run `npm ci` (`make test` does)"
        return None
    return None


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker in ("postgres", "redis", "browser"):
        if item.get_closest_marker(marker) is None:
            continue
        reason = missing(marker)
        if reason is None:
            continue
        if REQUIRED:
            pytest.fail(f"PARLEY_REQUIRE_SERVICES is set and this test {reason}", pytrace=False)
        pytest.skip(reason)


# On PostgreSQL, the test database commits without waiting for its write-ahead log to reach the disk
# (synchronous_commit off): a crash of PostgreSQL could lose a test database's last commits, which no test
# needs to survive, and waiting for the disk on each of the suite's many commits (the migrations', each
# test's, each truncation after a test with transaction=True) cost more than the queries did.
NO_SYNC = "-c synchronous_commit=off"


# After a test with transaction=True, Django empties the database with `flush`: a TRUNCATE of every table,
# then the post_migrate signal, which reads and writes the content types and permissions again (94
# queries). On PostgreSQL the TRUNCATE alone took 0.25-0.6 s and the whole flush about a second, after
# each of some 270 tests. Deleting the rows of each table takes a few milliseconds, the foreign keys
# (deferred, as Django makes them) checked once at the commit; the content types and permissions, which
# migrate made and no test changes, are kept as they are, so the flush's post_migrate has nothing to do.
KEPT_TABLES = frozenset({"django_content_type", "auth_permission"})


def empty_database(connection) -> None:
    """Delete the rows of every table of the project's models but the content types and permissions."""
    from django.db import transaction

    tables = set(connection.introspection.django_table_names(only_existing=True, include_views=False))
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for table in sorted(tables - KEPT_TABLES):
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")  # noqa: S608 (names only)


def _fixture_teardown_by_delete(self) -> None:  # type: ignore[no-untyped-def]
    from django.db import connections

    databases = self._databases_names(include_mirrors=False)
    if (
        self.available_apps is not None
        or self.serialized_rollback
        or self.reset_sequences
        or any(connections[name].vendor != "postgresql" for name in databases)
    ):
        return _django_fixture_teardown(self)
    for name in databases:
        empty_database(connections[name])


_django_fixture_teardown = TransactionTestCase._fixture_teardown


def pytest_configure(config: pytest.Config) -> None:
    TransactionTestCase._fixture_teardown = _fixture_teardown_by_delete  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix) -> None:
    """The test process's connections, the migrations' first."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.postgresql":
        options = db.setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} {NO_SYNC}".strip()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker) -> None:
    """And every other connection to the test database: its servers' (Daphne, Celery)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(f'ALTER DATABASE "{connection.settings_dict["NAME"]}" SET synchronous_commit = off')


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _english_outside_requests() -> Iterator[None]:
    """Each test starts in English: a request in another language leaves it active in the thread (Django's
    LocaleMiddleware does not undo it), and a service called outside a request would then answer in it."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _socket_limits_count_afresh() -> None:
    """The sockets' limits per seat and user (negotiations/limits.py) count afresh in each test: on Redis
    they would carry one test's frames into the next, whose seats may have the same ids."""
    if settings.REDIS_URL:
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL)
        try:
            keys = list(client.scan_iter(f"{settings.CHANNEL_LAYERS['default']['CONFIG']['prefix']}limits.*"))
            if keys:
                client.delete(*keys)
        except redis.ConnectionError:
            pass  # no Redis here: the tests that need it are skipped
        finally:
            client.close()


@pytest.fixture(autouse=True)
def _throttles_count_afresh(settings) -> None:
    """Each test's throttles count in a cache of its own: the configured one (Redis, with REDIS_URL) would
    carry one test's log-ins and joins into the next."""
    from axes.handlers.proxy import AxesProxyHandler

    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": uuid.uuid4().hex}
    }
    AxesProxyHandler.get_implementation(force=True)  # it holds the cache it was made with


# No traceback in any log under the security, socket and fault tests: the servers they start are held to it
# by tests/servers.py, and what runs in the test's own process (consumers, services) by this.
NO_TRACEBACK_MODULES = ("test_security", "test_socket_close", "test_live_socket", "test_rate_limit", "test_faults")


class _TracebackRecords(logging.Handler):
    """Keeps the ERROR records that would print a traceback: not the recovered faults that production
    logs in one line (config/log_filters.py)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.addFilter(ExpectedFaultsOnOneLine())
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.records.append(logging.Formatter().format(record))


@pytest.fixture(autouse=True)
def _no_traceback_logged(request: pytest.FixtureRequest) -> Iterator[None]:
    if not request.module.__name__.rsplit(".", 1)[-1].startswith(NO_TRACEBACK_MODULES):
        yield
        return
    handler = _TracebackRecords()
    logging.getLogger().addHandler(handler)
    try:
        yield
    finally:
        logging.getLogger().removeHandler(handler)
    if handler.records:
        pytest.fail(
            "a traceback was logged:\n" + "\n".join(handler.records),
            pytrace=False,
        )


# The silent class (tests/silent_class.py) overlaps the rest of the suite. In one process its sockets open
# when the session starts and its test runs last. With parallel workers (pytest-xdist) its test is
# collected first: the first worker to start runs it at once, for the whole silence, while the other
# workers run the rest of the suite.

PARALLEL = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT") or 1) > 1  # one worker runs as one process does


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    from tests.silent_class import TEST_NAME

    items.sort(key=lambda item: (item.name == TEST_NAME) != PARALLEL)  # stable: the others keep their order


@pytest.fixture(scope="session", autouse=True)
def _silence_from_the_start(request: pytest.FixtureRequest) -> None:
    """In one process, the session's first test starts the silent class when its test is selected."""
    from tests.silent_class import TEST_NAME

    if not PARALLEL and any(item.name == TEST_NAME for item in request.session.items):
        request.getfixturevalue("silent_class")


@pytest.fixture(scope="session")
def silent_class(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """The silent class, started once per session, in a database of its own copied from the test database."""
    from tests.silent_class import SilentClass

    if missing("postgres") or missing("redis"):
        yield None
        return
    request.getfixturevalue("django_db_setup")
    with request.getfixturevalue("django_db_blocker").unblock():
        from django.db import connection

        from tests.servers import server_env

        template = connection.settings_dict["NAME"]
        name = f"{template}_silent"
        connection.close()  # a template database must have no other connection
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        url = server_env()["DATABASE_URL"].rsplit("/", 1)[0] + f"/{name}"
    silent = SilentClass(url)
    try:
        silent.start()
        yield silent
    finally:
        silent.stop()
        with request.getfixturevalue("django_db_blocker").unblock(), connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
