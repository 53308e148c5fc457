"""The bots' decisions (core.bots, pure) and the bot seat's identity at the handshake (negotiations.participants)."""

from __future__ import annotations

import itertools
import random
import secrets
import subprocess
import sys
from datetime import timedelta
from fractions import Fraction
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from core.bots import STRATEGIES, Bot, Sheet, Situation, Standing, top_issues
from core.negotiation import package_points
from core.scenario_document import load_scenario_file
from core.spec import Issue, Linear, Option, Role, Scenario
from negotiations.snapshots import issues_for
from tests.base import add_students
from tests.live import Live, run

BUILTIN = Path(__file__).resolve().parent.parent / "scenarios" / "builtin"
USED_CAR = load_scenario_file(str(BUILTIN / "used-car.yaml")).scenario


def every_package(scenario: Scenario) -> list[dict[str, str]]:
    issues = scenario.issues
    return [
        {i.key: c.key for i, c in zip(issues, combo, strict=True)}
        for combo in itertools.product(*(i.choices() for i in issues))
    ]


def test_the_bots_decisions_import_no_django():
    code = "import sys, core.bots; sys.exit(any(m == 'django' or m.startswith('django.') for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


# The sheet a bot reads from its snapshot is its own, and only its own


def test_the_sheet_from_a_snapshot_scores_every_package_as_the_scenario_does():
    for role in USED_CAR.role_keys:
        snapshot = {"me": {"batna": float(USED_CAR.role(role).batna)}, "issues": issues_for(USED_CAR, role)}
        sheet = Sheet.from_snapshot(snapshot)
        assert sheet.batna == USED_CAR.role(role).batna
        for package in every_package(USED_CAR):
            assert sheet.points(package) == package_points(USED_CAR, package, role)


def test_a_snapshot_without_own_points_gives_no_sheet():
    with pytest.raises(ValueError, match="not a negotiator"):
        Sheet.from_snapshot({"me": {"batna": None}, "issues": issues_for(USED_CAR, None)})


def test_a_bot_opens_with_its_best_package_and_numeric_values_go_out_as_numbers():
    sheet = Sheet.from_scenario(USED_CAR, "seller")
    move = Bot(sheet, "tough", seed=1).decide(Situation(elapsed=0.0, seconds_left=600))
    assert move.type == "offer"
    assert sheet.points(move.packages[0]) == sheet.best == 93
    frame = move.frame(sheet)
    assert frame["packages"][0]["price"] == 11000 and frame["packages"][0]["handover"] == "five-weeks"


def test_a_bot_accepts_what_reaches_its_aspiration_and_not_less():
    sheet = Sheet.from_scenario(USED_CAR, "seller")
    bot = Bot(sheet, "conceder", seed=1)
    early = Situation(elapsed=0.05, seconds_left=570)
    target = bot.aspiration(early.elapsed)
    rich = {"price": "11000", "handover": "five-weeks", "warranty": "none", "tyres": "included"}  # 93
    poor = {"price": "8500", "handover": "saturday", "warranty": "three-months", "tyres": "seller-keeps"}  # 0
    assert sheet.points(poor) < target <= sheet.points(rich)
    offer = Standing(5, (poor, rich))
    move = bot.decide(Situation(0.05, 570, partner=offer, partner_offers=(offer.packages,)))
    assert (move.type, move.offer_seq, move.package) == ("accept", 5, 1)
    refused = bot.decide(Situation(0.05, 570, partner=Standing(5, (poor,)), partner_offers=((poor,),)))
    assert refused.type == "offer"


def test_near_the_deadline_a_bot_takes_anything_at_or_above_its_batna_but_nothing_below():
    sheet = Sheet.from_scenario(USED_CAR, "buyer")  # BATNA 35
    at_batna = {"price": "10500", "handover": "saturday", "warranty": "one-month", "tyres": "seller-keeps"}  # 10+10+10
    assert sheet.points(at_batna) == 30
    above = {**at_batna, "tyres": "included"}  # 42
    bot = Bot(sheet, "tough", seed=1)
    late = Situation(elapsed=0.97, seconds_left=15, partner=Standing(9, (above,)), partner_offers=((above,),))
    assert bot.aspiration(0.97) > 42  # a tough bot still wants more...
    assert bot.decide(late).type == "accept"  # ...but takes what beats its alternative at the end
    below = Situation(elapsed=0.99, seconds_left=2, partner=Standing(9, (at_batna,)), partner_offers=((at_batna,),))
    assert bot.decide(below).type != "accept"


def test_a_bot_with_nothing_above_its_batna_walks_away():
    scenario = Scenario(
        "s", "S", "", "", (Role("a", "A", Fraction(50), "", ""), Role("b", "B", Fraction(0), "", "")),
        (Issue("x", "X", "", "options", options=(Option("p", "P", {"a": Fraction(10), "b": Fraction(5)}),)),), "",
    )  # fmt: skip
    move = Bot(Sheet.from_scenario(scenario, "a"), "conceder").decide(Situation(0.0, 60))
    assert move.type == "walk_away"


def test_a_bot_does_not_repeat_an_offer_that_still_stands():
    sheet = Sheet.from_scenario(USED_CAR, "seller")
    bot = Bot(sheet, "tough", seed=1)
    first = bot.decide(Situation(0.0, 600))
    again = bot.decide(Situation(0.01, 594, own=Standing(2, first.packages)))
    assert again.type == "wait"


def test_the_logroller_keeps_the_price_and_gives_on_the_terms_in_the_used_car():
    sheet = Sheet.from_scenario(USED_CAR, "seller")
    assert top_issues(sheet) == {"price"}
    bot = Bot(sheet, "logroller", seed=1)
    move = bot.decide(Situation(0.9, 60))
    assert move.packages[0]["price"] == "11000"
    assert sheet.points(move.packages[0]) < sheet.best  # it gave on something else


# Properties over random scenarios

points = st.integers(-5, 20).map(Fraction)


@st.composite
def sheets(draw) -> Sheet:
    issues = []
    for i in range(draw(st.integers(1, 4))):
        count = draw(st.integers(1, 4))
        options = tuple(Option(f"o{j}", f"O{j}", {"a": draw(points), "b": Fraction(0)}) for j in range(count))
        issues.append(Issue(f"i{i}", f"I{i}", "", "options", options=options))
    if draw(st.booleans()):
        low, step, count = Fraction(draw(st.integers(0, 100))), Fraction(draw(st.sampled_from([1, 5]))), 8
        line = {"a": Linear(draw(points), draw(points)), "b": Linear(Fraction(0), Fraction(0))}
        issues.append(
            Issue(
                "price", "Price", "", "numeric", minimum=low, maximum=low + step * (count - 1), step=step, linear=line
            )
        )
    roles = (Role("a", "A", Fraction(draw(st.integers(-10, 40))), "", ""), Role("b", "B", Fraction(0), "", ""))
    return Sheet.from_scenario(Scenario("s", "S", "", "", roles, tuple(issues), ""), "a")


def random_package(data: st.DataObject, sheet: Sheet) -> dict[str, str]:
    return {i.key: data.draw(st.sampled_from([c.key for c in i.choices])) for i in sheet.issues}


def play_against_random(data: st.DataObject, sheet: Sheet, strategy: str, seed: int = 0) -> list:
    """A bot against a partner offering random packages, over a whole round: every move it makes."""
    bot = Bot(sheet, strategy, seed=seed)
    moves, own, partner, history = [], None, None, []
    times = sorted(data.draw(st.lists(st.floats(0, 1), min_size=1, max_size=12)))
    for seq, elapsed in enumerate(times, start=1):
        if data.draw(st.booleans()):
            packages = tuple(random_package(data, sheet) for _ in range(data.draw(st.integers(1, 3))))
            partner = Standing(seq * 2, packages)
            history.append(packages)
        move = bot.decide(Situation(elapsed, (1 - elapsed) * 600, own, partner, tuple(history)))
        moves.append((move, partner))
        if move.type == "offer":
            own = Standing(seq * 2 + 1, move.packages)
        elif move.type != "wait":
            break
    return moves


@hypothesis_settings(max_examples=150, deadline=None)
@given(sheets(), st.sampled_from(sorted(STRATEGIES)), st.data())
def test_a_bot_never_offers_or_accepts_below_its_batna(sheet, strategy, data):
    for move, partner in play_against_random(data, sheet, strategy):
        if move.type == "offer":
            assert move.packages and all(sheet.points(p) >= sheet.batna for p in move.packages)
        if move.type == "accept":
            assert partner is not None and move.offer_seq == partner.seq
            assert sheet.points(partner.packages[move.package]) >= sheet.batna
        if move.type == "walk_away":
            assert sheet.best < sheet.batna


@hypothesis_settings(max_examples=100, deadline=None)
@given(sheets())
def test_a_tough_bot_concedes_later_than_a_conceder(sheet):
    tough, conceder = Bot(sheet, "tough"), Bot(sheet, "conceder")
    times = [i / 50 for i in range(51)]
    assert all(tough.aspiration(t) >= conceder.aspiration(t) for t in times)
    if sheet.best > sheet.batna:
        middle = (sheet.best + sheet.batna) / 2

        def first_below(bot: Bot) -> float:
            return next((t for t in times if bot.aspiration(t) < middle), 2.0)

        assert first_below(tough) > first_below(conceder)
        assert tough.aspiration(0) == conceder.aspiration(0) == sheet.best
        assert tough.aspiration(1) == conceder.aspiration(1) == sheet.batna


@hypothesis_settings(max_examples=150, deadline=None)
@given(sheets(), st.data())
def test_a_logrollers_offers_keep_its_top_issues_at_their_best(sheet, data):
    top = top_issues(sheet)
    if len(sheet.issues) > 1:
        assert len(top) < len(sheet.issues)  # something is left to give
    best = {i.key: i.best for i in sheet.issues}
    for move, _ in play_against_random(data, sheet, "logroller"):
        for package in move.packages if move.type == "offer" else ():
            for issue in sheet.issues:
                if issue.key in top:
                    assert issue.choice(package[issue.key]).points == best[issue.key]


@hypothesis_settings(max_examples=150, deadline=None)
@given(sheets(), st.data())
def test_a_meso_offers_packages_of_equal_value_to_itself_within_the_tolerance(sheet, data):
    bot = Bot(sheet, "meso")
    tolerance = bot.range * Fraction(bot.strategy.tolerance)
    for move, _ in play_against_random(data, sheet, "meso"):
        if move.type == "offer":
            worth = [sheet.points(p) for p in move.packages]
            assert 1 <= len(move.packages) <= 3
            assert max(worth) - min(worth) <= tolerance
            assert len({tuple(sorted(p.items())) for p in move.packages}) == len(move.packages)


def test_a_meso_bot_offers_several_packages_in_the_used_car():
    sheet = Sheet.from_scenario(USED_CAR, "buyer")
    move = Bot(sheet, "meso", seed=3).decide(Situation(0.4, 360))
    assert move.type == "offer" and len(move.packages) == 3


@hypothesis_settings(max_examples=60, deadline=None)
@given(sheets(), st.sampled_from(sorted(STRATEGIES)), st.integers(0, 2**16), st.integers(0, 2**16))
def test_the_same_seed_makes_the_same_moves(sheet, strategy, seed, script):
    def moves() -> list:
        rng = random.Random(script)  # the partner's offers, the same both times
        bot = Bot(sheet, strategy, seed=seed)
        out, own = [], None
        for step in range(10):
            package = {i.key: rng.choice(i.choices).key for i in sheet.issues}
            partner = Standing(100 + step, (package,))
            move = bot.decide(Situation(step / 10, 600 - step * 60, own, partner, ((package,),)))
            own = Standing(200 + step, move.packages) if move.type == "offer" else own
            out.append(move)
        return out

    assert moves() == moves()


# The bot seat's identity: a session minted for one seat, presented at the handshake


def cookie_client(cookie: str) -> Client:
    client = Client()
    name, _, value = cookie.partition("=")
    client.cookies[name] = value
    return client


@pytest.mark.django_db(transaction=True)
def test_a_minted_bot_session_plays_its_seat_and_only_its_seat(bot_pair):
    from negotiations.bots import bot_session_mint

    negotiation, bot, _ = bot_pair
    cookie = bot_session_mint(bot, hours=1)

    async def talk() -> tuple[dict, dict]:
        live = Live(f"/ws/negotiations/{negotiation.pk}/", cookie_client(cookie))
        snapshot = await live.connect()
        await live.send({"type": "chat", "client_msg_id": "b-1", "text": "Hello, I am a bot."})
        ack = await live.recv_type("ack")
        await live.close()
        return snapshot, ack

    snapshot, ack = run(talk())
    assert snapshot["me"] == {**snapshot["me"], "role": bot.role_key, "kind": "bot", "can_act": True}
    assert ack["event"]["role"] == bot.role_key


@pytest.mark.django_db(transaction=True)
def test_a_forged_expired_misused_or_taken_over_bot_session_is_refused(bot_pair, exercise, classroom):
    from negotiations import rounds
    from negotiations.bots import bot_session_mint

    negotiation, bot, _ = bot_pair
    forged = f"{settings.SESSION_COOKIE_NAME}={secrets.token_hex(16)}"
    expired = bot_session_mint(bot, hours=1)
    Session.objects.filter(session_key=expired.partition("=")[2]).update(expire_date=timezone.now() - timedelta(1))
    other = start_other_exercise(classroom, exercise)
    elsewhere = bot_session_mint(bot, hours=1)
    taken = bot_session_mint(bot, hours=1)

    async def attempt(cookie: str, negotiation_id: int) -> object:
        live = Live(f"/ws/negotiations/{negotiation_id}/", cookie_client(cookie))
        try:
            return (await live.connect())["type"]
        except ConnectionRefusedError as exc:
            return exc.args[0]

    assert run(attempt(forged, negotiation.pk)) == 4401
    assert run(attempt(expired, negotiation.pk)) == 4401
    assert run(attempt(elsewhere, other.pk)) == 4404  # the session names one seat of one pair
    (late,) = add_students(classroom, "Late Lou")
    rounds.exercise_place(exercise=exercise, student=late, negotiation=negotiation, role=bot.role_key)
    assert run(attempt(taken, negotiation.pk)) == 4401  # a student took the seat over


def start_other_exercise(classroom, exercise):
    from classrooms import services
    from negotiations import rounds

    other = services.exercise_create(
        classroom=classroom, title="Other", scenario_version=exercise.scenario_version, time_limit_minutes=20
    )
    students = add_students(classroom, "Other A", "Other B")
    rounds.exercise_pair(exercise=other, student_ids=[s.pk for s in students], seed=1)
    rounds.exercise_release(exercise=other)
    return other.negotiations.get()


@pytest.mark.django_db
def test_a_bot_session_cannot_be_minted_for_a_students_seat(bot_pair):
    from negotiations.bots import bot_session_mint

    _, _, human = bot_pair
    with pytest.raises(ValueError, match="not a bot's"):
        bot_session_mint(human)


@pytest.mark.django_db
def test_the_student_facing_a_bot_is_told_so(bot_pair, exercise):
    from tests.base import student_client

    _, _, human = bot_pair
    page = student_client(human.student).get(f"/s/exercises/{exercise.pk}/").content.decode()
    assert 'id="bot-notice"' in page and "a computer program (a bot), not a person" in page


# The command refuses what it cannot do, clearly


@pytest.mark.django_db
def test_run_bots_explains_what_it_cannot_play(exercise, classroom, settings):
    settings.SERVER_BOTS = False  # the bot seats are left to the command
    with pytest.raises(CommandError, match="draft: pair the class and release the roles first"):
        call_command("run_bots", exercise=exercise.pk, url="http://127.0.0.1:1")
    with pytest.raises(CommandError, match="No exercise 999999"):
        call_command("run_bots", exercise=999999, url="http://127.0.0.1:1")
    with pytest.raises(CommandError, match="must look like http://host:port"):
        call_command("run_bots", exercise=exercise.pk, url="127.0.0.1:8000")
    from tests.base import start_round

    start_round(exercise, classroom, 2)
    with pytest.raises(CommandError, match=r"No open bot seats .*\(try --seats students"):
        call_command("run_bots", exercise=exercise.pk, url="http://127.0.0.1:1")


def test_the_clients_error_for_an_error_frame_carries_its_code_and_frame():
    from negotiations.client import ErrorFrameReceived

    frame = {"type": "error", "code": "not_standing", "message": "that offer is no longer on the table"}
    error = ErrorFrameReceived(frame)
    assert (str(error), error.code, error.frame) == ("that offer is no longer on the table", "not_standing", frame)
