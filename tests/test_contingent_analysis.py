"""Contingent scenarios against the oracle: random documents in the documented format, scored by
core.bruteforce from the raw document (forecasts, outcomes, caution over every combination of
outcomes), give the analysis's frontier, Nash point, figures, expected and realised points."""

from __future__ import annotations

import itertools
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from core import contingent
from core.analysis import ScoringTable, scenario_figures
from core.bots import STRATEGIES
from core.bruteforce import document_figures, document_points, document_realised
from core.metrics import Landscape
from core.negotiation import package_points
from core.scenario_document import parse_scenario
from core.spec import exact, plain
from tests.contingent_docs import contingent_documents
from tests.metric_cases import Enumerated, check_outcome, pick
from tests.scenario_docs import contingent as shop
from tests.scenario_docs import dump
from tests.test_builtin_bots import play


def parsed(document):
    return parse_scenario(dump(document)).scenario


def real(table, point):
    return None if point is None else (table.real(point[0]), table.real(point[1]))


@settings(max_examples=150, deadline=None)
@given(contingent_documents())
def test_every_figure_agrees_with_the_brute_force_of_the_document(document):
    scenario = parsed(document)
    table = ScoringTable.from_scenario(scenario)
    fast = scenario_figures(table)
    brute = document_figures(document)
    assert fast.outcomes == brute.outcomes
    assert fast.max_joint == brute.max_joint
    assert [(table.real(p.a), table.real(p.b), p.count) for p in fast.frontier] == brute.frontier
    assert fast.feasible_outcomes == brute.feasible_outcomes
    assert real(table, fast.nash) == brute.nash
    assert real(table, fast.kalai_smorodinsky) == brute.kalai_smorodinsky
    assert real(table, fast.egalitarian) == brute.egalitarian
    assert fast.integrative_potential == brute.integrative_potential
    assert contingent.max_joint_flat(scenario) == brute.max_joint_flat


@settings(max_examples=100, deadline=None)
@given(contingent_documents(), st.randoms(use_true_random=False))
def test_every_package_scores_its_expected_and_realised_points_as_the_brute_force(document, rng):
    scenario = parsed(document)
    a, b = scenario.role_keys
    every = document_points(document)
    packages = sorted(every)
    for keys in rng.sample(packages, min(len(packages), 25)):
        package = dict(zip((i.key for i in scenario.issues), keys, strict=True))
        assert (package_points(scenario, package, a), package_points(scenario, package, b)) == every[keys]
        world = {e.key: rng.choice(e.outcome_keys()) for e in scenario.events}
        realised = (
            contingent.realised_points(scenario, package, a, world),
            contingent.realised_points(scenario, package, b, world),
        )
        assert realised == document_realised(document, keys, world)


@settings(max_examples=40, deadline=None)
@given(contingent_documents(max_events=1), st.data())
def test_the_outcome_metrics_on_contingent_scenarios(document, data):
    scenario = parsed(document)
    land, known = Landscape(scenario), Enumerated(scenario)
    for _ in range(3):
        check_outcome(known, land, pick(data, scenario))


def test_a_cautious_roles_package_is_the_sum_of_its_terms_over_every_combination_of_outcomes():
    # Two events, two contingent issues, a role that counts only the worst case: the brute force
    # takes the worst over the four combinations of outcomes, the scenario sums each term's worst.
    document = shop()
    document["events"].append(
        {
            "key": "rates",
            "question": "Will rates rise?",
            "outcomes": [{"key": "up", "label": "Up"}, {"key": "down", "label": "Down"}],
            "distribution": {"up": 0.5, "down": 0.5},
        }
    )
    for role in document["roles"]:
        role["forecasts"]["rates"] = {"up": 0.4, "down": 0.6}
        role["caution"] = 1
    document["issues"].append(
        {
            "key": "loan",
            "name": "Loan",
            "type": "contingent",
            "event": "rates",
            "options": [
                {"key": "fixed", "label": "Fixed", "points": {"seller": 3, "buyer": 3}},
                {
                    "key": "floating",
                    "label": "Floating",
                    "points": {"seller": {"up": 9, "down": -4}, "buyer": {"up": -2, "down": 7}},
                },
            ],
        }
    )
    scenario = parsed(document)
    every = document_points(document)
    for keys in itertools.product(*([o.key for o in i.choices()] for i in scenario.issues)):
        package = dict(zip((i.key for i in scenario.issues), keys, strict=True))
        assert package_points(scenario, package, "seller") == every[keys][0]
    # The worst case: revenue misses and rates fall for the seller; beats and rise for the buyer.
    assert every[("100", "bonus", "floating")] == (Fraction(0 + 0 - 4), Fraction(40 - 10 - 2))


def test_the_bots_play_a_contingent_scenario_on_their_own_expectations():
    scenario = parsed(shop())
    ends = []
    for seed, (first, second) in enumerate(itertools.product(STRATEGIES, repeat=2)):
        end, package = play(scenario, first, second, seed)
        ends.append(end)
        if package is not None:
            points = [package_points(scenario, package, role.key) for role in scenario.roles]
            assert all(p >= role.batna for p, role in zip(points, scenario.roles, strict=True)), (first, second)
    assert ends.count("agreed") >= len(ends) // 2, ends


@settings(max_examples=60, deadline=None)
@given(contingent_documents(), st.randoms(use_true_random=False), st.booleans())
def test_the_debriefs_contingent_figures_equal_the_brute_force(document, rng, resolve):
    scenario = parsed(document)
    keys = [i.key for i in scenario.issues]
    every = document_points(document)
    brute = document_figures(document)
    chosen = [*rng.sample(sorted(every), min(len(every), 5)), None]
    world = {e.key: rng.choice(e.outcome_keys()) for e in scenario.events} if resolve else {}
    agreements = [(n, None if c is None else dict(zip(keys, c, strict=True))) for n, c in enumerate(chosen)]
    got = contingent.debrief_json(scenario, agreements, world)
    assert got is not None and got["resolved"] == resolve
    assert got["max_joint"] == plain(brute.max_joint)
    assert got["max_joint_flat"] == (None if brute.max_joint_flat is None else plain(brute.max_joint_flat))
    batnas = tuple(exact(r["batna"]) for r in document["roles"])
    groups: dict[bool, list[tuple[Fraction, Fraction | None]]] = {True: [], False: []}
    for pair, combo in zip(got["pairs"], chosen, strict=True):
        expected = batnas if combo is None else every[combo]
        realised = None
        if resolve:
            realised = batnas if combo is None else document_realised(document, combo, world)
        assert pair["expected"] == {"a": plain(expected[0]), "b": plain(expected[1])}
        assert pair["realised"] == (None if realised is None else {"a": plain(realised[0]), "b": plain(realised[1])})
        flat = brute.max_joint_flat
        assert pair["added"] == (None if flat is None else plain(sum(expected) - flat))
        bet = combo is not None and any(
            issue.get("type") == "contingent" and not _flat_in_document(issue, key)
            for issue, key in zip(document["issues"], combo, strict=True)
        )
        assert bool(pair["contingent_terms"]) == bet
        if combo is not None:
            groups[bet].append((sum(expected), sum(realised) if realised else None))
    for name, bet in (("with_terms", True), ("without_terms", False)):
        items = groups[bet]
        assert got[name]["pairs"] == len(items)
        mean = plain(sum(e for e, _ in items) / len(items)) if items else None
        assert got[name]["mean_joint_expected"] == mean
        realised_mean = plain(sum(r for _, r in items) / len(items)) if items and resolve else None
        assert got[name]["mean_joint_realised"] == realised_mean


def _flat_in_document(issue, key) -> bool:
    """An option of a raw contingent issue that pays each role the same in every outcome."""
    option = next(o for o in issue["options"] if o["key"] == key)
    return all(not isinstance(p, dict) or len({exact(x) for x in p.values()}) == 1 for p in option["points"].values())
