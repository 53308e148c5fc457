"""The CPU of a join's database work, in one process, without sockets:

    python -m bench.join_cpu --students 400

It prepares a class as bench/live_load.py does (its own PostgreSQL database, a session row per student),
then, for every student in turn, loads the session (the configured engine), and identifies the seat
and builds the snapshot as the consumer does (`negotiations.consumers._join`, which loads the session
too, in the same trip to the database thread), encoding the frame as sent.
It prints the process CPU per join (median of --rounds passes over the class) for the session load and
for the join. Only this process runs, so the figure moves little with the machine's load, unlike the
live benchmark's; the handshake, the channel layer and the sockets are not in it.

The last line is JSON: {"students", "session_ms", "join_ms"}.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from bench.live_load import prepare, setup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=400, help="students, an even number (default 400)")
    parser.add_argument("--rounds", type=int, default=5, help="passes over the class (default 5)")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/parley_load")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9")
    args = parser.parse_args()
    setup(args.database_url, args.redis_url)
    from importlib import import_module

    from django.conf import settings

    from negotiations import consumers

    SessionStore = import_module(settings.SESSION_ENGINE).SessionStore  # as a socket's join loads it
    plan = prepare(args.students)
    students = [(s.session, s.negotiation) for s in plan.students]
    consumers._join(SessionStore(students[0][0]), students[0][1])  # the scenario, once

    def per_join(work) -> float:  # type: ignore[no-untyped-def]
        started = time.process_time()
        for key, negotiation in students:
            work(key, negotiation)
        return (time.process_time() - started) * 1000 / len(students)

    def session(key: str, negotiation: int) -> None:
        SessionStore(key).keys()

    loaded = {key: SessionStore(key) for key, _ in students}
    for store in loaded.values():
        store.keys()

    def join(key: str, negotiation: int) -> None:
        joined = consumers._join(loaded[key], negotiation)
        assert not isinstance(joined, int), joined
        json.dumps(joined[1], separators=(",", ":"))

    sessions = [per_join(session) for _ in range(args.rounds)]
    joins = [per_join(join) for _ in range(args.rounds)]
    print(f"{args.students} students, {args.rounds} passes: session load {statistics.median(sessions):.3f} ms CPU,"
          f" join {statistics.median(joins):.3f} ms CPU (passes: {', '.join(f'{j:.2f}' for j in joins)})")  # fmt: skip
    print(json.dumps({"students": args.students, "session_ms": round(statistics.median(sessions), 3),
                      "join_ms": round(statistics.median(joins), 3)}))  # fmt: skip


if __name__ == "__main__":
    main()
