"""The built-in scenarios' role sheets say what their points say: a student who acts on the words of a sheet
(its table of points, its examples, its alternative and the prices it names) finds the points agree. The
teaching notes' figures are the report's."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest

from core.analysis import ScoringTable, report_json
from core.scenario_document import load_scenario_file
from core.spec import Issue, Scenario, format_number
from scenarios.services import BUILTIN_DIR

# The scenarios whose sheets follow one layout: a table of every option's points under "### Your points",
# an example sentence for the money, the best possible total, and the alternative's points.
SHEETS = ["road-bike", "job-offer"]


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


def row_points(scenario: Scenario, issue: Issue, role: str, option: str) -> str:
    """What the sheet's row for `option` must say: an option's points, a value's points, or a step's. An
    option that pays by outcome says what it pays in each, then what it counts as on the role's forecast:
    "12 if exceeds expectations, 0 if meets expectations or below: counts as 9"."""
    if issue.kind != "numeric":
        found = [o for o in issue.options if o.label.lower() == option.lower()]
        assert len(found) == 1, f"{issue.key}: no option labelled {option!r}"
        if found[0].is_flat():
            return format_number(found[0].points[role])
        assert found[0].by_outcome is not None
        event = scenario.event(issue.event)
        paid = [f"{format_number(p)} if {event.label(o).lower()}" for o, p in found[0].by_outcome[role].items()]
        return f"{', '.join(paid)}: counts as {format_number(found[0].points[role])}"
    amount = re.search(r"€([\d,]+)", option)
    assert amount, option
    value = money(amount.group(1))
    if option.startswith("each"):
        step = issue.points_at(role, issue.minimum + value) - issue.points_at(role, issue.minimum)
        rises = "further" in option or "more" in option
        return f"{format_number(abs(step))} {'more' if (step > 0) == rises else 'fewer'}"
    return format_number(issue.points_at(role, value))


@pytest.mark.parametrize("slug", SHEETS)
def test_each_sheets_table_of_points_is_the_documents(slug):
    scenario = load(slug)
    for role in scenario.roles:
        rows = table_rows(role.sheet)
        by_name = {issue.name: issue for issue in scenario.issues}
        assert [name for name in dict.fromkeys(r[0] for r in rows)] == list(by_name), role.key
        for name, option, points in rows:
            assert points == row_points(scenario, by_name[name], role.key, option), (role.key, name, option)
        for issue in scenario.issues:
            if issue.kind != "numeric":  # every option has its row
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


def test_the_job_offers_alternatives_limits_and_forecasts_in_the_sheets_follow_the_points():
    scenario = load("job-offer")
    table = ScoringTable.from_scenario(scenario)
    candidate, employer = scenario.roles
    salaries = [int(v) for v in scenario.issues[0].grid()]

    def points(role: str, salary: int, start: str, remote: str, bonus: str, relocation: str) -> Fraction:
        package = {"salary": str(salary), "start": start, "remote": remote, "bonus": bonus, "relocation": relocation}
        return dict(zip(scenario.role_keys, table.score(package), strict=True))[role]

    # Kestrel's terms, exactly on the candidate's table; Tom's terms on the employer's, less 18.
    assert points("candidate", 61000, "ten-weeks", "two", "signing", "none") == candidate.batna == 47
    assert "worth **47 points** to you (21 + 8 + 12 + 6 + 0)" in words(candidate.sheet)
    assert points("employer", 57000, "six-weeks", "one", "none", "flat") == 64 == employer.batna + 18
    assert "Those terms would score 64 on your table (27 + 10 + 9 + 12 + 6)" in words(employer.sheet)
    assert "about €6,000 a year less to the team than Helena, 18 points" in words(employer.sheet)
    # The limits each sheet names, for the terms it names: the last salary at or above the BATNA.
    need = min(s for s in salaries if points("candidate", s, "two-weeks", "one", "signing", "allowance") >= 47)
    assert need == 65000 and "(0 + 6 + 6 + 4 = 16), you would need at least €65,000" in words(candidate.sheet)
    most = max(s for s in salaries if points("employer", s, "six-weeks", "two", "signing", "allowance") >= 46)
    assert most == 59000 and "(10 + 7 + 6 + 2 = 25) leave you able to pay no more than €59,000" in words(employer.sheet)
    # Each sheet states its own forecast of the review, and no sheet the other's.
    assert candidate.forecasts["review"]["exceeds"] == Fraction(3, 4) and "at **75%**" in candidate.sheet
    assert employer.forecasts["review"]["exceeds"] == Fraction(1, 4) and "at **25%**" in employer.sheet
    assert "25%" not in candidate.sheet and "75%" not in employer.sheet


def test_the_job_offers_notes_figures_are_the_reports():
    scenario = load("job-offer")
    table = ScoringTable.from_scenario(scenario)
    report = report_json(table, scenario.slug)
    notes = words(scenario.teaching_notes)
    efficient = {"start": "two-weeks", "remote": "three", "bonus": "performance", "relocation": "flat"}
    assert report["max_joint"] == 105 and sum(table.score({"salary": "60000", **efficient})) == 105
    assert table.score({"salary": "54000", **efficient}) == (35, 70)  # 35 and 34 before the salary
    assert "These terms give Helena 35 and Daniel 34 before the salary" in notes
    flat = max(sum(table.score({"salary": "60000", **efficient, "bonus": b})) for b in ("none", "signing"))
    assert flat == 99 and "the most the pair can reach is **99**" in notes
    assert report["nash"] == report["kalai_smorodinsky"] == report["egalitarian"] == [53, 52]
    assert table.score({"salary": "60000", **efficient}) == (53, 52)
    assert "Nash point: **53 / 52**, the efficient terms at a salary of **€60,000**" in notes
    zone = [
        s
        for s in scenario.issues[0].grid()
        if all(p >= r.batna for p, r in zip(table.score({"salary": str(s), **efficient}), scenario.roles, strict=True))
    ]
    assert (zone[0], zone[-1], len(zone)) == (58000, 62000, 5)
    assert "any salary from €58,000 to €62,000 is at or above both alternatives: five of the thirteen" in notes
    split = {"start": "six-weeks", "remote": "two", "bonus": "signing", "relocation": "allowance"}
    assert table.score({"salary": "54000", **split}) == (27, 25 + 36)
    assert report["feasible_outcomes"] == 46 and report["outcomes"] == 1404
    assert "About one outcome in thirty (46 of 1,404)" in notes
