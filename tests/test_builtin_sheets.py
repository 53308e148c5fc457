"""The built-in scenarios' role sheets say what their points say: a student who acts on the words of a sheet
(its table of points, its examples, its alternative and the prices it names) finds the points agree. The
teaching notes' figures are the report's."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest

from core.analysis import ScoringTable, report_json
from core.scenario_document import load_scenario_file
from core.spec import Issue, Scenario
from scenarios.services import BUILTIN_DIR

# The scenarios whose sheets follow one layout: a table of every option's points under "### Your points",
# an example sentence for the money, the best possible total, and the alternative's points.
SHEETS = ["road-bike"]


def words(text: str) -> str:
    return " ".join(text.split())


def money(text: str) -> Fraction:
    return Fraction(text.replace(",", ""))


def load(slug: str) -> Scenario:
    return load_scenario_file(str(BUILTIN_DIR / f"{slug}.yaml")).scenario


def table_rows(sheet: str) -> list[tuple[str, str, str]]:
    """The rows of the sheet's points table, each (issue name, option, points), the issue carried down."""
    part = sheet.split("### Your points", 1)[1].split("###", 1)[0]
    rows, issue = [], ""
    for line in part.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or cells[0] in ("Issue", "---"):
            continue
        issue = cells[0] or issue
        rows.append((issue, cells[1], cells[2]))
    return rows


def row_points(issue: Issue, role: str, option: str) -> str:
    """What the sheet's row for `option` must say: an option's points, a value's points, or a step's."""
    if issue.kind == "options":
        found = [o for o in issue.options if o.label.lower() == option.lower()]
        assert len(found) == 1, f"{issue.key}: no option labelled {option!r}"
        return str(found[0].points[role])
    amount = re.search(r"€([\d,]+)", option)
    assert amount, option
    value = money(amount.group(1))
    if option.startswith("each"):
        step = issue.points_at(role, issue.minimum + value) - issue.points_at(role, issue.minimum)
        rises = "further" in option or "more" in option
        return f"{abs(step)} {'more' if (step > 0) == rises else 'fewer'}"
    return str(issue.points_at(role, value))


@pytest.mark.parametrize("slug", SHEETS)
def test_each_sheets_table_of_points_is_the_documents(slug):
    scenario = load(slug)
    for role in scenario.roles:
        rows = table_rows(role.sheet)
        by_name = {issue.name: issue for issue in scenario.issues}
        assert [name for name in dict.fromkeys(r[0] for r in rows)] == list(by_name), role.key
        for name, option, points in rows:
            assert points == row_points(by_name[name], role.key, option), (role.key, name, option)
        for issue in scenario.issues:
            if issue.kind == "options":  # every option has its row
                listed = [o.lower() for n, o, _ in rows if n == issue.name]
                assert sorted(listed) == sorted(o.label.lower() for o in issue.options), (role.key, issue.key)


@pytest.mark.parametrize("slug", SHEETS)
def test_each_sheets_examples_best_total_and_alternative_are_its_points(slug):
    scenario = load(slug)
    (numeric,) = [issue for issue in scenario.issues if issue.kind == "numeric"]
    for role in scenario.roles:
        sheet = words(role.sheet)
        example = re.search(r"For example: (.*?)\. Your best possible total is (\d+)\.", sheet)
        assert example, role.key
        pairs = re.findall(r"€([\d,]+) = (\d+)", example.group(1))
        assert len(pairs) >= 3
        for value, points in pairs:
            assert numeric.points_at(role.key, money(value)) == int(points), (role.key, value)
        best = sum(max(o.points[role.key] for o in issue.choices()) for issue in scenario.issues)
        assert int(example.group(2)) == best
        assert f"worth **{role.batna} points** to you" in sheet
        assert words(role.alternative).endswith(f"Worth {role.batna} points to you.")


def test_the_bikes_limits_in_the_sheets_are_the_last_prices_at_or_above_each_batna():
    scenario = load("road-bike")
    (price,) = scenario.issues
    seller, buyer = scenario.roles
    grid = price.grid()
    lowest = min(int(p) for p in grid if price.points_at("seller", p) >= seller.batna)
    assert f"any price below €{lowest:,} is worse than walking away" in words(seller.sheet)
    highest = max(int(p) for p in grid if price.points_at("buyer", p) >= buyer.batna)
    assert f"any price above €{highest:,} is worse than walking away" in words(buyer.sheet)
    # The buyer's limit is the shop's bike and its tyres, as the sheet and the alternative add them up.
    assert "for **€1,040**" in words(buyer.sheet) and "about **€50** fitted" in words(buyer.sheet)
    assert highest == 1040 + 50 and "€1,090 all told" in words(buyer.alternative)
    assert "€900 off the new bike" in words(seller.alternative) and lowest == 900


def test_the_bike_is_a_fixed_pie_and_the_notes_figures_are_the_reports():
    scenario = load("road-bike")
    report = report_json(ScoringTable.from_scenario(scenario), scenario.slug)
    notes = words(scenario.teaching_notes)
    assert report["integrative_potential"] == 0 and report["max_joint"] == 60
    assert report["feasible_outcomes"] == 20 and report["outcomes"] == 61
    assert "**The zone of agreement: €900 to €1,090**, €190 of the €600 on the table; 20 of the 61 prices" in notes
    assert report["nash"] == report["kalai_smorodinsky"] == report["egalitarian"] == [30, 30]
    assert scenario.issues[0].points_at("seller", Fraction(1000)) == 30
    assert "Nash point: **30 / 30**, at **€1,000**" in notes
    assert "BATNAs: seller 20 (€900), buyer 21 (€1,090)" in notes
