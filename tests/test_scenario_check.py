"""The scenario check (core.scenario_check): what a valid scenario's points say it will fail to teach."""

from __future__ import annotations

import itertools
import random

from core.analysis import ScoringTable
from core.scenario_check import scenario_warnings
from core.scenario_document import parse_scenario
from tests.scenario_docs import dump, valid

RENT_SPANS = (
    "issues[0] (rent): with every other issue at its most points for the pair together, every value from"
    " 1000 EUR to 2000 EUR is at or above both BATNAs: walking away is never credible, and claiming value"
    " on this issue has nothing to teach; raise a BATNA or narrow the range"
)


def warnings_of(document: dict) -> tuple[str, ...]:
    return parse_scenario(dump(document)).warnings


def test_a_price_zone_spanning_the_whole_range_is_warned_of_and_a_higher_batna_clears_it():
    # The lease's best trade (five years, the owner pays the repairs) leaves the owner 30 and the baker
    # 40 before the rent: with BATNAs of 20 and 15, every rent from 1000 to 2000 beats both.
    assert warnings_of(valid()) == (RENT_SPANS,)
    doc = valid()
    doc["roles"][0]["batna"] = 35  # the owner now needs 5 points of rent: 1000 no longer does
    assert warnings_of(doc) == ()


def test_a_range_is_no_fault_when_a_batna_cuts_one_end_of_it():
    doc = valid()
    doc["roles"][1]["batna"] = 45  # the baker needs the rent at or below 1750 once the trade is found
    assert warnings_of(doc) == ()


def test_a_numeric_issue_both_sides_want_more_of_is_not_a_price():
    doc = valid()
    doc["issues"][0]["points"]["baker"] = {"at_min": 0, "at_max": 40}  # both gain as it rises: compatible
    assert all("issues[0]" not in w for w in warnings_of(doc))


def test_an_issue_the_batnas_settle_is_warned_of_with_the_only_option_left():
    doc = valid()
    doc["roles"][0]["batna"] = 35
    doc["roles"][1]["batna"] = 55  # without the owner paying the repairs the baker makes at most 50
    assert warnings_of(doc) == (
        "issues[1] (term): every outcome at or above both BATNAs has 'Five years': the BATNAs settle this"
        " issue, and there is nothing to negotiate on it",
        "issues[2] (repairs): every outcome at or above both BATNAs has 'Owner pays': the BATNAs settle this"
        " issue, and there is nothing to negotiate on it",
    )


def test_no_deal_above_both_batnas_is_the_only_warning_then():
    doc = valid()
    doc["roles"][0]["batna"] = 79
    doc["roles"][1]["batna"] = 80
    (warning,) = warnings_of(doc)
    assert warning.startswith("roles: no outcome beats both BATNAs (owner 79, baker 80)")


def _random_document(rng: random.Random) -> dict:
    doc = valid()
    doc["roles"][0]["batna"] = rng.randrange(0, 60)
    doc["roles"][1]["batna"] = rng.randrange(0, 60)
    for issue in doc["issues"][1:]:
        for option in issue["options"]:
            option["points"] = {"owner": rng.randrange(0, 31), "baker": rng.randrange(0, 31)}
    low, high = rng.randrange(0, 41), rng.randrange(0, 41)
    doc["issues"][0]["points"] = {"owner": {"at_min": low, "at_max": high}, "baker": {"at_min": high, "at_max": low}}
    return doc


def _points(table: ScoringTable, outcome: tuple[int, ...]) -> tuple[int, int]:
    chosen = [column.points[i] for column, i in zip(table.columns, outcome, strict=True)]
    return sum(a for a, _ in chosen), sum(b for _, b in chosen)


def test_the_check_agrees_with_every_outcome_enumerated():
    rng = random.Random(7)
    seen = set()
    for _ in range(150):
        scenario = parse_scenario(dump(_random_document(rng))).scenario
        table = ScoringTable.from_scenario(scenario)
        da, db = table.batna
        outcomes = list(itertools.product(*(range(len(c.points)) for c in table.columns)))

        scored = [(outcome, _points(table, outcome)) for outcome in outcomes]
        expected = []
        if not any(a > da and b > db for _, (a, b) in scored):
            expected.append("roles")
        else:
            for index, column in enumerate(table.columns):
                left = {outcome[index] for outcome, (a, b) in scored if a >= da and b >= db}
                if len(left) == 1:
                    expected.append(f"issues[{index}] settled")
                if (
                    index == 0
                    and (column.points[-1][0] - column.points[0][0]) * (column.points[-1][1] - column.points[0][1]) < 0
                ):
                    best = [
                        max(range(len(c.points)), key=lambda i, c=c: c.points[i][0] + c.points[i][1])
                        for c in table.columns
                    ]
                    if all(
                        _points(table, (value, *best[1:]))[0] >= da and _points(table, (value, *best[1:]))[1] >= db
                        for value in range(len(column.points))
                    ):
                        expected.append("issues[0] spans")
        found = []
        for warning in scenario_warnings(scenario):
            where = warning.split(" ")[0].split(":")[0]
            found.append(where if where == "roles" else f"{where} {'spans' if 'every value' in warning else 'settled'}")
        assert found == expected, (scenario, found, expected)
        seen.update(found)
    assert seen >= {"roles", "issues[0] spans", "issues[1] settled", "issues[2] settled"}


TOLD = "Above all the owner wants a term of five years, and the baker mostly cares about the repairs."
TERM_TOLD = (
    f'situation: "{TOLD}" may tell the'
    " class that Term (term) weighs more for Owner (owner) than for the other side: that is the trade a pair"
    " should discover by asking; move it to the role's confidential sheet"
)


def test_a_public_text_that_tells_who_cares_most_about_what_is_warned_of_at_its_path():
    # The owner's points spread 30 on the term (a third of hers), the baker's 5: the term is the owner's
    # side of the trade, the repairs the baker's.
    doc = valid()
    doc["roles"][0]["batna"] = 35  # no price warning in the way
    doc["situation"] = "A baker wants a shop. " + TOLD
    assert warnings_of(doc) == (
        TERM_TOLD,
        TERM_TOLD.replace(
            "Term (term) weighs more for Owner (owner)", "Repairs (repairs) weighs more for Baker (baker)"
        ),
    )
    doc["situation"] = "A baker wants a shop."
    doc["issues"][2]["description"] = "The baker needs the owner to fix the oven."  # no issue named: no fault
    assert warnings_of(doc) == ()
    doc["issues"][2]["description"] = "The baker needs the owner to pay for the repairs."
    assert warnings_of(doc) == (
        'issues[2].description: "The baker needs the owner to pay for the repairs." may tell the class that'
        " Repairs (repairs) weighs more for Baker (baker) than for the other side: that is the trade a pair"
        " should discover by asking; move it to the role's confidential sheet",
    )


def test_a_sentence_naming_a_role_and_an_issue_without_wanting_or_the_other_sides_issue_is_no_fault():
    doc = valid()
    doc["roles"][0]["batna"] = 35
    doc["situation"] = (
        "The owner and the baker will settle the rent, the term and the repairs. The baker needs a term of"
        " some kind."  # the term weighs more for the owner than for the baker
    )
    assert warnings_of(doc) == ()
