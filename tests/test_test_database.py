"""The suite's own way of emptying the database after a test with transaction=True (tests/conftest.py)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from classrooms.models import Classroom, User
from tests.conftest import KEPT_TABLES, empty_database

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_every_table_is_emptied_but_the_content_types_and_permissions(instructor, classroom):
    types, permissions = ContentType.objects.count(), Permission.objects.count()
    assert types and permissions and Classroom.objects.exists()
    instructor.user_permissions.add(Permission.objects.first())  # a row that points at a kept one

    empty_database(connection)

    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    with connection.cursor() as cursor:
        for table in set(tables) - KEPT_TABLES:
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608 (names only)
            assert cursor.fetchone()[0] == 0, f"{table} still holds rows"
    assert not User.objects.exists()
    assert (ContentType.objects.count(), Permission.objects.count()) == (types, permissions)
