"""The studio's bot tournament in process: the bots' search and pace, nothing of the server.

    python -m bench.tournament [--rounds 50] [--repeat 5]

For each built-in scenario, the median wall time of `core.tournament.tournament` (the 50 rounds the studio's
"Run bot tournament" plays, docs/studio.md) over --repeat runs, after one not counted, and the rounds'
endings and joint points (the same in two trees that play the same moves). It imports nothing of Django, so
it can be copied into an older tree to compare the two, one run after the other on the same machine.

The last line is JSON: {slug: median_ms}.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from core.scenario_document import load_scenario_file
from core.tournament import tournament

BUILTIN = Path(__file__).resolve().parent.parent / "scenarios" / "builtin"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=50, help="rounds a tournament (default 50, as the studio)")
    parser.add_argument("--repeat", type=int, default=5, help="runs counted a scenario (default 5)")
    args = parser.parse_args()
    medians = {}
    for path in sorted(BUILTIN.glob("*.yaml")):
        scenario = load_scenario_file(str(path)).scenario
        played = tournament(scenario, args.rounds)  # warm, not counted
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            tournament(scenario, args.rounds)
            times.append((time.perf_counter() - started) * 1000)
        medians[path.stem] = round(statistics.median(times), 1)
        endings = sorted({r.ending for r in played})
        joint = sum(sum(r.points) for r in played)
        print(f"{path.stem:<18} {medians[path.stem]:>9.1f} ms   endings {', '.join(endings)}; joint points {joint}")
    print(json.dumps(medians))


if __name__ == "__main__":
    main()
