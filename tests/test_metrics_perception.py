"""A student's guess of the partner's priorities: accuracy and fixed-pie perception, worked out by hand."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from core.analysis import ScoringTable
from core.metrics import Landscape, average_ranks, partner_guess, perception_summary, spearman, true_ranks
from tests.metric_cases import builtin


def tied_landscape() -> Landscape:
    """Ranges: a cares 10, 5, 5, 0 about w, x, y, z; b cares 1, 2, 3, 4."""
    rows = [
        ("w", ["lo", "hi"], [(0, 1), (10, 0)]),
        ("x", ["lo", "hi"], [(0, 2), (5, 0)]),
        ("y", ["lo", "hi"], [(0, 3), (5, 0)]),
        ("z", ["lo", "hi"], [(7, 4), (7, 0)]),
    ]
    return Landscape(ScoringTable.from_points(("a", "b"), (0, 0), rows))


def test_equal_values_share_the_average_of_their_ranks():
    assert average_ranks([5, 3, 3, 1]) == [1, Fraction(5, 2), Fraction(5, 2), 4]
    assert average_ranks([2, 2, 2]) == [2, 2, 2]
    assert average_ranks([0, 9]) == [2, 1]


def test_spearman_without_ties_is_one_minus_six_sum_d_squared_over_n_n2_minus_1():
    # d = 0, 2, -1, -1: sum d^2 = 6, so 1 - 36 / 60 = 0.4.
    assert spearman([1, 4, 2, 3], [1, 2, 3, 4]) == 0.4
    assert spearman([1, 2, 3], [3, 2, 1]) == -1.0


def test_spearman_with_ties_is_pearson_on_average_ranks():
    # x = 1 2 3 4 and y = 1 2.5 2.5 4, both of mean 2.5: Sxx = 5, Syy = 4.5, Sxy = 2.25 + 2.25 = 4.5,
    # so r = 4.5 / sqrt(22.5) = sqrt(0.9). The shortcut 1 - 6 * 0.5 / 60 = 0.95 would be wrong.
    half = Fraction(5, 2)
    assert spearman([1, 2, 3, 4], [1, half, half, 4]) == pytest.approx(math.sqrt(0.9), abs=1e-15)
    # x = 2 1 3 4: Sxy = 0.75 + 0 + 0 + 2.25 = 3, r = 3 / sqrt(22.5) = sqrt(0.4).
    assert spearman([2, 1, 3, 4], [1, half, half, 4]) == pytest.approx(math.sqrt(0.4), abs=1e-15)
    # Sxx * Syy = 4.5 * 4.5 is a square: exactly 1.
    assert spearman([1, half, half, 4], [1, half, half, 4]) == 1.0


def test_spearman_is_none_for_one_item_or_a_constant_ranking():
    assert spearman([1], [1]) is None
    assert spearman([], []) is None
    assert spearman([1, 2, 3], [2, 2, 2]) is None


def test_a_roles_true_ranking_is_by_its_range_on_each_issue():
    _, land = builtin("used-car")
    # Seller: price 50, handover 25, warranty 12, tyres 6. Buyer: price 50, handover 10, warranty 22, tyres 12.
    assert true_ranks(land, "seller") == {"price": 1, "handover": 2, "warranty": 3, "tyres": 4}
    assert true_ranks(land, "buyer") == {"price": 1, "handover": 4, "warranty": 2, "tyres": 3}
    half = Fraction(5, 2)
    assert true_ranks(tied_landscape(), "a") == {"w": 1, "x": half, "y": half, "z": 4}


def test_a_seller_who_reads_the_buyer_right():
    _, land = builtin("used-car")
    guess = partner_guess(land, "seller", ["price", "warranty", "tyres", "handover"])
    assert (guess.partner, guess.accuracy) == ("buyer", 1.0)
    # Against the seller's own order: d = 0 (price), 2 (handover), -1, -1: 1 - 36 / 60.
    assert guess.fixed_pie == 0.4


def test_a_seller_who_assumes_the_buyer_cares_as_they_do_has_a_fixed_pie_of_one():
    _, land = builtin("used-car")
    guess = partner_guess(land, "seller", ["price", "handover", "warranty", "tyres"])
    assert (guess.fixed_pie, guess.accuracy) == (1.0, 0.4)
    assert guess.as_json() == {
        "role": "seller",
        "partner": "buyer",
        "guess": ["price", "handover", "warranty", "tyres"],
        "partner_ranks": {"price": 1, "handover": 4, "warranty": 2, "tyres": 3},
        "own_ranks": {"price": 1, "handover": 2, "warranty": 3, "tyres": 4},
        "accuracy": 0.4,
        "fixed_pie": 1.0,
    }


def test_a_guess_against_a_partner_with_tied_issues():
    land = tied_landscape()
    # b guesses a's order w x y z; a's truth is 1 2.5 2.5 4: sqrt(0.9) as above.
    guess = partner_guess(land, "b", ["w", "x", "y", "z"])
    assert guess.accuracy == pytest.approx(math.sqrt(0.9), abs=1e-15)
    # b's own order is z y x w (ranges 1 2 3 4): the guess is its reverse.
    assert guess.fixed_pie == -1.0


def test_a_guess_is_none_against_a_partner_who_cares_equally_about_everything():
    rows = [("x", ["lo", "hi"], [(0, 3), (1, 0)]), ("y", ["lo", "hi"], [(0, 3), (2, 0)])]
    land = Landscape(ScoringTable.from_points(("a", "b"), (0, 0), rows))
    guess = partner_guess(land, "a", ["y", "x"])  # a's own order: y (range 2) before x (1)
    assert guess.accuracy is None and guess.fixed_pie == 1.0


def test_a_guess_must_rank_every_issue_once():
    _, land = builtin("used-car")
    with pytest.raises(ValueError):
        partner_guess(land, "seller", ["price", "price", "warranty", "tyres"])


def test_the_class_summary_counts_the_guesses_and_leaves_out_none():
    _, land = builtin("used-car")
    guesses = [
        partner_guess(land, "seller", ["price", "warranty", "tyres", "handover"]),  # accuracy 1, fixed pie 0.4
        partner_guess(land, "seller", ["price", "handover", "warranty", "tyres"]),  # 0.4, 1
        partner_guess(land, "buyer", ["tyres", "warranty", "handover", "price"]),  # -1, -0.4
    ]
    # The buyer's guess puts price 4, handover 3, warranty 2, tyres 1; the seller's truth is 1 2 3 4:
    # d = 3, 1, -1, -3, so 1 - 6 * 20 / 60 = -1.
    assert guesses[2].accuracy == -1.0
    # Against the buyer's own 1 4 2 3: d = 3, -1, 0, -2: 1 - 6 * 14 / 60 = -0.4.
    assert guesses[2].fixed_pie == -0.4
    summary = perception_summary(guesses)
    assert summary.guesses == 3
    assert summary.accuracy is not None and summary.fixed_pie is not None
    assert (summary.accuracy.as_json()["min"], summary.accuracy.as_json()["median"]) == (-1.0, 0.4)
    assert summary.accuracy.as_json()["max"] == 1.0
    assert summary.fixed_pie.as_json()["median"] == 0.4
    assert perception_summary([]).as_json() == {"guesses": 0, "accuracy": None, "fixed_pie": None}
