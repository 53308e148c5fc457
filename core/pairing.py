"""Pairing a class for an exercise: who negotiates with whom, in which role.

Pure: it takes student ids and returns plans; the classrooms service stores them as seats.

- `random`: shuffle the students, pair them in order, and toss a coin for the roles in each pair.
- `balanced`: the same, but each student gets the role they have played less often in this class,
  and partners who have met before are split up where another pairing avoids it.

With an odd number of students the last one is seated by the exercise's odd-student rule: as an
observer of one side of a pair (`triad`), against a disclosed bot (`bot`), or against the
instructor (`instructor`).

The next round of a series (`plan_next_round`) is paired from the previous round's pairs, by one of
three modes:

- `rematch`: everyone present gets a partner they have never negotiated with, whenever a pairing
  that does so exists (a maximum matching of the "never met" graph: as few repeated partners as
  possible), and the role they have played less.
- `switch`: each pair of the previous round whose two negotiators are both present stays together,
  each taking the other role.
- `keep`: those pairs stay together in the same roles.

With `switch` and `keep`, the students left (whose partner is absent, who observed, who met a bot or
the instructor, who arrived since) are paired with each other as in a rematch; an odd one out is
seated by the odd-student rule, as in a first round.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

RULES = ("random", "balanced")
MODES = ("rematch", "switch", "keep")
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


# The next round of a series


def plan_next_round(
    previous: Sequence[PairPlan],
    present: Sequence[int],
    roles: tuple[str, str],
    *,
    mode: str,
    odd: str,
    rng: random.Random,
    role_history: Mapping[int, Counter[str]] | None = None,
    past_partners: Collection[frozenset[int]] = (),
) -> list[PairPlan]:
    """Pair the students `present` for the round after `previous` (its pairs, with their roles given by
    position: `roles[0]` is the previous round's first role, whatever the scenario). `past_partners`
    holds who met whom in every earlier round (the previous one included), `role_history` the roles each
    student played."""
    if mode not in MODES:
        raise ValueError(f"next-round mode must be one of {', '.join(MODES)}, got {mode!r}")
    if odd not in ODD_RULES:
        raise ValueError(f"odd-student rule must be one of {', '.join(ODD_RULES)}, got {odd!r}")
    if len(set(present)) != len(present):
        raise ValueError("a student appears twice")
    here = set(present)
    history = role_history or {}
    past = set(past_partners)
    kept: list[PairPlan] = []
    if mode != "rematch":
        for plan in previous:
            negotiators = [s for s in plan.seats if s.kind == STUDENT and s.student is not None]
            if len(negotiators) != 2 or not all(s.student in here for s in negotiators):
                continue
            first = next(s for s in negotiators if s.role == roles[0]).student
            second = next(s for s in negotiators if s.role == roles[1]).student
            if mode == "switch":
                first, second = second, first
            kept.append(PairPlan((SeatPlan(roles[0], STUDENT, first), SeatPlan(roles[1], STUDENT, second))))
    taken = {student for plan in kept for student in plan.students()}
    pool = [s for s in present if s not in taken]
    rng.shuffle(pool)
    lean = {s: _prefers(s, roles, history) for s in pool}
    matched, leftover = fresh_partners(pool, past, rng, suits=lambda a, b: lean[a] * lean[b] <= 0)
    pairs = kept + [_seat_pair(a, b, roles, "balanced", history, rng) for a, b in matched]
    rng.shuffle(pairs)
    for student in leftover:  # at most one: a maximum matching of a complete graph leaves one out at most
        pairs = _seat_odd_fresh(pairs, student, roles, odd, history, past, rng)
    return pairs


def fresh_partners(
    students: Sequence[int],
    past: Collection[frozenset[int]],
    rng: random.Random,
    suits: Callable[[int, int], bool] = lambda a, b: True,
) -> tuple[list[tuple[int, int]], list[int]]:
    """Pair `students` (in their order) so that as few pairs as possible have met before: a maximum
    matching of the graph of pairs who have never met, then the rest paired with each other. Among such
    pairings, one of pairs that `suit` each other (who lean to opposite roles) when one is as large.
    Returns the pairs and the one left over, if the count is odd."""
    n = len(students)
    index = {student: i for i, student in enumerate(students)}
    met: list[set[int]] = [set() for _ in range(n)]
    for pair in past:
        a, b = (index.get(s) for s in pair) if len(pair) == 2 else (None, None)
        if a is not None and b is not None:
            met[a].add(b)
            met[b].add(a)
    mate = maximum_matching(_Strangers(n, met, lambda i, j: suits(students[i], students[j])))
    if sum(m != -1 for m in mate) < n - n % 2:  # a pairing of suited strangers falls short: strangers, then
        fresh = maximum_matching(_Strangers(n, met, lambda i, j: True))
        if sum(m != -1 for m in fresh) > sum(m != -1 for m in mate):
            mate = fresh
    pairs = [(students[i], students[mate[i]]) for i in range(n) if mate[i] > i]
    alone = [students[i] for i in range(n) if mate[i] == -1]
    rng.shuffle(alone)
    leftover = [alone.pop()] if len(alone) % 2 else []
    pairs += [(alone[i], alone[i + 1]) for i in range(0, len(alone), 2)]
    return pairs, leftover


class Graph(Protocol):
    """An undirected graph on the vertices 0 .. len - 1: graph[v] lists v's neighbours."""

    def __len__(self) -> int: ...

    def __getitem__(self, vertex: int, /) -> Iterable[int]: ...


class _Strangers:
    """Who has not met whom (and suits them), each vertex's neighbours listed as they are asked for: a
    class's graph is nearly complete, and a matching looks at few of a vertex's neighbours."""

    def __init__(self, n: int, met: list[set[int]], suits: Callable[[int, int], bool]) -> None:
        self.n, self.met, self.suits = n, met, suits

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, vertex: int) -> Iterator[int]:
        """From the next vertex on, round to the previous: the greedy start finds a partner at once."""
        met = self.met[vertex]
        others = itertools.chain(range(vertex + 1, self.n), range(vertex))
        return (u for u in others if u not in met and self.suits(vertex, u))


def maximum_matching(graph: Graph) -> list[int]:
    """A maximum matching of an undirected graph given as adjacency lists (Edmonds' blossom algorithm):
    mate[v] is v's partner, or -1. O(V^3) at worst; a class's graph of who has not met is nearly
    complete, so that the greedy start leaves few to search from: 5,000 students two rounds on are
    paired in about 0.15 s on the 2-core machine."""
    n = len(graph)
    mate = [-1] * n
    for v in range(n):  # a greedy start, then augmenting paths from each vertex left single
        if mate[v] == -1:
            for u in graph[v]:
                if mate[u] == -1:
                    mate[v], mate[u] = u, v
                    break
    for root in range(n):
        if mate[root] == -1:
            end, parent = _augmenting_path(graph, mate, root)
            while end != -1:  # flip the path found, from its end back to the root
                previous, after = parent[end], mate[parent[end]]
                mate[end], mate[previous] = previous, end
                end = after
    return mate


def _augmenting_path(graph: Graph, mate: list[int], root: int) -> tuple[int, list[int]]:
    """Search an augmenting path from the single vertex `root`, shrinking odd cycles (blossoms) into
    their base; returns the path's single end (-1 when there is none) and the search's tree, whose
    `parent` links lead from the end back to the root."""
    n = len(graph)
    used = [False] * n
    parent = [-1] * n
    base = list(range(n))
    used[root] = True
    queue = [root]
    head = 0

    def common_base(a: int, b: int) -> int:
        seen = [False] * n
        while True:
            a = base[a]
            seen[a] = True
            if mate[a] == -1:
                break
            a = parent[mate[a]]
        while True:
            b = base[b]
            if seen[b]:
                return b
            b = parent[mate[b]]

    def mark(v: int, b: int, child: int, blossom: list[bool]) -> None:
        while base[v] != b:
            blossom[base[v]] = blossom[base[mate[v]]] = True
            parent[v] = child
            child = mate[v]
            v = parent[mate[v]]

    while head < len(queue):
        v = queue[head]
        head += 1
        for to in graph[v]:
            if base[v] == base[to] or mate[v] == to:
                continue
            if to == root or (mate[to] != -1 and parent[mate[to]] != -1):
                current = common_base(v, to)
                blossom = [False] * n
                mark(v, current, to, blossom)
                mark(to, current, v, blossom)
                for i in range(n):
                    if blossom[base[i]]:
                        base[i] = current
                        if not used[i]:
                            used[i] = True
                            queue.append(i)
            elif parent[to] == -1:
                parent[to] = v
                if mate[to] == -1:
                    return to, parent
                used[mate[to]] = True
                queue.append(mate[to])
    return -1, parent


def _seat_odd_fresh(
    pairs: list[PairPlan],
    student: int,
    roles: tuple[str, str],
    odd: str,
    history: Mapping[int, Counter[str]],
    past: set[frozenset[int]],
    rng: random.Random,
) -> list[PairPlan]:
    """The odd one out of a next round: as in a first round, but an observer joins a pair of students it
    has not met, when there is one."""
    if odd == "triad" and pairs:
        strangers = [i for i, p in enumerate(pairs) if not any(frozenset((student, s)) in past for s in p.students())]
        if strangers:
            index = rng.choice(strangers)
            (joined,) = _seat_odd([pairs[index]], student, roles, odd, "balanced", history, rng)
            return [*pairs[:index], joined, *pairs[index + 1 :]]
    return _seat_odd(pairs, student, roles, odd, "balanced", history, rng)
