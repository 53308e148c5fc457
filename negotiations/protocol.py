"""Every frame the server sends on a socket, typed, and the close codes (docs/protocol.md).

The negotiation socket (ws/negotiations/<id>/) and the monitor (ws/exercises/<id>/monitor/) build
their frames from these types only; publishing builds the event and pair JSON they carry. A frame is a
plain dict at run time (TypedDict), so a frame on the live relay's path costs nothing to build.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

# Close codes
CLOSE_NOT_SIGNED_IN = 4401
CLOSE_NOT_FOUND = 4404
CLOSE_SEAT_CHANGED = 4409  # the seat was given to someone else (a student took over a bot's seat): reconnect
CLOSE_SILENT = 4408  # nothing heard from the client for SOCKET_IDLE_SECONDS (no heartbeat): reconnect
CLOSE_TOO_MANY = 4429  # the socket kept flooding past its rate
CLOSE_TOO_MANY_SOCKETS = 4430  # the seat or user already holds as many sockets as it may: close one first


# What frames carry


class SeatJSON(TypedDict):
    role: str
    kind: str
    name: str
    auto: NotRequired[bool]  # a bot seat the server plays


class EventJSON(TypedDict):
    seq: int
    type: str
    role: str | None
    payload: dict[str, Any]
    at: str


class PairResultJSON(TypedDict):
    """An ended pair's points for each role (at an impasse, each side's BATNA) and their joint gain."""

    points: dict[str, float | int]
    joint_gain: float | int


class PairJSON(TypedDict):
    """A pair's summary, as the monitor shows it and the snapshot starts; `result` for the monitor only."""

    id: int
    number: int
    status: str
    deadline: str | None
    last_seq: int
    offers: int
    last_activity: str | None
    result: NotRequired[PairResultJSON | None]


class MonitorSeatJSON(TypedDict):
    id: int
    role: str
    kind: str
    name: str
    sheet_opened: bool
    planning_saved: bool
    auto: NotRequired[bool]  # a bot seat the server plays


class SettlementJSON(TypedDict):
    """An exercise's post-settlement round: open from `opened_at` until `deadline`, or `closed_at`."""

    opened_at: str
    deadline: str
    closed_at: str | None


class ExerciseJSON(TypedDict):
    id: int
    state: str
    deadline: str | None
    paused: bool
    paused_at: str | None
    settlement: SettlementJSON | None


class BroadcastJSON(TypedDict):
    text: str
    at: str


class HeartbeatJSON(TypedDict):
    """In every snapshot: send a heartbeat every `every` seconds; a socket silent for `idle` is closed."""

    every: int
    idle: int


# Every socket


class HeartbeatFrame(TypedDict):
    """The answer to a client's heartbeat."""

    type: Literal["heartbeat"]


class ErrorFrame(TypedDict):
    type: Literal["error"]
    code: str
    message: str
    field: NotRequired[str | None]
    client_msg_id: NotRequired[str | None]


# The negotiation socket


class NegotiationJSON(PairJSON):
    exercise: int
    title: str
    paused: bool
    standing: dict[str, Any]
    agreement: dict[str, Any] | None


class MeJSON(TypedDict):
    role: str | None
    kind: str
    name: str
    can_act: bool
    batna: float | int | None


class SnapshotFrame(TypedDict):
    type: Literal["snapshot"]
    server_time: str
    negotiation: NegotiationJSON
    me: MeJSON
    roles: list[dict[str, str]]
    seats: list[SeatJSON]
    issues: list[dict[str, Any]]
    events: list[EventJSON]  # the latest ones only (a bounded page)
    earlier: bool  # events before the first of `events` exist: ask with `history`
    broadcasts: list[BroadcastJSON]
    last_seq: int
    heartbeat: NotRequired[HeartbeatJSON]  # added by the consumer


class EventFrame(TypedDict):
    type: Literal["event"]
    event: EventJSON


class EventsFrame(TypedDict):
    """The answer to `resume`: a bounded page; `more` when the client should resume again from its end."""

    type: Literal["events"]
    events: list[EventJSON]
    more: bool


class HistoryFrame(TypedDict):
    """The answer to `history`: the events before `before_seq`, a bounded page, oldest first."""

    type: Literal["history"]
    events: list[EventJSON]
    earlier: bool


class AckFrame(TypedDict):
    type: Literal["ack"]
    client_msg_id: str | None
    duplicate: bool
    event: EventJSON


class PongFrame(TypedDict):
    type: Literal["pong"]
    server_time: str
    last_seq: int


class TypingFrame(TypedDict):
    type: Literal["typing"]
    role: str


class PresenceFrame(TypedDict):
    type: Literal["presence"]
    role: str | None
    kind: str
    online: bool


class BroadcastFrame(BroadcastJSON):
    type: Literal["broadcast"]


# The monitor


class MonitorPairJSON(PairJSON):
    idle: bool
    seats: list[MonitorSeatJSON]


class MonitorExerciseJSON(ExerciseJSON):
    title: str


class MonitorSnapshotFrame(TypedDict):
    type: Literal["snapshot"]
    server_time: str
    exercise: MonitorExerciseJSON
    roles: list[dict[str, str]]
    idle_after_seconds: int
    pairs: list[MonitorPairJSON]


class PairFrame(TypedDict):
    type: Literal["pair"]
    pair: PairJSON
    events: list[str]


class SeatFrame(TypedDict):
    type: Literal["seat"]
    pair: int
    seat: MonitorSeatJSON


class DebriefFrame(TypedDict):
    type: Literal["debrief"]
    exercise: int


class ExerciseFrame(TypedDict):
    type: Literal["exercise"]
    exercise: ExerciseJSON


# The student's notices (ws/student/)


class RoundJSON(TypedDict):
    """An exercise's round as a student's pages follow it."""

    id: int
    state: str
    paused: bool


class StudentExerciseJSON(RoundJSON):
    status: str  # the student's pair: waiting, negotiating, agreed, impasse
    debrief: bool  # the class debrief is computed


class StudentSnapshotFrame(TypedDict):
    type: Literal["snapshot"]
    server_time: str
    exercises: list[StudentExerciseJSON]
    heartbeat: HeartbeatJSON


class RoundFrame(TypedDict):
    type: Literal["exercise"]
    exercise: RoundJSON


class PairEndFrame(TypedDict):
    """The student's own pair ended before the round did: an agreement, a walk-away, its time up."""

    type: Literal["pair"]
    exercise: int
    status: str  # agreed or impasse


NegotiationFrame = (
    SnapshotFrame
    | EventFrame
    | EventsFrame
    | HistoryFrame
    | AckFrame
    | PongFrame
    | TypingFrame
    | PresenceFrame
    | BroadcastFrame
    | HeartbeatFrame
    | ErrorFrame
)
MonitorFrame = MonitorSnapshotFrame | PairFrame | SeatFrame | DebriefFrame | ExerciseFrame | ErrorFrame
StudentFrame = StudentSnapshotFrame | RoundFrame | PairEndFrame | DebriefFrame | HeartbeatFrame | ErrorFrame
ServerFrame = NegotiationFrame | MonitorFrame | StudentFrame
