"""Random scenario documents with contingent issues, in the documented format (docs/scenarios.md):
events of two or three outcomes, each role's forecasts and caution, contingent options that pay a
number or points by outcome, beside plain options issues and a numeric one."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

SPLITS = {
    2: [[0.5, 0.5], [0.2, 0.8], [0.9, 0.1], [0.25, 0.75], [1, 0], [0.3, 0.7]],
    3: [[0.1, 0.3, 0.6], [0.2, 0.2, 0.6], [0.5, 0.25, 0.25], [0, 0.4, 0.6]],
}
numbers = st.one_of(st.integers(-5, 20), st.sampled_from([0.5, 2.5, -0.75]))
cautions = st.sampled_from([0, 0, 0.25, 0.5, 1, 0.1])


def _chances(draw: Any, outcomes: list[str]) -> dict[str, float]:
    return dict(zip(outcomes, draw(st.sampled_from(SPLITS[len(outcomes)])), strict=True))


def _pays(draw: Any, outcomes: list[str]) -> Any:
    """A contingent option's points to one role: a number, or points by outcome."""
    if draw(st.booleans()):
        return draw(numbers)
    return {o: draw(numbers) for o in outcomes}


@st.composite
def contingent_documents(draw: Any, max_events: int = 2) -> dict[str, Any]:
    events = []
    for e in range(draw(st.integers(1, max_events))):
        outcomes = [f"x{k}" for k in range(draw(st.integers(2, 3)))]
        events.append(
            {
                "key": f"e{e}",
                "question": f"E{e}?",
                "outcomes": [{"key": o, "label": o.upper()} for o in outcomes],
                "distribution": _chances(draw, outcomes),
            }
        )
    roles = []
    for key in ("a", "b"):
        role = {"key": key, "name": key.upper(), "batna": draw(st.integers(-5, 30)), "alternative": "-", "sheet": "-"}
        role["forecasts"] = {e["key"]: _chances(draw, [o["key"] for o in e["outcomes"]]) for e in events}
        caution = draw(cautions)
        if caution or draw(st.booleans()):
            role["caution"] = caution
        roles.append(role)
    issues: list[dict[str, Any]] = []
    for i in range(draw(st.integers(0, 2))):
        options = [
            {"key": f"o{j}", "label": f"O{j}", "points": {"a": draw(numbers), "b": draw(numbers)}}
            for j in range(draw(st.integers(2, 3)))
        ]
        issues.append({"key": f"i{i}", "name": f"I{i}", "options": options})
    if draw(st.booleans()):
        ends = st.integers(-10, 30)
        issues.append(
            {
                "key": "price",
                "name": "Price",
                "type": "numeric",
                "min": 10,
                "max": 10 + 5 * draw(st.integers(1, 3)),
                "step": 5,
                "points": {r: {"at_min": draw(ends), "at_max": draw(ends)} for r in ("a", "b")},
            }
        )
    for event in events:
        outcomes = [o["key"] for o in event["outcomes"]]
        options = [
            {"key": f"c{j}", "label": f"C{j}", "points": {"a": _pays(draw, outcomes), "b": _pays(draw, outcomes)}}
            for j in range(draw(st.integers(2, 3)))
        ]
        issues.append(
            {"key": f"k{event['key']}", "name": "K", "type": "contingent", "event": event["key"], "options": options}
        )
    issues = draw(st.permutations(issues))
    return {
        "slug": "random",
        "title": "Random",
        "summary": "-",
        "situation": "-",
        "events": events,
        "roles": roles,
        "issues": list(issues),
        "teaching_notes": "-",
    }
