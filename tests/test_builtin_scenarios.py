"""The built-in scenarios: valid, with no warning but their known faults, teachable, and their report equal to
brute force."""

from __future__ import annotations

import json
from fractions import Fraction
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


# What the scenario check finds in the built-in scenarios today: in the orange dispute the cost share's zone
# spans the whole range once the trade is found, so that walking away is never credible. Its points are to
# be rewritten to teach claiming as well as creating; until then the check's finding is held here, so that
# any other warning, or a change to this one, fails.
KNOWN_FAULTS = {"orange-dispute": ["issues[2] (cost-share)"]}


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


def test_the_farms_batnas_and_money_thresholds_in_the_sheets_follow_the_points():
    """Each sheet works out its BATNA from its own table, and turns it into a premium or discount for given
    terms; a student who acts on those words must find the points agree."""
    import re

    scenario = load_scenario_file(str(BUILTIN_DIR / "farm-expansion.yaml")).scenario
    table = ScoringTable.from_scenario(scenario)
    sums = [int(o.key) for o in scenario.issues[1].choices()]

    def points(role: str, tenure: str, payment: int, land: str, access: str, hedgerows: str) -> float:
        package = {"tenure": tenure, "payment": str(payment), "land": land, "access": access, "hedgerows": hedgerows}
        farmer, owner = table.score(package)
        return farmer if role == "farmer" else owner

    def sheet(role: str) -> str:
        return " ".join(scenario.role(role).sheet.split())

    def quoted(role: str, words: str) -> int:
        match = re.search(words + r" €([\d,]+)", sheet(role))
        assert match, (role, words)
        return int(match.group(1).replace(",", ""))

    farmer_batna, owner_batna = (r.batna for r in scenario.roles)
    # The farmer's alternative: Dunmere's terms (a 10-year lease of 80 ha, its rent €10,000 above the going
    # rate over the ten years, counted as a premium of €10,000, its own gate, no hedgerows) score 57 on her
    # table, less 5 for the soil and the road (€10,000 at 1 point per €2,000): 52.
    assert points("farmer", "lease-10", 10000, "80-ha", "yard-any-time", "edith") == 57
    assert "Those terms would score 57 on your table (12 + 15 + 20 + 10 + 0)" in sheet("farmer")
    assert "about €10,000 over the ten years in diesel, hours and extra cultivation, 5 points" in sheet("farmer")
    assert farmer_batna == 57 - 10000 // 2000 == 52 and "worth **52 points**" in sheet("farmer")
    # The owner's alternative: Brindle's terms, exactly on her table.
    assert points("owner", "lease-5", 0, "80-ha", "yard-weekdays", "edith") == owner_batna == 49
    assert "worth **49 points** to you (18 + 20 + 3 + 8 + 0)" in sheet("owner")
    # The thresholds: the last grid sum at or above the BATNA, for the terms each sheet names.
    compromise = ("lease-10", "60-ha", "yard-weekdays", "edith")
    assert points("farmer", "lease-10", 40000, "60-ha", "yard-weekdays", "edith") == 29
    most = max(s for s in sums if points("farmer", compromise[0], s, *compromise[1:]) >= farmer_batna)
    assert -quoted("farmer", "you would need a discount of at least") == most == -6000
    assert points("owner", "lease-10", -40000, "60-ha", "yard-weekdays", "edith") == 28
    least = min(s for s in sums if points("owner", compromise[0], s, *compromise[1:]) >= owner_batna)
    assert quoted("owner", "you would need a premium of at least") == least == 2000
    assert points("owner", "sale", -40000, "80-ha", "yard-any-time", "edith") == 3
    assert points("owner", "sale", 40000, "80-ha", "yard-any-time", "edith") == 43 < owner_batna
    assert "scores 3 before the money: even the largest premium on the table brings it to only 43" in sheet("owner")
    # The sheets' examples of the money's points, and each sheet's table of points against the YAML.
    payment = scenario.issues[1]
    for role, text in [
        ("farmer", "a discount of €20,000 = 30 points, the valuer's figure exactly = 20, a premium of €20,000 = 10"),
        ("owner", "a premium of €20,000 = 30 points, the valuer's figure exactly = 20, a discount of €20,000 = 10"),
    ]:
        assert text in sheet(role)
        named = [int(n) for n in re.findall(r"= (\d+)", text)]
        amounts = (-20000, 0, 20000) if role == "farmer" else (20000, 0, -20000)
        assert [payment.points_at(role, Fraction(v)) for v in amounts] == named
        lines = [line for line in scenario.role(role).sheet.splitlines() if line.startswith("| ")]
        rows = [line.split("|")[3].strip() for line in lines[2:]]  # after the header and its rule
        ends = [payment.points_at(role, payment.minimum), payment.points_at(role, payment.maximum)]
        want = [o.points[role] for o in scenario.issues[0].options]
        want += [max(ends), "1 fewer", payment.points_at(role, Fraction(0)), min(ends)]
        want += [o.points[role] for issue in scenario.issues[2:] for o in issue.options]
        assert rows == [w if isinstance(w, str) else str(int(w)) for w in want], role
