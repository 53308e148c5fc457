"""Time the exact Pareto frontier against brute-force enumeration, side by side in one run.

    python -m bench.frontier [--repeat N] [--seed S]

Random tables (points 0-100 per role and option, one seed), frontier by issue-by-issue merge with
pruning (core.analysis) and, where the outcomes are few enough, by enumerating every outcome
(core.bruteforce). Medians of several runs; the last line is JSON, one object per case.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Callable

from core.analysis import ScoringTable, pareto_frontier
from core.bruteforce import brute_frontier

CASES = [(8, 5), (12, 6), (30, 10)]
BRUTE_LIMIT = 2_000_000  # outcomes; past this brute force takes minutes to hours


def random_table(issues: int, options: int, rng: random.Random) -> ScoringTable:
    rows = [
        (
            f"i{i}",
            [f"o{j}" for j in range(options)],
            [(rng.randint(0, 100), rng.randint(0, 100)) for _ in range(options)],
        )
        for i in range(issues)
    ]
    return ScoringTable.from_points(("a", "b"), (0, 0), rows)


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=51, help="runs of the fast frontier per case (median)")
    parser.add_argument("--brute-repeat", type=int, default=3, help="runs of brute force per case (median)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    results = []
    for issues, options in CASES:
        table = random_table(issues, options, rng)
        outcomes = table.outcome_count()
        front = pareto_frontier(table)
        frontier_ms = median_ms(lambda t=table: pareto_frontier(t), args.repeat)
        brute_ms = ratio = None
        if outcomes <= BRUTE_LIMIT:
            assert brute_frontier(table) == front, "the fast frontier disagrees with brute force"
            brute_ms = median_ms(lambda t=table: brute_frontier(t), args.brute_repeat)
            ratio = round(brute_ms / frontier_ms, 1)
        print(
            f"{issues:>2} issues x {options:>2} options: {outcomes:.3g} outcomes, {len(front)} frontier points, "
            f"frontier {frontier_ms:.3f} ms, brute force "
            + (f"{brute_ms:.1f} ms, ratio {ratio}x" if brute_ms is not None else "infeasible")
        )
        results.append(
            {
                "issues": issues,
                "options": options,
                "frontier_ms": round(frontier_ms, 4),
                "brute_ms": None if brute_ms is None else round(brute_ms, 1),
                "ratio": ratio,
            }
        )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
