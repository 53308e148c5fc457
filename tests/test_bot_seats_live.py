"""A student plays the server's bot to an agreement, with nobody running a bot: with a real Celery worker
(killed mid-round: its successor plays on), and in the embedded mode, where the web process
plays it (and a restarted one plays on). The bot's pace is held to its documented bounds."""

from __future__ import annotations

import asyncio
import itertools
import time
from datetime import datetime

import pytest
from channels.db import database_sync_to_async

from classrooms.services import student_link_token
from core.bots import JITTER
from negotiations import rounds
from negotiations.bot_seats import overdue_after
from negotiations.client import LiveClient, sign_in
from negotiations.models import Event, Negotiation, Seat
from tests.base import odd_class_with_bot
from tests.servers import celery_worker, daphne, in_a_thread

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True), pytest.mark.slow]

THINK = 0.4
LATE = 5.0  # a loaded machine's delay in running a move at its time (two cores shared by a worker, Daphne, tests)
ENV = {"PARLEY_BOT_THINK_SECONDS": str(THINK), "PARLEY_BOT_STRATEGY": "conceder", "PARLEY_BOT_SWEEP_SECONDS": "0.5"}


@pytest.fixture
def bot_pair(exercise, classroom, settings):
    """The odd student and the bot, the roles released: the test starts the round once its servers are up."""
    settings.BOT_THINK_SECONDS = THINK
    settings.BOT_STRATEGY = "conceder"
    return odd_class_with_bot(exercise, classroom, start=False)


def student_on(port: int, human: Seat) -> LiveClient:
    base = f"http://127.0.0.1:{port}"
    cookie = sign_in(base, f"/s/{student_link_token(human.student)}/")
    return LiveClient(f"ws://127.0.0.1:{port}/ws/negotiations/{human.negotiation_id}/", cookie, base)


def bot_events(client: LiveClient, role: str) -> list[dict]:
    return [e for e in client.events if e["role"] == role]


def at(event: dict) -> float:
    return datetime.fromisoformat(event["at"]).timestamp()


def greedy(client: LiveClient, price: float) -> dict:
    """An offer the bot will not accept at once: the student's best terms at a low price."""
    best = {}
    for issue in client.snapshot["issues"]:
        if issue["kind"] == "numeric":
            best[issue["key"]] = price
        else:
            best[issue["key"]] = max(issue["options"], key=lambda o: o["points"])["key"]
    return {"type": "offer", "packages": [best]}


async def answered(client: LiveClient, role: str, after: dict, timeout: float) -> dict:
    """The bot's first event after the student's `after`; its delay held to one think time."""
    try:
        await client.wait_for(lambda c: any(e["seq"] > after["seq"] for e in bot_events(c, role)), timeout=timeout)
    except TimeoutError:  # say what the client had: a socket gone, a gap it waits on, or nothing from the bot
        latest = [(e["seq"], e["type"], e["role"]) for e in client.events[-6:]]
        raise AssertionError(
            f"no move of the bot after seq {after['seq']} within {timeout} s: socket open {client.is_open} "
            f"(closed {client.close_code}), last_seq {client.last_seq}, latest events {latest}, "
            f"waiting to be acknowledged {list(client.pending)}, other frames {client.other[-4:]}"
        ) from None
    answer = next(e for e in bot_events(client, role) if e["seq"] > after["seq"])
    return answer


def assert_paced(answer: dict, after: dict) -> None:
    delay = at(answer) - at(after)
    assert THINK * (1 - JITTER) <= delay <= THINK * (1 + JITTER) + LATE, delay


async def agree(client: LiveClient, role: str) -> None:
    latest = [e for e in bot_events(client, role) if e["type"] == "offer"][-1]
    await client.act({"type": "accept", "offer_seq": latest["seq"], "package": 0})


def assert_agreed_once(bot: Seat) -> None:
    negotiation = Negotiation.objects.get(pk=bot.negotiation_id)
    assert negotiation.status == "agreed"
    moves = list(Event.objects.filter(negotiation=negotiation, seat=bot).values_list("client_msg_id", flat=True))
    assert moves and len(set(moves)) == len(moves)  # every move stored once
    bots = Event.objects.filter(negotiation=negotiation, seat=bot).order_by("seq")
    gaps = [(b.created_at - a.created_at).total_seconds() for a, b in itertools.pairwise(bots)]
    assert all(gap >= THINK * (1 - JITTER) for gap in gaps), gaps  # at most one move per think time


def wait_stopped(bot: Seat, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while Seat.objects.get(pk=bot.pk).bot_move_at is not None:
        assert time.monotonic() < deadline, "the bot still has a move due after its pair ended"
        time.sleep(0.1)  # polling the database: another process clears it


def test_a_student_plays_the_servers_bot_to_an_agreement_at_a_persons_pace_across_a_killed_worker(bot_pair):
    bot, human = bot_pair
    with daphne(**ENV) as (port, _):
        student = student_on(port, human)

        async def play() -> None:
            async with in_a_thread(celery_worker(ready=True, **ENV)) as worker:
                await database_sync_to_async(rounds.exercise_start)(exercise=bot.exercise)
                snapshot = await student.connect()
                assert {"role": bot.role_key, "kind": "bot", "name": "Bot", "auto": True} in snapshot["seats"]
                await student.wait_for(lambda c: bot_events(c, bot.role_key), timeout=20)
                started = next(e for e in student.events if e["type"] == "started")
                assert_paced(bot_events(student, bot.role_key)[0], started)
                mine = await student.act(greedy(student, 8500))
                assert_paced(await answered(student, bot.role_key, mine, 15), mine)
                worker.kill()  # -9: its next move, held for its time, dies with it
                await asyncio.to_thread(worker.wait)
            mine = await student.act(greedy(student, 9000))
            async with in_a_thread(celery_worker(ready=True, **ENV)):  # the student's heartbeats go on meanwhile
                ready = time.monotonic()
                await answered(student, bot.role_key, mine, 20)
                assert time.monotonic() - ready < overdue_after().total_seconds() + 5  # the sweep found it
                await agree(student, bot.role_key)
                await student.close()
                await database_sync_to_async(wait_stopped)(bot)

        asyncio.run(play())
    assert_agreed_once(bot)


def test_embedded_the_web_process_plays_the_bot_and_a_restarted_one_plays_on(bot_pair):
    bot, human = bot_pair
    embedded = {**ENV, "REDIS_URL": ""}  # in-memory channel layer, eager Celery: no worker anywhere

    async def first_move(port: int) -> dict:
        student = student_on(port, human)
        await student.connect()
        await student.wait_for(lambda c: bot_events(c, bot.role_key), timeout=20)
        await student.close()
        return bot_events(student, bot.role_key)[0]

    async def answer_and_agree(port: int) -> None:
        student = student_on(port, human)
        await student.connect()  # the first socket of the new process starts its player
        mine = await student.act(greedy(student, 9000))
        assert_paced(await answered(student, bot.role_key, mine, 15), mine)
        await agree(student, bot.role_key)
        await student.close()

    with daphne(**embedded) as (port, process):
        rounds.exercise_start(exercise=bot.exercise)
        asyncio.run(first_move(port))
        process.kill()
        process.wait()
    with daphne(**embedded) as (port, _):
        asyncio.run(answer_and_agree(port))
    assert_agreed_once(bot)
