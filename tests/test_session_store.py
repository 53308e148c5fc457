"""The session store (classrooms/sessions.py): a session is read with one plain SQL statement, since every
socket's join loads one, and it reads as Django's database sessions do (expired or unknown: empty)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.db.models.sql.compiler import SQLCompiler
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from classrooms.sessions import SessionStore

pytestmark = pytest.mark.django_db


def stored(**data: object) -> str:
    store = SessionStore()
    store.update(data)
    store.create()
    assert store.session_key is not None
    return store.session_key


def test_a_session_is_read_in_one_statement_that_the_orm_does_not_build(monkeypatch):
    key = stored(kept=1)
    built: list[str] = []
    as_sql = SQLCompiler.as_sql
    monkeypatch.setattr(SQLCompiler, "as_sql", lambda self, *a, **k: built.append("query") or as_sql(self, *a, **k))

    with CaptureQueriesContext(connection) as queries:
        store = SessionStore(session_key=key)
        assert store.get("kept") == 1

    assert len(queries) == 1
    assert built == []  # compiling a query cost more than running it
    assert store.session_key == key


def test_an_expired_or_unknown_session_reads_as_empty_and_loses_its_key():
    expired = stored(kept=1)
    Session.objects.filter(session_key=expired).update(expire_date=timezone.now() - timedelta(seconds=1))
    unknown = stored(kept=2)
    Session.objects.filter(session_key=unknown).delete()

    for key in (expired, unknown):
        store = SessionStore(session_key=key)
        assert store.get("kept") is None
        assert store.session_key is None  # a new key is made when it is saved, as Django's store does
