"""The contracts as written: docs/api.md and docs/protocol.md against what the server does.

Clients are written from the docs alone, so a field, frame type or code the server sends that the docs
do not name is a bug, and so is one the docs name that the server never sends. The API's answers are
held to the OpenAPI document by tests/test_api_schemathesis.py (undocumented fields included); here the
document is held to docs/api.md. The live protocol's tables are read from docs/protocol.md and one
scripted lesson produces every documented frame, event and error on real (in-process) sockets.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.test import Client
from django.utils import timezone

from classrooms import services
from core.negotiation import MAX_CHAT_CHARACTERS
from core.refusal import Refused
from negotiations import consumers, limits, rounds
from negotiations.acting import SEAT_CHANGED
from negotiations.models import Negotiation
from tests.base import add_students, seats_by_role, student_client
from tests.live import Live, run

DOCS = Path(__file__).resolve().parent.parent / "docs"


# Reading the docs


@dataclass
class Table:
    heading: str  # the nearest heading above it
    header: list[str]
    rows: list[list[str]]


def tables(text: str) -> list[Table]:
    found: list[Table] = []
    heading, block = "", []
    for line in [*text.splitlines(), ""]:
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        if line.startswith("|"):
            block.append([cell.strip() for cell in line.strip().strip("|").split("|")])
            continue
        if block:
            found.append(Table(heading, block[0], [row for row in block[2:]]))
            block = []
    return found


def table(text: str, heading: str, first_column: str) -> Table:
    (found,) = [t for t in tables(text) if t.heading == heading and t.header[0] == first_column]
    return found


def names(cell: str) -> list[str]:
    """The `code` names of a cell, leaving out what is said in parentheses."""
    return re.findall(r"`([a-z_]+)`", re.sub(r"\([^)]*\)", "", cell))


def lenient_json(text: str) -> Any:
    """A documented example, with its `...` elisions taken out."""
    text = re.sub(r"\{\.\.\.\}", "{}", text)
    text = re.sub(r",\s*\.\.\.\s*(?=[}\]])", "", text)
    return json.loads(text)


def key_paths(value: Any, where: str = "", skip: frozenset[str] = frozenset()) -> set[str]:
    """Every object key of a JSON value by its path (list items as []), not looking inside `skip`."""
    paths: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            paths.add(f"{where}{key}")
            if key not in skip:
                paths |= key_paths(item, f"{where}{key}.", skip)
    elif isinstance(value, list):
        for item in value:
            paths |= key_paths(item, f"{where}[].", skip)
    return paths


# The API: docs/api.md and the OpenAPI document name the same operations and statuses

API_MD = (DOCS / "api.md").read_text()


def api_document() -> dict[str, Any]:
    return Client().get("/api/openapi.json").json()


def _operation(method: str, path: str) -> tuple[str, str]:
    return method.upper(), re.sub(r"\{[^}]+\}", "{}", path)


def test_docs_api_describes_every_operation_of_the_openapi_document_and_no_other():
    documented = set()
    for heading in re.findall(r"^### (`.+)$", API_MD, re.M):
        method, path = "", ""
        for part in re.findall(r"`([^`]+)`", heading):
            if " " in part:
                method, path = part.split(" ", 1)
            else:  # `/start` after `POST /api/exercises/{id}/release`: a sibling of the last one
                path = path.rsplit("/", 1)[0] + part
            documented.add(_operation(method, path))
    served = {_operation(m, p) for p, operations in api_document()["paths"].items() for m in operations}
    assert documented == served


def test_docs_api_lists_every_error_status_of_the_openapi_document_and_no_other():
    documented = {row[0].strip("`") for row in table(API_MD, "Errors", "status").rows}
    statuses = {
        s for operations in api_document()["paths"].values() for o in operations.values() for s in o["responses"]
    }
    assert {s for s in statuses if not s.startswith("2")} == documented


# The live protocol

PROTOCOL_MD = (DOCS / "protocol.md").read_text()
CLIENT = {names(row[0])[0]: names(row[1]) for row in table(PROTOCOL_MD, "Client to server", "type").rows}
SERVER = {names(row[0])[0]: names(row[1]) for row in table(PROTOCOL_MD, "Server to client", "type").rows}
EVENTS = {
    kind: names(row[1]) for row in table(PROTOCOL_MD, "Server to client", "event type").rows for kind in names(row[0])
}
ERRORS = {names(row[0])[0] for row in table(PROTOCOL_MD, "Errors", "code").rows}
CLOSES = {row[0] for row in table(PROTOCOL_MD, "Connecting", "close code").rows}
MONITOR = {names(row[0])[0]: names(row[1]) for row in table(PROTOCOL_MD, "The instructor's monitor", "type").rows}
MONITOR_SNAPSHOT = {
    names(row[0])[0]: names(row[1]) for row in table(PROTOCOL_MD, "The instructor's monitor", "field").rows
}
SNAPSHOT = lenient_json(re.search(r"The \*\*snapshot\*\*:\s*```json\n(.*?)```", PROTOCOL_MD, re.S).group(1))
EVENT = lenient_json(re.search(r"An \*\*event\*\* is `(\{.*?\})`", PROTOCOL_MD).group(1))
PACKAGE = {"price": 9500, "handover": "three-weeks", "warranty": "none", "tyres": "included"}
# Pair 1's agreement is PACKAGE at 9,600; this is at least as good for both (the seller 53 > 52, the buyer 62 > 47).
BETTER = {"price": 9600, "handover": "five-weeks", "warranty": "three-months", "tyres": "included"}
VALUES = {"client_msg_id": "x", "text": "hi", "packages": [PACKAGE], "offer_seq": 1, "package": 0, "reason": "r",
          "last_seq": 0, "before_seq": 1, "limit": 10}  # fmt: skip
if not SERVER["snapshot"]:  # "see below": the example
    SERVER["snapshot"] = [key for key in SNAPSHOT if key != "type"]


def test_the_client_frames_of_the_docs_are_the_ones_the_server_reads():
    from core.negotiation import ACTIONS, CONTROL, EPHEMERAL

    assert set(CLIENT) == {*ACTIONS, *EPHEMERAL, *CONTROL}
    assert all("client_msg_id" in CLIENT[kind] for kind in ACTIONS)


class Lesson:
    """The sockets of a scripted lesson; every frame any of them received is kept, by socket."""

    def __init__(self) -> None:
        self.sockets: list[Live] = []
        self.closes: list[int] = []

    async def open(self, path: str, client: Client | None) -> Live:
        live = Live(path, client)
        await live.connect()
        self.sockets.append(live)
        return live

    async def until(self, live: Live, wanted: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        while True:
            frame = await live.recv()
            if frame["type"] == "close":
                self.closes.append(frame["code"])
            if wanted(frame):
                return frame

    async def answer(self, live: Live, frame: dict[str, Any] | str, expect: str = "ack") -> dict[str, Any]:
        """Send a frame (or raw text) and return the answer: `expect`, or an error."""
        await live.send(frame)
        key = frame.get("client_msg_id") if isinstance(frame, dict) else None
        return await self.until(
            live, lambda f: f["type"] in (expect, "error") and f.get("client_msg_id") in (key, None)
        )

    def frames(self) -> list[dict[str, Any]]:
        return [frame for live in self.sockets for frame in live.frames]


def act(kind: str, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "client_msg_id": uuid.uuid4().hex, **fields}


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("eager_tasks")
def test_a_lesson_sends_every_documented_frame_event_and_error_and_nothing_undocumented(
    exercise, classroom, instructor, instructor_client, monkeypatch
):
    students = add_students(classroom, *[f"Student {i}" for i in range(12)])
    rounds.exercise_pair(exercise=exercise, student_ids=[s.pk for s in students], seed=1)
    rounds.exercise_release(exercise=exercise)
    pairs = list(exercise.negotiations.order_by("number"))
    clients = [{role: student_client(seat.student) for role, seat in seats_by_role(n).items()} for n in pairs]
    token = services.api_token_create(user=instructor, name="lesson")[1]
    api = Client(headers={"Authorization": f"Bearer {token}"})
    monkeypatch.setattr(consumers, "SWEEP_SECONDS", 0.2)  # the monitor closes a pair out of time this often
    lesson = Lesson()
    sent_ok: dict[str, set[str]] = defaultdict(set)  # client frame type -> fields of a frame the server took

    def path(n: int) -> str:
        return f"/ws/negotiations/{pairs[n].pk}/"

    async def monitor_post(action: str, **data: str) -> None:
        url = f"/exercises/{exercise.pk}/monitor/{action}/"
        response = await database_sync_to_async(instructor_client.post)(url, data)
        assert response.status_code == 200, response.content

    async def taken(live: Live, frame: dict[str, Any], expect: str = "ack") -> dict[str, Any]:
        answer = await lesson.answer(live, frame, expect)
        assert answer["type"] == expect, answer
        sent_ok[frame["type"]] |= set(frame) - {"type"}
        return answer

    async def refused(live: Live, frame: dict[str, Any] | str, code: str) -> dict[str, Any]:
        answer = await lesson.answer(live, frame)
        assert (answer["type"], answer.get("code")) == ("error", code), answer
        return answer

    async def go() -> None:
        monitor = await lesson.open(f"/ws/exercises/{exercise.pk}/monitor/", instructor_client)
        a_seller, a_buyer = (
            await lesson.open(path(0), clients[0]["seller"]),
            await lesson.open(path(0), clients[0]["buyer"]),
        )
        b_seller = await lesson.open(path(1), clients[1]["seller"])
        c_seller = await lesson.open(path(2), clients[2]["seller"])
        d_seller, d_buyer = (
            await lesson.open(path(3), clients[3]["seller"]),
            await lesson.open(path(3), clients[3]["buyer"]),
        )
        e_seller, e_buyer = (
            await lesson.open(path(4), clients[4]["seller"]),
            await lesson.open(path(4), clients[4]["buyer"]),
        )
        f_seller, f_buyer = (
            await lesson.open(path(5), clients[5]["seller"]),
            await lesson.open(path(5), clients[5]["buyer"]),
        )
        watcher = await lesson.open(path(0), instructor_client)
        await database_sync_to_async(clients[0]["seller"].get)(f"/s/exercises/{exercise.pk}/")  # the role sheet
        await lesson.until(monitor, lambda f: f["type"] == "seat")
        await refused(a_seller, act("chat", text="Too early?"), "not_started")
        response = await database_sync_to_async(api.post)(f"/api/exercises/{exercise.pk}/start")
        assert response.status_code == 200
        for live in (a_seller, a_buyer, b_seller, c_seller, d_seller, d_buyer, e_seller, e_buyer, f_seller, f_buyer):
            await lesson.until(live, lambda f: f["type"] == "event" and f["event"]["type"] == "started")

        # Pair 1 negotiates to an agreement through every action; pair 2 walks away.
        await taken(a_seller, act("chat", text="Hello"))
        await a_buyer.send({"type": "typing"})
        await lesson.until(a_seller, lambda f: f["type"] == "typing")
        sent_ok["typing"] = set()  # taken: the partner was told
        first = await taken(a_seller, act("offer", packages=[PACKAGE, {**PACKAGE, "price": 9900}]))
        seq = first["event"]["seq"]
        await refused(a_seller, act("accept", offer_seq=seq, package=0), "own_offer")
        await refused(a_buyer, act("accept", offer_seq=seq, package=2), "no_such_package")
        await taken(a_buyer, act("reject", offer_seq=seq, reason="Too high"))
        await refused(a_buyer, act("reject", offer_seq=seq), "not_standing")
        second = await taken(a_seller, act("offer", packages=[{**PACKAGE, "price": 9700}]))
        await taken(a_seller, act("withdraw", offer_seq=second["event"]["seq"]))
        third = await taken(a_seller, act("offer", packages=[{**PACKAGE, "price": 9600}]))
        await taken(a_buyer, act("accept", offer_seq=third["event"]["seq"], package=0))
        await refused(a_seller, act("chat", text="Thank you"), "ended")
        await refused(watcher, act("chat", text="I only watch"), "not_a_negotiator")
        await taken(b_seller, act("walk_away", reason="No deal"))
        for seller, buyer in ((e_seller, e_buyer), (f_seller, f_buyer)):  # two more agreements
            offered = await taken(seller, act("offer", packages=[PACKAGE]))
            await taken(buyer, act("accept", offer_seq=offered["event"]["seq"], package=0))
        await refused(e_seller, act("keep"), "not_settling")  # no post-settlement round yet
        await taken(a_seller, {"type": "resume", "last_seq": 0}, expect="events")
        await taken(a_seller, {"type": "history", "before_seq": 3, "limit": 10}, expect="history")
        await taken(a_seller, {"type": "ping"}, expect="pong")
        await taken(a_seller, {"type": "heartbeat"}, expect="heartbeat")

        # Frames the server cannot read.
        await refused(a_seller, "{not json", "bad_json")
        await refused(a_seller, "x" * 17_000, "too_large")
        await refused(a_seller, act("chat", text="nul\x00"), "bad_frame")
        await refused(a_seller, {"type": "shout"}, "unknown_type")
        await refused(d_seller, act("chat", text="x" * 2001), "too_long")
        await refused(d_seller, act("offer", packages=[{**PACKAGE, "tyres": "square"}]), "bad_package")
        full = Negotiation.objects.filter(pk=pairs[3].pk)
        await database_sync_to_async(full.update)(chat_characters=MAX_CHAT_CHARACTERS)
        await refused(d_seller, act("chat", text="One word more"), "negotiation_full")
        for kind, fields in CLIENT.items():  # a field the docs do not give a frame is refused, naming it
            frame = {"type": kind, **{name: VALUES[name] for name in fields}, "extra_field": 1}
            error = await refused(d_seller, frame, "bad_frame")
            assert error["field"] == "extra_field", (kind, error)

        # The server's own failures, on sockets of their own.
        def broken(**kwargs: Any) -> Any:
            raise RuntimeError("a bug")

        def seat_taken(**kwargs: Any) -> Any:
            raise Refused("this seat has been given to someone else", code=SEAT_CHANGED)

        original = consumers.negotiation_act
        monkeypatch.setattr(consumers, "negotiation_act", broken)
        await refused(d_seller, act("chat", text="Boom"), "server_error")
        monkeypatch.setattr(consumers, "negotiation_act", seat_taken)
        second_tab = await lesson.open(path(3), clients[3]["buyer"])
        await refused(second_tab, act("chat", text="Still mine?"), "seat_changed")
        await lesson.until(second_tab, lambda f: f["type"] == "close")
        monkeypatch.setattr(consumers, "negotiation_act", original)
        burst, rate = limits.FRAME_BURST, limits.FRAMES_PER_SECOND
        monkeypatch.setattr(limits, "FRAME_BURST", 1)
        monkeypatch.setattr(limits, "FRAMES_PER_SECOND", 0.0)
        flooder = await lesson.open(path(3), clients[3]["seller"])
        monkeypatch.setattr(limits, "FRAME_BURST", burst)
        monkeypatch.setattr(limits, "FRAMES_PER_SECOND", rate)
        await flooder.send({"type": "typing"})
        await refused(flooder, act("chat", text="Too fast"), "rate_limited")

        # The round: a broadcast, a pause, more time, a pair out of time, the end and the debrief.
        await monitor_post("broadcast", text="Five minutes left")
        await lesson.until(d_seller, lambda f: f["type"] == "broadcast")
        await monitor_post("pause")
        await lesson.until(d_seller, lambda f: f["type"] == "event" and f["event"]["type"] == "paused")
        await refused(d_seller, act("chat", text="Paused?"), "paused")
        await monitor_post("resume")
        await lesson.until(d_seller, lambda f: f["type"] == "event" and f["event"]["type"] == "resumed")
        await monitor_post("extend", minutes="5")
        await lesson.until(d_seller, lambda f: f["type"] == "event" and f["event"]["type"] == "extended")
        past = timezone.now() - timedelta(seconds=1)
        await database_sync_to_async(Negotiation.objects.filter(pk=pairs[2].pk).update)(deadline=past)
        await lesson.until(c_seller, lambda f: f["type"] == "event" and f["event"]["type"] == "deadline")
        response = await database_sync_to_async(api.post)(f"/api/exercises/{exercise.pk}/end")
        assert response.status_code == 200
        await lesson.until(d_seller, lambda f: f["type"] == "event" and f["event"]["type"] == "ended")
        await lesson.until(monitor, lambda f: f["type"] == "debrief")

        # The post-settlement round of the three pairs that agreed: one improves, one keeps, one is closed.
        await monitor_post("settlement/open", minutes="5")
        for live in (a_seller, e_seller, f_seller):
            await lesson.until(live, lambda f: f["type"] == "event" and f["event"]["type"] == "settlement_opened")
        await refused(a_seller, act("walk_away"), "keep_instead")
        await refused(a_buyer, act("offer", packages=[{**PACKAGE, "price": 9900}]), "below_agreement")
        better = await taken(a_seller, act("offer", packages=[BETTER]))
        await taken(a_buyer, act("accept", offer_seq=better["event"]["seq"], package=0))
        await taken(e_buyer, act("keep"))
        await monitor_post("settlement/close")
        await lesson.until(f_seller, lambda f: f["type"] == "event" and f["event"]["type"] == "settlement_closed")
        await lesson.until(monitor, lambda f: f["type"] == "debrief")
        await monitor.send({"type": "resync"})
        await lesson.until(monitor, lambda f: f["type"] == "snapshot")
        await monitor.send({"type": "shout"})
        await lesson.until(monitor, lambda f: f["type"] == "error")
        await d_buyer.close()
        await lesson.until(d_seller, lambda f: f["type"] == "presence" and f["online"] is False)
        for live in lesson.sockets:
            if live not in (second_tab, d_buyer):
                await live.close()

    run(go())
    frames = lesson.frames()
    monitor_frames = lesson.sockets[0].frames
    room_frames = [f for live in lesson.sockets[1:] for f in live.frames]

    # Every client frame the docs list was taken with every field they give it.
    assert {kind: set(fields) for kind, fields in sent_ok.items()} == {k: set(v) for k, v in CLIENT.items()}
    # Frame types and their fields: exactly the documented ones, each seen.
    seen: dict[str, set[str]] = defaultdict(set)
    for frame in room_frames:
        seen[frame["type"]] |= set(frame) - {"type"}
    assert {k: seen[k] for k in seen} == {k: set(v) for k, v in SERVER.items() if k in seen}
    assert set(seen) == set(SERVER)
    seen_monitor: dict[str, set[str]] = defaultdict(set)
    for frame in monitor_frames:
        seen_monitor[frame["type"]] |= set(frame) - {"type"}
    assert set(seen_monitor) == {*MONITOR, "snapshot", "error"}
    assert {k: seen_monitor[k] for k in MONITOR} == {k: set(v) for k, v in MONITOR.items()}
    assert seen_monitor["error"] <= set(SERVER["error"])
    # The monitor's snapshot, field by field.
    monitor_snapshot = next(f for f in monitor_frames if f["type"] == "snapshot")
    assert set(monitor_snapshot) - {"type"} == set(MONITOR_SNAPSHOT)
    for field, inner in MONITOR_SNAPSHOT.items():
        value = monitor_snapshot[field]
        items = value if isinstance(value, list) else [value]
        if inner and isinstance(items[0], dict):
            assert {key for item in items for key in item} == set(inner), field
    # The negotiation's snapshot against the documented example, all the way down.
    snapshot = next(f for f in room_frames if f["type"] == "snapshot")
    skip = frozenset({"standing", "agreement", "events"})  # keyed by role and issue; events below
    assert key_paths(snapshot, skip=skip) == key_paths(SNAPSHOT, skip=skip)
    # Events: their fields, every documented type, and each type's payload.
    events = [f["event"] for f in frames if f["type"] in ("event", "ack")]
    events += [e for f in frames if f["type"] == "events" for e in f["events"]]
    assert all(set(event) == set(EVENT) for event in events)
    payloads: dict[str, set[str]] = defaultdict(set)
    for event in events:
        payloads[event["type"]] |= set(event["payload"])
    assert {k: payloads[k] for k in payloads} == {k: set(v) for k, v in EVENTS.items() if k in payloads}
    assert set(payloads) == set(EVENTS)
    # Errors and close codes: each documented one sent, none other.
    codes = {f["code"] for f in frames if f["type"] == "error"}
    assert codes == ERRORS
    assert {str(code) for code in lesson.closes} <= CLOSES
