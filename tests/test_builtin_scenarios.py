"""The built-in scenarios: valid, with no warning but their known faults, teachable, and their report equal to
brute force."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from core.analysis import ScoringTable, report_json
from core.bruteforce import brute_figures
from core.scenario_document import load_scenario_file
from scenarios.services import BUILTIN_DIR

BUILTINS = sorted(BUILTIN_DIR.glob("*.yaml"))


def test_there_are_the_three_builtins():
    assert [p.stem for p in BUILTINS] == ["farm-expansion", "orange-dispute", "used-car"]


# What the scenario check finds in the built-in scenarios today: in two of them the price's zone spans the
# whole range once the trade is found, so that walking away is never credible. Their points are to be
# rewritten to teach claiming as well as creating; until then the check's finding is held here, so that
# any other warning, or a change to these, fails.
KNOWN_FAULTS = {"farm-expansion": ["issues[1] (payment)"], "orange-dispute": ["issues[2] (cost-share)"]}


@pytest.mark.parametrize("path", BUILTINS, ids=lambda p: p.stem)
def test_a_builtin_is_valid_with_only_its_known_warnings_and_leaves_room_to_create_value(path):
    validated = load_scenario_file(str(path))
    assert [w.split(":")[0] for w in validated.warnings] == KNOWN_FAULTS.get(path.stem, [])
    assert all("every value from" in w for w in validated.warnings)
    scenario = validated.scenario
    assert scenario.slug == path.stem
    for role in scenario.roles:
        assert len(role.sheet.split()) >= 250, f"{role.key}'s sheet is too short to act on"
    report = report_json(ScoringTable.from_scenario(scenario), scenario.slug)
    assert 0 < report["feasible_fraction"] < 1
    assert report["integrative_potential"] > 0


@pytest.mark.django_db
@pytest.mark.parametrize("path", BUILTINS, ids=lambda p: p.stem)
def test_the_report_command_agrees_with_brute_force(path):
    call_command("load_builtin_scenarios", stdout=StringIO())
    out = StringIO()
    call_command("scenario_report", path.stem, stdout=out)
    report = json.loads(out.getvalue())
    table = ScoringTable.from_scenario(load_scenario_file(str(path)).scenario)
    expected = report_json(table, path.stem, brute_figures(table))
    report.pop("version")
    assert report == expected


def test_the_used_cars_price_thresholds_in_the_sheets_are_on_the_grid_and_follow_the_points():
    """The sheets turn each BATNA into a price for given terms; a student who acts on those words must
    find the points agree: the threshold is the last grid price at or above the BATNA."""
    import re

    scenario = load_scenario_file(str(BUILTIN_DIR / "used-car.yaml")).scenario
    table = ScoringTable.from_scenario(scenario)
    prices = [int(o.key) for o in scenario.issues[0].choices()]

    def points(role: str, price: int, handover: str, warranty: str, tyres: str) -> float:
        seller, buyer = table.score({"price": str(price), "handover": handover, "warranty": warranty, "tyres": tyres})
        return seller if role == "seller" else buyer

    def quoted(role: str, words: str) -> int:
        match = re.search(words + r" €([\d,]+)", " ".join(scenario.role(role).sheet.split()))
        assert match, (role, words)
        return int(match.group(1).replace(",", ""))

    seller_batna, buyer_batna = (r.batna for r in scenario.roles)
    need = min(p for p in prices if points("seller", p, "saturday", "none", "seller-keeps") >= seller_batna)
    assert quoted("seller", "you need at least") == need == 10100
    most = max(p for p in prices if points("buyer", p, "saturday", "none", "seller-keeps") >= buyer_batna)
    assert quoted("buyer", "you should pay no more than") == most == 9700
    most = max(p for p in prices if points("buyer", p, "three-weeks", "one-month", "included") >= buyer_batna)
    assert quoted("buyer", "you could go up to") == most == 10700
    # The buyer's alternative: its terms score 64 on the buyer's table, and the sheet says why it is worth 35.
    assert points("buyer", 9400, "saturday", "three-months", "seller-keeps") == 64
    assert "Those terms would score 64 on your table" in " ".join(scenario.role("buyer").sheet.split())
