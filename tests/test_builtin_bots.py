"""The built-in scenarios are playable: the bots' strategies (core.bots), matched against each other in
a round played out in process, never agree below a BATNA, and mostly agree before the time runs out."""

from __future__ import annotations

import itertools

import pytest

from core.analysis import ScoringTable
from core.bots import STRATEGIES, Bot, Sheet, Situation, Standing
from core.scenario_document import load_scenario_file
from scenarios.services import BUILTIN_DIR

BUILTINS = sorted(BUILTIN_DIR.glob("*.yaml"))
TURNS = 40  # each side decides this many times over a round of 20 minutes


def play(scenario, first: str, second: str, seed: int) -> tuple[str, dict[str, str] | None]:
    """One round between two bots taking turns: ('agreed', package), ('walked', None), or ('time', None)
    when the round's time ran out (an impasse, as the server closes it at the deadline)."""
    roles = scenario.role_keys
    bots = {
        role: Bot(Sheet.from_scenario(scenario, role), name, seed=seed + i)
        for i, (role, name) in enumerate(zip(roles, (first, second), strict=True))
    }
    standing: dict[str, Standing | None] = dict.fromkeys(roles)
    made: dict[str, list] = {role: [] for role in roles}
    seq = 1
    for turn in range(2 * TURNS):
        role = roles[turn % 2]
        other = roles[1 - turn % 2]
        elapsed = turn / (2 * TURNS)
        move = bots[role].decide(
            Situation(
                elapsed=elapsed,
                seconds_left=1200 * (1 - elapsed),
                own=standing[role],
                partner=standing[other],
                partner_offers=tuple(made[other]),
            )
        )
        if move.type == "accept":
            offer = standing[other]
            assert offer is not None and offer.seq == move.offer_seq
            return "agreed", dict(offer.packages[move.package])
        if move.type == "walk_away":
            return "walked", None
        if move.type == "offer":
            seq += 1
            standing[role] = Standing(seq, move.packages)
            made[role].append(move.packages)
    return "time", None


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
            points = table.score({key: str(value) for key, value in package.items()})
            assert all(p >= b for p, b in zip(points, batnas, strict=True)), (first, second, package, points)
    assert agreed >= len(matches) // 2, f"only {agreed} of {len(matches)} strategy pairs agreed: {endings}"
