"""`parley-daphne` (parley_daphne.py): Daphne's command line on the event loop PARLEY_EVENT_LOOP names,
uvloop by default; a loop it does not know is refused before Daphne starts, saying what to write."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
import uvloop

import parley_daphne as serve

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def policy():
    before = asyncio.get_event_loop_policy()
    yield
    asyncio.set_event_loop_policy(before)


@pytest.fixture
def daphne_not_imported(monkeypatch):
    monkeypatch.delitem(sys.modules, "daphne.server", raising=False)


def test_uvloop_by_default_and_asyncio_on_request(policy, daphne_not_imported):
    def made() -> asyncio.AbstractEventLoop:
        loop = asyncio.new_event_loop()
        loop.close()
        return loop

    assert serve.choose_loop({}) == "uvloop"
    assert isinstance(made(), uvloop.Loop)
    asyncio.set_event_loop_policy(None)
    assert serve.choose_loop({"PARLEY_EVENT_LOOP": " Asyncio "}) == "asyncio"
    assert not isinstance(made(), uvloop.Loop)


def test_a_loop_it_does_not_know_is_refused_naming_the_ones_it_does(policy, daphne_not_imported):
    with pytest.raises(SystemExit, match="PARLEY_EVENT_LOOP='trio': say one of uvloop, asyncio"):
        serve.choose_loop({"PARLEY_EVENT_LOOP": "trio"})


def test_too_late_once_daphne_made_its_loop(policy, monkeypatch):
    monkeypatch.setitem(sys.modules, "daphne.server", object())
    with pytest.raises(SystemExit, match="imported before its event loop could be chosen"):
        serve.choose_loop({})


def test_the_command_imports_nothing_of_the_project(tmp_path):
    """Daphne loads `config.asgi` from the directory it is started in, as plain `daphne` does: the command
    must not have loaded `config` (or any of the project) from where pip installed it before that."""
    project = {path.name for path in ROOT.iterdir() if (path / "__init__.py").exists()}
    assert {"config", "classrooms", "negotiations"} <= project
    done = subprocess.run(
        [sys.executable, "-c", "import sys, parley_daphne; print(' '.join(sorted(sys.modules)))"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    loaded = {name.split(".")[0] for name in done.stdout.split()}
    assert loaded & project == set()


def test_the_command_refuses_a_bad_loop_before_serving():
    done = subprocess.run(
        [str(BIN / "parley-daphne"), "config.asgi:application"],
        env={"PARLEY_EVENT_LOOP": "tokio", "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode != 0
    assert "PARLEY_EVENT_LOOP='tokio': say one of uvloop, asyncio" in done.stderr
