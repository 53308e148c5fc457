"""Pairing a class for an exercise: who negotiates with whom, in which role.

Pure: it takes student ids and returns plans; the classrooms service stores them as seats.

- `random`: shuffle the students, pair them in order, and toss a coin for the roles in each pair.
- `balanced`: the same, but each student gets the role they have played less often in this class,
  and partners who have met before are split up where another pairing avoids it.

With an odd number of students the last one is seated by the exercise's odd-student rule: as an
observer of one side of a pair (`triad`), against a disclosed bot (`bot`), or against the
instructor (`instructor`).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

RULES = ("random", "balanced")
ODD_RULES = ("triad", "bot", "instructor")
STUDENT, OBSERVER, BOT, INSTRUCTOR = "student", "observer", "bot", "instructor"


@dataclass(frozen=True)
class SeatPlan:
    role: str
    kind: str  # student, observer, bot or instructor
    student: int | None = None


@dataclass(frozen=True)
class PairPlan:
    seats: tuple[SeatPlan, ...]

    def students(self) -> list[int]:
        return [s.student for s in self.seats if s.student is not None]


def plan_pairs(
    students: Sequence[int],
    roles: tuple[str, str],
    *,
    rule: str,
    odd: str,
    rng: random.Random,
    role_history: Mapping[int, Counter[str]] | None = None,
    past_partners: Collection[frozenset[int]] = (),
) -> list[PairPlan]:
    if rule not in RULES:
        raise ValueError(f"pairing rule must be one of {', '.join(RULES)}, got {rule!r}")
    if odd not in ODD_RULES:
        raise ValueError(f"odd-student rule must be one of {', '.join(ODD_RULES)}, got {odd!r}")
    if len(set(students)) != len(students):
        raise ValueError("a student appears twice")
    pool = list(students)
    rng.shuffle(pool)
    history = role_history or {}
    if rule == "balanced":
        pool = _balanced_order(pool, roles, history, set(past_partners), rng)
    leftover = pool.pop() if len(pool) % 2 else None
    pairs = [_seat_pair(pool[i], pool[i + 1], roles, rule, history, rng) for i in range(0, len(pool), 2)]
    if leftover is not None:
        pairs = _seat_odd(pairs, leftover, roles, odd, rule, history, rng)
    return pairs


def _balanced_order(
    pool: list[int],
    roles: tuple[str, str],
    history: Mapping[int, Counter[str]],
    past: set[frozenset[int]],
    rng: random.Random,
    tries: int = 400,
) -> list[int]:
    """Order students so that consecutive pairs lean to opposite roles and have not met before.

    A pair costs one for each student who must take the role they have played more (both lean the
    same way) and one if the two have negotiated together before. Start from leaners of one role
    zipped with leaners of the other, then improve by swapping students while the cost falls.
    """
    lean = {s: _prefers(s, roles, history) for s in pool}
    to_first = [s for s in pool if lean[s] > 0]
    to_second = [s for s in pool if lean[s] < 0]
    neutral = [s for s in pool if lean[s] == 0]
    order: list[int] = []
    while to_first and to_second:
        order += [to_first.pop(), to_second.pop()]
    order += to_first + neutral + to_second

    def cost(order: list[int]) -> int:
        total = 0
        for i in range(0, len(order) - 1, 2):
            a, b = order[i], order[i + 1]
            total += lean[a] * lean[b] > 0
            total += frozenset((a, b)) in past
        return total

    best = cost(order)
    for _ in range(tries):
        if best == 0 or len(order) < 3:
            break
        i, j = rng.randrange(len(order)), rng.randrange(len(order))
        order[i], order[j] = order[j], order[i]
        new = cost(order)
        if new <= best:
            best = new
        else:
            order[i], order[j] = order[j], order[i]
    return order


def _prefers(student: int, roles: tuple[str, str], history: Mapping[int, Counter[str]]) -> int:
    """How much the student leans to roles[0]: positive when they have played roles[1] more."""
    played = history.get(student, Counter())
    return played[roles[1]] - played[roles[0]]


def _seat_pair(
    a: int, b: int, roles: tuple[str, str], rule: str, history: Mapping[int, Counter[str]], rng: random.Random
) -> PairPlan:
    first, second = (a, b) if rng.random() < 0.5 else (b, a)
    if rule == "balanced":
        lean = _prefers(a, roles, history) - _prefers(b, roles, history)
        if lean > 0:
            first, second = a, b
        elif lean < 0:
            first, second = b, a
    return PairPlan((SeatPlan(roles[0], STUDENT, first), SeatPlan(roles[1], STUDENT, second)))


def _seat_odd(
    pairs: list[PairPlan],
    student: int,
    roles: tuple[str, str],
    odd: str,
    rule: str,
    history: Mapping[int, Counter[str]],
    rng: random.Random,
) -> list[PairPlan]:
    lean = _prefers(student, roles, history) if rule == "balanced" else 0
    role = roles[0] if lean > 0 else roles[1] if lean < 0 else rng.choice(roles)
    other = roles[1] if role == roles[0] else roles[0]
    if odd == "triad" and pairs:
        index = rng.randrange(len(pairs))
        pair = pairs[index]
        pairs[index] = PairPlan((*pair.seats, SeatPlan(role, OBSERVER, student)))
        return pairs
    # A lone student (or a class of one) negotiates against a bot or the instructor.
    counterpart = SeatPlan(other, BOT if odd == "bot" else INSTRUCTOR)
    seats = (SeatPlan(role, STUDENT, student), counterpart)
    return [*pairs, PairPlan(tuple(sorted(seats, key=lambda s: roles.index(s.role))))]
