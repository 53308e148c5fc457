"""The studio's pure parts (core.studio, core.tournament): a draft validated as an import validates it,
bounded before anything is built, the outcome region exact, and the bots' tournament deterministic."""

from __future__ import annotations

import copy
import random

import pytest

from core.analysis import ScoringTable, outcome_distribution, report_json, scenario_figures
from core.bruteforce import all_outcomes
from core.documents import MAX_DEPTH, MAX_NODES, DocumentError
from core.scenario_document import parse_scenario
from core.studio import _convex_hull, analyse_draft, draft_problems, draft_text, outcome_hull
from core.tournament import MAX_PAIRS, tournament
from tests.scenario_docs import dump, valid


def test_a_valid_draft_gets_the_import_s_warnings_and_the_report_s_figures_with_the_region():
    answer = analyse_draft(valid())
    validated = parse_scenario(dump(valid()))
    table = ScoringTable.from_scenario(validated.scenario)
    assert answer["valid"] is True and answer["problems"] == []
    assert answer["warnings"] == list(validated.warnings) != []
    figures = answer["figures"]
    assert {k: v for k, v in figures.items() if k not in ("region", "role_names")} == report_json(
        table, "bakery-lease", scenario_figures(table)
    )
    assert figures["role_names"] == ["Owner", "Baker"]
    corners = _convex_hull(list(all_outcomes(table)))
    assert figures["region"] == [[table.real(a), table.real(b)] for a, b in corners]
    assert figures["region"][0] == [0, 75]  # the lowest rent, one year, the owner paying the repairs: her worst


def test_an_invalid_draft_gets_every_problem_at_the_path_the_import_names():
    doc = valid()
    doc["roles"][1]["batna"] = "fifteen"
    doc["issues"][1]["options"][0]["points"] = {"owner": 0}
    answer = analyse_draft(doc)
    with pytest.raises(DocumentError) as refused:
        parse_scenario(dump(doc))
    assert answer["valid"] is False
    assert answer["problems"] == [
        {"path": p.path, "message": p.message, **p.message.as_json()} for p in refused.value.problems
    ]
    assert [p["path"] for p in answer["problems"]] == ["roles[1].batna", "issues[1].options[0].points"]


def test_a_draft_past_the_document_bounds_is_refused_before_it_is_written_out_however_deep():
    deep: list = []
    for _ in range(100_000):  # deeper than any recursion could follow
        deep = [deep]
    assert draft_problems({"slug": deep})[0].message == f"nested deeper than {MAX_DEPTH} levels"
    many = {"slug": list(range(MAX_NODES + 1))}
    assert draft_problems(many)[0].message.startswith(f"the document has more than {MAX_NODES:,} values")
    assert draft_problems({1: "x"})[0].message == "every key is text"
    assert draft_problems({"a": {1, 2}})[0].path == "a"
    with pytest.raises(DocumentError):
        draft_text({"slug": deep})
    assert analyse_draft({"slug": deep})["problems"][0]["path"].startswith("slug[0][0]")


def test_the_region_and_the_distribution_are_those_of_every_outcome_enumerated():
    rng = random.Random(5)
    for _ in range(60):
        rows = [(f"i{i}", [f"o{j}" for j in range(rng.randint(1, 4))], []) for i in range(rng.randint(1, 4))]
        rows = [(k, keys, [(rng.randint(-5, 9), rng.randint(-5, 9)) for _ in keys]) for k, keys, _ in rows]
        table = ScoringTable.from_points(("a", "b"), (0, 0), rows)
        assert outcome_hull(table) == _convex_hull(list(all_outcomes(table))), rows
        assert outcome_distribution(table) == all_outcomes(table), rows  # the merges on packed numbers


def test_a_tournament_is_the_same_for_the_same_seed_and_never_agrees_below_a_batna():
    scenario = parse_scenario(dump(valid())).scenario
    first = tournament(scenario, 20, seed=3)
    assert first == tournament(scenario, 20, seed=3)
    assert len(first) == 20 and {r.ending for r in first} <= {"agreed", "walked", "time"}
    for played in first:
        assert played.points[0] >= 20 and played.points[1] >= 15
        assert (played.package is None) == (played.ending != "agreed")
    with pytest.raises(ValueError, match=f"1 to {MAX_PAIRS}"):
        tournament(scenario, MAX_PAIRS + 1)


def test_the_analysis_example_of_docs_studio_md_is_what_the_analysis_answers():
    import json
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "studio.md").read_text()
    example = re.search(r"```json\n(\{\n  \"valid\": true.*?\n\})\n```", text, re.S)
    assert example is not None
    assert json.loads(example.group(1)) == json.loads(json.dumps(analyse_draft(valid())))


def test_a_draft_is_validated_as_the_same_document_written_as_yaml_is():
    rng = random.Random(11)
    broken = [
        lambda d: d["roles"][0].update(batna=float("inf")),
        lambda d: d["roles"][1].update(batna="15"),
        lambda d: d["issues"][0].update(step=0),
        lambda d: d["issues"][1]["options"].append(copy.deepcopy(d["issues"][1]["options"][0])),
        lambda d: d.update(extra="field"),
        lambda d: d["issues"][2]["options"][0]["points"].update(owner=-(10**12)),
        lambda d: d.update(title=""),
        lambda d: d["roles"][1].update(key="owner"),
        lambda d: None,
    ]
    for _ in range(40):
        doc = valid()
        for change in rng.sample(broken, 3):
            change(doc)
        answer = analyse_draft(doc)
        try:
            imported = parse_scenario(dump(doc))
        except DocumentError as refused:
            assert answer["problems"] == [
                {"path": p.path, "message": p.message, **p.message.as_json()} for p in refused.problems
            ]
        else:
            assert answer["valid"] and answer["warnings"] == list(imported.warnings)
    assert analyse_draft({**valid(), "title": 10**200})["problems"][0]["message"].startswith("is too large")


def test_the_feasible_count_met_in_the_middle_and_the_steps_by_bits_or_sets_are_those_of_the_whole_distribution():
    from core.analysis import _distribution, analysis_steps, feasible_outcomes

    rng = random.Random(8)
    for _ in range(150):
        rows = [(f"i{i}", [f"o{j}" for j in range(rng.randint(1, 5))], []) for i in range(rng.randint(0, 5))]
        rows = [(k, keys, [(rng.randint(-20, 30), rng.randint(-20, 30)) for _ in keys]) for k, keys, _ in rows]
        batna = (rng.randint(-30, 60), rng.randint(-30, 60))
        table = ScoringTable.from_points(("a", "b"), batna, rows)
        sums = all_outcomes(table)
        expected = sum(n for (a, b), n in sums.items() if a >= batna[0] and b >= batna[1])
        assert feasible_outcomes(table) == expected, (rows, batna)
        steps = _distribution(table, None)[1]
        assert analysis_steps(table) == steps == analysis_steps(table, bitset_bits=0), (rows, batna)
