"""Bots against bots, played out in process: what a class is likely to do with a scenario.

`play` is one round between two strategies of core.bots taking turns (each deciding TURNS times over a
round of ROUND_SECONDS, as a live round paces them); `tournament` plays many, every pair of strategies
in turn with its own seed, for the studio (docs/studio.md) and the tests of the built-in scenarios.
Deterministic: the same scenario, pairs and seed give the same rounds.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from fractions import Fraction

from core.bots import STRATEGIES, Bot, Sheet, Situation, Standing
from core.negotiation import package_points
from core.spec import Scenario

TURNS = 40  # each side decides this many times over a round
ROUND_SECONDS = 1200
MAX_PAIRS = 200  # a tournament's rounds at most: a round of ten issues takes a few milliseconds


@dataclass(frozen=True)
class Round:
    first: str  # the strategy of the scenario's first role
    second: str
    ending: str  # "agreed", "walked" or "time" (the round's time ran out: an impasse)
    package: dict[str, str] | None
    points: tuple[Fraction, Fraction]  # each role's points: the package's, or its BATNA


def play(
    scenario: Scenario, first: str, second: str, seed: int, sheets: dict[str, Sheet] | None = None
) -> tuple[str, dict[str, str] | None]:
    """One round between two bots taking turns: ('agreed', package), ('walked', None), or ('time', None).
    `sheets`, each role's, when read already (a sheet costs every issue's grid)."""
    roles = scenario.role_keys
    if sheets is None:
        sheets = {role: Sheet.from_scenario(scenario, role) for role in roles}
    bots = {
        role: Bot(sheets[role], name, seed=seed + i)
        for i, (role, name) in enumerate(zip(roles, (first, second), strict=True))
    }
    standing: dict[str, Standing | None] = dict.fromkeys(roles)
    made: dict[str, list[tuple[dict[str, str], ...]]] = {role: [] for role in roles}
    seq = 1
    for turn in range(2 * TURNS):
        role = roles[turn % 2]
        other = roles[1 - turn % 2]
        elapsed = turn / (2 * TURNS)
        move = bots[role].decide(
            Situation(
                elapsed=elapsed,
                seconds_left=ROUND_SECONDS * (1 - elapsed),
                own=standing[role],
                partner=standing[other],
                partner_offers=tuple(made[other]),
            )
        )
        if move.type == "accept":
            offer = standing[other]
            assert offer is not None and offer.seq == move.offer_seq
            return "agreed", {key: str(value) for key, value in offer.packages[move.package].items()}
        if move.type == "walk_away":
            return "walked", None
        if move.type == "offer":
            seq += 1
            standing[role] = Standing(seq, move.packages)
            made[role].append(move.packages)
    return "time", None


def tournament(scenario: Scenario, pairs: int, seed: int = 1) -> list[Round]:
    """`pairs` rounds (at most MAX_PAIRS), the strategy pairs in turn, each round with its own seed."""
    if not 1 <= pairs <= MAX_PAIRS:
        raise ValueError(f"a tournament plays 1 to {MAX_PAIRS} rounds")
    matches = list(itertools.product(STRATEGIES, repeat=2))
    batnas = (scenario.roles[0].batna, scenario.roles[1].batna)
    sheets = {role: Sheet.from_scenario(scenario, role) for role in scenario.role_keys}
    rounds = []
    for index in range(pairs):
        first, second = matches[index % len(matches)]
        ending, package = play(scenario, first, second, seed=seed + 2 * index, sheets=sheets)
        points = batnas
        if package is not None:
            a, b = scenario.role_keys
            points = (package_points(scenario, package, a), package_points(scenario, package, b))
        rounds.append(Round(first, second, ending, package, points))
    return rounds
