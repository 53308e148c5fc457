"""Parallel test processes (pytest-xdist) that never meet on Redis; loaded first, with `-p tests.parallel`.

Each xdist worker has its own PostgreSQL test database (pytest-django names it after the worker), so the
ids of its classes and negotiations repeat those of the other workers; the channel-layer groups and the
Celery queue are named from those ids. So each worker takes its own Redis database too: worker gwN uses
the db number of REDIS_URL plus N. (The channel layer's prefix carries the db number, which keeps its
pub/sub channels apart as well.) The worker rewrites REDIS_URL before Django reads its settings, and
the Daphne and Celery processes it starts inherit it.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest

REDIS_DATABASES = 16  # redis-server's default `databases`
GIVEN_REDIS_URL = ""  # REDIS_URL as the run was given it, before this worker's


def worker_redis_url(url: str, worker: int) -> str:
    """REDIS_URL for worker number `worker`: the same server, the db number moved up by `worker`."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    db = int(parts.path.strip("/") or query.pop("db", ["0"])[0]) + worker
    if db >= REDIS_DATABASES:
        raise pytest.UsageError(
            f"parallel worker {worker} would need Redis db {db} from REDIS_URL={url}: use a lower db number "
            "or fewer workers (-n)"
        )
    return urlunsplit(parts._replace(path=f"/{db}", query=urlencode(query, doseq=True)))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> Generator[None]:
    """Before pytest-django loads the settings: this worker's Redis database."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    url = os.environ.get("REDIS_URL", "").strip()
    if worker.startswith("gw") and url:
        global GIVEN_REDIS_URL
        GIVEN_REDIS_URL = url
        os.environ["REDIS_URL"] = worker_redis_url(url, int(worker[2:]))
    return (yield)
