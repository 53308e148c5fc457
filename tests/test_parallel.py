"""Parallel test processes never meet on Redis: each takes its own database (tests/parallel.py)."""

from __future__ import annotations

import os

import pytest
from django.conf import settings

from tests import parallel
from tests.parallel import worker_redis_url


def test_each_worker_moves_the_redis_db_number_up_by_its_own_number():
    assert worker_redis_url("redis://127.0.0.1:6379/0", 0) == "redis://127.0.0.1:6379/0"
    assert worker_redis_url("redis://127.0.0.1:6379/10", 3) == "redis://127.0.0.1:6379/13"
    assert worker_redis_url("redis://127.0.0.1:6379", 2) == "redis://127.0.0.1:6379/2"
    assert worker_redis_url("redis://127.0.0.1:6379?db=4&health_check_interval=5", 1) == (
        "redis://127.0.0.1:6379/5?health_check_interval=5"
    )
    with pytest.raises(pytest.UsageError, match="db 16"):
        worker_redis_url("redis://127.0.0.1:6379/14", 2)


@pytest.mark.redis
@pytest.mark.skipif(not os.environ.get("PYTEST_XDIST_WORKER"), reason="runs in a parallel worker only")
def test_this_worker_uses_its_own_redis_database_and_channel_prefix():
    worker = int(os.environ["PYTEST_XDIST_WORKER"].removeprefix("gw"))
    assert parallel.GIVEN_REDIS_URL, "REDIS_URL was set after the settings were read"
    assert worker_redis_url(parallel.GIVEN_REDIS_URL, worker) == settings.REDIS_URL
    assert settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] == f"parley.{settings.REDIS_URL.rsplit('/', 1)[1]}."
