"""The built-in scenarios are playable: the bots' strategies (core.bots), matched against each other in
a round played out in process, never agree below a BATNA, and mostly agree before the time runs out."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime
from fractions import Fraction

import pytest

from core.analysis import ScoringTable, pareto_frontier
from core.bots import STRATEGIES, Bot, Sheet, Situation, Standing
from core.negotiation import AGREED, State, after_offer, after_round_event, decide, parse_frame
from core.scenario_document import load_scenario_file
from core.tournament import TURNS, play
from scenarios.services import BUILTIN_DIR

BUILTINS = sorted(BUILTIN_DIR.glob("*.yaml"))
NOW = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)


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


def improve(scenario, first: str, second: str, agreement: dict[str, str], seed: int) -> tuple[str, dict[str, str]]:
    """A post-settlement round between two bots taking turns, every move through the server's rules
    (core.negotiation.decide): how it ended (accept, keep, or time) and the agreement after it."""
    roles = scenario.role_keys
    bots = {
        role: Bot(Sheet.from_scenario(scenario, role), name, seed=seed + i)
        for i, (role, name) in enumerate(zip(roles, (first, second), strict=True))
    }
    state = after_round_event(
        State(status=AGREED, roles=(roles[0], roles[1]), agreement=agreement), "settlement_opened"
    )
    made: dict[str, list] = {role: [] for role in roles}
    for turn in range(2 * TURNS):
        role, other = roles[turn % 2], roles[1 - turn % 2]
        elapsed = turn / (2 * TURNS)
        own, theirs = state.standing.get(role), state.standing.get(other)
        move = bots[role].decide(
            Situation(
                elapsed=elapsed,
                seconds_left=600 * (1 - elapsed),
                own=None if own is None else Standing(own.seq, own.packages),
                partner=None if theirs is None else Standing(theirs.seq, theirs.packages),
                partner_offers=tuple(made[other]),
                agreement=state.agreement,
            )
        )
        if move.type == "wait":
            continue
        action = parse_frame({**move.frame(bots[role].sheet), "client_msg_id": f"t{turn}"}, scenario)
        decision = decide(state, role, action, NOW, scenario)  # a refusal fails the test: bots stay in the rules
        state = decision.state
        if decision.type == "offer":
            state = after_offer(state, role, turn + 10, action.packages)
            made[role].append(action.packages)
        if state.status == AGREED:
            return decision.type, dict(state.agreement or {})
    return "time", agreement


@pytest.mark.parametrize("path", BUILTINS, ids=lambda p: p.stem)
def test_bots_in_a_post_settlement_round_never_leave_either_side_worse_and_find_joint_gain(path):
    scenario = load_scenario_file(str(path)).scenario
    table = ScoringTable.from_scenario(scenario)
    frontier = [(table.real(p.a), table.real(p.b)) for p in pareto_frontier(table)]
    gained, endings, improvable = Fraction(0), Counter[str](), 0
    for first, second in itertools.product(STRATEGIES, repeat=2):
        _, package = play(scenario, first, second, seed=7)
        if package is None:
            continue
        agreement = {key: str(value) for key, value in package.items()}
        how, after = improve(scenario, first, second, agreement, seed=11)
        endings[how] += 1
        before_points, after_points = table.score(agreement), table.score(after)
        assert all(a >= b for a, b in zip(after_points, before_points, strict=True)), (first, second, how)
        gained += sum(after_points) - sum(before_points)
        a, b = before_points
        improvable += any(fa >= a and fb >= b and (fa, fb) != (a, b) for fa, fb in frontier)
    if improvable:
        assert endings["accept"] >= 1 and gained > 0, f"no joint gain found: {dict(endings)}"
    else:  # a fixed pie (the road bike's one price): every agreement is on the frontier, nothing to find
        assert gained == 0, dict(endings)
