"""Concurrency that only a real PostgreSQL can show."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from scenarios.models import ScenarioVersion
from scenarios.services import scenario_version_create
from tests.scenario_docs import dump, valid

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_imports_of_one_scenario_get_distinct_version_numbers():
    documents = []
    for i in range(8):
        doc = valid()
        doc["summary"] = f"Revision {i}"
        documents.append(dump(doc))

    def store(document: str) -> int:
        try:
            return scenario_version_create(document=document, source="thread").version.number
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = sorted(pool.map(store, documents))
    assert numbers == list(range(1, 9))
    assert ScenarioVersion.objects.count() == 8


def test_the_suite_runs_on_postgresql():
    assert connection.vendor == "postgresql"
