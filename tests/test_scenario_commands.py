from __future__ import annotations

import json
from fractions import Fraction
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from core.bruteforce import document_figures
from core.spec import plain
from scenarios.models import ScenarioVersion
from scenarios.services import BUILTIN_DIR
from tests.scenario_docs import contingent, dump, valid

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def lease_file(tmp_path: Path) -> Path:
    path = tmp_path / "lease.yaml"
    path.write_text(dump(valid()))
    return path


def test_import_stores_a_version_and_export_gives_the_document_back(lease_file: Path):
    assert "stored bakery-lease version 1" in run("import_scenario", str(lease_file))
    assert run("export_scenario", "bakery-lease") == lease_file.read_text()


def test_importing_the_same_document_again_adds_nothing(lease_file: Path):
    run("import_scenario", str(lease_file))
    assert "unchanged, bakery-lease stays at version 1" in run("import_scenario", str(lease_file))
    assert ScenarioVersion.objects.count() == 1


def test_a_changed_document_makes_a_new_version_and_the_old_one_stays(lease_file: Path):
    run("import_scenario", str(lease_file))
    doc = valid()
    doc["roles"][0]["batna"] = 25
    lease_file.write_text(dump(doc))
    assert "stored bakery-lease version 2" in run("import_scenario", str(lease_file))
    assert "batna: 20" in run("export_scenario", "bakery-lease", "--number", "1")
    assert "batna: 25" in run("export_scenario", "bakery-lease")


def test_import_refuses_a_bad_document_with_file_path_and_reason(tmp_path: Path):
    doc = valid()
    doc["issues"][0]["step"] = 300
    bad = tmp_path / "bad.yaml"
    bad.write_text(dump(doc))
    err = StringIO()
    with pytest.raises(CommandError, match="1 of 1 documents refused"):
        call_command("import_scenario", str(bad), stdout=StringIO(), stderr=err)
    assert f"{bad}: issues[0].step: step 300 does not divide" in err.getvalue()
    assert ScenarioVersion.objects.count() == 0


def test_validate_exits_zero_for_a_good_document_and_one_for_a_bad_one(lease_file: Path, tmp_path: Path):
    with pytest.raises(SystemExit) as good:
        call_command("validate_scenario", str(lease_file), stdout=StringIO(), stderr=StringIO())
    assert good.value.code == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("slug: [unclosed\n")
    err = StringIO()
    with pytest.raises(SystemExit) as refused:
        call_command("validate_scenario", str(bad), stdout=StringIO(), stderr=err)
    assert refused.value.code == 1
    assert "the YAML does not parse" in err.getvalue()
    assert ScenarioVersion.objects.count() == 0


def test_validate_says_when_a_file_cannot_be_read(tmp_path: Path):
    err = StringIO()
    with pytest.raises(SystemExit):
        call_command("validate_scenario", str(tmp_path / "missing.yaml"), stdout=StringIO(), stderr=err)
    assert "missing.yaml: cannot be read" in err.getvalue()


def test_load_builtin_scenarios_is_idempotent():
    builtins = len(list(BUILTIN_DIR.glob("*.yaml")))
    assert builtins == 7
    first = run("load_builtin_scenarios")
    assert first.count("stored, version 1") == builtins
    second = run("load_builtin_scenarios")
    assert second.count("unchanged, version 1") == builtins
    assert ScenarioVersion.objects.count() == builtins


def test_scenario_table_prints_the_canonical_json(lease_file: Path):
    run("import_scenario", str(lease_file))
    table = json.loads(run("scenario_table", "bakery-lease"))
    assert table["slug"] == "bakery-lease"
    assert table["roles"] == [{"key": "owner", "batna": 20}, {"key": "baker", "batna": 15}]
    assert [i["key"] for i in table["issues"]] == ["rent", "term", "repairs"]
    assert table["issues"][0]["options"][4] == {"key": "2000", "points": {"owner": 40, "baker": 0}}


def test_scenario_report_prints_the_figures(lease_file: Path):
    run("import_scenario", str(lease_file))
    report = json.loads(run("scenario_report", "bakery-lease"))
    for key in (
        "outcomes",
        "max_joint",
        "frontier",
        "feasible_fraction",
        "nash",
        "kalai_smorodinsky",
        "egalitarian",
        "integrative_potential",
    ):
        assert key in report
    assert report["outcomes"] == 20
    assert report["frontier"] == sorted(report["frontier"], key=lambda p: -p[0])


def test_commands_name_a_missing_scenario():
    with pytest.raises(CommandError, match="no scenario 'nope'"):
        run("scenario_report", "nope")


def test_the_table_and_report_of_a_contingent_scenario(tmp_path: Path):
    document = contingent()
    path = tmp_path / "sale.yaml"
    path.write_text(dump(document))
    run("import_scenario", str(path))
    table = json.loads(run("scenario_table", "shop-sale"))
    assert table["events"] == [
        {
            "key": "revenue",
            "question": "Will next year's revenue beat 2 million?",
            "outcomes": [{"key": "beats", "label": "Beats 2M"}, {"key": "misses", "label": "Misses"}],
            "distribution": {"beats": 0.5, "misses": 0.5},
        }
    ]
    earnout = table["issues"][1]
    assert earnout["event"] == "revenue"
    assert earnout["options"][1] == {
        "key": "bonus",
        "points": {"seller": 24, "buyer": -1.6},
        "by_outcome": {"seller": {"beats": 30, "misses": 0}, "buyer": {"beats": -10, "misses": 6}},
    }
    report = json.loads(run("scenario_report", "shop-sale"))
    brute = document_figures(document)
    assert report["contingent"] == {
        "events": ["revenue"],
        "issues": ["earnout"],
        "max_joint": 62.4,
        "max_joint_flat": 40,
        "contingent_gain": 22.4,
    }
    assert (brute.max_joint, brute.max_joint_flat) == (Fraction(312, 5), 40)
    assert report["nash"] == [plain(x) for x in brute.nash]
