"""The debrief of a post-settlement round (docs/debrief.md, 1.11 and section 4), worked out by hand on
the used car: the agreement before and after, the joint gain the round found, and the class's sum."""

from __future__ import annotations

from core.metrics import Landscape, class_metrics, debrief_pair
from core.scenario_document import load_scenario_file
from tests.metric_cases import BUILTIN

CAR = load_scenario_file(str(BUILTIN / "used-car.yaml")).scenario
LAND = Landscape(CAR)
SIGNED = {"price": "9600", "handover": "three-weeks", "warranty": "none", "tyres": "included"}  # seller 52, buyer 47
BETTER = {"price": "9600", "handover": "five-weeks", "warranty": "three-months", "tyres": "included"}  # 53, 62


def events(*after_opening: tuple[str, str | None, dict]) -> list[dict]:
    steps = [
        ("started", None, {"deadline": None}),
        ("offer", "seller", {"packages": [SIGNED]}),
        ("accept", "buyer", {"offer_seq": 2, "package": 0, "terms": SIGNED}),
        ("settlement_opened", None, {"deadline": None}),
        *after_opening,
    ]
    return [{"seq": i, "type": t, "role": r, "payload": p, "at": None} for i, (t, r, p) in enumerate(steps, start=1)]


def test_a_pair_that_improved_shows_both_agreements_and_the_joint_gain_found():
    result = debrief_pair(
        LAND,
        events(
            ("offer", "seller", {"packages": [BETTER]}),
            ("accept", "buyer", {"offer_seq": 5, "package": 0, "terms": BETTER}),
        ),
    )
    assert result.settlement is not None
    assert result.as_json()["settlement"] == {
        "before": SIGNED,
        "after": BETTER,
        "points_before": {"seller": 52, "buyer": 47},
        "points_after": {"seller": 53, "buyer": 62},
        "joint_before": 99,
        "joint_after": 115,
        "joint_gain": 16,
        "improved": True,
        "ending": "accept",
    }
    # The outcome is the agreement as it stands; the process is the negotiation's, to its first agreement.
    assert result.outcome.agreement == BETTER and result.outcome.joint == 115
    assert result.process is not None and result.process.agreement == SIGNED and result.process.offers == 1


def test_a_pair_that_kept_or_is_still_in_the_round_found_nothing_and_one_never_in_it_has_no_round():
    kept = debrief_pair(LAND, events(("keep", "buyer", {})))
    still = debrief_pair(LAND, events(("offer", "seller", {"packages": [BETTER]})))
    never = debrief_pair(LAND, events()[:3])
    assert kept.settlement is not None and kept.settlement.ending == "keep"
    assert kept.settlement.joint_gain == 0 and not kept.settlement.improved and kept.outcome.agreement == SIGNED
    assert still.settlement is not None and still.settlement.ending is None and still.settlement.after == SIGNED
    assert never.settlement is None and never.as_json()["settlement"] is None
    summary = class_metrics(LAND, [kept, never]).as_json()["settlement"]
    assert summary == {"pairs": 1, "improved": 0, "joint_before": 99, "joint_after": 99, "joint_gain": 0}


def test_the_class_adds_up_the_round_over_the_pairs_in_it():
    improved = debrief_pair(
        LAND,
        events(
            ("offer", "buyer", {"packages": [BETTER]}),
            ("accept", "seller", {"offer_seq": 5, "package": 0, "terms": BETTER}),
        ),
    )
    closed = debrief_pair(LAND, events(("settlement_closed", None, {"reason": "deadline"})))
    summary = class_metrics(LAND, [improved, closed]).as_json()["settlement"]
    assert summary == {"pairs": 2, "improved": 1, "joint_before": 198, "joint_after": 214, "joint_gain": 16}
    assert class_metrics(LAND, [debrief_pair(LAND, events()[:3])]).settlement is None
