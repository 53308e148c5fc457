"""The live sockets. A consumer authenticates, parses a frame, calls one service, forwards events;
the rules live in core.negotiation, the writes in negotiations.acting, and every frame sent is one of
negotiations.protocol's (STYLE)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from datetime import datetime
from typing import Any

from autobahn.exception import Disconnected
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.utils import timezone

from core.negotiation import MAX_CLIENT_ID, MAX_FRAME_BYTES, FrameError, parse_frame
from core.refusal import Refused
from negotiations import limits, loop_reads
from negotiations.acting import SEAT_CHANGED, negotiation_act, negotiation_close_expired
from negotiations.heartbeat import silence
from negotiations.joining import join_params, join_statement, joined, student_join
from negotiations.participants import Participant, identify, monitor_allowed, session_identity, session_user
from negotiations.protocol import (
    CLOSE_NOT_FOUND,
    CLOSE_NOT_SIGNED_IN,
    CLOSE_SEAT_CHANGED,
    CLOSE_SILENT,
    CLOSE_TOO_MANY,
    CLOSE_TOO_MANY_SOCKETS,
    AckFrame,
    BroadcastFrame,
    BroadcastJSON,
    DebriefFrame,
    ErrorFrame,
    EventFrame,
    ExerciseFrame,
    HeartbeatFrame,
    HeartbeatJSON,
    PairFrame,
    PongFrame,
    PresenceFrame,
    SeatFrame,
    ServerFrame,
    TypingFrame,
)
from negotiations.publishing import events_forward, monitor_group, negotiation_group, seat_group, student_group
from negotiations.snapshots import (
    cached_spec,
    events_page,
    exercise_spec,
    history_page,
    last_seq,
    monitor_snapshot,
    snapshot,
)

log = logging.getLogger(__name__)
SWEEP_SECONDS = 2.0
RESYNC_SECONDS = 1.0  # a monitor gets at most one snapshot this often; an earlier resync waits for it

# What a server raises on a send to a socket that is closing: the ASGI specification asks for an OSError;
# Daphne raises autobahn's Disconnected from the close until the disconnect message is delivered.
SOCKET_GONE = (OSError, Disconnected)
# And on uvloop, a write to a connection whose socket Twisted has closed (the client's network dropped
# while the server answered) reaches the socket's closed poll handle: uvloop raises this RuntimeError. It says
# the same of any closed handle (a timer, a server): only a poll handle's is the socket's connection gone.
UVLOOP_POLL_CLOSED = re.compile(r"unable to perform operation on <UVPoll closed=True [^<>;]*>; the handler is closed")


def socket_gone(exc: BaseException) -> bool:
    """Whether a send failed because the socket's connection is gone (the send is dropped), not a bug."""
    if isinstance(exc, SOCKET_GONE):
        return True
    return isinstance(exc, RuntimeError) and UVLOOP_POLL_CLOSED.fullmatch(str(exc)) is not None


HEARTBEAT_TEXT = json.dumps(HeartbeatFrame(type="heartbeat"), separators=(",", ":"))
CONTROL_FRAME_CHARS = 1000  # the monitor and the notices take one short frame: a longer one is not read


def control_frame(text_data: str | None) -> Any:
    """A frame of a socket that takes one short frame (`resync`, `heartbeat`): parsed, or None when it is
    binary, not JSON or CONTROL_FRAME_CHARS long or more, so that nothing is spent on reading it."""
    if not text_data or len(text_data) >= CONTROL_FRAME_CHARS:
        return None
    try:
        return json.loads(text_data)
    except ValueError:
        return None


class JsonSocket(AsyncWebsocketConsumer):
    count: limits.SocketFrames
    closing = False  # this side closed the socket, or a send found it gone: the disconnect message follows
    shared_limits: list[limits.Limit] | None = None  # the seat's and user's rates, once known
    holds_place = False  # under the caps of sockets per seat and user (negotiations.limits)
    heard_at = 0.0  # time.monotonic() of the latest message from the client (negotiations.heartbeat)
    beating = False  # the snapshot is sent: heartbeats within the socket's own rate are answered on arrival

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def send_unless_gone(message: dict[str, Any]) -> None:
            """A send to a socket that is going away is dropped, so that the consumer lives on until its
            disconnect message, and disconnect() tells the partner and leaves the groups."""
            if message["type"] == "websocket.close":
                self.closing = True
            try:
                await send(message)
            except (*SOCKET_GONE, RuntimeError) as exc:
                if not socket_gone(exc):
                    raise
                self.closing = True
                log.debug("dropped a message to a closing socket (%s): %s", scope.get("path"), exc)

        # Frames are counted as they arrive, not as the consumer gets to them: a backlog behind the
        # database is not a burst, and a flood is refused (and closed) while it happens. The consumer
        # reads what passed from `arrived`. A heartbeat within its own rate is answered there and then,
        # with no shared count: it stores and relays nothing (negotiations.limits). (Under Daphne, a
        # flood that keeps the event loop from this task is closed as Daphne reads it, by the same count:
        # config/daphne_sockets.py.)
        self.count = limits.SocketFrames()
        arrived: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

        async def count_arrivals() -> None:
            while True:
                message = await receive()
                self.heard_at = time.monotonic()
                if message["type"] == "websocket.receive":
                    if self.closing:
                        continue  # after a close, frames still on their way are not read
                    if self.beating and limits.is_heartbeat(message.get("text")) and self.count.heartbeats.take():
                        await self.send(text_data=HEARTBEAT_TEXT)  # answered here: it stores and relays nothing
                        continue
                    if not await self.within_rate(message):
                        continue
                arrived.put_nowait(message)
                if message["type"] == "websocket.disconnect":
                    return

        # Channels' consumer waits on the socket and the layer with a fresh task and `asyncio.wait` for
        # every message; here the layer's messages join the socket's in `arrived`, read one at a time,
        # in the order they came (docs/benchmarks.md, "The join off the database thread").
        self.scope = scope
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.channel_name = await self.channel_layer.new_channel()
        self.base_send = send_unless_gone

        async def from_layer() -> None:
            while True:
                arrived.put_nowait(await self.channel_layer.receive(self.channel_name))

        tasks = [asyncio.ensure_future(count_arrivals()), asyncio.ensure_future(from_layer())]
        try:
            while True:
                await self.dispatch(await arrived.get())
        except StopConsumer:
            pass
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:  # the layer forgets this consumer's channel as its receive is cancelled
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def websocket_receive(self, message: dict[str, Any]) -> None:
        if not self.closing:  # after a close, frames still on their way are not read
            await super().websocket_receive(message)

    async def within_rate(self, message: dict[str, Any]) -> bool:
        """Count a frame as it arrives against the socket's rate, then its seat's and user's (across
        sockets and processes); past one, refuse the frame (or close a flooding socket)."""
        if not self.count.frames.take():
            reason = f"at most {limits.FRAMES_PER_SECOND:g} a second, in bursts of {limits.FRAME_BURST}"
        elif not self.shared_limits or not (past := await limits.counts().within(self.shared_limits)):
            return True
        else:
            limit = self.shared_limits[past - 1]
            reason = (
                f"at most {limit.rate:g} a second, in bursts of {limit.burst:g}, from all the sockets "
                f"of this {limit.what}"
            )
        if not self.count.refusals.take():
            log.warning("closing a socket that kept flooding (%s)", self.scope.get("path"))
            await self.close(code=CLOSE_TOO_MANY)
            return False
        client_msg_id = None
        text_data = message.get("text")
        if text_data is not None and len(text_data) <= MAX_FRAME_BYTES:
            with contextlib.suppress(ValueError, RecursionError):
                client_msg_id = _client_msg_id(json.loads(text_data))
        await self.send_error(
            "rate_limited",
            f"too many frames: {reason}; this one was not stored, send it again in a moment",
            client_msg_id=client_msg_id,
        )
        return False

    async def hold_place(self, caps: list[limits.Cap]) -> bool:
        """Take this socket's place under the caps; when one is full, close (the socket is accepted)."""
        if await limits.counts().hold(self.channel_name, caps):
            await self.close(code=CLOSE_TOO_MANY_SOCKETS)
            return False
        self.holds_place = True
        return True

    def heartbeat_watch(self) -> None:
        """From now on, close this socket when the client goes silent (negotiations.heartbeat)."""
        self.heard_at = time.monotonic()
        self.beating = True
        silence().watch(self)

    async def gone_silent(self) -> None:
        """Nothing heard for SOCKET_IDLE_SECONDS: the client's network is gone. Say so, then close."""
        if not self.closing:
            await self.left()
            await self.close(code=CLOSE_SILENT)

    async def left(self) -> None:
        """Tell whoever must know that this socket's participant left (the pair, for a negotiation's)."""

    async def send_heartbeat(self) -> None:
        await self.send_frame(HeartbeatFrame(type="heartbeat"))

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        """Channels' disconnect, without its stale-connection check (as `dispatch` below): a class refused or
        leaving at once would queue that many hops in the database thread, behind other pairs' writes."""
        silence().leave(self)
        if self.holds_place:
            self.holds_place = False
            await limits.counts().release(self.channel_name)
        for group in self.groups:
            await self.channel_layer.group_discard(group, self.channel_name)
        await self.disconnect(message["code"])
        raise StopConsumer()

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channels' dispatch, without its stale-connection check before every message: that check is a
        hop through the one database thread, so the partner's event would queue behind other pairs'
        writes. Every database call here goes through database_sync_to_async, which checks anyway."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"no handler for message type {message['type']}")
        await handler(message)

    async def send_frame(self, frame: ServerFrame) -> None:
        await self.send(text_data=json.dumps(frame, separators=(",", ":")))

    async def send_error(self, code: str, message: str, **extra: str | None) -> None:
        """`extra`: the error frame's `field` and `client_msg_id`, where the refused frame gives them."""
        await self.send_frame(ErrorFrame(type="error", code=code, message=message, **extra))  # type: ignore[typeddict-item]

    async def refuse(self, code: int) -> None:
        # Accept first so that the client sees the close code, not a bare failed handshake.
        await self.accept()
        await self.close(code=code)


class NoRouteConsumer(JsonSocket):
    """Any websocket path without a route: closed as not found (4404), not an error of the server."""

    async def connect(self) -> None:
        await self.refuse(CLOSE_NOT_FOUND)


class NegotiationConsumer(JsonSocket):
    """One socket per negotiation and participant: ws/negotiations/<id>/."""

    participant: Participant | None = None
    deadline_timer: asyncio.Task[None] | None = None
    listening: tuple[str, ...] = ()  # the groups joined before the join's read

    async def connect(self) -> None:
        negotiation_id = int(self.scope["url_route"]["kwargs"]["pk"])
        # Accept at once: Daphne drops a handshake that is not accepted within 5 s, and in a join burst
        # the database work below queues. Nothing is sent before the snapshot, and a socket refused
        # below is closed with its code, as a refusal always was.
        await self.accept()
        # Listen before the snapshot is read, so that no event falls between the two, and a student to
        # their own group before their link is checked, so that its revocation meanwhile still closes
        # the socket (layer messages wait until connect() returns).
        self.group = negotiation_group(negotiation_id)
        self.listening = (self.group,)
        await self.channel_layer.group_add(self.group, self.channel_name)
        session = self.scope["session"]
        on_loop = await loop_reads.session_load(session)  # a student's session, read on the event loop
        student = loop_reads.session_student(session) if on_loop else None
        if student is not None:
            self.listening += (student_group(student),)
            await self.channel_layer.group_add(student_group(student), self.channel_name)
        # Who it stands for, their snapshot and the scenario: a student's read on the event loop
        # (negotiations.loop_reads), anyone else's in one trip to the database thread.
        joined = await _student_join_on_loop(session, negotiation_id) if on_loop else None
        if joined is None:
            joined = await database_sync_to_async(_join)(session, negotiation_id)
        if isinstance(joined, int):
            await self.stop_listening()
            await self.close(code=joined)
            return
        participant, frame, self._scenario, who = joined
        if not await self.hold_place(limits.negotiation_caps(who, negotiation_id)):
            await self.stop_listening()
            return
        self.participant = participant
        self.shared_limits = limits.frame_limits(who, f"{who}.n{negotiation_id}")
        if self.participant.seat is not None and self.participant.seat.student_id is not None:
            if student_group(self.participant.seat.student_id) not in self.listening:  # read in the thread
                self.student_group = student_group(self.participant.seat.student_id)
                await self.channel_layer.group_add(self.student_group, self.channel_name)
        elif self.participant.seat is not None:  # a bot's or the instructor's: a student may take it over
            self.seat_group = seat_group(self.participant.seat.pk)
            await self.channel_layer.group_add(self.seat_group, self.channel_name)
        frame["heartbeat"] = heartbeat_json()
        await self.send_frame(frame)
        self.heartbeat_watch()
        self.arm_deadline(frame["negotiation"]["deadline"], frame["negotiation"]["status"])
        await self.announce(online=True)

    said_left = False  # the partner was told this socket left (it went silent), before its disconnect

    async def left(self) -> None:
        if self.participant is not None and not self.said_left:
            self.said_left = True
            await self.announce(online=False)

    async def disconnect(self, code: int) -> None:
        if self.deadline_timer:
            self.deadline_timer.cancel()
        if self.participant is not None:
            await self.left()
            await self.stop_listening()
            if getattr(self, "student_group", None):
                await self.channel_layer.group_discard(self.student_group, self.channel_name)
            if getattr(self, "seat_group", None):
                await self.channel_layer.group_discard(self.seat_group, self.channel_name)

    async def stop_listening(self) -> None:
        """Leave the groups joined before the participant was known (refused, or gone before)."""
        listening, self.listening = self.listening, ()
        for group in listening:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        if self.participant is None:  # refused, or gone before its join was read: stop listening
            await self.stop_listening()
        await super().websocket_disconnect(message)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is None:
            await self.send_error("bad_frame", "frames are JSON text, not binary")
            return
        if len(text_data.encode()) > MAX_FRAME_BYTES:
            await self.send_error("too_large", f"a frame may be at most {MAX_FRAME_BYTES} bytes")
            return
        try:
            frame = json.loads(text_data, parse_constant=_no_constants)
        except (ValueError, RecursionError) as exc:
            reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
            await self.send_error("bad_json", f"the frame is not valid JSON: {reason}")
            return
        client_msg_id = _client_msg_id(frame)
        try:
            await self.handle(frame, client_msg_id)
        except Exception:
            # A bug or a lost database connection must not cost the student their socket nor their
            # action: say which frame failed, so that the client sends it again (once in effect, by its id).
            negotiation_id = self.participant.negotiation_id if self.participant else None
            log.exception("frame of negotiation %s failed", negotiation_id)
            await self.send_error(
                "server_error",
                "the server could not handle that frame; send it again in a moment",
                client_msg_id=client_msg_id,
            )

    async def handle(self, frame: Any, client_msg_id: str | None) -> None:
        assert self.participant is not None
        try:
            action = parse_frame(frame, await self.scenario())
        except RecursionError:
            await self.send_error("bad_frame", "the frame is nested too deeply", client_msg_id=client_msg_id)
            return
        except FrameError as exc:
            await self.send_error(exc.code, exc.message, field=exc.field, client_msg_id=client_msg_id)
            return
        if action.type == "heartbeat":
            await self.send_heartbeat()
        elif action.type == "ping":
            # The stored last_seq lets a client find an event whose announcement was lost (a Redis restart
            # drops pub/sub messages) and resume, instead of waiting for the next event to show a gap.
            seq = await database_sync_to_async(last_seq)(self.participant.negotiation_id)
            await self.send_frame(PongFrame(type="pong", server_time=timezone.now().isoformat(), last_seq=seq))
        elif action.type == "resume":  # a page at a time: `more` says to ask again
            page = await database_sync_to_async(events_page)(
                self.participant.negotiation_id, last_seq=frame["last_seq"]
            )
            await self.send_frame(page)
        elif action.type == "history":
            page = await database_sync_to_async(history_page)(
                self.participant.negotiation_id, before_seq=frame["before_seq"], limit=frame["limit"]
            )
            await self.send_frame(page)
        elif action.type == "typing":
            if self.participant.can_act:
                await self.channel_layer.group_send(
                    self.group,
                    {
                        "type": "negotiation.typing",
                        "role": self.participant.role,
                        "sender": self.channel_name,
                    },
                )
        elif not self.participant.can_act:
            await self.send_error("not_a_negotiator", "observers watch; only the negotiators act",
                                  client_msg_id=client_msg_id)  # fmt: skip
        else:
            try:
                ack = await database_sync_to_async(negotiation_act)(
                    negotiation_id=self.participant.negotiation_id,
                    seat=self.participant.seat,
                    action=action,
                    notify=False,
                )
            except Refused as exc:
                await self.send_error(exc.code, exc.message, client_msg_id=client_msg_id)
                if exc.code == SEAT_CHANGED:  # reconnecting, the socket is identified afresh
                    await self.close(code=CLOSE_SEAT_CHANGED)
                return
            # Stored and committed: acknowledge the sender from here, then ring the others' doorbell, even
            # when the acknowledgement cannot be sent (the sender's retry gets it again, once).
            try:
                await self.send_frame(
                    AckFrame(type="ack", client_msg_id=action.client_msg_id, duplicate=ack.duplicate, event=ack.event)
                )
            finally:
                if ack.pair is not None and ack.exercise_id is not None:
                    try:
                        await events_forward(
                            self.participant.negotiation_id,
                            ack.exercise_id,
                            ack.pair,
                            [ack.event],
                            origin=self.channel_name,
                        )
                    except Exception:  # the layer may be down: the event is stored, the others resync by seq
                        log.exception("could not forward an event of negotiation %s", self.participant.negotiation_id)

    async def scenario(self):  # type: ignore[no-untyped-def]
        if not hasattr(self, "_scenario"):
            assert self.participant is not None
            self._scenario = await database_sync_to_async(exercise_spec)(self.participant.exercise_id)
        return self._scenario

    # Messages from the channel layer

    async def negotiation_event(self, message: dict[str, Any]) -> None:
        if self.participant is None or message.get("origin") == self.channel_name:
            return  # refused; or this socket acted, and its ack carried the event
        event = message["event"]
        await self.send_frame(EventFrame(type="event", event=event))
        if event["type"] in ("started", "extended", "resumed"):
            self.arm_deadline(event["payload"].get("deadline"), "negotiating")
        elif event["type"] == "settlement_opened":  # the post-settlement round's own deadline
            self.arm_deadline(event["payload"].get("deadline"), "settling")
        elif event["type"] == "paused" and self.deadline_timer:
            self.deadline_timer.cancel()

    async def negotiation_typing(self, message: dict[str, Any]) -> None:
        if self.participant is not None and message["sender"] != self.channel_name:
            await self.send_frame(TypingFrame(type="typing", role=message["role"]))

    async def negotiation_presence(self, message: dict[str, Any]) -> None:
        if self.participant is None or message["sender"] == self.channel_name:
            return
        await self.send_frame(
            PresenceFrame(type="presence", role=message["role"], kind=message["kind"], online=message["online"])
        )
        same_seat = message["role"] == self.participant.role and message["kind"] == self.participant.kind
        if not message["online"] and same_seat and self.participant.can_act:
            await self.announce(online=True, reply=True)  # another tab of this seat closed; this one is here
        if message["online"] and not message.get("reply"):
            # Tell the newcomer alone that this side is here too: answering the whole group would make
            # the frames grow with the cube of the sockets.
            await self.announce(online=True, reply=True, to=message["sender"])

    async def announce(self, *, online: bool, reply: bool = False, to: str | None = None) -> None:
        """Presence is ephemeral: told to the pair's sockets (or to the one socket `to`), never stored."""
        assert self.participant is not None
        message = {
            "type": "negotiation.presence",
            "role": self.participant.role,
            "kind": self.participant.kind,
            "online": online,
            "sender": self.channel_name,
            "reply": reply,
        }
        if to is None:
            await self.channel_layer.group_send(self.group, message)
        else:
            await self.channel_layer.send(to, message)

    async def session_revoked(self, message: dict[str, Any]) -> None:
        """The student's personal link was revoked or re-issued: this device is signed out."""
        await self.close(code=CLOSE_NOT_SIGNED_IN)

    async def notice_pair(self, message: dict[str, Any]) -> None:
        """For the student's notice sockets, which share the student's group: this socket has the pair's
        end already, as an event."""

    async def seat_changed(self, message: dict[str, Any]) -> None:
        """A student took over this bot's or instructor's seat: close; a reconnect is identified afresh
        (a bot's session then stands for nothing, an instructor watches)."""
        await self.close(code=CLOSE_SEAT_CHANGED)

    async def negotiation_broadcast(self, message: dict[str, Any]) -> None:
        if self.participant is None:
            return
        broadcast: BroadcastJSON = message["broadcast"]
        await self.send_frame(BroadcastFrame(type="broadcast", text=broadcast["text"], at=broadcast["at"]))

    # The deadline: every connected socket closes an expired pair on time, in any deployment.

    def arm_deadline(self, deadline: str | None, status: str) -> None:
        if self.deadline_timer:
            self.deadline_timer.cancel()
            self.deadline_timer = None
        if deadline and status in ("negotiating", "waiting", "settling"):
            self.deadline_timer = asyncio.ensure_future(self._close_at(datetime.fromisoformat(deadline)))

    async def _close_at(self, deadline: datetime) -> None:
        assert self.participant is not None  # armed once joined
        negotiation_id = self.participant.negotiation_id
        delay = (deadline - timezone.now()).total_seconds()
        await asyncio.sleep(max(delay, 0) + 0.05)
        try:
            await database_sync_to_async(negotiation_close_expired)(negotiation_ids=[negotiation_id])
        except Exception:
            log.exception("closing negotiation %s at its deadline failed", negotiation_id)


def heartbeat_json() -> HeartbeatJSON:
    """What the snapshots tell clients of the heartbeat (docs/protocol.md, "Heartbeat")."""
    return {"every": settings.SOCKET_HEARTBEAT_SECONDS, "idle": settings.SOCKET_IDLE_SECONDS}


def _join(session: Any, negotiation_id: int):  # type: ignore[no-untyped-def]
    """A negotiation socket's participant, snapshot, scenario and the key of its caps and rates
    (negotiations.limits), from its session (loaded here); or a close code."""
    joined = student_join(session, negotiation_id)  # a student's: one statement
    if joined is not None:
        participant, frame = joined
        return participant, frame, exercise_spec(participant.exercise_id), session_identity(session, None)
    user = session_user(session)
    who = identify(session, user, negotiation_id)
    if isinstance(who, int):
        return who
    identity = session_identity(session, user)
    assert identity is not None  # identify() found someone in this session
    return who, snapshot(who), exercise_spec(who.exercise_id), identity


async def _student_join_on_loop(session: Any, negotiation_id: int):  # type: ignore[no-untyped-def]
    """A student's participant, snapshot, scenario and the key of their caps, read on the event loop
    (negotiations.loop_reads, the session loaded there), as _join reads them; None when that way does not
    apply or finds no seat: then _join, in the database thread, tells who it is or which refusal."""
    params = join_params(session, negotiation_id)
    if params is None:
        return None
    try:
        rows = await loop_reads.fetch(join_statement(), params)
    except loop_reads.Unavailable:
        return None
    found = json.loads(rows[0][0])
    if found["me"] is None or found["pair"] is None:
        return None
    exercise_id = found["me"]["exercise_id"]
    spec = cached_spec(exercise_id) or await database_sync_to_async(exercise_spec)(exercise_id)
    participant, frame = joined(found, params, spec)
    return participant, frame, spec, session_identity(session, None)


def _client_msg_id(frame: Any) -> str | None:
    """A frame's client_msg_id as an error frame gives it back: its first 64 characters, or None."""
    client_msg_id = frame.get("client_msg_id") if isinstance(frame, dict) else None
    return client_msg_id[:MAX_CLIENT_ID] if isinstance(client_msg_id, str) else None


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not a number JSON allows")


class Sweeps:
    """While an instructor watches, close pairs whose time is up even if no student is connected (the
    embedded mode has no Celery worker to do it): one sweep per exercise and process, every
    SWEEP_SECONDS, shared by all the monitors of that exercise, so that its cost does not grow with them."""

    def __init__(self) -> None:
        self.watchers: dict[int, set[str]] = {}
        self.tasks: dict[int, asyncio.Task[None]] = {}

    def watch(self, exercise_id: int, channel: str) -> None:
        self.watchers.setdefault(exercise_id, set()).add(channel)
        if exercise_id not in self.tasks:
            self.tasks[exercise_id] = asyncio.ensure_future(self.sweep(exercise_id))

    def leave(self, exercise_id: int, channel: str) -> None:
        watchers = self.watchers.get(exercise_id, set())
        watchers.discard(channel)
        if not watchers:
            self.watchers.pop(exercise_id, None)
            task = self.tasks.pop(exercise_id, None)
            if task is not None:
                task.cancel()

    async def sweep(self, exercise_id: int) -> None:
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            try:
                await database_sync_to_async(negotiation_close_expired)(exercise_id=exercise_id)
            except Exception:
                log.exception("sweeping exercise %s failed", exercise_id)


sweeps = limits.PerLoop(Sweeps)  # the sweeps of the running event loop


def _watcher(session: Any, exercise_id: int) -> tuple[int | None, bool]:
    """A monitor's user (None: not signed in) and whether they may watch the exercise, from its session
    (loaded here): one trip to the database thread."""
    user = session_user(session)
    if not user.is_authenticated:
        return None, False
    return user.pk, monitor_allowed(user, exercise_id)


class MonitorConsumer(JsonSocket):
    """The instructor's live monitor of one exercise: ws/exercises/<id>/monitor/."""

    async def connect(self) -> None:
        self.exercise_id = int(self.scope["url_route"]["kwargs"]["pk"])
        await self.accept()  # refusals below close with their code
        user_pk, allowed = await database_sync_to_async(_watcher)(self.scope["session"], self.exercise_id)
        if user_pk is None:
            await self.close(code=CLOSE_NOT_SIGNED_IN)
            return
        who = f"user.{user_pk}"
        if not await self.hold_place(limits.monitor_caps(who)):
            return
        if not allowed:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.shared_limits = limits.frame_limits(who, None)
        self.group = monitor_group(self.exercise_id)
        self.seen: dict[int, int] = {}  # pair id -> the last_seq this socket has shown
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.send_snapshot()
        sweeps().watch(self.exercise_id, self.channel_name)
        self.watching = True

    snapshot_at = 0.0  # when the latest snapshot was read (time.monotonic)
    resync_due: asyncio.Task[None] | None = None

    async def send_snapshot(self) -> None:
        self.snapshot_at = time.monotonic()
        frame = await database_sync_to_async(monitor_snapshot)(self.exercise_id)
        self.seen = {pair["id"]: pair["last_seq"] for pair in frame["pairs"]}
        await self.send_frame(frame)

    async def resync(self) -> None:
        """A fresh snapshot, at most one every RESYNC_SECONDS: an earlier resync is answered when that
        time is up, and those that come meanwhile are answered by the same snapshot."""
        wait = self.snapshot_at + RESYNC_SECONDS - time.monotonic()
        if wait <= 0:
            await self.send_snapshot()
        elif self.resync_due is None:
            self.resync_due = asyncio.ensure_future(self.resync_later(wait))

    async def resync_later(self, wait: float) -> None:
        """Through this socket's own queue, so that the snapshot is read and sent between two layer
        messages, as on a frame (a pair frame never overtakes it)."""
        await asyncio.sleep(wait)
        await self.channel_layer.send(self.channel_name, {"type": "monitor.resync"})

    async def monitor_resync(self, message: dict[str, Any]) -> None:
        self.resync_due = None
        await self.send_snapshot()

    async def disconnect(self, code: int) -> None:
        if self.resync_due is not None:
            self.resync_due.cancel()
        if getattr(self, "watching", False):
            sweeps().leave(self.exercise_id, self.channel_name)
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        frame = control_frame(text_data)
        if isinstance(frame, dict) and frame.get("type") == "resync":
            await self.resync()
            return
        await self.send_error("bad_frame", 'the monitor takes only {"type": "resync"}; act with the page\'s buttons')

    async def monitor_pair(self, message: dict[str, Any]) -> None:
        """A pair's summary after its latest events. The sockets that acted forward them, each after its own
        commit, so two of one pair may arrive out of order: an older summary (an offer's, after the
        walk-away's) would show an ended pair as still negotiating. Only a newer one is shown."""
        pair = message["pair"]
        if pair["last_seq"] <= self.seen.get(pair["id"], -1):
            return
        self.seen[pair["id"]] = pair["last_seq"]
        await self.send_frame(PairFrame(type="pair", pair=pair, events=message["events"]))

    async def monitor_seat(self, message: dict[str, Any]) -> None:
        await self.send_frame(SeatFrame(type="seat", pair=message["pair"], seat=message["seat"]))

    async def monitor_debrief(self, message: dict[str, Any]) -> None:
        await self.send_frame(DebriefFrame(type="debrief", exercise=message["exercise"]))

    async def monitor_exercise(self, message: dict[str, Any]) -> None:
        await self.send_frame(ExerciseFrame(type="exercise", exercise=message["exercise"]))
