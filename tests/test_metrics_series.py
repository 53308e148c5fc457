"""The rounds compared (core/metrics/series.py, docs/debrief.md section 4c), against numbers worked out by hand."""

from __future__ import annotations

from fractions import Fraction

from core.metrics.series import PairRecord, StudentRecord, moved_most, round_figures, round_step


def student(sid: int, joint: int, *, agreed=True, pareto=False, meso=0, fixed_pie=None, max_joint=100) -> StudentRecord:
    return StudentRecord(
        student=sid,
        role="seller" if sid % 2 else "buyer",
        joint=Fraction(joint),
        efficiency=Fraction(joint, max_joint),
        agreed=agreed,
        pareto_optimal=agreed and pareto,
        meso_offers=meso,
        fixed_pie=fixed_pie,
    )


def pairs_of(students: list[StudentRecord]) -> list[PairRecord]:
    by_joint = {}
    for s in students:  # consecutive students share a pair
        by_joint.setdefault((s.student + 1) // 2, s)
    return [PairRecord(s.joint, s.efficiency, s.agreed, s.pareto_optimal) for s in by_joint.values()]


# Round 1: pairs (1, 2) agreed 60 off the frontier, (3, 4) agreed 100 on it, (5, 6) impasse at 40.
ROUND_1 = [
    student(1, 60, meso=1, fixed_pie=1.0),
    student(2, 60, fixed_pie=0.5),
    student(3, 100, pareto=True),
    student(4, 100, pareto=True, meso=2),
    student(5, 40, agreed=False),
    student(6, 40, agreed=False),
]
# Round 2: student 6 is away, 7 is new; pairs (1, 3) 100 on the frontier, (2, 5) 80 off it, (4, 7) 90 on it.
ROUND_2 = [
    student(1, 100, pareto=True, meso=2, fixed_pie=0.2),
    student(3, 100, pareto=True),
    student(2, 80, meso=1, fixed_pie=0.5),
    student(5, 80),
    student(4, 90, pareto=True),
    student(7, 90, pareto=True),
]
PAIRS_2 = [
    PairRecord(Fraction(100), Fraction(1), True, True),
    PairRecord(Fraction(80), Fraction(4, 5), True, False),
    PairRecord(Fraction(90), Fraction(9, 10), True, True),
]


def test_a_rounds_figures_give_each_spread_and_each_share():
    figures = round_figures(pairs_of(ROUND_1), ROUND_1).as_json()
    # Joint 40, 60, 100: quartiles at positions 0.5 and 1.5 of the sorted values.
    assert figures["joint"] == {"n": 3, "min": 40, "q1": 50, "median": 60, "q3": 80, "max": 100, "mean": 200 / 3}
    assert figures["agreements"] == 2 and figures["pareto_optimal"] == 1 and figures["pareto_share"] == 0.5
    assert figures["negotiators"] == 6 and figures["meso_users"] == 2 and figures["meso_share"] == 1 / 3
    # MESO offers 0, 0, 0, 0, 1, 2: q3 at position 3.75 is 0.75 of the way from 0 to 1.
    assert figures["meso_offers"]["median"] == 0 and figures["meso_offers"]["q3"] == 0.75
    assert figures["guesses"] == 2 and figures["fixed_pie"]["median"] == 0.75


def test_a_step_gives_the_class_change_and_the_spread_of_each_students_change():
    before = round_figures(pairs_of(ROUND_1), ROUND_1)
    after = round_figures(PAIRS_2, ROUND_2)
    step, changes = round_step(before, after, {s.student: s for s in ROUND_1}, {s.student: s for s in ROUND_2})
    assert sorted(changes) == [1, 2, 3, 4, 5]  # 6 was away, 7 is new
    # Joint changes: 1: +40, 2: +20, 3: 0, 4: -10, 5: +40.
    assert [changes[s].joint for s in range(1, 6)] == [40, 20, 0, -10, 40]
    data = step.as_json()
    assert data["students"] == 5
    assert data["joint"] == {"n": 5, "min": -10, "q1": 0, "median": 20, "q3": 40, "max": 40, "mean": 18}
    # Pareto: 1 gained (off -> on), 3 and 4 stayed on, 2 stayed off, 5 gained nothing (impasse -> off).
    assert data["pareto_gained"] == 1 and data["pareto_lost"] == 0 and changes[5].pareto == 0
    assert [changes[s].meso_offers for s in range(1, 6)] == [1, 1, 0, -2, 0]
    # Only 1 and 2 guessed in both rounds: 1 fell by 0.8, 2 stayed at 0.5.
    assert changes[1].fixed_pie is not None and abs(changes[1].fixed_pie + 0.8) < 1e-12
    assert changes[2].fixed_pie == 0 and changes[3].fixed_pie is None and data["fixed_pie"]["n"] == 2
    moved = data["class"]
    assert moved["joint_median"] == 90 - 60 and moved["pareto_share"] == 1 / 6
    assert moved["meso_share"] == 0  # 2 of 6 both times
    assert abs(moved["fixed_pie_median"] - (0.35 - 0.75)) < 1e-12


def test_a_round_without_pairs_or_guesses_has_no_spread():
    figures = round_figures([], []).as_json()
    assert figures["joint"] is None and figures["pareto_share"] is None and figures["meso_share"] is None
    assert figures["fixed_pie"] is None and figures["guesses"] == 0


def test_a_change_of_the_fixed_pie_guess_is_the_difference_a_reader_works_out():
    earlier = {1: student(1, 100, fixed_pie=-0.2), 2: student(2, 100, fixed_pie=0.1)}
    later = {1: student(1, 100, fixed_pie=0.4), 2: student(2, 100, fixed_pie=0.8)}
    before = round_figures(pairs_of(list(earlier.values())), list(earlier.values()))
    after = round_figures(pairs_of(list(later.values())), list(later.values()))
    step, changes = round_step(before, after, earlier, later)
    assert [changes[s].as_json()["fixed_pie"] for s in (1, 2)] == [0.6, 0.7]  # not 0.6000000000000001
    moved = step.as_json()
    assert moved["fixed_pie"]["min"] == 0.6 and moved["fixed_pie"]["median"] == 0.65
    assert moved["class"]["fixed_pie_median"] == 0.65  # 0.6 - (-0.05)


def test_the_figure_that_moved_most_is_weighed_by_its_whole_range():
    # the fixed-pie guess runs from -1 to 1: a move of 0.8 is 0.4 of it, less than a share's 0.5
    change = {
        "joint_median": 40,
        "efficiency_median": 0.1,
        "pareto_share": 0.5,
        "meso_share": None,
        "fixed_pie_median": -0.8,
    }
    assert moved_most(change) == "pareto_share"
    assert moved_most({**change, "fixed_pie_median": -1.2}) == "fixed_pie_median"
    assert moved_most({**change, "pareto_share": -0.4}) == "pareto_share"  # a tie with the guess: the first
    assert moved_most({"efficiency_median": 0, "pareto_share": None}) is None  # nothing moved
    assert moved_most({"joint_median": 30}) is None  # points are not compared across scenarios
