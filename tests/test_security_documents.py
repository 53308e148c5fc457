"""Hostile scenario documents: aliases that expand without end (a "billion laughs"), nesting past
Python's recursion limit, documents and files of any size, values PyYAML cannot build. Each is refused
before anything is built, at once, with the place named, by every way a document comes in: the core's
validation, the management commands and the admin's add-version form."""

from __future__ import annotations

import random
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from core.analysis import MAX_ANALYSIS_STEPS, ScoringTable, analysis_steps
from core.documents import MAX_DOCUMENT, MAX_NODES, DocumentError, read_document
from core.scenario_document import parse_scenario
from scenarios.models import ScenarioVersion
from tests.scenario_docs import dump, valid

ROOT = Path(__file__).resolve().parent.parent


def bomb(levels: int) -> str:
    """Nine "lol"s, then each level nine aliases of the one before: 9**levels values once expanded."""
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, levels)]
    lines.append(f"slug: *l{levels - 1}")
    return "\n".join(lines) + "\n"


# Expands to 531,441 values: before the fix, seconds and tens of megabytes; small enough to be safe.
SMALL_BOMB = bomb(6)
# The issue's bomb, 387 million values: only ever run in a child process with a memory limit.
BOMB = bomb(9)


@contextmanager
def cheap(seconds: float = 2, megabytes: float | None = 5) -> Iterator[None]:
    """The block must take less than `seconds` and allocate less than `megabytes` at its peak (traced
    unless None: tracing slows Python down several times).

    The memory bound is the sharp one: a refused bomb allocates next to nothing, an expanded one hundreds of
    megabytes. The time bounds leave several times the block's time on a quiet machine, because the suite
    runs five workers on two cores; what they catch is the seconds to minutes of a document expanded or
    analysed in full."""
    if megabytes is not None:
        tracemalloc.start()
    started = time.monotonic()
    try:
        yield
    finally:
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert elapsed < seconds, f"took {elapsed:.2f} s"
    assert megabytes is None or peak < megabytes * 2**20, f"allocated {peak / 2**20:.1f} MB at the peak"


def refused(text: str) -> list[str]:
    with pytest.raises(DocumentError) as info:
        parse_scenario(text, source="bomb.yaml")
    return [p.describe("bomb.yaml") for p in info.value.problems]


def test_an_alias_bomb_is_refused_at_its_first_alias_at_once():
    with cheap():
        problems = refused(SMALL_BOMB)
    assert problems == [
        "bomb.yaml: l1[0]: aliases (*l0) are not allowed: write the value out in full, column 10 (line 2)"
    ]


def test_a_single_alias_is_refused_too_naming_its_path():
    doc = dump(valid()).replace("name: Owner\n", "name: &who Owner\n").replace("name: Baker\n", "name: *who\n")
    assert any(p.startswith("bomb.yaml: roles[1].name: aliases (*who) are not allowed") for p in refused(doc)), refused(
        doc
    )


def test_nesting_past_the_limit_is_refused_with_its_path_not_a_recursion_error():
    with cheap(seconds=10):
        problems = refused("slug: " + "[" * 5000 + "]" * 5000 + "\n")
    assert len(problems) == 1
    assert problems[0].startswith("bomb.yaml: slug" + "[0]" * 19 + ": nested deeper than 20 levels")


def test_a_document_of_too_many_values_is_refused_before_they_are_all_read():
    with cheap(seconds=10, megabytes=None):
        problems = refused("slug: [" + "1, " * 100_000 + "]\n")
    assert problems == [
        # the document, the key `slug` and its list are the first three values
        f"bomb.yaml: slug[{MAX_NODES - 3}]: the document has more than {MAX_NODES:,} values; "
        f"a scenario needs a few hundred, column {len('slug: [1, ') + 3 * (MAX_NODES - 3) - 2} (line 1)"
    ]


def test_a_document_past_the_size_limit_is_refused_unread():
    text = "situation: " + "x" * MAX_DOCUMENT + "\n"
    with cheap(seconds=2, megabytes=1):
        problems = refused(text)
    assert problems == [
        f"bomb.yaml: (document): the document has {len(text):,} characters; at most {MAX_DOCUMENT:,} are allowed"
    ]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("9" * 5000, "the value cannot be read: Exceeds the limit (4300 digits)"),
        ("2026-02-30", "the value cannot be read: day is out of range for month"),
        ("!!python/object/apply:os.system [echo]", "the tag !!python/object/apply:os.system is not allowed"),
        ("!!binary 'AAAA'", "the tag !!binary is not allowed"),
        ("!!set {a, b}", "the tag !!set is not allowed"),
    ],
)
def test_a_value_yaml_cannot_build_is_refused_with_its_path(value: str, reason: str):
    doc = dump(valid()).replace("batna: 20\n", f"batna: {value}\n")
    assert any(p.startswith(f"bomb.yaml: roles[0].batna: {reason}") for p in refused(doc)), refused(doc)


def test_reading_a_file_past_the_size_limit_stops_at_the_limit(tmp_path: Path):
    big = tmp_path / "big.yaml"
    big.write_text("x" * (MAX_DOCUMENT * 4))
    with cheap(seconds=3, megabytes=MAX_DOCUMENT * 2 / 2**20 + 2), pytest.raises(DocumentError) as info:
        read_document(big)
    assert str(info.value) == f"{big}: (document): the file is larger than {MAX_DOCUMENT:,} characters"


# Every way a document comes in


@pytest.mark.django_db
def test_the_admin_refuses_an_alias_bomb_at_once_with_the_place(admin_client: Client):
    assert admin_client.get("/admin/scenarios/scenarioversion/add/").status_code == 200  # templates loaded
    with cheap(seconds=10, megabytes=20):
        response = admin_client.post("/admin/scenarios/scenarioversion/add/", {"document": SMALL_BOMB})
    assert response.status_code == 200
    assert "l1[0]: aliases (*l0) are not allowed: write the value out in full, column 10 (line 2)" in (
        response.content.decode()
    )
    assert not ScenarioVersion.objects.exists()


@pytest.mark.django_db
def test_import_scenario_refuses_an_alias_bomb_and_stores_nothing(tmp_path: Path):
    path = tmp_path / "bomb.yaml"
    path.write_text(SMALL_BOMB)
    err = StringIO()
    with cheap(seconds=5, megabytes=20), pytest.raises(CommandError, match="1 of 1 documents refused"):
        call_command("import_scenario", str(path), stdout=StringIO(), stderr=err)
    assert f"{path}: l1[0]: aliases (*l0) are not allowed" in err.getvalue()
    assert not ScenarioVersion.objects.exists()


@pytest.mark.django_db
def test_import_scenario_refuses_a_file_past_the_size_limit(tmp_path: Path):
    path = tmp_path / "big.yaml"
    path.write_text("x" * (MAX_DOCUMENT + 1))
    err = StringIO()
    with pytest.raises(CommandError, match="1 of 1 documents refused"):
        call_command("import_scenario", str(path), stdout=StringIO(), stderr=err)
    assert f"{path}: (document): the file is larger than {MAX_DOCUMENT:,} characters" in err.getvalue()


def _limit_memory() -> None:
    limit = 1024 * 2**20  # the bomb would take 1.8 GB: it would die here rather than take the machine
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def test_validate_scenario_refuses_the_issues_558_byte_bomb_in_a_moment(tmp_path: Path):
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB)
    before = _children_cpu()
    command = [sys.executable, "manage.py", "validate_scenario", str(path)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60, preexec_fn=_limit_memory)
    spent = _children_cpu() - before
    assert done.returncode == 1, done.stderr
    assert f"{path}: l1[0]: aliases (*l0) are not allowed" in done.stderr
    assert "Traceback" not in done.stderr
    # The command's own CPU, not the wall clock, which a loaded machine stretches (19 s in one CI run): the
    # bomb took 34 s of it; the start of Python and Django takes one or two.
    assert spent < 8, f"took {spent:.1f} s of CPU"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# Documents small enough, but too large to analyse: the scenario's figures merge issue by issue, and the
# work of a merge is the distinct scores so far times the issue's options.


def numeric_issues(count: int) -> dict:
    doc = valid()
    doc["issues"] = [
        {
            "key": f"n{i}",
            "name": f"N{i}",
            "type": "numeric",
            "min": 0,
            "max": 2000,
            "step": 1,
            "points": {"owner": {"at_min": 0, "at_max": 1000 + 7 * i}, "baker": {"at_min": 1000 + 13 * i, "at_max": 0}},
        }
        for i in range(count)
    ]
    return doc


def random_options(issues: int, options: int) -> dict:
    rng = random.Random(1)
    doc = valid()
    doc["issues"] = [
        {
            "key": f"i{i}",
            "name": f"I{i}",
            "options": [
                {
                    "key": f"o{j}",
                    "label": f"O{j}",
                    "points": {"owner": rng.randint(0, 1000), "baker": rng.randint(0, 1000)},
                }
                for j in range(options)
            ],
        }
        for i in range(issues)
    ]
    return doc


@pytest.mark.parametrize(
    "document",
    [numeric_issues(2), random_options(10, 30)],
    ids=["two numeric issues of 2001 values", "ten issues of 30 options with scattered points"],
)
def test_a_scenario_too_large_to_analyse_is_refused_in_a_moment(document: dict):
    # Before: two numeric issues took 10 s to validate (three, minutes); the ten issues validated, then
    # the scenario's page and the debrief computed the outcomes' distribution for minutes.
    with cheap(seconds=15, megabytes=None):
        problems = refused(dump(document))
    assert len(problems) == 1, problems
    assert problems[0].startswith(
        f"bomb.yaml: issues: too large to analyse: its figures take more than {MAX_ANALYSIS_STEPS:,} steps"
    ), problems


def test_the_built_in_scenarios_are_far_from_the_analysis_limit():
    for path in sorted((ROOT / "scenarios" / "builtin").glob("*.yaml")):
        table = ScoringTable.from_scenario(parse_scenario(path.read_text()).scenario)
        assert analysis_steps(table) < MAX_ANALYSIS_STEPS // 20, path.name


def test_a_scenario_of_too_many_issues_or_terms_is_refused_before_anything_is_scored():
    # Equal points make the analysis's merges trivial, so its step bound let through any number of terms:
    # 350 numeric issues of 1001 values each took minutes to validate, analyse and play with bots.
    from core.scenario_document import MAX_ISSUES, MAX_TERMS

    def numeric(count: int, values: int) -> dict:
        doc = valid()
        doc["issues"] = [
            {"key": f"n{i}", "name": f"N {i}", "type": "numeric", "min": 0, "max": values - 1, "step": 1,
             "points": {"owner": {"at_min": 5, "at_max": 5}, "baker": {"at_min": 5, "at_max": 5}}}
            for i in range(count)
        ]  # fmt: skip
        return doc

    with pytest.raises(DocumentError) as refused:
        parse_scenario(dump(numeric(MAX_ISSUES + 1, 2)))
    assert [(p.path, p.message) for p in refused.value.problems] == [
        ("issues", f"has {MAX_ISSUES + 1} issues; at most {MAX_ISSUES} are allowed")
    ]
    with pytest.raises(DocumentError) as refused:
        parse_scenario(dump(numeric(6, 1000)))
    assert [(p.path, p.message) for p in refused.value.problems] == [
        ("issues", f"the issues have 6,000 options and numeric values in all; at most {MAX_TERMS:,} are allowed"
                   " (a larger step, or fewer issues)")
    ]  # fmt: skip
    assert parse_scenario(dump(numeric(5, 1000))).scenario.issues[4].maximum == 999


def test_a_character_yaml_cannot_read_is_a_problem_not_a_crash():
    # Found by the API's schemathesis run: a NUL in an imported draft's YAML made the reader raise before
    # the parse's own error handling, and the API answered 500.
    with pytest.raises(DocumentError) as refused:
        parse_scenario("slug: a\x00b\n")
    assert str(refused.value) == (
        "(document): the YAML does not parse: the character #x0000 is not allowed in a document, position 8"
    )
