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
