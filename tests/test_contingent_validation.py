"""Contingent issues in the scenario document: each role's points are its certainty equivalent under its
own forecast; every fault in events, forecasts and contingent options is refused at its path."""

from __future__ import annotations

import copy
from fractions import Fraction

import pytest

from core.documents import DocumentError
from core.scenario_document import parse_scenario
from core.spec import certainty_equivalent
from tests.scenario_docs import contingent, dump, valid


def refused(document: dict) -> list[str]:
    with pytest.raises(DocumentError) as info:
        parse_scenario(dump(document), source="sale.yaml")
    return [p.describe() for p in info.value.problems]


def test_each_role_counts_its_own_forecast_after_its_caution():
    scenario = parse_scenario(dump(contingent())).scenario
    earnout = scenario.issues[1]
    assert earnout.kind == "contingent" and earnout.event == "revenue"
    bonus = earnout.choices()[1]
    # Seller, risk-neutral: 0.8 * 30 + 0.2 * 0. Buyer, caution 1/4: 3/4 * (0.3 * -10 + 0.7 * 6) + 1/4 * -10.
    assert bonus.points == {"seller": Fraction(24), "buyer": Fraction(-8, 5)}
    assert earnout.term_points("buyer", "bonus") == Fraction(-8, 5)
    assert earnout.realised_points("seller", "bonus", "beats") == 30
    assert earnout.realised_points("buyer", "bonus", "misses") == 6
    assert earnout.realised_points("buyer", "none", "beats") == 0
    assert scenario.issues[0].realised_points("seller", "200", "misses") == 40  # not contingent: as agreed
    assert not bonus.is_flat() and earnout.choices()[0].is_flat()
    assert scenario.event("revenue").distribution == {"beats": Fraction(1, 2), "misses": Fraction(1, 2)}
    assert scenario.role("buyer").caution == Fraction(1, 4) and scenario.role("seller").caution == 0


def test_the_certainty_equivalent_rule():
    pays = {"up": Fraction(10), "down": Fraction(-2)}
    forecast = {"up": Fraction(1, 2), "down": Fraction(1, 2)}
    assert certainty_equivalent(pays, forecast, Fraction(0)) == 4
    assert certainty_equivalent(pays, forecast, Fraction(1)) == -2
    assert certainty_equivalent(pays, forecast, Fraction(1, 2)) == 1
    assert certainty_equivalent({"up": Fraction(3), "down": Fraction(3)}, forecast, Fraction(1, 3)) == 3


def test_a_document_without_events_is_as_before():
    scenario = parse_scenario(dump(valid())).scenario
    assert scenario.events == () and scenario.contingent_issues() == ()


def test_decimal_chances_add_up_exactly():
    doc = contingent()
    doc["events"][0]["outcomes"].append({"key": "flat", "label": "About the same"})
    doc["events"][0]["distribution"] = {"beats": 0.1, "misses": 0.2, "flat": 0.7}
    doc["roles"][0]["forecasts"]["revenue"] = {"beats": 0.3, "misses": 0.3, "flat": 0.4}
    doc["roles"][1]["forecasts"]["revenue"] = {"beats": 0.1, "misses": 0.6, "flat": 0.3}
    doc["issues"][1]["options"][1]["points"]["seller"]["flat"] = 5
    doc["issues"][1]["options"][1]["points"]["buyer"]["flat"] = 0
    bonus = parse_scenario(dump(doc)).scenario.issues[1].choices()[1]
    assert bonus.points["seller"] == Fraction(3, 10) * 30 + Fraction(4, 10) * 5


CASES = [
    (
        lambda d: d["roles"][0]["forecasts"]["revenue"].update(beats=0.7),
        "roles[0].forecasts.revenue: the chances of 'revenue' add up to 0.9; they must add up to 1",
    ),
    (
        lambda d: d["events"][0]["distribution"].update(beats=0.6),
        "events[0].distribution: the chances of 'revenue' add up to 1.1; they must add up to 1",
    ),
    (
        lambda d: d["roles"][1]["forecasts"]["revenue"].update(grows=0),
        "roles[1].forecasts.revenue.grows: 'grows' is not an outcome of 'revenue' (outcomes: beats, misses)",
    ),
    (
        lambda d: d["roles"][1]["forecasts"]["revenue"].pop("misses"),
        "roles[1].forecasts.revenue: no chance given for outcome 'misses' of 'revenue'",
    ),
    (lambda d: d["roles"][1].pop("forecasts"), "roles[1]: missing 'forecasts': this role's chances for each event"),
    (lambda d: d["roles"][0].update(forecasts={}), "roles[0].forecasts: no forecast for event 'revenue'"),
    (
        lambda d: d["roles"][0]["forecasts"].update(weather={"sun": 1}),
        "roles[0].forecasts.weather: 'weather' is not an event of this scenario (events: revenue)",
    ),
    (
        lambda d: d["roles"][0]["forecasts"].update(revenue={"beats": 1.5, "misses": -0.5}),
        "roles[0].forecasts.revenue.beats: a chance is from 0 to 1, got 1.5",
    ),
    (lambda d: d["roles"][1].update(caution=1.2), "roles[1].caution: caution is from 0 (risk-neutral)"),
    (lambda d: d["roles"][1].update(caution="high"), "roles[1].caution: must be a number, got text 'high'"),
    (
        lambda d: d["issues"][1]["options"][1]["points"]["buyer"].pop("beats"),
        "issues[1].options[1].points.buyer: no points for outcome 'beats' of 'revenue'",
    ),
    (
        lambda d: d["issues"][1]["options"][1]["points"]["buyer"].update(grows=1),
        "issues[1].options[1].points.buyer.grows: 'grows' is not an outcome of 'revenue'",
    ),
    (
        lambda d: d["issues"][1].update(event="weather"),
        "issues[1].event: 'weather' is not an event of this scenario (events: revenue)",
    ),
    (lambda d: d["issues"][1].pop("event"), "issues[1]: a contingent issue needs 'event'"),
    (
        lambda d: d["issues"][0].update(event="revenue"),
        "issues[0].event: 'event' belongs to contingent issues; add 'type: contingent'",
    ),
    (
        lambda d: d["issues"].append({**copy.deepcopy(d["issues"][1]), "key": "second"}),
        "issues[2].event: event 'revenue' already pays issues[1] (earnout); at most one contingent issue per event",
    ),
    (
        lambda d: d["issues"][1].update(type="options", event=None) or d["issues"][1].pop("event"),
        "events[0]: no contingent issue pays by event 'revenue'; use it or remove it",
    ),
    (
        lambda d: d["events"][0].update(outcomes=[{"key": "beats", "label": "Beats"}]),
        "events[0].outcomes: an event needs a list of 2 to 6 outcomes, got 1",
    ),
    (
        lambda d: d["events"][0]["outcomes"].append({"key": "beats", "label": "Again"}),
        "events[0].outcomes[2].key: duplicate outcome key 'beats'",
    ),
    (lambda d: d["events"][0].pop("distribution"), "events[0]: missing required key 'distribution'"),
    (lambda d: d.update(events=[]), "events: must be a non-empty list of events, got a list"),
    (
        lambda d: d.update(events=[{**copy.deepcopy(d["events"][0]), "key": f"e{i}"} for i in range(11)]),
        "events: a scenario has at most 10 events, this one has 11",
    ),
    (
        lambda d: d["issues"][1].update(type="gamble"),
        "issues[1].type: must be 'options', 'numeric' or 'contingent', got 'gamble'",
    ),
]


@pytest.mark.parametrize(("breaks", "message"), CASES)
def test_it_refuses_a_broken_contingent_document_at_the_path(breaks, message):
    doc = contingent()
    breaks(doc)
    messages = refused(doc)
    assert any(m.startswith(message) for m in messages), messages
    assert all("(line " in m for m in messages if not m.startswith("(document)"))


def test_the_insurance_example_of_the_docs():
    doc = contingent()
    doc["events"] = [
        {
            "key": "harvest",
            "question": "Will the harvest be good or poor?",
            "outcomes": [{"key": "good", "label": "Good"}, {"key": "poor", "label": "Poor"}],
            "distribution": {"good": 0.5, "poor": 0.5},
        }
    ]
    for role in doc["roles"]:
        role["forecasts"] = {"harvest": {"good": 0.5, "poor": 0.5}}
    doc["roles"][0]["caution"], doc["roles"][1]["caution"] = 0.5, 0
    doc["issues"][1] = {
        "key": "price-risk",
        "name": "Price",
        "type": "contingent",
        "event": "harvest",
        "options": [
            {
                "key": "indexed",
                "label": "Market price at delivery",
                "points": {"seller": {"good": 20, "poor": 0}, "buyer": {"good": 0, "poor": 20}},
            },
            {"key": "fixed", "label": "A fixed price agreed now", "points": {"seller": 8, "buyer": 12}},
        ],
    }
    indexed, fixed = parse_scenario(dump(doc)).scenario.issues[1].choices()
    assert indexed.points == {"seller": 5, "buyer": 10} and fixed.points == {"seller": 8, "buyer": 12}
