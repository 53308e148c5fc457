"""Contingent terms: what the flat options alone could give, a package's realised points once the
events are resolved, and the contingent parts of the scoring table and the report.

A contingent option's points everywhere else are each role's certainty equivalent (core.spec); the
rule and the fields are written down in docs/scenarios.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from fractions import Fraction
from typing import Any

from core.analysis import ScoringTable, pareto_frontier
from core.negotiation import package_points
from core.spec import Scenario, plain


def flat_scenario(scenario: Scenario) -> Scenario | None:
    """The scenario with only the flat options of each contingent issue (those paying the same whatever
    the outcome); None when a contingent issue has no flat option."""
    issues = []
    for issue in scenario.issues:
        if issue.kind == "contingent":
            flat = tuple(option for option in issue.options if option.is_flat())
            if not flat:
                return None
            issue = replace(issue, options=flat)
        issues.append(issue)
    return replace(scenario, issues=tuple(issues))


def max_joint(scenario: Scenario) -> Fraction:
    table = ScoringTable.from_scenario(scenario)
    return table.real(max(p.a + p.b for p in pareto_frontier(table)))


def max_joint_flat(scenario: Scenario) -> Fraction | None:
    """The most joint points of a package with a flat option on every contingent issue."""
    flat = flat_scenario(scenario)
    return None if flat is None else max_joint(flat)


def realised_points(
    scenario: Scenario, package: Mapping[str, str], role: str, resolution: Mapping[str, str]
) -> Fraction:
    """A role's points from a complete package once each event came out as `resolution` says."""
    return sum(
        (issue.realised_points(role, package[issue.key], resolution.get(issue.event, "")) for issue in scenario.issues),
        Fraction(0),
    )


def events_json(scenario: Scenario) -> list[dict[str, Any]]:
    return [
        {
            "key": event.key,
            "question": event.question,
            "outcomes": [{"key": o.key, "label": o.label} for o in event.outcomes],
            "distribution": {k: plain(v) for k, v in event.distribution.items()},
        }
        for event in scenario.events
    ]


def table_json(scenario: Scenario, table: ScoringTable) -> dict[str, Any]:
    """The canonical scoring table; a scenario with events adds them, and each contingent issue its
    event and, per option, the points each role gets in each outcome."""
    result = table.as_json(scenario.slug)
    if not scenario.events:
        return result
    result["events"] = events_json(scenario)
    for item, issue in zip(result["issues"], scenario.issues, strict=True):
        if issue.kind != "contingent":
            continue
        item["event"] = issue.event
        for option_json, option in zip(item["options"], issue.options, strict=True):
            assert option.by_outcome is not None
            option_json["by_outcome"] = {
                role: {o: plain(p) for o, p in paid.items()} for role, paid in option.by_outcome.items()
            }
    return result


def report_json(scenario: Scenario) -> dict[str, Any] | None:
    """The report's `contingent` part: None for a scenario without events."""
    if not scenario.events:
        return None
    flat = max_joint_flat(scenario)
    best = max_joint(scenario)
    return {
        "events": [e.key for e in scenario.events],
        "issues": [issue.key for issue in scenario.contingent_issues()],
        "max_joint": plain(best),
        "max_joint_flat": None if flat is None else plain(flat),
        "contingent_gain": None if flat is None else plain(best - flat),
    }


def _points(scenario: Scenario, agreement: Mapping[str, str] | None, role: str) -> Fraction:
    if agreement is None:
        return scenario.role(role).batna
    return package_points(scenario, agreement, role)


def _realised(
    scenario: Scenario, agreement: Mapping[str, str] | None, role: str, resolution: Mapping[str, str]
) -> Fraction:
    if agreement is None:
        return scenario.role(role).batna
    return realised_points(scenario, agreement, role, resolution)


def contingent_terms(scenario: Scenario, agreement: Mapping[str, str] | None) -> list[str]:
    """The contingent issues on which an agreement took an option that is not flat."""
    if agreement is None:
        return []
    terms = []
    for issue in scenario.contingent_issues():
        option = next(o for o in issue.options if o.key == agreement[issue.key])
        if not option.is_flat():
            terms.append(issue.key)
    return terms


def _mean(values: list[Fraction]) -> int | float | None:
    return plain(sum(values, Fraction(0)) / len(values)) if values else None


def debrief_json(
    scenario: Scenario, agreements: list[tuple[int, Mapping[str, str] | None]], resolution: Mapping[str, str]
) -> dict[str, Any] | None:
    """The debrief's contingent part for pairs given as (pair id, agreement or None for an impasse):
    each pair's expected points (certainty equivalents) and, once every event is resolved, its realised
    points; its joint gain against the best of a package with flat options only; the class's figures.
    None for a scenario without events. Defined in docs/debrief.md ("Contingent terms")."""
    if not scenario.events:
        return None
    roles = scenario.role_keys
    resolved = all(event.key in resolution for event in scenario.events)
    flat = max_joint_flat(scenario)
    pairs = []
    groups: dict[bool, list[tuple[Fraction, Fraction | None]]] = {True: [], False: []}
    for pair_id, agreement in agreements:
        expected = {role: _points(scenario, agreement, role) for role in roles}
        realised = {role: _realised(scenario, agreement, role, resolution) for role in roles} if resolved else None
        joint = sum(expected.values(), Fraction(0))
        joint_realised = None if realised is None else sum(realised.values(), Fraction(0))
        terms = contingent_terms(scenario, agreement)
        if agreement is not None:
            groups[bool(terms)].append((joint, joint_realised))
        pairs.append(
            {
                "id": pair_id,
                "impasse": agreement is None,
                "contingent_terms": terms,
                "expected": {role: plain(p) for role, p in expected.items()},
                "realised": None if realised is None else {role: plain(p) for role, p in realised.items()},
                "joint_expected": plain(joint),
                "joint_realised": None if joint_realised is None else plain(joint_realised),
                "added": None if flat is None else plain(joint - flat),
            }
        )
    best = max_joint(scenario)

    def group(items: list[tuple[Fraction, Fraction | None]]) -> dict[str, Any]:
        return {
            "pairs": len(items),
            "mean_joint_expected": _mean([e for e, _ in items]),
            "mean_joint_realised": _mean([r for _, r in items if r is not None]) if resolved else None,
        }

    return {
        "resolved": resolved,
        "resolution": {event.key: resolution.get(event.key) for event in scenario.events},
        "max_joint": plain(best),
        "max_joint_flat": None if flat is None else plain(flat),
        "contingent_gain": None if flat is None else plain(best - flat),
        "with_terms": group(groups[True]),
        "without_terms": group(groups[False]),
        "pairs": pairs,
    }
