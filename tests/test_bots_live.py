"""Bots against a real Daphne: a class of bots plays an exercise to its debrief, an odd student negotiates
with the disclosed bot while the instructor's monitor watches, a bot survives a dropped socket, and a
forged bot session is refused. Runs on SQLite with eager Celery, or on PostgreSQL and Redis with a
real worker when DATABASE_URL and REDIS_URL are set."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import secrets
import threading
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connections
from django.test import Client
from django.utils import timezone
from websockets.asyncio.client import connect as ws_connect

from classrooms.services import student_link_token
from core.bots import Bot, Sheet, Situation
from negotiations import rounds, settlement
from negotiations.bots import BotPlayer, Seating, bot_session_mint
from negotiations.client import LiveClient, sign_in
from negotiations.models import Debrief, Event, Negotiation, Outcome, Settlement
from tests.base import add_students, odd_class_with_bot
from tests.servers import celery_worker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture(autouse=True)
def _bot_seats_left_to_the_command(settings, monkeypatch) -> None:
    """Here the bots are run_bots': the server plays no bot seat (nor do the servers the tests start)."""
    settings.SERVER_BOTS = False
    monkeypatch.setenv("PARLEY_SERVER_BOTS", "0")


@contextlib.contextmanager
def worker_if_needed():
    """Eager Celery computes in the process that ends a pair; on Redis a real worker does."""
    if settings.REDIS_URL:
        with celery_worker():
            yield
    else:
        yield


def wait_until(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(0.1)  # polling the database: the row changes in another process


def shorten_round(exercise, seconds: float) -> None:
    """The round ends `seconds` from now: the exercise, its pairs and their `started` events say so."""
    deadline = timezone.now() + timedelta(seconds=seconds)
    exercise.__class__.objects.filter(pk=exercise.pk).update(deadline=deadline)
    Negotiation.objects.filter(exercise=exercise).update(deadline=deadline)
    for event in Event.objects.filter(negotiation__exercise=exercise, type="started"):
        event.payload = {"deadline": deadline.isoformat()}
        event.save(update_fields=["payload"])


def test_a_class_of_bots_plays_an_exercise_to_its_debrief(live_daphne, exercise, classroom):
    students = add_students(classroom, *[f"Student {i}" for i in range(8)])
    rounds.exercise_pair(exercise=exercise, student_ids=[s.pk for s in students], seed=3)
    rounds.exercise_release(exercise=exercise)
    rounds.exercise_start(exercise=exercise)
    out = io.StringIO()
    port = live_daphne
    with worker_if_needed():
        shorten_round(exercise, 12)
        call_command(
            "run_bots", exercise=exercise.pk, url=f"http://127.0.0.1:{port}", seats="students",
            strategy="mixed", think=0.2, seed=7, stdout=out,
        )  # fmt: skip
        pairs = list(Negotiation.objects.filter(exercise=exercise))
        assert len(pairs) == 4 and all(p.status in ("agreed", "impasse") for p in pairs), out.getvalue()
        wait_until(lambda: Outcome.objects.filter(negotiation__exercise=exercise).count() == 4, 30)
        rounds.exercise_end(exercise=exercise)
        wait_until(lambda: Debrief.objects.filter(exercise=exercise).exists(), 30)
    report = out.getvalue()
    assert "Every pair played has ended." in report and "refused" not in report, report
    offers = Event.objects.filter(negotiation__exercise=exercise, type="offer")
    assert {e.role for e in offers} == {"seller", "buyer"}
    assert Event.objects.filter(negotiation__exercise=exercise, type="accept").exists(), report
    debrief = Debrief.objects.get(exercise=exercise)
    assert len(debrief.sources) == 4


def test_a_class_of_bots_improves_its_agreements_in_a_post_settlement_round(live_daphne, exercise, classroom):
    """The used car played by bots to a debrief, then a post-settlement round played by the same bots over
    the same protocol: no agreement ends worse for either side, and the debrief shows the round."""
    students = add_students(classroom, *[f"Student {i}" for i in range(8)])
    rounds.exercise_pair(exercise=exercise, student_ids=[s.pk for s in students], seed=3)
    rounds.exercise_release(exercise=exercise)
    rounds.exercise_start(exercise=exercise)
    base, out = f"http://127.0.0.1:{live_daphne}", io.StringIO()
    play = {"url": base, "seats": "students", "strategy": "mixed", "think": 0.2, "seed": 7, "stdout": out}
    with worker_if_needed():
        shorten_round(exercise, 12)
        call_command("run_bots", exercise=exercise.pk, **play)
        rounds.exercise_end(exercise=exercise)
        wait_until(lambda: Debrief.objects.filter(exercise=exercise).exists(), 30)
        agreed = Negotiation.objects.filter(exercise=exercise, status="agreed").count()
        assert agreed >= 1, out.getvalue()
        assert settlement.settlement_open(exercise=exercise, minutes=1, now=timezone.now()) == agreed
        deadline = timezone.now() + timedelta(seconds=15)  # the round's minute, shortened
        Negotiation.objects.filter(exercise=exercise, status="settling").update(deadline=deadline)
        Settlement.objects.filter(exercise=exercise).update(deadline=deadline)
        for event in Event.objects.filter(negotiation__exercise=exercise, type="settlement_opened"):
            event.payload = {"deadline": deadline.isoformat()}
            event.save(update_fields=["payload"])
        call_command("run_bots", exercise=exercise.pk, **play)
        assert not Negotiation.objects.filter(exercise=exercise, status="settling").exists(), out.getvalue()
        wait_until(
            lambda: (Debrief.objects.get(exercise=exercise).data["class"].get("settlement") or {}).get("pairs"), 30
        )
    report = out.getvalue()
    assert "refused" not in report and "error" not in report, report
    assert Settlement.objects.get(exercise=exercise).closed_at is not None
    debrief = Debrief.objects.get(exercise=exercise).data
    rounds_played = [pair["settlement"] for pair in debrief["pairs"] if pair["settlement"]]
    assert len(rounds_played) == agreed == debrief["class"]["settlement"]["pairs"]
    for played in rounds_played:
        assert played["ending"] in ("accept", "keep", "settlement_closed")
        assert all(played["points_after"][r] >= played["points_before"][r] for r in ("seller", "buyer")), played
    assert debrief["class"]["settlement"]["joint_gain"] >= 0


@pytest.fixture
def odd_class(exercise, classroom):
    """Three students: a pair, and one against the disclosed bot. Returns (bot seat, the odd student's seat)."""
    return odd_class_with_bot(exercise, classroom)


def in_thread(target, **kwargs) -> threading.Thread:
    def run() -> None:
        try:
            target(**kwargs)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_an_odd_student_negotiates_with_the_bot_and_the_monitor_sees_it_act(
    live_daphne, odd_class, exercise, instructor
):
    bot, human = odd_class
    negotiation = bot.negotiation
    instructor_browser = Client()
    instructor_browser.force_login(instructor)
    instructor_cookie = (
        f"{settings.SESSION_COOKIE_NAME}={instructor_browser.cookies[settings.SESSION_COOKIE_NAME].value}"
    )
    out = io.StringIO()
    port = live_daphne
    with worker_if_needed():
        base = f"http://127.0.0.1:{port}"
        student = LiveClient(
            f"ws://127.0.0.1:{port}/ws/negotiations/{negotiation.pk}/",
            sign_in(base, f"/s/{student_link_token(human.student)}/"),
            base,
        )
        command = in_thread(
            call_command, command_name="run_bots", exercise=exercise.pk, url=base, seats="bot",
            strategy="conceder", think=0.2, seed=1, stdout=out,
        )  # fmt: skip

        async def play() -> tuple[dict, list[dict]]:
            monitor = await ws_connect(
                f"ws://127.0.0.1:{port}/ws/exercises/{exercise.pk}/monitor/",
                origin=base,  # type: ignore[arg-type]
                additional_headers={"Cookie": instructor_cookie},
            )
            snapshot = json.loads(await monitor.recv())
            await student.connect()
            bot_offers = lambda c: [e for e in c.events if e["type"] == "offer" and e["role"] == bot.role_key]  # noqa: E731
            await student.wait_for(lambda c: bot_offers(c), timeout=15)
            sheet = Sheet.from_snapshot(student.snapshot)
            greedy = Bot(sheet, "tough").decide(Situation(0.0, 60))  # the student's best: no good for the bot
            mine = await student.act(greedy.frame(sheet))
            await student.wait_for(lambda c: any(e["seq"] > mine["seq"] for e in bot_offers(c)), timeout=15)
            latest = bot_offers(student)[-1]
            await student.act({"type": "accept", "offer_seq": latest["seq"], "package": 0})
            frames = []
            with contextlib.suppress(TimeoutError):
                while not any("accept" in f.get("events", []) for f in frames):
                    frames.append(json.loads(await asyncio.wait_for(monitor.recv(), 10)))
            await monitor.close()
            await student.close()
            return snapshot, frames

        snapshot, frames = asyncio.run(play())
        command.join(30)
        assert not command.is_alive()
    pair = next(p for p in snapshot["pairs"] if p["id"] == negotiation.pk)
    seat = next(s for s in pair["seats"] if s["role"] == bot.role_key)
    assert (seat["kind"], seat["name"], seat.get("auto", False)) == ("bot", "Bot", False)  # run_bots plays it
    seen = [e for f in frames if f["type"] == "pair" and f["pair"]["id"] == negotiation.pk for e in f["events"]]
    assert "offer" in seen and "accept" in seen
    negotiation.refresh_from_db()
    assert negotiation.status == "agreed"
    stored = list(Event.objects.filter(negotiation=negotiation).values_list("type", "role"))
    assert ("offer", bot.role_key) in stored and ("offer", human.role_key) in stored
    assert stored[-1] == ("accept", human.role_key)
    assert "Every pair played has ended." in out.getvalue()
    other = Negotiation.objects.exclude(pk=negotiation.pk).get(exercise=exercise)
    assert other.status == "negotiating"  # the students' pair was not played


def test_a_bot_whose_socket_drops_reconnects_and_plays_on_without_repeating_itself(live_daphne, odd_class, exercise):
    bot, human = odd_class
    negotiation = bot.negotiation
    port = live_daphne
    base = f"http://127.0.0.1:{port}"
    url = f"ws://127.0.0.1:{port}/ws/negotiations/{negotiation.pk}/"
    student = LiveClient(url, sign_in(base, f"/s/{student_link_token(human.student)}/"), base)
    seating = Seating(negotiation.pk, negotiation.number, bot.role_key, "bot", "Bot",
                      bot_session_mint(bot), "conceder", 5)  # fmt: skip
    player = BotPlayer(seating, base, think=0.2)

    async def play() -> None:
        task = asyncio.ensure_future(player.run())
        await student.connect()
        await student.wait_for(lambda c: any(e["type"] == "offer" for e in c.events), timeout=15)
        await player.client.drop()  # the bot's network fails
        await student.act({"type": "chat", "text": "Are you still there?"})
        await student.wait_for(lambda c: len([e for e in c.events if e["type"] == "offer"]) >= 2, timeout=15)
        latest = [e for e in student.events if e["type"] == "offer"][-1]
        await student.act({"type": "accept", "offer_seq": latest["seq"], "package": 0})
        await asyncio.wait_for(task, 15)
        await student.close()

    asyncio.run(play())
    played = player.played
    assert played.status == "agreed" and played.reconnects >= 1 and not played.errors
    offers = Event.objects.filter(negotiation=negotiation, type="offer", role=bot.role_key).count()
    assert offers == played.offers  # every offer stored once
    assert [e["seq"] for e in player.client.events] == list(range(1, len(player.client.events) + 1))


def test_a_forged_bot_session_is_refused_by_a_real_daphne(live_daphne, odd_class):
    bot, _ = odd_class
    forged = f"{settings.SESSION_COOKIE_NAME}={secrets.token_hex(16)}"
    port = live_daphne
    seating = Seating(bot.negotiation_id, 1, bot.role_key, "bot", "Bot", forged, "tough", 1)
    player = BotPlayer(seating, f"http://127.0.0.1:{port}", think=0.1)
    played = asyncio.run(asyncio.wait_for(player.run(), 15))
    assert played.status == "refused" and player.client.close_code == 4401
    assert not Event.objects.filter(negotiation=bot.negotiation).exclude(type="started").exists()
