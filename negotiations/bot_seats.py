"""The server plays every disclosed bot seat, from the moment its pair starts (docs/bots.md).

A bot seat's next move lives in the database, never in a process's memory: `Seat.bot_move_at`, when the
move falls due. Whoever plays a due move first claims it with one conditional update that moves it on
to the next move's time, so that a move is played once however many runners find it due; the action
then goes through negotiation_act like a student's (the same rules, events, limits and doorbells), with
a client_msg_id named for the seat and the event it answers, so that a move played twice is stored once.

Who plays the due moves:
- with a Celery broker (production): a task per move, sent with the move's time as its ETA
  (`play_bot_seat`). Every worker sweeps every BOT_SWEEP_SECONDS (config/celery.py) for the bot seats of
  live pairs whose move is missing or overdue (its task lost with a dead worker, or never sent while
  Redis was away) and sends it again.
- embedded (eager Celery, one process): an asyncio task of the web process (`EmbeddedBots`, wrapped
  around the ASGI application in config/asgi.py) plays the due moves, waking when the next falls due.

A bot knows its own sheet only (core.bots.Sheet.from_scenario: its role's points and BATNA), the clock
and the offers made; its decisions are core.bots', deterministic given the seat and the events so far.
Its pace is core.bots.pace. It stops when its pair ends, when the round ends, or when a student takes
its seat; it plays again in a post-settlement round (negotiations.settlement) until its pair leaves it.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from celery import shared_task
from channels.db import database_sync_to_async
from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from classrooms.models import Exercise
from core.bots import Bot, Sheet, Situation, Standing, pace, think_for
from core.negotiation import FrameError, parse_frame
from core.refusal import Refused
from core.spec import Scenario
from negotiations.acting import negotiation_act
from negotiations.models import Event, Negotiation, Seat
from negotiations.publishing import on_commit_quietly, server_plays
from scenarios.services import version_spec

log = logging.getLogger(__name__)
EARLY_WAIT_AT_MOST = 1.0  # seconds a worker waits for a move whose timer fired early; sooner, it is sent again
EMBEDDED_WAKE_AT_MOST = 1.0  # seconds: the embedded player looks for new bot seats at least this often


def _think() -> float:
    return float(settings.BOT_THINK_SECONDS)


def overdue_after() -> timedelta:
    """A move this late was lost (its task died with a worker, or was never sent): the sweep sends it again."""
    return timedelta(seconds=2 + 2 * _think())


PLAYING = Q(negotiation__status=Negotiation.Status.NEGOTIATING, exercise__state=Exercise.State.LIVE) | Q(
    negotiation__status=Negotiation.Status.SETTLING
)  # a live round's open pairs, and the pairs of a post-settlement round


def live_bot_seats() -> QuerySet[Seat]:
    return Seat.objects.filter(PLAYING, kind=Seat.Kind.BOT)


def _claim(seat_id: int, held: datetime | None, at: datetime) -> bool:
    """Move a bot seat's next move from `held` (what the caller read) to `at`; False when someone else did."""
    rows = Seat.objects.filter(pk=seat_id, kind=Seat.Kind.BOT)
    rows = rows.filter(bot_move_at__isnull=True) if held is None else rows.filter(bot_move_at=held)
    return rows.update(bot_move_at=at) == 1


def _later(now: datetime, rng: random.Random) -> datetime:
    return now + timedelta(seconds=think_for(_think(), rng))


def bot_move_send(*, seat_id: int, at: datetime) -> None:
    """After the commit: a worker plays the seat's move at `at`. Embedded, the web process's player finds
    it in the database. Quietly: a move not sent is found overdue by the sweep."""
    if play_bot_seat.app.conf.task_always_eager:
        return  # it would run in this call, at once: the embedded player plays it at its time instead
    on_commit_quietly(
        lambda: play_bot_seat.apply_async(args=[seat_id, at.isoformat()], eta=at),
        f"send the move of bot seat {seat_id}",
    )


def bot_seats_wake(*, exercise_id: int, now: datetime) -> None:
    """Pairs just started: each of their bot seats without a move gets its first, one think time from now,
    or from the clock as the seat is found if that is later: the pairs' "started" events are stamped as
    they are written, after the caller read `now`, and the first move must not come sooner than a think
    time after them."""
    if not settings.SERVER_BOTS:
        return
    rng = random.Random()
    idle = Seat.objects.filter(
        exercise_id=exercise_id,
        kind=Seat.Kind.BOT,
        bot_move_at__isnull=True,
        negotiation__status__in=[Negotiation.Status.NEGOTIATING, Negotiation.Status.SETTLING],
    )
    for pk in idle.values_list("pk", flat=True):
        at = _later(max(now, timezone.now()), rng)
        if _claim(pk, None, at):
            bot_move_send(seat_id=pk, at=at)


def bot_seats_sweep(*, now: datetime | None = None) -> list[int]:
    """The bot seats of live pairs whose move is missing, or overdue by overdue_after(): each gets it back
    (now, if it was overdue), claimed by a conditional update so that sweeps at once send it once."""
    if not settings.SERVER_BOTS:
        return []
    now = now or timezone.now()
    rng = random.Random()
    lost = live_bot_seats().filter(Q(bot_move_at__isnull=True) | Q(bot_move_at__lte=now - overdue_after()))
    sent = []
    for pk, held in lost.values_list("pk", "bot_move_at"):
        # A missing first move is timed from the clock as the seat is found, not as the sweep began: a
        # pair that started in between would otherwise get it sooner than a think time after its start.
        at = now if held is not None else _later(max(now, timezone.now()), rng)
        if not _claim(pk, held, at):
            continue
        if held is not None:
            late = (now - held).total_seconds()
            log.warning("the move of bot seat %s is %.1f s overdue (its worker died?); sending it again", pk, late)
        bot_move_send(seat_id=pk, at=at)
        sent.append(pk)
    return sent


def bot_seat_play(*, seat_id: int, due: datetime, now: datetime | None = None) -> datetime | None:
    """Play the move of a bot seat that fell due at `due`, if it is still the seat's next: claim the move
    after it, then decide and act. Returns when the next move falls due; None when this move was not
    this call's to play (another runner played it, or a newer one replaced it) or the bot stops; `due`
    itself, untouched, when `now` is before it (a timer that fired early: the move is sent again)."""
    now = now or timezone.now()
    if now < due:
        return due  # never before its time, which would answer the partner sooner than a think time
    seat = (
        Seat.objects.select_related("negotiation", "exercise__scenario_version", "student")
        .filter(pk=seat_id, bot_move_at=due)
        .first()
    )
    if seat is None:
        return None
    negotiation, exercise = seat.negotiation, seat.exercise
    settling = negotiation.status == Negotiation.Status.SETTLING
    live = exercise.state == Exercise.State.LIVE and negotiation.status == Negotiation.Status.NEGOTIATING
    if not server_plays(seat.kind) or not (live or settling):
        Seat.objects.filter(pk=seat_id, bot_move_at=due).update(bot_move_at=None)  # it stops
        return None
    acted = (
        Event.objects.filter(negotiation=negotiation, seat__isnull=False)
        .exclude(role=seat.role_key)
        .exclude(type="chat")
        .order_by("-seq")
        .values_list("created_at", flat=True)
        .first()
    )
    may, at = pace(
        now=now.timestamp(), partner_acted_at=acted.timestamp() if acted else None, think=_think(), rng=random.Random()
    )
    next_due = datetime.fromtimestamp(at, tz=UTC)
    if not _claim(seat_id, due, next_due):
        return None
    if may and exercise.paused_at is None:
        _move(seat, negotiation, version_spec(exercise.scenario_version), now)
    return next_due


def bot_for(seat: Seat, scenario: Scenario, last_seq: int) -> Bot:
    """The bot of a seat as it decides after event `last_seq`: its own sheet only, seeded by both."""
    seed = random.Random(f"{seat.pk}-{last_seq}").getrandbits(32)
    return Bot(Sheet.from_scenario(scenario, seat.role_key), settings.BOT_STRATEGY, seed=seed)


def situation_of(seat: Seat, negotiation: Negotiation, now: datetime) -> Situation:
    """What the bot knows of its pair at `now`: the clock, the offers on the table, the partner's offers;
    in a post-settlement round, the round's clock and offers, and the agreement it may improve on."""
    role = seat.role_key
    kinds = ["started", "offer", "settlement_opened"]
    rows = Event.objects.filter(negotiation=negotiation, type__in=kinds).order_by("seq")
    started, partner_offers = None, []
    for type_, actor, payload, at in rows.values_list("type", "role", "payload", "created_at"):
        if type_ == "started":
            started = started or at
        elif type_ == "settlement_opened":
            started, partner_offers = at, []
        elif actor != role:
            partner_offers.append(tuple(payload["packages"]))
    start = started or now
    deadline = negotiation.deadline or now + timedelta(hours=1)
    span = max((deadline - start).total_seconds(), 1.0)
    standing = {r: Standing(int(o["seq"]), tuple(o["packages"])) for r, o in negotiation.standing.items()}
    return Situation(
        elapsed=min(max((now - start).total_seconds() / span, 0.0), 1.0),
        seconds_left=max((deadline - now).total_seconds(), 0.0),
        own=standing.get(role),
        partner=next((o for r, o in standing.items() if r != role), None),
        partner_offers=tuple(partner_offers),
        agreement=negotiation.agreement if negotiation.status == Negotiation.Status.SETTLING else None,
    )


def _move(seat: Seat, negotiation: Negotiation, scenario: Scenario, now: datetime) -> None:
    bot = bot_for(seat, scenario, negotiation.last_seq)
    move = bot.decide(situation_of(seat, negotiation, now))
    if move.type == "wait":
        return
    frame: dict[str, Any] = {**move.frame(bot.sheet), "client_msg_id": f"bot-{seat.pk}-{negotiation.last_seq}"}
    try:
        negotiation_act(negotiation_id=negotiation.pk, seat=seat, action=parse_frame(frame, scenario), now=now)
    except (Refused, FrameError) as exc:  # the partner withdrew, the time ran out, ...: the next move sees it
        log.info("bot seat %s: its %s was refused: %s", seat.pk, move.type, exc)


# The players: Celery tasks, or the embedded web process's own task


@shared_task(name="negotiations.tasks.play_bot_seat", acks_late=False, ignore_result=True)
def play_bot_seat(seat_id: int, due: str) -> None:
    """One bot move at its time, then the next one sent. Acknowledged on receipt: a move lost with its
    worker is found overdue by the sweep, and a copy delivered again finds the move played (a no-op).
    A worker's timer can fire a little before the eta: the move waits for its time."""
    at = datetime.fromisoformat(due)
    early = (at - timezone.now()).total_seconds()
    if early > 0:
        time.sleep(min(early, EARLY_WAIT_AT_MOST))
    next_due = bot_seat_play(seat_id=seat_id, due=at)
    if next_due is not None:
        bot_move_send(seat_id=seat_id, at=next_due)


@shared_task(name="negotiations.tasks.sweep_bot_seats", acks_late=False, ignore_result=True)
def sweep_bot_seats() -> list[int]:
    """Every few seconds, sent by each worker (config/celery.py): lost bot moves, sent again."""
    return bot_seats_sweep()


def bot_seats_play_due(*, now: datetime | None = None) -> float:
    """The embedded player's round: give new bot seats their first move, play every move due; returns
    the seconds until the next one falls due (at most EMBEDDED_WAKE_AT_MOST)."""
    now = now or timezone.now()
    bot_seats_sweep(now=now)
    wait = EMBEDDED_WAKE_AT_MOST
    for pk, due in live_bot_seats().filter(bot_move_at__isnull=False).values_list("pk", "bot_move_at"):
        next_due = bot_seat_play(seat_id=pk, due=due, now=now) if due <= now else due
        if next_due is not None:
            wait = min(wait, (next_due - timezone.now()).total_seconds())
    return max(wait, 0.02)


class EmbeddedBots:
    """ASGI middleware of the embedded mode: the first request or socket starts, in the web process's
    event loop, the task that plays the bot seats' moves. A restarted process starts it again with its
    first request (a student's room reconnecting): the moves are in the database."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.player: asyncio.Task[None] | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self.player is None or self.player.done():
            self.player = asyncio.get_running_loop().create_task(self.play())
        await self.app(scope, receive, send)

    async def play(self) -> None:
        while True:
            try:
                wait = await database_sync_to_async(bot_seats_play_due)()
            except Exception:
                log.exception("the embedded bot player failed a round; it tries again in a second")
                wait = EMBEDDED_WAKE_AT_MOST
            await asyncio.sleep(wait)  # until the next move falls due
