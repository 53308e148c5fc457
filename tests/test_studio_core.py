"""The studio's pure parts (core.studio, core.tournament): a draft validated as an import validates it,
bounded before anything is built, the outcome region exact, and the bots' tournament deterministic."""

from __future__ import annotations

import random

import pytest

from core.analysis import ScoringTable, report_json, scenario_figures
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
    assert answer["problems"] == [{"path": p.path, "message": p.message} for p in refused.value.problems]
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


def test_the_region_is_the_convex_hull_of_every_outcome_enumerated():
    rng = random.Random(5)
    for _ in range(60):
        rows = [(f"i{i}", [f"o{j}" for j in range(rng.randint(1, 4))], []) for i in range(rng.randint(1, 4))]
        rows = [(k, keys, [(rng.randint(-5, 9), rng.randint(-5, 9)) for _ in keys]) for k, keys, _ in rows]
        table = ScoringTable.from_points(("a", "b"), (0, 0), rows)
        assert outcome_hull(table) == _convex_hull(list(all_outcomes(table))), rows


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
