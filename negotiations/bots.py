"""Bots that play negotiations through the live protocol (docs/protocol.md), like any other client.

The decisions are core.bots' (pure, deterministic given a seed); this module gives them sockets. Many
bots share one asyncio loop. Each bot keeps its negotiation's events in sequence order (the snapshot's
latest ones, then the earlier ones fetched in pages with `history`; the client resumes on a gap),
reconnects with backoff when its socket drops, resends an unacknowledged action with the same
client_msg_id, and asks for what it missed (`resume`) when the socket has been quiet for a while, in
case a doorbell was lost.

Who a bot is comes from its handshake, never from a frame: a student's seat signs in through the
student's personal link, and a bot seat presents a session minted here for that one seat, which
expires (see `bot_session_mint` and docs/bots.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from importlib import import_module
from typing import Any

import websockets
from django.conf import settings
from django.urls import reverse

from classrooms.services import student_link_token
from core.bots import STRATEGIES, Bot, Sheet, Situation, Standing
from negotiations.client import ErrorFrameReceived, LiveClient, sign_in
from negotiations.models import Seat
from negotiations.participants import SESSION_BOT
from negotiations.protocol import CLOSE_NOT_FOUND, CLOSE_NOT_SIGNED_IN

BOT_SESSION_HOURS = 12
ENDED = ("accept", "walk_away", "deadline", "ended")
LEFT_ROUND = ("accept", "keep", "settlement_closed")  # how a pair leaves a post-settlement round
REFUSED_CLOSES = (CLOSE_NOT_SIGNED_IN, CLOSE_NOT_FOUND)
QUIET_RESYNC = 10.0  # seconds without a frame before a bot asks for what it may have missed


def bot_session_mint(seat: Seat, *, hours: float = BOT_SESSION_HOURS) -> str:
    """A session for one bot seat, expiring after `hours`; returns the Cookie header that presents it.

    The key is a random server-side secret (Django's session store), so it cannot be forged; it names
    one seat of one negotiation, and stops working when it expires or the seat stops being a bot's."""
    if seat.kind != Seat.Kind.BOT:
        raise ValueError(f"seat {seat.pk} is a {seat.kind} seat, not a bot's")
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_BOT] = {"seat": seat.pk, "negotiation": seat.negotiation_id}
    session.set_expiry(int(hours * 3600))
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


@dataclass
class Seating:
    """One seat a bot plays, and how it signs in."""

    negotiation_id: int
    number: int  # the pair's number in its exercise
    role: str
    kind: str  # the seat's kind: bot, or student (a demo class played by bots)
    name: str
    cookie: str
    strategy: str
    seed: int


@dataclass
class Played:
    """What one bot did."""

    seating: Seating
    status: str = "waiting"  # the negotiation's status when the bot stopped, or "refused"
    offers: int = 0
    accepted: bool = False
    errors: list[str] = field(default_factory=list)
    reconnects: int = 0


def ws_base(url: str) -> tuple[str, str]:
    """The websocket base and the Origin header for a server's http(s) URL."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"the server URL must look like http://host:port, got {url!r}")
    scheme = "wss" if parts.scheme == "https" else "ws"
    return f"{scheme}://{parts.netloc}", f"{parts.scheme}://{parts.netloc}"


class BotPlayer:
    """One bot on one seat: connect, follow the negotiation, decide at a human pace, act, until it ends."""

    def __init__(
        self,
        seating: Seating,
        url: str,
        *,
        think: float = 2.0,
        report: Callable[[str], None] | None = None,
    ) -> None:
        base, origin = ws_base(url)
        self.seating = seating
        self.client = LiveClient(f"{base}/ws/negotiations/{seating.negotiation_id}/", seating.cookie, origin)
        self.think = think
        self.pace = random.Random(seating.seed)  # jitter of the think time, reproducible
        self.report = report or (lambda line: None)
        self.played = Played(seating)
        self.bot: Bot | None = None
        self.clock_offset = 0.0  # server clock minus ours, from the snapshot
        self.due = 0.0  # loop time at which the bot next considers acting
        self.seen_partner_seq = 0

    @property
    def label(self) -> str:
        s = self.seating
        return f"pair {s.number} {s.role} ({s.strategy})"

    async def run(self) -> Played:
        backoff = 0.5
        while True:
            try:
                await self.client.connect()
            except (OSError, TimeoutError, websockets.InvalidHandshake, websockets.ConnectionClosed) as exc:
                if self.client.close_code in REFUSED_CLOSES or isinstance(exc, websockets.InvalidStatus):
                    self.played.status = "refused"
                    self.played.errors.append(f"refused: {self.client.close_code or exc}")
                    self.report(f"{self.label}: refused by the server ({self.client.close_code or exc})")
                    return self.played
                self.played.reconnects += 1
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            backoff = 0.5
            self._on_snapshot()
            with contextlib.suppress(TimeoutError, websockets.ConnectionClosed):
                await self.client.load_history()  # the snapshot holds the latest events; a bot reads them all
            if await self.play():
                await self.client.close()
                return self.played
            self.played.reconnects += 1  # the socket dropped: reconnect, resume, resend

    def _on_snapshot(self) -> None:
        snapshot = self.client.snapshot
        server = datetime.fromisoformat(snapshot["server_time"]).timestamp()
        self.clock_offset = server - time.time()
        if self.bot is None:
            sheet = Sheet.from_snapshot(snapshot)
            self.bot = Bot(sheet, STRATEGIES[self.seating.strategy], seed=self.seating.seed)
            self.due = self._later(1.0)

    def _later(self, share: float) -> float:
        return asyncio.get_running_loop().time() + self.think * share * self.pace.uniform(0.75, 1.25)

    async def play(self) -> bool:
        """Follow and act while the socket is open; True when the negotiation has ended."""
        loop = asyncio.get_running_loop()
        while True:
            view = self.view()
            if view["status"] in ("agreed", "impasse"):
                self.played.status = view["status"]
                return True
            if not self.client.is_open:
                return False
            now = loop.time()
            partner = view["partner"]
            if partner is not None and partner.seq > self.seen_partner_seq:
                self.seen_partner_seq = partner.seq  # answer a new offer after thinking, not at once
                self.due = min(self.due, self._later(1.0)) if self.due > now else self._later(1.0)
            if view["status"] in ("negotiating", "settling") and not view["paused"] and now >= self.due:
                await self.act(view)
                continue
            quiet = now - self.client.received_at
            if quiet >= QUIET_RESYNC:
                await self.client.resync()  # a doorbell may have been lost: ask by sequence number
                self.client.received_at = now
            wait = max(0.05, min(self.due - now, QUIET_RESYNC - quiet))
            self.client._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.client._changed.wait(), wait)

    async def act(self, view: dict[str, Any]) -> None:
        assert self.bot is not None
        situation = self.situation(view)
        move = self.bot.decide(situation)
        if move.type == "wait":
            self.due = self._later(1.0)
            return
        future = await self.client.submit(move.frame(self.bot.sheet))
        self.due = self._later(1.0)
        try:
            await asyncio.wait_for(asyncio.shield(future), 15)
        except ErrorFrameReceived as exc:
            # The partner got there first (replaced or withdrew its offer, ended, left the post-settlement round).
            if exc.code not in ("not_standing", "ended", "paused", "not_started", "not_settling"):
                self.played.errors.append(f"{exc.code}: {exc}")
                self.report(f"{self.label}: the server refused a {move.type}: {exc.code} {exc}")
            if exc.code in ("ended", "not_settling"):
                await self.client.resync()
            return
        except TimeoutError:
            return  # not acknowledged yet: it stays pending and is resent, once, after a reconnect
        if move.type == "offer":
            self.played.offers += 1
        elif move.type == "accept":
            self.played.accepted = True

    def view(self) -> dict[str, Any]:
        """The negotiation as the bot's events tell it, in sequence order."""
        snapshot = self.client.snapshot
        role = self.seating.role
        status = snapshot["negotiation"]["status"] if snapshot else "waiting"
        deadline = snapshot["negotiation"].get("deadline") if snapshot else None
        started_at = None
        paused = bool(snapshot and snapshot["negotiation"].get("paused"))
        standing: dict[str, Standing] = {}
        partner_offers: list[tuple[dict[str, str], ...]] = []
        agreement = None
        for event in self.client.events:
            kind, payload, actor = event["type"], event["payload"], event["role"]
            if kind == "started":
                status, started_at, deadline = "negotiating", event["at"], payload.get("deadline")
            elif kind == "settlement_opened":  # a round of its own: its clock, its offers
                status, started_at, deadline = "settling", event["at"], payload.get("deadline")
                standing, partner_offers = {}, []
            elif status == "settling" and kind in LEFT_ROUND:
                status, standing = "agreed", {}
                agreement = payload.get("terms", agreement)
            elif kind in ("extended", "paused", "resumed"):
                deadline = payload.get("deadline") or deadline
                if kind != "extended":
                    paused = kind == "paused"
            elif kind == "offer":
                standing[actor] = Standing(event["seq"], tuple(payload["packages"]))
                if actor != role:
                    partner_offers.append(tuple(payload["packages"]))
            elif kind == "reject":
                standing = {r: o for r, o in standing.items() if o.seq != payload["offer_seq"]}
            elif kind == "withdraw":
                standing.pop(actor, None)
            elif kind in ENDED:
                status = "agreed" if kind == "accept" else "impasse"
                agreement, standing = payload.get("terms"), {}
        partner = next((o for r, o in standing.items() if r != role), None)
        return {
            "status": status,
            "agreement": agreement,
            "deadline": deadline,
            "started_at": started_at,
            "paused": paused,
            "own": standing.get(role),
            "partner": partner,
            "partner_offers": tuple(partner_offers),
        }

    def situation(self, view: dict[str, Any]) -> Situation:
        now = time.time() + self.clock_offset
        deadline = datetime.fromisoformat(view["deadline"]).timestamp() if view["deadline"] else now + 3600
        start = datetime.fromisoformat(view["started_at"]).timestamp() if view["started_at"] else now
        span = max(deadline - start, 1.0)
        return Situation(
            elapsed=min(max((now - start) / span, 0.0), 1.0),
            seconds_left=max(deadline - now, 0.0),
            own=view["own"],
            partner=view["partner"],
            partner_offers=view["partner_offers"],
            agreement=view["agreement"] if view["status"] == "settling" else None,
        )


async def play_all(
    seatings: list[Seating],
    url: str,
    *,
    think: float = 2.0,
    report: Callable[[str], None] | None = None,
) -> list[Played]:
    """Play every seat at once in this loop; returns when every bot's negotiation has ended."""
    players = [BotPlayer(s, url, think=think, report=report) for s in seatings]
    try:
        return list(await asyncio.gather(*(p.run() for p in players)))
    finally:
        for player in players:
            with contextlib.suppress(Exception):
                await player.client.close()


def seat_seed(seed: int, number: int, role: str) -> int:
    return random.Random(f"{seed}-{number}-{role}").getrandbits(32)


def strategy_for(strategy: str, number: int, role_index: int, seed: int) -> str:
    """A seat's strategy: the one asked for; for `mixed`, the strategies in a seeded order, shifted by pair,
    so that each strategy meets the others and plays both roles."""
    if strategy != "mixed":
        return strategy
    names = sorted(STRATEGIES)
    random.Random(seed).shuffle(names)
    return names[(number + role_index) % len(names)]


def seatings_for(
    exercise: Any, *, seats: str, strategy: str, seed: int, url: str, hours: float = BOT_SESSION_HOURS
) -> tuple[list[Seating], list[str]]:
    """The seats to play in an exercise's open pairs (or those in its post-settlement round), each signed
    in; and notes on the seats skipped.

    `bot`: the disclosed bot seats, each with a session minted for it. `students`: the students' seats,
    signed in through each student's personal link as their browser would. `all`: both."""
    kinds = {"bot": [Seat.Kind.BOT], "students": [Seat.Kind.STUDENT], "all": [Seat.Kind.BOT, Seat.Kind.STUDENT]}[seats]
    rows = (
        Seat.objects.filter(
            exercise=exercise, kind__in=kinds, negotiation__status__in=["waiting", "negotiating", "settling"]
        )
        .select_related("negotiation", "student")
        .order_by("negotiation__number", "role_key")
    )
    roles = sorted({seat.role_key for seat in rows})
    seatings, notes = [], []
    for seat in rows:
        number = seat.negotiation.number
        if seat.kind == Seat.Kind.BOT:
            cookie, name = bot_session_mint(seat, hours=hours), "Bot"
        else:
            token = student_link_token(seat.student)
            if token is None:
                notes.append(f"pair {number} {seat.role_key}: {seat.student.display_name}'s link is revoked; skipped")
                continue
            cookie = sign_in(url, reverse("student_link", args=[token]))
            name = seat.student.display_name
        seatings.append(
            Seating(
                negotiation_id=seat.negotiation_id,
                number=number,
                role=seat.role_key,
                kind=seat.kind,
                name=name,
                cookie=cookie,
                strategy=strategy_for(strategy, number, roles.index(seat.role_key), seed),
                seed=seat_seed(seed, number, seat.role_key),
            )
        )
    return seatings, notes
