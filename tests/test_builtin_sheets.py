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
SHEETS = ["road-bike", "job-offer", "supply-contract", "business-sale"]


def words(text: str) -> str:
    return " ".join(text.split())


def money(text: str) -> Fraction:
    return Fraction(text.replace(",", ""))


def load(slug: str) -> Scenario:
    return load_scenario_file(str(BUILTIN_DIR / f"{slug}.yaml")).scenario


class Priced:
    """A scenario with one price (its numeric issue): each role's points for a price and the other terms,
    the price each role can go to for those terms, and the zone both can accept."""

    def __init__(self, slug: str) -> None:
        self.scenario = load(slug)
        self.table = ScoringTable.from_scenario(self.scenario)
        self.report = report_json(self.table, slug)
        (self.price,) = [issue for issue in self.scenario.issues if issue.kind == "numeric"]
        self.notes = words(self.scenario.teaching_notes)

    def sheet(self, role: str) -> str:
        return words(self.scenario.role(role).sheet)

    def points(self, price: int, /, **terms: str) -> tuple[Fraction, ...]:
        return self.table.score({self.price.key: str(price), **terms})

    def role_points(self, role: str, price: int, /, **terms: str) -> Fraction:
        return self.points(price, **terms)[self.scenario.role_keys.index(role)]

    def limit(self, role: str, /, **terms: str) -> int:
        """The last price at or above the role's BATNA with these terms: the lowest for the side paid it."""
        batna = self.scenario.role(role).batna
        ok = [int(v) for v in self.price.grid() if self.role_points(role, int(v), **terms) >= batna]
        rises = self.price.points_at(role, self.price.maximum) > self.price.points_at(role, self.price.minimum)
        return min(ok) if rises else max(ok)

    def before(self, **terms: str) -> tuple[Fraction, ...]:
        """Each role's points for the other terms, before the price."""
        at = self.price.minimum
        points = self.points(int(at), **terms)
        return tuple(p - self.price.points_at(r, at) for p, r in zip(points, self.scenario.role_keys, strict=True))

    def zone(self, **terms: str) -> list[int]:
        batnas = [role.batna for role in self.scenario.roles]
        return [
            int(v)
            for v in self.price.grid()
            if all(p >= b for p, b in zip(self.points(int(v), **terms), batnas, strict=True))
        ]

    def assert_solutions(self, points: list[int], price: int, **terms: str) -> None:
        """The Nash, Kalai-Smorodinsky and egalitarian points agree, at this price with these terms."""
        report = self.report
        assert report["nash"] == report["kalai_smorodinsky"] == report["egalitarian"] == points
        assert list(self.points(price, **terms)) == points


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
        by_outcome = (found[0].by_outcome or {}).get(role, {})
        if len(set(by_outcome.values())) <= 1:  # the same whatever happens, to this role
            return format_number(found[0].points[role])
        event = scenario.event(issue.event)
        paid = [f"{format_number(p)} if {event.label(o).lower()}" for o, p in by_outcome.items()]
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
    bike = Priced("road-bike")
    seller, buyer = (words(role.alternative) for role in bike.scenario.roles)
    assert bike.limit("seller") == 900 and "any price below €900 is worse than walking away" in bike.sheet("seller")
    assert "€900 off the new bike" in seller
    assert bike.limit("buyer") == 1090 and "any price above €1,090 is worse than walking away" in bike.sheet("buyer")
    # The buyer's limit is the shop's bike and its tyres, as the sheet and the alternative add them up.
    assert "for **€1,040**" in bike.sheet("buyer") and "about **€50** fitted" in bike.sheet("buyer")
    assert 1040 + 50 == 1090 and "€1,090 all told" in buyer


def test_the_bike_is_a_fixed_pie_and_the_notes_figures_are_the_reports():
    bike = Priced("road-bike")
    assert bike.report["integrative_potential"] == 0 and bike.report["max_joint"] == 60
    assert bike.report["feasible_outcomes"] == 20 == len(bike.zone()) and bike.report["outcomes"] == 61
    assert (bike.zone()[0], bike.zone()[-1]) == (900, 1090)
    assert "**The zone of agreement: €900 to €1,090**, €190 of the €600 on the table; 20 of the 61 prices" in bike.notes
    bike.assert_solutions([30, 30], 1000)
    assert "Nash point: **30 / 30**, at **€1,000**" in bike.notes
    assert "BATNAs: seller 20 (€900), buyer 21 (€1,090)" in bike.notes


def test_the_job_offers_alternatives_limits_and_forecasts_in_the_sheets_follow_the_points():
    job = Priced("job-offer")
    candidate, employer = job.scenario.roles
    # Kestrel's terms, exactly on the candidate's table; Tom's terms on the employer's, less 18.
    kestrel = {"start": "ten-weeks", "remote": "two", "bonus": "signing", "relocation": "none"}
    assert job.role_points("candidate", 61000, **kestrel) == candidate.batna == 47
    assert "worth **47 points** to you (21 + 8 + 12 + 6 + 0)" in job.sheet("candidate")
    tom = {"start": "six-weeks", "remote": "one", "bonus": "none", "relocation": "flat"}
    assert job.role_points("employer", 57000, **tom) == 64 == employer.batna + 18
    assert "Those terms would score 64 on your table (27 + 10 + 9 + 12 + 6)" in job.sheet("employer")
    assert "about €6,000 a year less to the team than Helena, 18 points" in job.sheet("employer")
    # The limits each sheet names, for the terms it names.
    terms = {"start": "two-weeks", "remote": "one", "bonus": "signing", "relocation": "allowance"}
    assert job.limit("candidate", **terms) == 65000
    assert "(0 + 6 + 6 + 4 = 16), you would need at least €65,000" in job.sheet("candidate")
    terms = {"start": "six-weeks", "remote": "two", "bonus": "signing", "relocation": "allowance"}
    assert job.limit("employer", **terms) == 59000
    assert "(10 + 7 + 6 + 2 = 25) leave you able to pay no more than €59,000" in job.sheet("employer")
    # Each sheet states its own forecast of the review, and no sheet the other's.
    assert candidate.forecasts["review"]["exceeds"] == Fraction(3, 4) and "at **75%**" in candidate.sheet
    assert employer.forecasts["review"]["exceeds"] == Fraction(1, 4) and "at **25%**" in employer.sheet
    assert "25%" not in candidate.sheet and "75%" not in employer.sheet


def test_the_supply_contracts_alternatives_limits_forecasts_and_caution_follow_the_points():
    deal = Priced("supply-contract")
    grower, processor = deal.scenario.roles
    brennans = {"form": "fixed", "payment": "advance", "volume": "whole-crop", "variety": "own"}
    assert deal.role_points("grower", 98, **brennans) == grower.batna == 44
    assert "worth **44 points** to you (8 + 12 + 8 + 16 + 0)" in deal.sheet("grower")
    broker = {"form": "indexed", "payment": "sixty-days", "volume": "none", "variety": "own"}
    assert deal.role_points("processor", 115, **broker) == processor.batna == 40
    assert "worth **40 points** to you (15 + 10 + 5 + 10 + 0)" in deal.sheet("processor")
    terms = {"form": "indexed", "payment": "delivery", "volume": "minimum", "variety": "own"}
    assert deal.role_points("grower", 90, **terms) == 6 + 3 + 9 + 0 and deal.limit("grower", **terms) == 116
    assert deal.role_points("grower", 116, **terms) == grower.batna  # the limit matches Brennan's, no more
    assert "(6 + 3 + 9 + 0 = 18), you would need a base price of at least €116 to match Brennan's." in (
        deal.sheet("grower")
    )
    terms = {"form": "shared", "payment": "delivery", "volume": "minimum", "variety": "own"}
    assert deal.role_points("processor", 130, **terms) == 10 + 3 + 7 + 0 and deal.limit("processor", **terms) == 110
    assert "(10 + 3 + 7 + 0 = 20), you could pay a base price of no more than €110" in deal.sheet("processor")
    # The same forecast for both, the public one; the grower's caution in words, the processor has none.
    public = {"up": Fraction(1, 4), "same": Fraction(1, 2), "down": Fraction(1, 4)}
    assert grower.forecasts["market"] == processor.forecasts["market"] == public
    assert deal.scenario.event("market").distribution == public
    assert "one year in four the price rises by roughly €12 a tonne, one in four it falls" in words(
        deal.scenario.situation
    )
    assert grower.caution == Fraction(1, 2) and processor.caution == 0
    assert (
        "you count a price that follows the market at half what you expect it to pay and half what it pays in a bad"
        " year" in deal.sheet("grower")
    )
    assert "So you count what a term is expected to pay." in deal.sheet("processor")


# Each scenario's figures in its teaching notes: the efficient terms (every issue but the price at the options
# that give the pair the most), what they give each side before the price, the Nash point and its price, the
# price zone with those terms, the zone when the pair splits every other issue down the middle, the share
# of outcomes that beat both BATNAs; and the sentences of the notes that quote them.
NOTES = {
    "job-offer": {
        "efficient": {"start": "two-weeks", "remote": "three", "bonus": "performance", "relocation": "flat"},
        "max_joint": 105,
        "before": (35, 34),
        "nash": ([53, 52], 60000),
        "zone": (58000, 62000, 5),
        "split": {"start": "six-weeks", "remote": "two", "bonus": "signing", "relocation": "allowance"},
        "split_before": (27, 25),
        "split_limits": (61000, 59000),
        "feasible": (46, 1404),
        "quotes": [
            "These terms give Helena 35 and Daniel 34 before the salary",
            "Nash point: **53 / 52**, the efficient terms at a salary of **€60,000**",
            "any salary from €58,000 to €62,000 is at or above both alternatives: five of the thirteen",
            "Helena then needs at least €61,000 and Daniel can pay no more than €59,000",
            "About one outcome in thirty (46 of 1,404)",
        ],
    },
    "business-sale": {
        "efficient": {
            "earnout": "earnout-400",
            "role": "head-roaster",
            "brand": "lantern-canal",
            "staff": "guaranteed",
        },
        "max_joint": 111,
        "before": (37, 34),
        "nash": ([55, 56], 2160000),
        "zone": (2000000, 2320000, 17),
        "split": {"earnout": "earnout-200", "role": "adviser", "brand": "lantern-carrow", "staff": "none"},
        "split_before": (19, 33),
        "split_limits": (2360000, 2300000),
        "feasible": (213, 2214),
        "quotes": [
            "These terms give Agnes 37 and Pieter 34 before the price",
            "Nash point: **55 / 56**, the efficient terms at a price of **€2,160,000**",
            "any price from €2,000,000 to €2,320,000 is at or above both alternatives: 17 of the 41 prices",
            "Agnes then needs at least €2,360,000 and Pieter can pay no more than €2,300,000",
            "About one outcome in ten (213 of 2,214)",
        ],
    },
    "supply-contract": {
        "efficient": {"form": "fixed", "payment": "advance", "volume": "whole-crop", "variety": "calder"},
        "max_joint": 103,
        "before": (42, 21),
        "nash": ([54, 49], 102),
        "zone": (92, 111, 20),
        "split": {"form": "shared", "payment": "delivery", "volume": "minimum", "variety": "own"},
        "split_before": (21, 20),
        "split_limits": (113, 110),
        "feasible": (327, 2214),
        "quotes": [
            "These terms give Ruth 42 and Calder 21 before the base price",
            "Nash point: **54 / 49**, the efficient terms at a base price of **€102**",
            "any base price from €92 to €111 is at or above both alternatives: 20 of the 41 prices",
            "Ruth then needs at least €113 and Calder can pay no more than €110",
            "About one outcome in seven (327 of 2,214)",
        ],
    },
}


@pytest.mark.parametrize("slug", NOTES)
def test_the_notes_figures_are_the_reports(slug):
    deal, figures = Priced(slug), NOTES[slug]
    efficient, split = figures["efficient"], figures["split"]
    assert deal.report["max_joint"] == figures["max_joint"] == sum(deal.points(int(deal.price.minimum), **efficient))
    assert deal.before(**efficient) == figures["before"]
    points, price = figures["nash"]
    deal.assert_solutions(points, price, **efficient)
    zone = deal.zone(**efficient)
    assert (zone[0], zone[-1], len(zone)) == figures["zone"]
    assert deal.before(**split) == figures["split_before"] and deal.zone(**split) == []
    a, b = deal.scenario.role_keys
    assert (deal.limit(a, **split), deal.limit(b, **split)) == figures["split_limits"]
    assert (deal.report["feasible_outcomes"], deal.report["outcomes"]) == figures["feasible"]
    for quote in figures["quotes"]:
        assert quote in deal.notes


def test_the_job_offers_review_bonus_adds_six_to_the_best_flat_bonus():
    job = Priced("job-offer")
    efficient = NOTES["job-offer"]["efficient"]
    flat = max(sum(job.points(60000, **{**efficient, "bonus": b})) for b in ("none", "signing"))
    assert flat == 99 and "the most the pair can reach is **99**" in job.notes


def test_the_supply_contracts_fixed_price_adds_six_to_the_index():
    deal = Priced("supply-contract")
    efficient = NOTES["supply-contract"]["efficient"]
    assert sum(deal.points(100, **{**efficient, "form": "indexed"})) == 97
    assert "With the price indexed to the market instead, the most the pair can reach is 97" in deal.notes


def test_the_business_sales_alternatives_limits_forecasts_and_caution_follow_the_points():
    sale = Priced("business-sale")
    seller, buyer = sale.scenario.roles
    ferrow = {"earnout": "none", "role": "leaves", "brand": "lantern-carrow", "staff": "guaranteed"}
    assert sale.role_points("seller", 2260000, **ferrow) == seller.batna == 47
    assert "worth **47 points** to you (23 + 0 + 10 + 6 + 8)" in sale.sheet("seller")
    kettle_hill = {"earnout": "none", "role": "adviser", "brand": "bracken", "staff": "none"}
    assert sale.role_points("buyer", 1900000, **kettle_hill) == 69 == buyer.batna + 21
    assert "Those terms would score 69 on your table (35 + 20 + 8 + 6 + 0)" in sale.sheet("buyer")
    assert "about €420,000 less to Bracken than Lantern, 21 points" in sale.sheet("buyer") and 420000 // 20000 == 21
    terms = {"earnout": "none", "role": "leaves", "brand": "lantern-carrow", "staff": "none"}
    assert sale.before(**terms)[0] == 16 and sale.limit("seller", **terms) == 2420000
    assert sale.role_points("seller", 2420000, **terms) == seller.batna  # the limit matches Ferrow, no more
    assert "(0 + 10 + 6 + 0 = 16), you would need at least €2,420,000 to match Ferrow." in sale.sheet("seller")
    terms = {"earnout": "none", "role": "adviser", "brand": "lantern-carrow", "staff": "none"}
    assert sale.before(**terms)[1] == 36 and sale.limit("buyer", **terms) == 2360000
    assert "(20 + 8 + 8 + 0 = 36), you could pay no more than €2,360,000" in sale.sheet("buyer")
    # Each sheet states its own forecast, and the seller her caution, in words the points follow.
    assert seller.forecasts["revenue"]["reaches"] == Fraction(4, 5) and "at **80%**" in seller.sheet
    assert buyer.forecasts["revenue"]["reaches"] == Fraction(3, 10) and "at **30%**" in buyer.sheet
    assert "30%" not in seller.sheet and "80%" not in buyer.sheet
    assert seller.caution == Fraction(1, 4) and buyer.caution == 0
    assert "three quarters of what you expect it to pay and a quarter of what it pays if things go badly" in (
        sale.sheet("seller")
    )
    # The MESO the notes suggest is worth the same to its maker either way.
    alike = {"role": "head-roaster", "brand": "lantern-canal", "staff": "guaranteed"}
    one = sale.role_points("seller", 2360000, earnout="none", **alike)
    other = sale.role_points("seller", 2120000, earnout="earnout-400", **alike)
    assert one == other and sale.before(earnout="none", **alike)[0] + 28 == one
    assert '€2,360,000 and no earn-out, or €2,120,000 and €400,000 if revenue reaches €3.5 million" (28 points' in (
        sale.notes
    )


def test_the_business_sales_earn_out_adds_six_to_none():
    sale = Priced("business-sale")
    efficient = NOTES["business-sale"]["efficient"]
    assert sum(sale.points(2000000, **{**efficient, "earnout": "none"})) == 105
    assert "With no earn-out in its place, the most the pair can reach is **105**: the earn-out adds 6" in sale.notes
