"""The fast mathematics against brute-force enumeration, on random tables and on worked examples."""

from __future__ import annotations

import itertools
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from core.analysis import ScoringTable, pareto_frontier, report_json, scenario_figures
from core.bruteforce import all_outcomes, brute_figures
from core.scenario_document import parse_scenario
from tests.scenario_docs import dump, valid

points = st.one_of(st.integers(-5, 20), st.sampled_from([Fraction(1, 2), Fraction(5, 2), Fraction(-3, 4)]))


@st.composite
def tables(draw) -> ScoringTable:
    issues = draw(st.integers(1, 4))
    rows = []
    for i in range(issues):
        count = draw(st.integers(1, 4))
        pts = [(draw(points), draw(points)) for _ in range(count)]
        rows.append((f"i{i}", [f"o{j}" for j in range(count)], pts))
    batna = (draw(st.integers(-5, 40)), draw(st.integers(-5, 40)))
    return ScoringTable.from_points(("a", "b"), batna, rows)


@settings(max_examples=300, deadline=None)
@given(tables())
def test_every_figure_agrees_with_brute_force(table):
    assert scenario_figures(table) == brute_figures(table)


@settings(max_examples=200, deadline=None)
@given(tables())
def test_the_frontier_is_exactly_the_undominated_outcomes(table):
    sums = all_outcomes(table)
    frontier = {(p.a, p.b): p.count for p in pareto_frontier(table)}
    for (a, b), count in sums.items():
        dominated = any(x >= a and y >= b and (x, y) != (a, b) for x, y in sums)
        assert ((a, b) in frontier) == (not dominated)
        if not dominated:
            assert frontier[(a, b)] == count


def test_a_worked_example_by_hand():
    # Issue x: A prefers x1 (6 vs 0), B cares little (1 vs 2). Issue y: B prefers y2 strongly.
    table = ScoringTable.from_points(
        ("a", "b"), (2, 2), [("x", ["x1", "x2"], [(6, 1), (0, 2)]), ("y", ["y1", "y2"], [(3, 0), (0, 8)])]
    )
    # Outcomes: x1y1 (9,1) x1y2 (6,9) x2y1 (3,2) x2y2 (0,10)
    figures = scenario_figures(table)
    assert [(p.a, p.b) for p in figures.frontier] == [(9, 1), (6, 9), (0, 10)]
    assert figures.max_joint == 15
    assert figures.feasible_outcomes == 2  # (6,9) and (3,2)
    assert figures.nash == (6, 9)
    assert figures.egalitarian == (6, 9)
    assert figures.kalai_smorodinsky == (6, 9)
    # Split the difference: x gives A 3, B 1.5; y gives A 1.5, B 4 -> joint 10; potential 15 - 10.
    assert figures.integrative_potential == 5


def test_ties_go_to_the_larger_joint_gain_then_to_the_first_role():
    table = ScoringTable.from_points(("a", "b"), (0, 0), [("x", ["p", "q", "r"], [(4, 1), (1, 4), (2, 2)])])
    assert scenario_figures(table).nash == (4, 1)  # 4*1 == 1*4 == 4 == 2*2: joint 5 beats 4; then a=4 beats 1


def test_decimal_points_sum_exactly():
    rows = [
        ("x", ["p", "q"], [(Fraction("0.1"), 0), (0, 1)]),
        ("y", ["p", "q"], [(Fraction("0.2"), 0), (Fraction("0.3"), 0)]),
    ]
    table = ScoringTable.from_points(("a", "b"), (0, 0), rows)
    report = report_json(table, "t")
    assert report["max_joint"] == 1.3
    assert [0.4, 0] in report["frontier"]


def test_no_feasible_outcome_leaves_the_solutions_empty():
    table = ScoringTable.from_points(("a", "b"), (100, 100), [("x", ["p", "q"], [(1, 2), (2, 1)])])
    figures = scenario_figures(table)
    assert figures.feasible_outcomes == 0
    assert figures.nash is None and figures.egalitarian is None and figures.kalai_smorodinsky is None


def test_a_numeric_issue_enters_as_its_grid():
    table = ScoringTable.from_scenario(parse_scenario(dump(valid())).scenario)
    rent = table.as_json("x")["issues"][0]
    assert [o["key"] for o in rent["options"]] == ["1000", "1250", "1500", "1750", "2000"]
    assert [o["points"] for o in rent["options"]][1] == {"owner": 10, "baker": 30}
    assert table.outcome_count() == 20


def test_scoring_a_package():
    table = ScoringTable.from_scenario(parse_scenario(dump(valid())).scenario)
    assert table.score({"rent": "1250", "term": "five-years", "repairs": "owner-pays"}) == (40, 70)


def test_every_package_of_a_small_table_scores_as_its_sum():
    table = ScoringTable.from_scenario(parse_scenario(dump(valid())).scenario)
    issues = table.as_json("x")["issues"]
    for combo in itertools.product(*(i["options"] for i in issues)):
        package = {i["key"]: o["key"] for i, o in zip(issues, combo, strict=True)}
        assert table.score(package) == (
            sum(Fraction(o["points"]["owner"]) for o in combo),
            sum(Fraction(o["points"]["baker"]) for o in combo),
        )


def test_the_package_at_a_frontier_point_scores_it_and_nothing_off_the_frontier_has_one():
    import random

    from core.analysis import package_at
    from core.bruteforce import all_outcomes, brute_frontier

    rng = random.Random(3)
    for _ in range(200):
        issues = rng.randrange(1, 5)
        rows = [
            (f"i{k}", [f"o{j}" for j in range(n)], [(rng.randrange(0, 9), rng.randrange(0, 9)) for j in range(n)])
            for k in range(issues)
            for n in [rng.randrange(2, 5)]
        ]
        table = ScoringTable.from_points(("a", "b"), (0, 0), rows)
        frontier = {(p.a, p.b) for p in brute_frontier(table)}
        for a, b in frontier:
            package = package_at(table, (a, b))
            assert package is not None and list(package) == [c.key for c in table.columns]
            assert table.score(package) == (a, b)
        for point in all_outcomes(table):
            if point not in frontier:
                assert package_at(table, point) is None
