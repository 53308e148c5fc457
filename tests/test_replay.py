"""`core.replay.replay`: a negotiation's state from its events, by the rules that wrote them; and the
event fixtures that the browser's reading of the events (tests/js/state.test.mjs) is held to as well."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from core.negotiation import package_points
from core.replay import ReplayError, replay
from core.scenario_document import load_scenario_file
from core.spec import plain
from negotiations.snapshots import issues_for

FIXTURES = sorted((Path(__file__).parent / "fixtures" / "events").glob("*.json"))
BUILTIN = Path(__file__).parent.parent / "scenarios" / "builtin"


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def test_there_are_fixtures_for_both_sides():
    assert len(FIXTURES) >= 4


def test_the_fixtures_end_a_pair_in_every_way_it_can_end():
    endings = {e["type"] for path in FIXTURES for e in load(path)["events"]} & {
        "accept",
        "walk_away",
        "deadline",
        "ended",
    }
    assert endings == {"accept", "walk_away", "deadline", "ended"}


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_the_replay_of_a_fixture_gives_its_expected_state(path):
    fixture = load(path)
    scenario = load_scenario_file(str(BUILTIN / f"{fixture['scenario']}.yaml")).scenario
    replayed = replay(fixture["events"], tuple(fixture["roles"]), scenario)
    expected = fixture["expected"]
    assert replayed.row() == {key: expected[key] for key in ("status", "standing", "agreement", "last_seq")}
    assert replayed.state.paused is expected["paused"]
    assert replayed.offers == expected["offers"]


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_a_fixture_holds_what_the_server_sends_and_the_points_it_counts(path):
    fixture = load(path)
    scenario = load_scenario_file(str(BUILTIN / f"{fixture['scenario']}.yaml")).scenario
    assert scenario is not None
    assert list(scenario.role_keys) == fixture["roles"]
    assert issues_for(scenario, fixture["role"]) == fixture["issues"]  # the snapshot's issues for that role
    role, expected = fixture["role"], fixture["expected"]["points"]
    offers = {e["seq"]: e["payload"]["packages"] for e in fixture["events"] if e["type"] == "offer"}
    assert {int(seq) for seq in expected["offers"]} == set(offers)
    for seq, packages in offers.items():
        assert [plain(package_points(scenario, p, role)) for p in packages] == expected["offers"][str(seq)]
    agreement = fixture["expected"]["agreement"]
    assert expected["agreement"] == (plain(package_points(scenario, agreement, role)) if agreement else None)


ROLES = ("seller", "buyer")
PKG = {"price": "9000"}


def log(*events: tuple[str, str | None, dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"seq": i, "type": t, "role": r, "payload": p} for i, (t, r, p) in enumerate(events, start=1)]


def test_nothing_happened_yet():
    replayed = replay([], ROLES)
    assert replayed.row() == {"status": "waiting", "standing": {}, "agreement": None, "last_seq": 0}


def test_an_offer_replaces_the_sides_standing_offer_and_a_rejection_takes_it_off():
    events = log(
        ("started", None, {}),
        ("offer", "seller", {"packages": [PKG]}),
        ("offer", "seller", {"packages": [{"price": "9500"}]}),
        ("offer", "buyer", {"packages": [PKG]}),
        ("reject", "seller", {"offer_seq": 4, "reason": ""}),
    )
    replayed = replay(events, ROLES)
    assert replayed.row()["standing"] == {"seller": {"seq": 3, "packages": [{"price": "9500"}]}}
    assert replayed.offers == 3


@pytest.mark.parametrize(
    ("events", "problem"),
    [
        (log(("started", None, {}), ("chat", "buyer", {"text": "hi"}))[1:], "event 2 follows event 0"),
        (log(("chat", "buyer", {"text": "too early"})), "has not started"),
        (log(("started", None, {}), ("accept", "buyer", {"offer_seq": 1, "package": 0, "terms": PKG})), "no longer"),
        (
            log(
                ("started", None, {}),
                ("offer", "seller", {"packages": [PKG]}),
                ("accept", "buyer", {"offer_seq": 2, "package": 0, "terms": {"price": "1"}}),
            ),
            "the rules give",
        ),
        (log(("started", None, {}), ("ended", None, {}), ("started", None, {})), "'started' cannot happen"),
        (log(("started", None, {}), ("paused", None, {}), ("chat", "buyer", {"text": "hi"})), "paused"),
        (log(("started", None, {}), ("chat", "observer", {"text": "hi"})), "only the two negotiators"),
        (log(("started", None, {}), ("shout", "buyer", {})), "unknown type"),
    ],
    ids=["gap", "before-start", "nothing-standing", "other-terms", "restart", "while-paused", "outsider", "unknown"],
)
def test_a_log_the_rules_could_not_have_written_is_refused(events, problem):
    with pytest.raises(ReplayError, match=problem):
        replay(events, ROLES)
