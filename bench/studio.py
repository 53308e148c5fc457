"""The scenario studio's analysis round trip: POST /api/scenario-analysis to a Daphne process, as the
studio's page sends it after an edit, for scenarios of 10 issues x 6 options and 30 x 10.

    python -m bench.studio [--requests 100] [--database-url URL] [--redis-url URL]

Each case is a random scenario (seed 2026) whose points are whole multiples of a step (an author's
round numbers; a step of 1 is points scattered over 0-100); every request changes one option's points,
as an author typing does, so that no answer is the one before it. One Daphne process on the benchmark's
own PostgreSQL database and Redis (as bench/live_load.py prepares them), one instructor per case (the
analyses are throttled per instructor, docs/studio.md: at most 120 a minute), requests one after the other
on one connection, after one that is not counted (the author's page has loaded: the process is warm).
Printed per case: the round trip's median and p99 (ms), the same analysis in this process
(core.studio.analyse_draft, no HTTP), and how many of the edited scenarios were valid (a scenario too large to
analyse is refused, as the import refuses it). The last line is JSON, one object per case.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import time
from pathlib import Path
from typing import Any

from bench.live_load import LOGS, percentile, setup
from bench.stack import daphne

CASES = [(10, 6, 5), (10, 6, 1), (30, 10, 20), (30, 10, 10)]  # issues, options, step of the points


def document(issues: int, options: int, step: int, rng: random.Random) -> dict[str, Any]:
    def points() -> int:
        return rng.randint(0, 100 // step) * step

    return {
        "slug": f"bench-{issues}x{options}",
        "title": f"{issues} issues of {options} options",
        "summary": "A benchmark.",
        "situation": "Two sides and many issues.",
        "roles": [
            {"key": "a", "name": "A", "batna": 25 * issues, "alternative": "Another.", "sheet": "You are A."},
            {"key": "b", "name": "B", "batna": 25 * issues, "alternative": "Another.", "sheet": "You are B."},
        ],
        "issues": [
            {
                "key": f"i{i}",
                "name": f"Issue {i}",
                "options": [
                    {"key": f"o{j}", "label": f"Option {j}", "points": {"a": points(), "b": points()}}
                    for j in range(options)
                ],
            }
            for i in range(issues)
        ],
        "teaching_notes": "None.",
    }


def edit(doc: dict[str, Any], step: int, rng: random.Random) -> None:
    """One option's points for one role, changed as an author would change them."""
    option = rng.choice(rng.choice(doc["issues"])["options"])
    role = rng.choice(["a", "b"])
    option["points"][role] = rng.randint(0, 100 // step) * step


def analyse(
    connection: http.client.HTTPConnection, headers: dict[str, str], doc: dict[str, Any], label: str
) -> tuple[float, dict[str, Any]]:
    """One analysis through the server: its round trip in ms, and its answer."""
    start = time.perf_counter()
    connection.request("POST", "/api/scenario-analysis", json.dumps({"document": doc}), headers)
    response = connection.getresponse()
    answer = json.loads(response.read())
    if response.status != 200:
        raise SystemExit(f"{label}: {response.status} {answer}")
    return (time.perf_counter() - start) * 1000, answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=100, help="analyses per case (default 100, at most 119)")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/parley_load")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9")
    args = parser.parse_args()
    if not 1 <= args.requests < 120:
        parser.error("--requests: 1 to 119 (the throttle allows 120 analyses a minute, one of them the warm-up)")
    env = setup(args.database_url, args.redis_url)

    from django.core.cache import caches
    from django.utils import timezone

    from classrooms.models import User
    from classrooms.services import api_token_create
    from core.studio import analyse_draft

    caches["default"].clear()  # the throttles' counts of an earlier run
    results = []
    with daphne(env, Path(LOGS), name="studio-daphne") as (port, _process):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for issues, options, step in CASES:
            user, _ = User.objects.get_or_create(
                email=f"studio-bench-{issues}x{options}-{step}@example.edu",
                defaults={"verified_at": timezone.now()},
            )
            _, token = api_token_create(user=user, name="bench")
            rng = random.Random(2026)
            doc = document(issues, options, step, rng)
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Host": "127.0.0.1"}
            label = f"{issues}x{options}"
            analyse(connection, headers, doc, label)  # the warm-up, not counted
            trips, local, valid = [], [], 0
            for _ in range(args.requests):
                edit(doc, step, rng)
                elapsed, answer = analyse(connection, headers, doc, label)
                trips.append(elapsed)
                valid += answer["valid"]
                edit(doc, step, rng)
                start = time.perf_counter()
                analyse_draft(doc)
                local.append((time.perf_counter() - start) * 1000)
            trips.sort()
            result = {
                "case": f"{issues}x{options}, points in steps of {step}",
                "valid": valid,
                "round_trip_median_ms": round(statistics.median(trips), 1),
                "round_trip_p99_ms": round(percentile(trips, 0.99), 1),
                "in_process_median_ms": round(statistics.median(local), 1),
            }
            print(
                f"{result['case']}: {valid} of {args.requests} valid, round trip median "
                f"{result['round_trip_median_ms']} ms, p99 {result['round_trip_p99_ms']} ms; in this process "
                f"{result['in_process_median_ms']} ms"
            )
            results.append(result)
        connection.close()
    print(json.dumps(results))


if __name__ == "__main__":
    main()
