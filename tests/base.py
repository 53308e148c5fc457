"""Shared fixtures of people and scenarios for the Django-level tests."""

from __future__ import annotations

import pytest
from django.test import Client

from classrooms.models import User
from scenarios.services import scenario_version_create
from tests.scenario_docs import dump, valid


@pytest.fixture
def instructor(db) -> User:
    return User.objects.create_user("ines@example.com", "a-long-password", first_name="Ines")


@pytest.fixture
def admin_user(db) -> User:
    return User.objects.create_superuser("root@example.com", "a-long-password")


@pytest.fixture
def instructor_client(instructor: User) -> Client:
    client = Client()
    client.force_login(instructor)
    return client


@pytest.fixture
def admin_client(admin_user: User) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def lease(db):
    return scenario_version_create(document=dump(valid()), source="test").version
