"""The rounds compared drawn (reports/roundchart.py, docs/debrief.md "The rounds compared"): each figure's
spread per round as box plots, whose numbers are the table's, and a text alternative in words."""

from __future__ import annotations

import re
import xml.dom.minidom

from django.utils import translation

from reports import svg
from reports.roundchart import spread_chart
from reports.series import series_page
from reports.slides import Deck, rounds_compared

JOINT_1 = {"n": 3, "min": 78, "q1": 79.5, "median": 81, "q3": 98, "max": 115, "mean": 91.33}
JOINT_2 = {"n": 1, "min": 115, "q1": 115, "median": 115, "q3": 115, "max": 115, "mean": 115}


def a_round(number: int, joint: dict | None, *, ready: bool = True, state: str = "ended") -> dict:
    figures = {"joint": joint, "efficiency": None, "meso_offers": None, "fixed_pie": None}
    return {"round": number, "ready": ready, "state": state, "figures": figures if ready else None}


def series(*rounds: dict) -> dict:
    return {"series": 1, "rounds": list(rounds), "steps": [], "students": []}


def boxes(svg: str) -> dict[str, dict[str, float]]:
    """Each box drawn: its round's label (from its <title>) and its edges in the viewBox's units."""
    found = {}
    for y, height, title in re.findall(
        r'<rect x="[-\d.]+" y="([-\d.]+)" width="[\d.]+" height="([\d.]+)"[^>]*data-box="\d+"><title>([^<]+)</title>',
        svg,
    ):
        found[title] = {"top": float(y), "bottom": float(y) + float(height)}
    return found


def medians(svg: str) -> list[float]:
    return [float(y) for y in re.findall(r'<line x1="[\d.]+" y1="([\d.]+)"[^>]*data-median="\d+"', svg)]


def test_each_box_has_the_numbers_of_the_table_and_a_one_pair_round_is_a_line():
    data = series(a_round(1, JOINT_1), a_round(2, JOINT_2))
    page = series_page(data)
    svg = page["charts"]["joint"]
    xml.dom.minidom.parseString(svg)  # noqa: S318  (our own output) well-formed
    drawn = boxes(svg)
    one, two = (row["spread"] for row in page["joint"])
    assert one == {"n": "3", "min": "78", "q1": "79.5", "median": "81", "q3": "98", "max": "115"}
    written = "Round %s: %s, lowest %s, first quartile %s, median %s, third quartile %s, highest %s"
    first = written % ("1", "3 pairs", one["min"], one["q1"], one["median"], one["q3"], one["max"])
    second = written % ("2", "1 pair", *(two[k] for k in ("min", "q1", "median", "q3", "max")))
    assert list(drawn) == [first, second]
    # The box spans the quartiles and the median line lies inside it; higher values are higher up.
    median_1, median_2 = medians(svg)
    assert drawn[first]["top"] < median_1 < drawn[first]["bottom"]
    assert median_2 < median_1  # 115 above 81
    assert drawn[second]["bottom"] - drawn[second]["top"] < 4  # one pair: the box is a line at 115
    assert abs(drawn[second]["top"] - median_2) < 4
    # The class's change between the rounds is written on the chart and in its text alternative.
    assert ">+34<" in svg
    desc = re.search(r"<desc[^>]*>([^<]+)</desc>", svg).group(1)
    assert first in desc and second in desc and "Round 1 to round 2: the median +34." in desc


def test_an_empty_round_and_one_not_ended_say_so():
    data = series(a_round(1, JOINT_1), a_round(2, None), a_round(3, None, ready=False, state="live"))
    svg = series_page(data)["charts"]["joint"]
    xml.dom.minidom.parseString(svg)  # noqa: S318
    assert len(boxes(svg)) == 1
    desc = re.search(r"<desc[^>]*>([^<]+)</desc>", svg).group(1)
    assert "Round 2: none." in desc and "Round 3: not ended yet." in desc
    shown = " ".join(re.findall(r">([^<]+)</text>", svg))  # wrapped onto lines in a narrow slot
    assert "none" in shown and "not ended yet" in shown
    nothing = spread_chart(
        "series-none", "Nothing", [a_round(1, None, ready=False, state="live")], "joint", str, lambda n: str(n)
    )
    xml.dom.minidom.parseString(nothing)  # noqa: S318
    assert "No round has figures yet." in nothing and "data-box" not in nothing


def test_the_chart_writes_numbers_as_the_page_language_does():
    data = series(a_round(1, JOINT_1), a_round(2, {**JOINT_2, "n": 2, "min": 10100, "max": 10200}))
    with translation.override("de"):
        svg = series_page(data)["charts"]["joint"]
    assert "erstes Quartil 79,5" in svg and "10.200" in svg
    assert 'role="img"' in svg and re.search(r'aria-labelledby="series-joint-chart-title series-joint-chart-desc"', svg)


def test_the_slide_compares_efficiency_when_the_rounds_played_different_scenarios():
    first, second = a_round(1, JOINT_1), a_round(2, JOINT_2)
    for item, scenario, efficiency, share in ((first, "used-car", 0.7, 0.5), (second, "job-offer", 0.9, 0.5)):
        spread = {
            "n": 2,
            "min": efficiency,
            "q1": efficiency,
            "median": efficiency,
            "q3": efficiency,
            "max": efficiency,
        }
        item.update(scenario=scenario, scenario_version=1)
        item["figures"].update(efficiency=spread, pareto_share=share, meso_share=0)
    compared = series(first, second)
    # the step between them as reports.series gives it: the class's changes (core.metrics.series.round_step)
    moved = {
        "joint_median": None,
        "efficiency_median": 0.2,
        "pareto_share": 0,
        "meso_share": 0,
        "fixed_pie_median": None,
    }
    compared["steps"] = [{"from_round": 1, "to_round": 2, "same_scenario": False, "change": {"class": moved}}]
    slide = rounds_compared(Deck({}, compared))
    assert "Efficiency per round" in slide.svg and "Round 2: 2 pairs, lowest 90%" in slide.svg
    assert "Moved most since round 1: Efficiency, 70% to 90%" in slide.description
    second["scenario"] = "used-car"  # the same scenario: joint points
    slide = rounds_compared(Deck({}, series(first, second)))
    assert "Joint points per round" in slide.svg and "Round 1: 3 pairs, lowest 78," in slide.svg


def test_a_line_never_breaks_at_a_no_break_space():
    lines = svg.wrap("Pareto-optimal agreements, 50\N{NO-BREAK SPACE}% to 100\N{NO-BREAK SPACE}%", 30, 300)
    assert "100\N{NO-BREAK SPACE}%" in lines[-1] and not any(line in ("%", "") for line in lines)
