"""The built-in scenarios: valid, without warnings, teachable (value to create, but for the fixed-pie baseline,
and value to claim), and their report equal to brute force."""

from __future__ import annotations

import json
from fractions import Fraction
from io import StringIO

import pytest
import yaml
from django.core.management import call_command

from core.analysis import ScoringTable, report_json
from core.bruteforce import brute_figures, document_figures
from core.scenario_document import load_scenario_file
from scenarios.services import BUILTIN_DIR

BUILTINS = sorted(BUILTIN_DIR.glob("*.yaml"))


FIXED_PIE = {"road-bike"}  # the single-issue haggle, played first as the baseline: nothing to create


def test_there_are_the_builtins():
    names = [
        "business-sale",
        "farm-expansion",
        "job-offer",
        "orange-dispute",
        "road-bike",
        "supply-contract",
        "used-car",
    ]
    assert [p.stem for p in BUILTINS] == names


@pytest.mark.parametrize("path", BUILTINS, ids=lambda p: p.stem)
def test_a_builtin_is_valid_without_warnings_and_leaves_room_to_create_value(path):
    validated = load_scenario_file(str(path))
    assert len(path.read_text()) < 30_000 * len(validated.scenario.languages)  # as docs/scenarios.md says
    assert validated.warnings == ()  # the scenario check's faults included (core/scenario_check.py)
    scenario = validated.scenario
    assert scenario.slug == path.stem
    for role in scenario.roles:
        assert len(role.sheet.split()) >= 250, f"{role.key}'s sheet is too short to act on"
    report = report_json(ScoringTable.from_scenario(scenario), scenario.slug)
    assert 0 < report["feasible_fraction"] < 1
    if path.stem in FIXED_PIE:
        assert report["integrative_potential"] == 0
    else:
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
    contingent = report.pop("contingent", None)
    assert report == expected
    # The document itself, every package scored by the rule over every combination of outcomes: the same
    # figures, and for a scenario with events the contingent part (the best with flat options only).
    brute = document_figures(yaml.safe_load(path.read_text()))
    assert (brute.max_joint, brute.feasible_outcomes, brute.outcomes) == (
        report["max_joint"],
        report["feasible_outcomes"],
        report["outcomes"],
    )
    assert [list(brute.nash or ()), [[a, b, n] for a, b, n in brute.frontier]] == [
        report["nash"] or [],
        [[*point, count] for point, count in zip(report["frontier"], report["frontier_counts"], strict=True)],
    ]
    if contingent is None:
        assert "events" not in yaml.safe_load(path.read_text())
    else:
        flat = brute.max_joint_flat
        assert contingent["max_joint"] == brute.max_joint and contingent["max_joint_flat"] == flat
        assert contingent["contingent_gain"] == (None if flat is None else brute.max_joint - flat)


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


def _orange():
    scenario = load_scenario_file(str(BUILTIN_DIR / "orange-dispute.yaml")).scenario

    def points(role: str, issue: str, option: str) -> int:
        found = next(o for o in next(i for i in scenario.issues if i.key == issue).choices() if o.key == option)
        value = found.points[role]
        assert value == int(value)
        return int(value)

    def words(text: str) -> str:
        return " ".join(text.split())

    return scenario, points, words


def test_the_orange_sheets_alternatives_and_figures_follow_the_points():
    """Each sheet works out its BATNA on its own table, term by term; a student who adds up the quoted terms
    must find its table gives them, and the sum is the BATNA."""
    import re

    scenario, points, words = _orange()
    a_batna, t_batna = (int(r.batna) for r in scenario.roles)
    assert (a_batna, t_batna) == (60, 60)
    sheet_a, sheet_t = (words(scenario.role(k).sheet) for k in ("aubrelle", "tallis"))

    # Walking away: no fruit (0 on the story's terms: no option of the joint contract leaves a side without
    # fruit), nothing paid (Aubrelle's 0% share; Tallis's 100%).
    walk = r"none of the fruit \((\d+)\) and none of the price \((\d+)\), \*\*(\d+) points\*\*"
    fruit, price, total = (int(x) for x in re.search(walk, sheet_a).groups())
    assert (fruit, price) == (0, points("aubrelle", "cost-share", "0"))
    assert fruit + price == total == a_batna
    fruit, price, total = (int(x) for x in re.search(walk, sheet_t).groups())
    assert (fruit, price) == (0, points("tallis", "cost-share", "100"))
    assert fruit + price == total == t_batna
    fruit_options = {o.key for o in next(i for i in scenario.issues if i.key == "fruit").options}
    # buying alone is outside the contract
    assert fruit_options == {"half-each", "rinds-tallis", "rinds-aubrelle", "juice-shared"}

    # Buying alone: all of the part each needs, the other part sold on, the whole price, the shed, and the
    # publicity each would choose. The parts are the table's separated options.
    alone = (
        r"all the rinds \((\d+)\), the juice sold on \((\d+)\), the whole price \((\d+)\), the shed \((\d+)\),"
        r" silence \((\d+)\), \*\*(\d+) points\*\*"
    )
    *terms, total = (int(x) for x in re.search(alone, sheet_a).groups())
    assert terms == [
        points("aubrelle", "fruit", "rinds-aubrelle"),
        points("aubrelle", "fruit", "rinds-tallis"),
        points("aubrelle", "cost-share", "100"),
        points("aubrelle", "processing", "cooperative"),
        points("aubrelle", "publicity", "silence"),
    ]
    assert sum(terms) == total == a_batna  # no better than walking away, so the race does not matter
    alone = (
        r"\*\*(\d+)\*\*: all the juice \((\d+)\), the rinds sold on \((\d+)\), the whole price \((\d+)\), the"
        r" shed \((\d+)\) and your own announcement \((\d+)\)"
    )
    total, *terms = (int(x) for x in re.search(alone, sheet_t).groups())
    assert terms == [
        points("tallis", "fruit", "rinds-aubrelle"),
        points("tallis", "fruit", "rinds-tallis"),
        points("tallis", "cost-share", "0"),
        points("tallis", "processing", "cooperative"),
        points("tallis", "publicity", "tallis-only"),
    ]
    assert sum(terms) == total == 42 < t_batna

    # The short alternatives shown beside the sheets quote the same terms.
    alt_a, alt_t = (words(scenario.role(k).alternative) for k in ("aubrelle", "tallis"))
    assert "(no fruit, 0; nothing paid, 60)" in alt_a
    assert (
        f"(all the rinds, {points('aubrelle', 'fruit', 'rinds-aubrelle')}; the juice sold on,"
        f" {points('aubrelle', 'fruit', 'rinds-tallis')}; the whole price, 0; pressed at the shed, 10;"
        f" nothing said, {points('aubrelle', 'publicity', 'silence')}). Either way: {a_batna} points." in alt_a
    )
    assert f"(no fruit, 0; nothing paid, {points('tallis', 'cost-share', '100')}): {t_batna} points" in alt_t
    assert (
        f"only 42 (all the juice, {points('tallis', 'fruit', 'rinds-aubrelle')}; the rinds sold on,"
        f" {points('tallis', 'fruit', 'rinds-tallis')}; the whole price, 0; the shed, 8;"
        f" your own announcement, {points('tallis', 'publicity', 'tallis-only')})" in alt_t
    )

    # The fruit in parts: half the oranges is half of each part. Aubrelle needs the rinds (its "rinds-aubrelle"
    # option), Tallis the juice (its "rinds-aubrelle" option too: the flesh and juice go to Tallis there). Half
    # of what each needs is worth less than all of it; the resale buyers take a whole lot's part or nothing.
    in_parts = (
        r"all of the (\w+) (?:is|are) worth (\d+) to you and half of (?:it|them) (\d+); all of the (\w+) (?:is|are)"
        r" worth (\d+) \([^)]*\) and half of (?:it|them) (\d+)"
    )
    for role, sheet, parts in (("aubrelle", sheet_a, "rinds juice"), ("tallis", sheet_t, "juice rinds")):
        need, got, half_need, sell, resale, half_resale = re.search(in_parts, sheet).groups()
        assert f"{need} {sell}" == parts
        got, half_need, resale, half_resale = int(got), int(half_need), int(resale), int(half_resale)
        assert got == points(role, "fruit", "rinds-aubrelle")
        assert resale == points(role, "fruit", "rinds-tallis")
        assert points(role, "fruit", "half-each") == half_need + half_resale and half_resale == 0
        # The rinds to Aubrelle and the juice shared: all of Aubrelle's part, half of Tallis's.
        shared = got + half_resale if role == "aubrelle" else half_need
        assert points(role, "fruit", "juice-shared") == shared
        assert 0 < half_need < got
    assert "he will not send a tanker for half of it" in sheet_a
    assert "it will not send a van for half of them" in sheet_t

    # A 10-point step of the price (€9,600) is 6 points to each side, and the sheets list every grid value.
    for role, sheet in (("aubrelle", sheet_a), ("tallis", sheet_t)):
        assert "each €9,600 (10 percentage points of the price) is worth 6 points to you" in sheet
        listed = {int(v): int(p) for v, p in re.findall(r"(\d+)% = (\d+)", sheet)}
        assert listed == {c: points(role, "cost-share", str(c)) for c in range(0, 101, 10)}
        best = sum(max(int(o.points[role]) for o in i.choices()) for i in scenario.issues)
        assert f"Your best possible total is {best} points" in sheet


def test_the_orange_sheets_points_tables_match_the_yaml():
    scenario, _, _ = _orange()
    names = {"The fruit": "fruit", "Aubrelle's share of the €96,000": "cost-share"}
    names |= {"Processing": "processing", "Publicity": "publicity"}
    for role in scenario.roles:
        rows: dict[str, list[str]] = {}
        issue = None
        for line in role.sheet.splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) != 3 or cells[0] in ("Issue", "---"):
                continue
            issue = names[cells[0]] if cells[0] else issue
            rows.setdefault(issue, []).append(cells[2])
        assert list(rows) == [i.key for i in scenario.issues]
        for i in scenario.issues:
            if i.kind == "options":
                assert sorted(int(x) for x in rows[i.key]) == sorted(int(o.points[role.key]) for o in i.options)
            else:
                ends = sorted((int(i.linear[role.key].at_min), int(i.linear[role.key].at_max)))
                assert [int(rows[i.key][0]), int(rows[i.key][-1])] == ends[::-1]
                assert rows[i.key][1] == "6 fewer"


def test_the_orange_public_text_does_not_name_the_trade():
    """The fruit is one issue; neither the summary, the agenda, nor any issue's name or description names the
    rind or the juice, and the options that separate each orange give the rinds to either side, or to Aubrelle
    with the juice shared, so a pair must find out who needs which part. No sheet says what a good deal is."""
    import re

    scenario, _, words = _orange()
    parts = re.compile(r"peel|rind|juice", re.IGNORECASE)
    assert not parts.search(scenario.summary)
    agenda = scenario.situation.split("### What you must settle")[1]
    assert not parts.search(agenda)
    for issue in scenario.issues:
        assert not parts.search(issue.name) and not parts.search(issue.description), issue.key
    fruit = next(i for i in scenario.issues if i.key == "fruit")
    separated = [o for o in fruit.options if parts.search(o.label)]
    assert {o.key for o in separated} == {"rinds-aubrelle", "rinds-tallis", "juice-shared"}
    assert len(fruit.options) == 4
    assert max(fruit.options, key=lambda o: sum(o.points.values())).key == "rinds-aubrelle"
    for role in scenario.roles:
        sheet = words(role.sheet).lower()
        assert "realistic" not in sheet and "seventies" not in sheet and "a good deal" not in sheet
    assert "not on the list" not in scenario.teaching_notes
