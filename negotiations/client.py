"""A Python client of the live protocol (docs/protocol.md), for bots, load tests and fault tests.

It signs a student in through their personal link like a browser would, opens the negotiation socket
with the session cookie and an Origin header, applies events in sequence order (resuming on a gap, a
page at a time), resends unacknowledged actions with the same client_msg_id after a reconnect and after
a refusal for the moment (`rate_limited`, `server_error`: 1, 2 and 4 s later, then the refusal is the
caller's), and
fetches the history before the snapshot's latest events in pages when asked (`load_history`). It sends
a heartbeat as often as the snapshot asks (docs/protocol.md, "Heartbeat"), so that a quiet client keeps
its socket; `heartbeats=False` leaves them out (tests of what the server does to a silent socket).
"""

from __future__ import annotations

import asyncio
import contextlib
import http.cookiejar
import json
import re
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect


def sign_in(base_url: str, link_path: str) -> str:
    """POST a personal link as the student's browser would; returns the Cookie header to send."""
    if not base_url.startswith(("http://", "https://")):
        raise ValueError(f"base_url must be http(s), got {base_url!r}")
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    url = urllib.parse.urljoin(base_url, link_path)
    page = opener.open(url, timeout=10).read().decode()
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if match is None:
        raise RuntimeError(f"no sign-in form at {url}")
    data = urllib.parse.urlencode({"csrfmiddlewaretoken": match.group(1)}).encode()
    request = urllib.request.Request(url, data=data, headers={"Referer": url})  # noqa: S310  (http or https, checked above)
    opener.open(request, timeout=10).read()
    cookies = {c.name: c.value for c in jar}
    if "sessionid" not in cookies:
        raise RuntimeError("the personal link did not sign in")
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


# Refusals for the moment (docs/protocol.md, "Errors"): the action is sent again with its client_msg_id,
# these many seconds after each refusal, then given back to the caller as the browser client does.
RESEND_CODES = ("rate_limited", "server_error")
RESEND_AFTER = (1.0, 2.0, 4.0)


class ErrorFrameReceived(Exception):
    """The server answered an action (or a history request) with an error frame: its `code`, its message,
    the frame itself. The client's side of a refusal, not core.refusal.Refused, which the server raises."""

    def __init__(self, frame: dict[str, Any]) -> None:
        super().__init__(frame.get("message", "refused"))
        self.code = frame.get("code")
        self.frame = frame


@dataclass
class LiveClient:
    """One participant's socket. `events` holds the events applied, in order, without gaps: from the first
    snapshot's latest ones on, and the earlier ones once `load_history` has fetched them."""

    ws_url: str
    cookie: str
    origin: str
    snapshot: dict[str, Any] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    last_seq: int = 0
    connection: ClientConnection | None = None
    pending: dict[str, dict[str, Any]] = field(default_factory=dict)
    _acks: dict[str, asyncio.Future[dict[str, Any]]] = field(default_factory=dict)
    _reader: asyncio.Task[None] | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    other: list[dict[str, Any]] = field(default_factory=list)  # presence, typing, broadcast frames
    _resume: asyncio.Future[None] | None = None
    _history: asyncio.Future[dict[str, Any]] | None = None
    close_code: int | None = None  # how the server closed the last connection (4401, 4404: refused)
    received_at: float = 0.0  # loop time of the last frame received
    heartbeats: bool = True
    _beating: asyncio.Task[None] | None = None
    _resends: dict[str, int] = field(default_factory=dict)  # client_msg_id -> times sent again after a refusal
    _sending: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def is_open(self) -> bool:
        return self.connection is not None and self.connection.state.name == "OPEN"

    async def connect(self) -> dict[str, Any]:
        """Open the socket and take the snapshot. A refused participant raises websockets.ConnectionClosed
        and `close_code` says why (4401 not signed in, 4404 not yours); a cross-site one InvalidStatus (403)."""
        self.close_code = None
        self.connection = await ws_connect(
            self.ws_url,
            origin=self.origin,
            additional_headers={"Cookie": self.cookie},
            open_timeout=10,  # type: ignore[arg-type]
        )
        try:
            text = await asyncio.wait_for(self.connection.recv(), 10)
        except websockets.ConnectionClosed as exc:
            self.close_code = exc.rcvd.code if exc.rcvd else None
            raise
        self.received_at = asyncio.get_running_loop().time()
        first = json.loads(text)
        if first.get("type") != "snapshot":
            raise RuntimeError(f"expected a snapshot, got {first}")
        self.snapshot = first
        if not self.events:
            self.events = list(first["events"])
            self.last_seq = first["last_seq"]
        else:  # a reconnect: take only what we missed (resuming, if the snapshot's events start later)
            self._apply_all(e for e in first["events"] if e["seq"] > self.last_seq)
        self._reader = asyncio.ensure_future(self._read())
        if self.heartbeats and first.get("heartbeat"):
            self._beating = asyncio.ensure_future(self._beat(self.connection, float(first["heartbeat"]["every"])))
        for frame in list(self.pending.values()):  # resend what was never acknowledged: one effect each
            await self.connection.send(json.dumps(frame))
        return first

    async def _beat(self, connection: ClientConnection, every: float) -> None:
        """A heartbeat every `every` seconds while this connection lasts."""
        with contextlib.suppress(websockets.ConnectionClosed):
            while True:
                await asyncio.sleep(every)
                await connection.send('{"type":"heartbeat"}')

    async def close(self) -> None:
        if self._beating is not None:
            self._beating.cancel()
        if self.connection is not None:
            await self.connection.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)

    async def drop(self) -> None:
        """Lose the connection abruptly (tests of the resume rule)."""
        if self._beating is not None:
            self._beating.cancel()
        if self.connection is not None:
            self.connection.transport.abort()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)

    async def act(self, frame: dict[str, Any], timeout: float = 10) -> dict[str, Any]:
        """Send an action and wait for its acknowledgement; returns the stored event or raises
        ErrorFrameReceived."""
        future = await self.submit(frame)
        return await asyncio.wait_for(future, timeout)

    async def submit(self, frame: dict[str, Any]) -> asyncio.Future[dict[str, Any]]:
        """Send an action; the future gets its stored event (or ErrorFrameReceived). If the socket is down,
        the action stays pending and `connect` resends it with the same client_msg_id: it takes effect once."""
        frame = {**frame, "client_msg_id": frame.get("client_msg_id") or uuid.uuid4().hex}
        key = frame["client_msg_id"]
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._acks[key] = future
        self.pending[key] = frame
        if self.is_open:
            assert self.connection is not None
            with contextlib.suppress(websockets.ConnectionClosed):
                await self.connection.send(json.dumps(frame))
        return future

    async def load_history(self, limit: int = 100, timeout: float = 10) -> None:
        """Fetch the events before the first one held, a page (`history`) at a time, back to the first.
        A page refused as too fast (`rate_limited`) is asked for again a second later."""
        while self.events and self.events[0]["seq"] > 1 and self.is_open:
            assert self.connection is not None
            self._history = asyncio.get_running_loop().create_future()
            first = self.events[0]["seq"]
            await self.connection.send(json.dumps({"type": "history", "before_seq": first, "limit": limit}))
            try:
                page = await asyncio.wait_for(self._history, timeout)
            except ErrorFrameReceived:
                await asyncio.sleep(1.0)  # the socket's rate: 5 frames a second (docs/protocol.md)
                continue
            self.events[:0] = [e for e in page["events"] if e["seq"] < first]
            if not page["earlier"] or not page["events"]:
                break

    async def resync(self) -> None:
        """Ask for the events after the last one applied (the protocol's resume; a page at a time)."""
        if self.is_open:
            assert self.connection is not None
            with contextlib.suppress(websockets.ConnectionClosed):
                await self.connection.send(json.dumps({"type": "resume", "last_seq": self.last_seq}))

    async def ping(self) -> None:
        """Ask the server for a pong; it carries the pair's last stored seq, and we resume if we are behind."""
        if self.is_open:
            assert self.connection is not None
            with contextlib.suppress(websockets.ConnectionClosed):
                await self.connection.send(json.dumps({"type": "ping"}))

    async def send_raw(self, text: str) -> None:
        assert self.connection is not None
        await self.connection.send(text)

    async def wait_for(self, predicate, timeout: float = 10) -> None:  # type: ignore[no-untyped-def]
        """Wait until predicate(self) holds, woken by each frame."""

        async def until() -> None:
            while not predicate(self):
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(until(), timeout)

    def has_seq(self, seq: int) -> bool:
        return self.last_seq >= seq

    async def _read(self) -> None:
        assert self.connection is not None
        try:
            async for text in self.connection:
                self.received_at = asyncio.get_running_loop().time()
                self._handle(json.loads(text))
                self._changed.set()
        except websockets.ConnectionClosed:
            pass
        finally:
            self.close_code = self.connection.close_code
            self._changed.set()

    def _handle(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        if kind == "ack":
            self._apply(frame["event"])
            self.pending.pop(frame["client_msg_id"], None)
            self._resends.pop(frame["client_msg_id"], None)
            future = self._acks.pop(frame["client_msg_id"], None)
            if future and not future.done():
                future.set_result(frame["event"])
        elif kind == "event":
            self._apply(frame["event"])
        elif kind == "events":
            self._apply_all(frame["events"])
            if frame.get("more"):
                self._ask_for_missed()  # a page of them: ask for the next
        elif kind == "history":
            if self._history is not None and not self._history.done():
                self._history.set_result(frame)
        elif kind == "heartbeat":
            pass  # the answer to ours: being heard is all it says
        elif kind == "pong":
            if isinstance(frame.get("last_seq"), int) and frame["last_seq"] > self.last_seq:
                self._ask_for_missed()  # an announcement was lost on the way (a Redis restart, say)
        elif kind == "error" and frame.get("code") == "rate_limited" and self._history and not self._history.done():
            self._history.set_exception(ErrorFrameReceived(frame))  # perhaps our page's: load_history asks again
            self.other.append(frame)
        elif kind == "error":
            key = frame.get("client_msg_id")
            tries = self._resends.get(key, 0) if key in self.pending else len(RESEND_AFTER)
            if frame.get("code") in RESEND_CODES and tries < len(RESEND_AFTER):
                self._resends[key] = tries + 1  # for the moment only: the same frame again, a little later
                asyncio.get_running_loop().call_later(RESEND_AFTER[tries], self._resend, key)
                return
            self._resends.pop(key, None)
            self.pending.pop(key, None)
            future = self._acks.pop(key, None) if key else None
            if future and not future.done():
                future.set_exception(ErrorFrameReceived(frame))
            else:
                self.other.append(frame)
        else:
            self.other.append(frame)

    def _resend(self, key: str) -> None:
        frame = self.pending.get(key)
        if frame is not None and self.is_open:  # if the socket is down, `connect` resends it
            assert self.connection is not None
            task = asyncio.ensure_future(self._send_quietly(json.dumps(frame)))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    async def _send_quietly(self, text: str) -> None:
        assert self.connection is not None
        with contextlib.suppress(websockets.ConnectionClosed):
            await self.connection.send(text)

    def _apply_all(self, events) -> None:  # type: ignore[no-untyped-def]
        for event in sorted(events, key=lambda e: e["seq"]):
            if event["seq"] > self.last_seq + 1:
                self._ask_for_missed()  # a gap before these: one resume fills it, page by page
                return
            self._apply(event)

    def _apply(self, event: dict[str, Any]) -> None:
        if event["seq"] <= self.last_seq:
            return  # seen already (our own ack and its echo, or a resume overlap)
        if event["seq"] > self.last_seq + 1:
            self._ask_for_missed()  # a gap: something was lost on the way
            return
        self.events.append(event)
        self.last_seq = event["seq"]

    def _ask_for_missed(self) -> None:
        """Ask for everything after what we have, from inside the reader (no await there)."""
        self._resume = asyncio.ensure_future(self.resync())
