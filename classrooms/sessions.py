"""Session keys that show they were made here, so that a forged session cookie costs no lookup.

A key is 24 random characters followed by 16 hex characters of their HMAC with the SECRET_KEY (40 in
all, what Django's session table holds). A cookie whose key does not carry its HMAC is no session: the
store never looks it up (an HTTP request goes on without a session, as with no cookie), and the
websocket handshake closes it with 4401 before any work (negotiations.handshake). Without this, every
made-up cookie cost a database query, and a client could send thousands a second.

`SESSION_ENGINE = "classrooms.sessions"` (config/settings.py). Sessions made before it, with plain
random keys, are not honoured: everyone signs in again once (docs/operations.md, "Deploying"); so does
changing the SECRET_KEY, as with Django's own sessions.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import connections, router
from django.utils import timezone
from django.utils.crypto import constant_time_compare, get_random_string, salted_hmac

RANDOM_CHARS = 24
MAC_CHARS = 16
SALT = "parley.session-key"


def _mac(random_part: str) -> str:
    return salted_hmac(SALT, random_part, algorithm="sha256").hexdigest()[:MAC_CHARS]


def signed_key() -> str:
    """A new session key, random and carrying its HMAC."""
    random_part = get_random_string(RANDOM_CHARS, VALID_KEY_CHARS)
    return random_part + _mac(random_part)


def is_signed(key: str) -> bool:
    """Whether `key` was made by `signed_key()` with this SECRET_KEY: no lookup, a few microseconds."""
    if len(key) != RANDOM_CHARS + MAC_CHARS:
        return False
    return constant_time_compare(_mac(key[:RANDOM_CHARS]), key[RANDOM_CHARS:])


@cache
def _read_statement(model: Any, many: bool = False) -> str:
    """One session's data by its key, or (`many`, on PostgreSQL) the key and data of any of an array of
    keys; unexpired rows only."""
    table, fields = model._meta.db_table, {f.name: f.column for f in model._meta.fields}
    key, data = fields["session_key"], fields["session_data"]
    selected, matched = (f"{key}, {data}", f"{key} = ANY(%s)") if many else (data, f"{key} = %s")
    return f"SELECT {selected} FROM {table} WHERE {matched} AND {fields['expire_date']} > %s"  # noqa: S608 (names only)


class SessionStore(DatabaseSessionStore):
    """Django's database sessions, with keys that carry their HMAC and are checked before any lookup."""

    def _get_session_from_db(self) -> Any:
        """The unexpired session row, as Django's store reads it (an unknown or expired key is dropped), in
        one plain statement: every socket's join reads one, and the ORM took longer to build the query
        (about 0.4 ms of CPU) than PostgreSQL to run it (docs/benchmarks.md, "The join")."""
        connection = connections[router.db_for_read(self.model)]
        with connection.cursor() as cursor:
            now = connection.ops.adapt_datetimefield_value(timezone.now())
            cursor.execute(_read_statement(self.model), [self.session_key, now])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return self.model(session_key=self.session_key, session_data=row[0])

    @classmethod
    def read_many_statement(cls, keys: list[str]) -> tuple[str, list[Any]]:
        """The statement and parameters that read the unexpired rows of many sessions at once, as (key,
        data), on PostgreSQL (an array parameter), for a reader of another connection; each row's data
        goes to its session's `loaded`, and None to a key with no row."""
        model = cls.get_model_class()
        now = connections[router.db_for_read(model)].ops.adapt_datetimefield_value(timezone.now())
        return _read_statement(model, many=True), [keys, now]

    def loaded(self, data: str | None) -> None:
        """The session as load() makes it, from the row's data read by `read_many_statement` (None: no
        unexpired row, and the key is dropped)."""
        if data is None:
            self._session_key = None
            self._session_cache = {}
        else:
            self._session_cache = self.decode(data)

    def _get_new_session_key(self) -> str:
        while True:
            key = signed_key()
            if not self.exists(key):
                return key

    async def _aget_new_session_key(self) -> str:
        while True:
            key = signed_key()
            if not await self.aexists(key):
                return key

    def _validate_session_key(self, key: str | None) -> bool:
        return bool(key) and is_signed(key)  # type: ignore[arg-type]
