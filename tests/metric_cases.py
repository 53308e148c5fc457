"""Shared by the metric tests: random small scenarios, the brute-force oracle written from the
definitions, the built-in scenarios enumerated, and hand-made events."""

from __future__ import annotations

import functools
import itertools
import json
import math
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path

from hypothesis import strategies as st

from core.analysis import ScoringTable
from core.bruteforce import brute_figures, brute_frontier
from core.metrics import Landscape, better_for_both, pair_outcome
from core.negotiation import package_points
from core.scenario_document import load_scenario_file
from core.spec import Issue, Linear, Option, Role, Scenario

BUILTIN = Path(__file__).resolve().parent.parent / "scenarios" / "builtin"
T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)

# Random small scenarios: up to three options issues and maybe a numeric one, roles a and b.

points = st.one_of(st.integers(-5, 20), st.sampled_from([Fraction(1, 2), Fraction(5, 2), Fraction(-3, 4)]))


@st.composite
def scenarios(draw, numeric: bool | None = None) -> Scenario:
    issues = []
    with_numeric = draw(st.booleans()) if numeric is None else numeric
    for i in range(draw(st.integers(0 if with_numeric else 1, 3))):
        count = draw(st.integers(1, 4))
        options = tuple(Option(f"o{j}", f"O{j}", {"a": draw(points), "b": draw(points)}) for j in range(count))
        issues.append(Issue(f"i{i}", f"I{i}", "", "options", options=options))
    if with_numeric:
        low = Fraction(draw(st.integers(0, 100)))
        step = Fraction(draw(st.sampled_from([1, 5, 100, Fraction(1, 2)])))
        count = draw(st.integers(2, 5))
        ends = st.integers(-10, 30)
        linear = {"a": Linear(draw(ends), draw(ends)), "b": Linear(draw(ends), draw(ends))}
        place = draw(st.integers(0, len(issues)))
        high = low + step * (count - 1)
        issues.insert(
            place, Issue("price", "Price", "", "numeric", minimum=low, maximum=high, step=step, linear=linear)
        )
    batna = (draw(st.integers(-5, 50)), draw(st.integers(-5, 50)))
    roles = tuple(Role(k, k.upper(), Fraction(d), "", "") for k, d in zip(("a", "b"), batna, strict=True))
    return Scenario("s", "S", "", "", roles, tuple(issues), "")


def packages(scenario: Scenario) -> list[dict[str, str]]:
    issues = scenario.issues
    return [
        {i.key: o.key for i, o in zip(issues, combo, strict=True)}
        for combo in itertools.product(*(i.choices() for i in issues))
    ]


def score(scenario: Scenario, package: dict[str, str] | None) -> tuple[Fraction, Fraction]:
    if package is None:
        return (scenario.roles[0].batna, scenario.roles[1].batna)
    a, b = scenario.role_keys
    return (package_points(scenario, package, a), package_points(scenario, package, b))


def pick(data: st.DataObject, scenario: Scenario, impasse: bool = True) -> dict[str, str] | None:
    if impasse and data.draw(st.integers(0, 5)) == 0:
        return None
    return {i.key: data.draw(st.sampled_from([o.key for o in i.choices()])) for i in scenario.issues}


# The oracle: every outcome metric by enumerating every package, written from the definitions.


class Enumerated:
    """Every package of a scenario with its points (scored by core.negotiation), and the brute-force figures."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.every = [(pkg, score(scenario, pkg)) for pkg in packages(scenario)]
        table = ScoringTable.from_scenario(scenario)
        self.frontier = [(table.real(f.a), table.real(f.b)) for f in brute_frontier(table)]
        nash = brute_figures(table).nash
        self.nash = None if nash is None else (table.real(nash[0]), table.real(nash[1]))


def oracle(known: Enumerated, agreement: dict[str, str] | None) -> dict:
    scenario, every, frontier, nash = known.scenario, known.every, known.frontier, known.nash
    a_key, b_key = scenario.role_keys
    d = score(scenario, None)
    p = score(scenario, agreement)
    weakly = [(pkg, q) for pkg, q in every if q[0] >= p[0] and q[1] >= p[1]]
    dominating = [(pkg, q) for pkg, q in weakly if q != p]
    max_joint = max(q[0] + q[1] for _, q in every)
    surplus = (p[0] - d[0], p[1] - d[1])
    total = surplus[0] + surplus[1]
    near = [math.dist(q, p) for q in frontier if q[0] >= p[0] and q[1] >= p[1]]
    result = {
        "points": p,
        "surplus": surplus,
        "share": (surplus[0] / total, surplus[1] / total) if total > 0 else None,
        "joint": p[0] + p[1],
        "efficiency": (p[0] + p[1]) / max_joint if max_joint > 0 else None,
        "pareto_optimal": not dominating,
        "value_left": max(q[0] + q[1] for _, q in weakly) - (p[0] + p[1]) if weakly else 0,
        "distance_to_frontier": min(near) if near else 0.0,
        "distance_to_nash": None if nash is None else math.dist(nash, p),
        "dominated_by": len(dominating),
        "below_batna": tuple(r for r, s in zip(scenario.role_keys, surplus, strict=True) if s < 0),
    }
    compatible, lose_lose, logrolls = [], [], []
    opposed = []
    for issue in scenario.issues:
        choices = issue.choices()
        pts = {o.key: (o.points[a_key], o.points[b_key]) for o in choices}
        if any(all(x[0] >= y[0] and x[1] >= y[1] for y in pts.values()) for x in pts.values()):
            compatible.append(issue.key)
            if agreement is not None:
                c = pts[agreement[issue.key]]
                if any(x[0] > c[0] and x[1] > c[1] for x in pts.values()):
                    lose_lose.append(issue.key)
        else:
            opposed.append((issue.key, list(pts.values()), None if agreement is None else pts[agreement[issue.key]]))
    if agreement is not None:
        for (i, pi, ci), (j, pj, cj) in itertools.permutations(opposed, 2):
            ra_i = max(x[0] for x in pi) - min(x[0] for x in pi)
            rb_i = max(x[1] for x in pi) - min(x[1] for x in pi)
            ra_j = max(x[0] for x in pj) - min(x[0] for x in pj)
            rb_j = max(x[1] for x in pj) - min(x[1] for x in pj)
            a_wins_i = ci[0] - min(x[0] for x in pi) > max(x[0] for x in pi) - ci[0]
            b_wins_j = cj[1] - min(x[1] for x in pj) > max(x[1] for x in pj) - cj[1]
            if ra_i * rb_j > ra_j * rb_i and a_wins_i and b_wins_j:
                logrolls.append((i, j))
    result.update(compatible_issues=tuple(compatible), lose_lose_issues=tuple(lose_lose), logrolls=tuple(logrolls))
    # The suggestion: the dominating point with the largest joint gain (then the larger smaller gain,
    # then more for A), reached by a package that changes as few agreed options as possible.
    suggestion = None
    if dominating:
        target = max((q for _, q in dominating), key=lambda q: (q[0] + q[1], min(q[0] - p[0], q[1] - p[1]), q[0]))
        fewest = min(
            sum(agreement is not None and pkg[k] != agreement[k] for k in pkg) for pkg, q in every if q == target
        )
        suggestion = (target, fewest)
    result["suggestion"] = suggestion
    return result


def check_outcome(known: Enumerated, land: Landscape, agreement: dict[str, str] | None) -> None:
    scenario = known.scenario
    got = pair_outcome(land, agreement)
    want = oracle(known, agreement)
    for name, value in want.items():
        if name == "suggestion":
            continue
        mine = getattr(got, name)
        if name.startswith("distance") and value is not None:
            assert math.isclose(mine, value, rel_tol=1e-9, abs_tol=1e-9), name
        else:
            assert mine == value, (name, mine, value)
    assert got.impasse == (agreement is None)
    if want["suggestion"] is None:
        assert got.suggestion is None
    else:
        target, fewest = want["suggestion"]
        s = got.suggestion
        assert s is not None
        assert s.points == target == score(scenario, s.package)
        assert s.gain == (target[0] - got.points[0], target[1] - got.points[1])
        if agreement is None:
            assert s.changed is None
        else:
            assert s.changed == tuple(k for k in agreement if s.package[k] != agreement[k])
            assert len(s.changed) == fewest
        assert better_for_both(land, agreement) == s
    json.dumps(got.as_json())


def offer(seq: int, role: str, minute: float, *packages: dict[str, str]) -> dict:
    at = (T0 + timedelta(minutes=minute)).isoformat()
    return {"seq": seq, "type": "offer", "role": role, "payload": {"packages": list(packages)}, "at": at}


def car(price: int, handover: str, warranty: str, tyres: str) -> dict[str, str]:
    return {"price": str(price), "handover": handover, "warranty": warranty, "tyres": tyres}


@functools.cache
def builtin(name: str) -> tuple[Enumerated, Landscape]:
    scenario = load_scenario_file(str(BUILTIN / f"{name}.yaml")).scenario
    return Enumerated(scenario), Landscape(scenario)
