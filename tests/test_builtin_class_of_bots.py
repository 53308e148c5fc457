"""Each built-in scenario added for the whole lesson (the fixed-pie haggle, the job offer, the supply
contract, the business sale) played by a class of bots to a debrief, through the server's own rules and
records: every move a frame parsed and acted on as a student's (negotiations.acting), the round ended,
a post-settlement round opened and played, each contingent event drawn, and the debrief computed as the
worker computes it. The bots are core.bots' strategies; time is the round's, stepped by the test."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

import pytest
from django.db.models import OuterRef, Subquery
from django.test import Client
from django.utils import timezone

from classrooms.resolutions import event_draw
from classrooms.services import exercise_create
from core.bots import STRATEGIES, Bot, Sheet, Situation, Standing
from core.negotiation import FrameError, Refused, parse_frame
from core.spec import Scenario
from negotiations import rounds, settlement
from negotiations.acting import negotiation_act
from negotiations.debrief import debrief_refresh
from negotiations.models import Event, Negotiation, Seat
from scenarios.services import scenario_version_get, version_spec
from tests.base import add_students

pytestmark = pytest.mark.django_db

NEW = ["road-bike", "job-offer", "supply-contract", "business-sale"]
TURNS = 30  # each side decides this many times in a round
PAIRS = 4


def play(
    negotiation: Negotiation, scenario: Scenario, strategies: tuple[str, str], start: datetime, end: datetime
) -> None:
    """Both seats of a pair played by bots until the pair leaves the round or the turns run out: each
    move sent as the frame a client sends, acted on with the round's clock at that turn."""
    seats = {seat.role_key: seat for seat in Seat.objects.filter(negotiation=negotiation, kind="student")}
    roles = scenario.role_keys
    bots = {role: Bot(Sheet.from_scenario(scenario, role), name, seed=7 + i) for i, (role, name) in
            enumerate(zip(roles, strategies, strict=True))}  # fmt: skip
    made: dict[str, list[Any]] = {role: [] for role in roles}
    for turn in range(2 * TURNS):
        negotiation.refresh_from_db()
        if negotiation.status not in ("negotiating", "settling"):
            return
        role, other = roles[turn % 2], roles[1 - turn % 2]
        elapsed = turn / (2 * TURNS)
        now = start + (end - start) * elapsed
        standing = {r: Standing(int(o["seq"]), tuple(o["packages"])) for r, o in negotiation.standing.items()}
        move = bots[role].decide(
            Situation(
                elapsed=elapsed,
                seconds_left=(end - now).total_seconds(),
                own=standing.get(role),
                partner=standing.get(other),
                partner_offers=tuple(made[other]),
                agreement=negotiation.agreement if negotiation.status == "settling" else None,
            )
        )
        if move.type == "wait":
            continue
        frame = {**move.frame(bots[role].sheet), "client_msg_id": f"t{turn}-{role}"}
        try:
            negotiation_act(
                negotiation_id=negotiation.pk, seat=seats[role], action=parse_frame(frame, scenario), now=now
            )
        except (Refused, FrameError) as refused:  # the server's rules said no: the bots must stay within them
            raise AssertionError(f"{strategies} turn {turn}: {move.type} refused: {refused}") from None
        if move.type == "offer":
            made[role].append(tuple(frame["packages"]))


def points(scenario: Scenario, package: dict[str, str]) -> tuple[Fraction, Fraction]:
    a, b = scenario.role_keys
    return (
        sum((i.term_points(a, str(package[i.key])) for i in scenario.issues), Fraction(0)),
        sum((i.term_points(b, str(package[i.key])) for i in scenario.issues), Fraction(0)),
    )


@pytest.mark.parametrize("slug", NEW)
def test_a_class_of_bots_plays_a_new_scenario_to_a_debrief_with_a_post_settlement_round(
    slug, builtin_scenarios, classroom, instructor
):
    version = scenario_version_get(slug)
    scenario = version_spec(version)
    exercise = exercise_create(
        classroom=classroom, title=slug, scenario_version=version, time_limit_minutes=20, created_by=instructor
    )
    students = add_students(classroom, *[f"Student {i}" for i in range(2 * PAIRS)])
    rounds.exercise_pair(exercise=exercise, student_ids=[s.pk for s in students], seed=5)
    rounds.exercise_release(exercise=exercise)
    rounds.exercise_start(exercise=exercise)
    matches = list(itertools.product(STRATEGIES, repeat=2))[1 : 1 + 4 * PAIRS : 4]  # four different pairings
    start = timezone.now()
    for negotiation, strategies in zip(exercise.negotiations.order_by("number"), matches, strict=True):
        play(negotiation, scenario, strategies, start, negotiation.deadline)
    agreed = {n.pk: dict(n.agreement) for n in exercise.negotiations.filter(status="agreed")}
    batnas = tuple(role.batna for role in scenario.roles)
    assert len(agreed) >= PAIRS // 2, f"{slug}: only {len(agreed)} of {PAIRS} pairs agreed"
    for package in agreed.values():
        assert all(p >= b for p, b in zip(points(scenario, package), batnas, strict=True)), (slug, package)

    # The post-settlement round, opened while the exercise runs, played by the same bots
    now = timezone.now()
    assert settlement.settlement_open(exercise=exercise, minutes=10, now=now) == len(agreed)
    for negotiation, strategies in zip(exercise.negotiations.order_by("number"), matches, strict=True):
        if negotiation.pk in agreed:
            play(negotiation, scenario, strategies, now, now + timedelta(minutes=10))
    rounds.exercise_end(exercise=exercise)  # closes the round: a pair still in it keeps its agreement
    offered = Event.objects.filter(negotiation__exercise=exercise, type="offer", seq__gt=Subquery(
        Event.objects.filter(negotiation=OuterRef("negotiation"), type="settlement_opened").values("seq")[:1]
    ))  # fmt: skip
    assert offered.exists(), f"{slug}: nobody offered anything in the post-settlement round"
    assert not exercise.negotiations.filter(status__in=("negotiating", "settling")).exists()

    for event in scenario.events:  # the instructor draws each event from its stated chances
        event_draw(exercise=exercise, event=event.key, user=instructor)
    debrief = debrief_refresh(exercise_id=exercise.pk)
    assert debrief is not None
    pairs = {pair["id"]: pair for pair in debrief.data["pairs"]}
    assert len(pairs) == PAIRS
    summary = debrief.data["class"]["settlement"]
    assert summary["pairs"] == len(agreed)
    for pair_id, before in agreed.items():
        round_ = pairs[pair_id]["settlement"]
        after = exercise.negotiations.get(pk=pair_id).agreement
        assert round_["ending"] in ("accept", "keep", "settlement_closed"), round_
        for role, was, now_ in zip(scenario.role_keys, points(scenario, before), points(scenario, after), strict=True):
            assert now_ >= was, (slug, role, before, after)  # nobody ends the round worse off
            assert Fraction(str(round_["points_before"][role])) == was
    if slug == "road-bike":  # one price: every agreement is already on the frontier
        assert summary["joint_gain"] == 0

    client = Client()
    client.force_login(instructor)
    shown = client.get(f"/exercises/{exercise.pk}/debrief.json").json()
    if scenario.events:
        contingent = shown["contingent"]
        assert contingent["resolved"] is True and set(contingent["resolution"]) == {e.key for e in scenario.events}
        for pair in contingent["pairs"]:
            assert pair["realised"] is not None and set(pair["realised"]) == set(scenario.role_keys), pair
    else:
        assert shown["contingent"] is None
