"""The next round's pairing (core.pairing.plan_next_round), held to brute force on small classes."""

from __future__ import annotations

import itertools
import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.pairing import BOT, OBSERVER, STUDENT, PairPlan, SeatPlan, maximum_matching, plan_next_round

ROLES = ("seller", "buyer")


def pairings(people: list[int]):
    """Every way to pair `people` (one left out when their count is odd)."""
    if len(people) < 2:
        yield []
        return
    first, rest = people[0], people[1:]
    if len(people) % 2:  # someone sits out: the first, or someone later
        yield from pairings(rest)
    for k, other in enumerate(rest):
        for tail in pairings(rest[:k] + rest[k + 1 :]):
            yield [(first, other), *tail]


def fewest_repeats(people: list[int], past: set[frozenset[int]]) -> int:
    return min(sum(frozenset(p) in past for p in pairing) for pairing in pairings(people))


def repeats(plans: list[PairPlan], past: set[frozenset[int]]) -> int:
    count = 0
    for plan in plans:
        negotiators = [s.student for s in plan.seats if s.kind == STUDENT]
        if len(negotiators) == 2:
            count += frozenset(negotiators) in past
    return count


def seated(plans: list[PairPlan]) -> list[int]:
    return sorted(s for plan in plans for s in plan.students())


def first_round(students: list[int]) -> list[PairPlan]:
    return [
        PairPlan((SeatPlan(ROLES[0], STUDENT, a), SeatPlan(ROLES[1], STUDENT, b)))
        for a, b in zip(students[::2], students[1::2], strict=False)
    ]


classes = st.integers(min_value=1, max_value=9).flatmap(
    lambda n: st.tuples(
        st.just(list(range(1, n + 1))),
        st.sets(st.frozensets(st.integers(1, n + 1), min_size=2, max_size=2), max_size=n * 2),
        st.integers(0, 2**32),
    )
)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 10).flatmap(
        lambda n: st.tuples(st.just(n), st.sets(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1))))
    )
)
def test_the_matching_is_as_large_as_brute_force_finds(case):
    n, edges = case
    graph: list[list[int]] = [[] for _ in range(n)]
    for a, b in {frozenset(e) for e in edges if e[0] != e[1]}:
        graph[a].append(b)
        graph[b].append(a)
    mate = maximum_matching(graph)
    assert all(mate[mate[v]] == v and mate[v] in graph[v] for v in range(n) if mate[v] != -1)
    size = sum(m != -1 for m in mate) // 2
    edge_set = {frozenset((a, b)) for a in range(n) for b in graph[a]}
    best = max(
        len(p) for p in ([q for q in pairing if frozenset(q) in edge_set] for pairing in pairings(list(range(n))))
    )
    assert size == best


@settings(max_examples=300, deadline=None)
@given(classes, st.sampled_from(["triad", "bot", "instructor"]))
def test_a_rematch_repeats_a_partner_only_when_no_pairing_avoids_it(case, odd):
    students, past, seed = case
    plans = plan_next_round(
        first_round(students), students, ROLES, mode="rematch", odd=odd, rng=random.Random(seed), past_partners=past
    )
    assert seated(plans) == students  # everyone present, once
    assert repeats(plans, past) == fewest_repeats(students, past)
    for plan in plans:
        assert sorted(s.role for s in plan.seats if s.kind != OBSERVER) == sorted(ROLES)


@settings(max_examples=200, deadline=None)
@given(classes)
def test_an_odd_observer_joins_a_pair_it_has_not_met_when_there_is_one(case):
    students, past, seed = case
    plans = plan_next_round(
        [], students, ROLES, mode="rematch", odd="triad", rng=random.Random(seed), past_partners=past
    )
    observers = [(plan, s) for plan in plans for s in plan.seats if s.kind == OBSERVER]
    assert len(observers) == (len(students) % 2 if len(students) > 1 else 0)
    for plan, observer in observers:
        negotiators = [s.student for s in plan.seats if s.kind == STUDENT]
        met = any(frozenset((observer.student, n)) in past for n in negotiators)
        others = [p for p in plans if p is not plan]
        could = any(not any(frozenset((observer.student, s)) in past for s in p.students()) for p in others)
        assert not met or not could


@settings(max_examples=200, deadline=None)
@given(classes, st.sampled_from(["switch", "keep"]), st.data())
def test_switch_swaps_and_keep_keeps_the_roles_of_pairs_both_present(case, mode, data):
    students, _, seed = case
    previous = first_round(students)
    present = sorted(data.draw(st.sets(st.sampled_from(students))) | {100, 101})  # and two new arrivals
    past = {frozenset(p.students()) for p in previous}
    plans = plan_next_round(previous, present, ROLES, mode=mode, odd="bot", rng=random.Random(seed), past_partners=past)
    assert seated(plans) == present
    roles = {s.student: s.role for plan in plans for s in plan.seats if s.student is not None}
    partner = {a: b for plan in plans for a in plan.students() for b in plan.students() if a != b}
    for plan in previous:
        (a, b) = plan.students()  # a was the seller, b the buyer
        if a in present and b in present:
            assert partner[a] == b
            assert (roles[a], roles[b]) == (("buyer", "seller") if mode == "switch" else ("seller", "buyer"))
        else:  # the one whose partner is away meets someone new
            for lone in {a, b} & set(present):
                assert partner.get(lone) not in {a, b}


def test_a_rematch_gives_each_the_role_they_played_less():
    history = {1: Counter(seller=1), 2: Counter(buyer=1), 3: Counter(seller=1), 4: Counter(buyer=1)}
    past = {frozenset((1, 2)), frozenset((3, 4))}
    for seed in range(20):
        plans = plan_next_round([], [1, 2, 3, 4], ROLES, mode="rematch", odd="triad", rng=random.Random(seed),
                                role_history=history, past_partners=past)  # fmt: skip
        roles = {s.student: s.role for plan in plans for s in plan.seats}
        assert roles == {1: "buyer", 2: "seller", 3: "buyer", 4: "seller"}
        assert repeats(plans, past) == 0


def test_a_lone_student_meets_the_bot_under_the_bot_rule():
    plans = plan_next_round(first_round([1, 2]), [1, 2, 3], ROLES, mode="keep", odd="bot", rng=random.Random(1))
    assert len(plans) == 2
    lone = next(p for p in plans if any(s.kind == BOT for s in p.seats))
    assert lone.students() == [3]


def test_a_class_of_forty_is_paired_at_once():
    students = list(range(40))
    past = {frozenset((a, b)) for a, b in itertools.combinations(students, 2) if (a + b) % 3 == 0}
    plans = plan_next_round([], students, ROLES, mode="rematch", odd="triad", rng=random.Random(5), past_partners=past)
    assert repeats(plans, past) == 0 and seated(plans) == students


def test_a_bad_mode_or_a_student_twice_is_refused():
    with pytest.raises(ValueError, match="next-round mode"):
        plan_next_round([], [1, 2], ROLES, mode="shuffle", odd="triad", rng=random.Random(1))
    with pytest.raises(ValueError, match="twice"):
        plan_next_round([], [1, 1], ROLES, mode="rematch", odd="triad", rng=random.Random(1))
