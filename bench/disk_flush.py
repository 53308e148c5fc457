"""How long this machine's disk takes to make a small write durable: the wait every event's commit pays.

    python -m bench.disk_flush --dir /var/lib/postgresql --seconds 30

An event is acknowledged, and relayed to the partner, once its statement has committed, and with
`synchronous_commit` on (as the live benchmarks require) the commit waits for PostgreSQL's WAL to reach
the disk. So a disk that now and then takes 50-100 ms to flush delays every event committing in that
moment, in every class on that PostgreSQL, whatever Parley does: a slow second in a live run. This
fills a scratch file of 8 MB in --dir and makes it durable, untimed (PostgreSQL writes its WAL into
files it has filled before, so no timed flush has to grow the file), then overwrites one 8 KB page of it
(a WAL page) and flushes it (`fdatasync`), round and round, at most --rate times a second, for
--seconds. Put --dir on the disk that holds PostgreSQL's WAL (`pg_wal` in the data directory, `SHOW
data_directory`, unless it is linked elsewhere), and run it with nothing else of ours running. It
prints the flushes' percentiles (as bench/live_load.py takes them) and how many took over 20 and over
50 ms; the scratch file is removed.

The last line is JSON: {"flushes", "p50_ms", "p99_ms", "p999_ms", "max_ms", "over_20_ms", "over_50_ms"}.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import tempfile
import time

from bench.live_load import percentile

PAGE = 8192  # PostgreSQL's WAL page
PAGES = 1000  # the scratch file's size in pages, written round and round (8 MB)


def flush_times(directory: str, seconds: float, rate: float) -> list[float]:
    """Milliseconds of each flush of a page just overwritten, at most `rate` a second for `seconds`."""
    times: list[float] = []
    with tempfile.NamedTemporaryFile(dir=directory, prefix="parley-flush-") as scratch:
        fd = scratch.fileno()
        for page in range(PAGES):  # filled and durable before any flush is timed
            os.pwrite(fd, os.urandom(PAGE), page * PAGE)
        os.fsync(fd)
        gap = 1.0 / rate
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            os.pwrite(fd, os.urandom(PAGE), (len(times) % PAGES) * PAGE)
            started = time.perf_counter()
            os.fdatasync(fd)
            times.append((time.perf_counter() - started) * 1000)
            time.sleep(gap)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", default=".", help="a directory on the disk to measure (default: here)")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long to measure (default 30)")
    parser.add_argument("--rate", type=float, default=200.0, help="flushes a second, at most (default 200)")
    args = parser.parse_args()
    if not os.path.isdir(args.dir):
        parser.error(f"--dir {args.dir!r} is not a directory")
    if not all(math.isfinite(v) and v > 0 for v in (args.seconds, args.rate)):
        parser.error("--seconds and --rate must be numbers above 0")
    ordered = sorted(flush_times(args.dir, args.seconds, args.rate))
    if not ordered:
        parser.error("no flush was measured: give more --seconds")
    result = {
        "flushes": len(ordered),
        "p50_ms": round(percentile(ordered, 0.5), 2),
        "p99_ms": round(percentile(ordered, 0.99), 2),
        "p999_ms": round(percentile(ordered, 0.999), 2),
        "max_ms": round(ordered[-1], 2),
        "over_20_ms": sum(1 for t in ordered if t > 20),
        "over_50_ms": sum(1 for t in ordered if t > 50),
    }
    print(
        f"{result['flushes']} flushes of {PAGE // 1024} KB in {args.seconds:g} s, in {args.dir}: "
        f"p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, p99.9 {result['p999_ms']} ms, "
        f"max {result['max_ms']} ms; over 20 ms: {result['over_20_ms']}, over 50 ms: {result['over_50_ms']}"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
