"""The built-in scenarios are playable: the bots' strategies (core.bots), matched against each other in
a round played out in process, never agree below a BATNA, and mostly agree before the time runs out."""

from __future__ import annotations

import itertools

import pytest

from core.analysis import ScoringTable
from core.bots import STRATEGIES
from core.scenario_document import load_scenario_file
from core.tournament import play
from scenarios.services import BUILTIN_DIR

BUILTINS = sorted(BUILTIN_DIR.glob("*.yaml"))


@pytest.mark.parametrize("path", BUILTINS, ids=lambda p: p.stem)
def test_every_pair_of_bot_strategies_plays_a_builtin_to_an_end_above_both_batnas(path):
    scenario = load_scenario_file(str(path)).scenario
    table = ScoringTable.from_scenario(scenario)
    batnas = [role.batna for role in scenario.roles]
    agreed = 0
    endings = dict.fromkeys(("agreed", "walked", "time"), 0)
    matches = list(itertools.product(STRATEGIES, repeat=2))
    for first, second in matches:
        ending, package = play(scenario, first, second, seed=7)
        endings[ending] += 1
        if package is not None:
            agreed += 1
            points = table.score(package)
            assert all(p >= b for p, b in zip(points, batnas, strict=True)), (first, second, package, points)
    assert agreed >= len(matches) // 2, f"only {agreed} of {len(matches)} strategy pairs agreed: {endings}"
