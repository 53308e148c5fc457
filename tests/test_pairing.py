from __future__ import annotations

import random
from collections import Counter

import pytest

from core.pairing import BOT, INSTRUCTOR, OBSERVER, STUDENT, plan_pairs

ROLES = ("seller", "buyer")


def seats(plans):
    return [seat for plan in plans for seat in plan.seats]


@pytest.mark.parametrize("rule", ["random", "balanced"])
def test_an_even_class_makes_pairs_of_one_seller_and_one_buyer(rule):
    plans = plan_pairs(list(range(10)), ROLES, rule=rule, odd="triad", rng=random.Random(1))
    assert len(plans) == 5
    for plan in plans:
        assert sorted(s.role for s in plan.seats) == ["buyer", "seller"]
        assert all(s.kind == STUDENT for s in plan.seats)
    assert sorted(s.student for s in seats(plans)) == list(range(10))


def test_an_odd_student_joins_a_triad_as_an_observer():
    plans = plan_pairs([1, 2, 3, 4, 5], ROLES, rule="random", odd="triad", rng=random.Random(2))
    assert sorted(len(p.seats) for p in plans) == [2, 3]
    (observer,) = [s for s in seats(plans) if s.kind == OBSERVER]
    assert observer.role in ROLES and observer.student in {1, 2, 3, 4, 5}
    assert sorted(s.student for s in seats(plans)) == [1, 2, 3, 4, 5]


@pytest.mark.parametrize(("odd", "kind"), [("bot", BOT), ("instructor", INSTRUCTOR)])
def test_an_odd_student_meets_a_bot_or_the_instructor(odd, kind):
    plans = plan_pairs([1, 2, 3], ROLES, rule="random", odd=odd, rng=random.Random(3))
    assert len(plans) == 2
    stand_ins = [s for s in seats(plans) if s.kind == kind]
    assert len(stand_ins) == 1 and stand_ins[0].student is None
    lone = next(p for p in plans if stand_ins[0] in p.seats)
    assert sorted(s.role for s in lone.seats) == ["buyer", "seller"]


def test_a_class_of_one_with_triads_plays_the_instructor():
    (plan,) = plan_pairs([7], ROLES, rule="random", odd="triad", rng=random.Random(4))
    assert sorted(s.kind for s in plan.seats) == [INSTRUCTOR, STUDENT]


def test_balanced_gives_each_student_the_role_they_played_less():
    history = {1: Counter(seller=2), 2: Counter(buyer=2), 3: Counter(seller=1), 4: Counter(buyer=1)}
    for seed in range(20):
        plans = plan_pairs([1, 2, 3, 4], ROLES, rule="balanced", odd="triad", rng=random.Random(seed),
                           role_history=history)  # fmt: skip
        roles = {s.student: s.role for s in seats(plans)}
        assert roles[1] == "buyer" and roles[2] == "seller"


def test_balanced_avoids_partners_who_met_before():
    past = {frozenset((1, 2)), frozenset((3, 4))}
    for seed in range(20):
        plans = plan_pairs([1, 2, 3, 4], ROLES, rule="balanced", odd="triad", rng=random.Random(seed),
                           past_partners=past)  # fmt: skip
        assert all(frozenset(p.students()) not in past for p in plans)


def test_random_roles_are_not_always_the_same():
    firsts = {plan_pairs([1, 2], ROLES, rule="random", odd="bot", rng=random.Random(s))[0].seats[0].student
              for s in range(20)}  # fmt: skip
    assert firsts == {1, 2}


def test_bad_rules_and_duplicates_are_refused():
    with pytest.raises(ValueError, match="pairing rule"):
        plan_pairs([1, 2], ROLES, rule="alphabetical", odd="bot", rng=random.Random())
    with pytest.raises(ValueError, match="odd-student rule"):
        plan_pairs([1, 2], ROLES, rule="random", odd="skip", rng=random.Random())
    with pytest.raises(ValueError, match="twice"):
        plan_pairs([1, 1], ROLES, rule="random", odd="bot", rng=random.Random())


def test_balanced_pairs_students_who_lean_to_opposite_roles():
    history = {1: Counter(seller=2), 2: Counter(seller=2), 3: Counter(buyer=2), 4: Counter(buyer=2)}
    for seed in range(200):
        plans = plan_pairs([1, 2, 3, 4], ROLES, rule="balanced", odd="triad", rng=random.Random(seed),
                           role_history=history)  # fmt: skip
        roles = {s.student: s.role for s in seats(plans)}
        assert roles == {1: "buyer", 2: "buyer", 3: "seller", 4: "seller"}, seed
