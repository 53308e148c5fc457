"""The rules of a live negotiation, without Django: what a frame must look like, and what an action
may do in a given state.

The service stores what `decide` returns; the consumer sends what it is told; bots and tests call
these functions directly. docs/protocol.md describes the same frames for client writers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from fractions import Fraction
from typing import Any

from core.refusal import Refused
from core.spec import Issue, Scenario, format_number

MAX_PACKAGES = 3
MAX_CHAT = 2000
MAX_REASON = 500
MAX_CLIENT_ID = 64
MAX_FRAME_BYTES = 16_384

# What one negotiation may store: past MAX_EVENTS events, or MAX_CHAT_CHARACTERS characters of chat in
# all, chat and offers are refused (negotiation_full); accept, reject, withdraw and walking away still
# end it, and the round's own events are always stored.
MAX_EVENTS = 2_000
MAX_CHAT_CHARACTERS = 200_000
# No frame grows with the negotiation: the snapshot carries the latest SNAPSHOT_EVENTS events, a
# `history` or `resume` page at most PAGE_EVENTS; either holds at most PAGE_BYTES of events as sent
# (one event alone may be larger: a chat of MAX_CHAT characters, each escaped, is about 24 KB).
SNAPSHOT_EVENTS = 50
PAGE_EVENTS = 100
PAGE_BYTES = 32_768

OPEN, AGREED, IMPASSE = "negotiating", "agreed", "impasse"
# An agreed pair in a post-settlement round (Raiffa, 1985): its agreement is each side's floor.
SETTLING = "settling"
ACTIONS = ("chat", "offer", "accept", "reject", "withdraw", "walk_away", "keep")
ROUND_EVENTS = (
    *("started", "paused", "resumed", "extended", "deadline", "ended"),  # the clock's or the instructor's
    *("settlement_opened", "settlement_closed"),  # the post-settlement round's
)
EPHEMERAL = ("typing",)
CONTROL = ("resume", "history", "ping", "heartbeat")


class FrameError(ValueError):
    """A frame of the wrong shape: nothing is stored, the client gets an error frame."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


Package = dict[str, str]  # issue key -> option key (a numeric issue's value as text, e.g. "9500")


@dataclass(frozen=True)
class Action:
    type: str
    client_msg_id: str | None = None
    text: str = ""
    packages: tuple[Package, ...] = ()
    offer_seq: int = 0
    package: int = 0
    reason: str = ""


# Frames


def parse_frame(frame: Any, scenario: Scenario) -> Action:
    """Check a decoded client frame and turn it into an Action; raises FrameError naming the problem."""
    if not isinstance(frame, dict):
        raise FrameError("bad_frame", "a frame must be a JSON object with a 'type'")
    kind = frame.get("type")
    if not isinstance(kind, str):
        raise FrameError("bad_frame", "a frame needs a 'type' (text)", "type")
    if kind in EPHEMERAL or kind in CONTROL:
        _no_other_fields(frame, kind, {"type", *_FIELDS[kind]})
        if kind == "resume":
            _int(frame, "last_seq", minimum=0)
        elif kind == "history":
            _int(frame, "before_seq", minimum=1)
            _int(frame, "limit", minimum=1, maximum=PAGE_EVENTS)
        return Action(kind)
    if kind not in ACTIONS:
        allowed = ", ".join((*ACTIONS, *EPHEMERAL, *CONTROL))
        raise FrameError("unknown_type", f"unknown frame type {kind!r}; expected one of: {allowed}", "type")
    client_id = frame.get("client_msg_id")
    if not isinstance(client_id, str) or not 1 <= len(client_id) <= MAX_CLIENT_ID:
        raise FrameError(
            "bad_frame", f"'{kind}' needs a 'client_msg_id' (text of 1 to {MAX_CLIENT_ID} characters)", "client_msg_id"
        )
    if not client_id.isprintable():
        raise FrameError("bad_frame", "'client_msg_id' must be printable text", "client_msg_id")
    clean_text(client_id, "client_msg_id")
    _no_other_fields(frame, kind, {"type", "client_msg_id", *_FIELDS[kind]})
    if kind == "chat":
        return Action(kind, client_id, text=_text(frame, "text", MAX_CHAT, required=True))
    if kind == "offer":
        raw = frame.get("packages")
        if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_PACKAGES:
            raise FrameError(
                "bad_frame", f"an offer holds 1 to {MAX_PACKAGES} packages in 'packages' (a list)", "packages"
            )
        packages = tuple(package_check(p, scenario, f"packages[{i}]") for i, p in enumerate(raw))
        if len(set(map(_package_key, packages))) != len(packages):
            raise FrameError("bad_package", "the packages of one offer must differ from each other", "packages")
        return Action(kind, client_id, packages=packages)
    if kind == "keep":
        return Action(kind, client_id)
    if kind == "accept":
        seq = _int(frame, "offer_seq", minimum=1)
        index = _int(frame, "package", minimum=0, maximum=MAX_PACKAGES - 1)
        return Action(kind, client_id, offer_seq=seq, package=index)
    if kind in ("reject", "withdraw"):
        reason = _text(frame, "reason", MAX_REASON, required=False) if kind == "reject" else ""
        return Action(kind, client_id, offer_seq=_int(frame, "offer_seq", minimum=1), reason=reason)
    return Action(kind, client_id, reason=_text(frame, "reason", MAX_REASON, required=False))  # walk_away


def _no_other_fields(frame: Mapping[str, Any], kind: str, allowed: set[str]) -> None:
    extra = sorted(set(frame) - allowed)
    if extra:
        raise FrameError("bad_frame", f"unexpected field(s) for '{kind}': {', '.join(extra)}", extra[0])


_FIELDS = {
    "typing": (),
    "ping": (),
    "heartbeat": (),
    "resume": ("last_seq",),
    "history": ("before_seq", "limit"),
    "chat": ("text",),
    "offer": ("packages",),
    "accept": ("offer_seq", "package"),
    "reject": ("offer_seq", "reason"),
    "withdraw": ("offer_seq",),
    "walk_away": ("reason",),
    "keep": (),
}


def clean_text(value: str, name: str) -> str:
    """Text the database can store: no NUL, no lone surrogate."""
    if "\x00" in value:
        raise FrameError("bad_frame", f"'{name}' contains a NUL character", name)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise FrameError("bad_frame", f"'{name}' is not valid Unicode text (a lone surrogate)", name) from None
    return value


def _text(frame: Mapping[str, Any], name: str, limit: int, *, required: bool) -> str:
    value = frame.get(name, "")
    if not isinstance(value, str):
        raise FrameError("bad_frame", f"'{name}' must be text", name)
    value = clean_text(value.strip(), name)
    if required and not value:
        raise FrameError("bad_frame", f"'{name}' must not be empty", name)
    if len(value) > limit:
        raise FrameError("too_long", f"'{name}' is {len(value)} characters; the limit is {limit}", name)
    return value


def _int(frame: Mapping[str, Any], name: str, *, minimum: int, maximum: int = 2**31 - 1) -> int:
    value = frame.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise FrameError("bad_frame", f"'{name}' must be a whole number", name)
    if not minimum <= value <= maximum:
        raise FrameError("bad_frame", f"'{name}' must be between {minimum} and {maximum}", name)
    return value


def _package_key(package: Package) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(package.items()))


def package_check(raw: Any, scenario: Scenario, where: str = "package") -> Package:
    """A complete package: one valid option for every issue (numeric values on their grid)."""
    if not isinstance(raw, dict):
        raise FrameError("bad_package", f"{where} must be an object mapping each issue to an option", where)
    keys = [issue.key for issue in scenario.issues]
    unknown = sorted(set(raw) - set(keys))
    if unknown:
        raise FrameError("bad_package", f"{where} names unknown issue(s): {', '.join(map(str, unknown))}", where)
    missing = [k for k in keys if k not in raw]
    if missing:
        raise FrameError("bad_package", f"{where} has no option for: {', '.join(missing)}", where)
    return {issue.key: _option(issue, raw[issue.key], f"{where}.{issue.key}") for issue in scenario.issues}


DECIMAL = re.compile(r"-?\d{1,15}(\.\d{1,9})?")


def _option(issue: Issue, value: Any, where: str) -> str:
    if issue.kind == "numeric":
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise FrameError("bad_package", f"{where} must be a number", where)
        if isinstance(value, float) and not math.isfinite(value):
            raise FrameError("bad_package", f"{where} must be a finite number", where)
        # Text is parsed only when it is a plain decimal: "1e10000000" would build a huge number.
        text = repr(value) if isinstance(value, float) else str(value).strip()
        if isinstance(value, str) and not DECIMAL.fullmatch(text):
            raise FrameError("bad_package", f"{where} must be a number like 9500 or 9.5, got {value!r}", where)
        if isinstance(value, int) and abs(value) > 10**15:
            raise FrameError("bad_package", f"{where}: {value} is not one of the values", where)
        number = Fraction(text)
        steps = (number - issue.minimum) / issue.step
        if not issue.minimum <= number <= issue.maximum or steps.denominator != 1:
            raise FrameError(
                "bad_package",
                f"{where}: {value} is not one of the values {format_number(issue.minimum)} to "
                f"{format_number(issue.maximum)} in steps of {format_number(issue.step)}",
                where,
            )
        return format_number(number)
    keys = [o.key for o in issue.options]
    if value not in keys:
        raise FrameError("bad_package", f"{where}: {value!r} is not an option; options: {', '.join(keys)}", where)
    return str(value)


# State and decisions


@dataclass(frozen=True)
class Offer:
    seq: int
    role: str
    packages: tuple[Package, ...]


@dataclass(frozen=True)
class State:
    status: str
    roles: tuple[str, str]
    standing: Mapping[str, Offer] = field(default_factory=dict)  # each role's live offer, if any
    agreement: Package | None = None
    deadline: datetime | None = None
    paused: bool = False
    stored: int = 0  # events stored so far (the last seq)
    chat_characters: int = 0  # characters of chat stored so far

    def partner(self, role: str) -> str:
        return self.roles[1] if role == self.roles[0] else self.roles[0]


@dataclass(frozen=True)
class Decision:
    """The event to store, and the state after it."""

    type: str
    payload: dict[str, Any]
    state: State


def decide(state: State, role: str, action: Action, now: datetime, scenario: Scenario | None = None) -> Decision:
    """What an action of `role` does in `state`, or Refused with the reason. In a post-settlement round
    the agreement is each side's floor, scored with `scenario` (required then)."""
    if role not in state.roles:
        raise Refused("only the two negotiators can act; observers watch", code="not_a_negotiator")
    if state.status == "waiting":
        raise Refused("the round has not started yet; read your role and plan", code="not_started")
    if action.type == "keep" and state.status != SETTLING:
        raise Refused("there is no post-settlement round open for this pair: nothing to keep", code="not_settling")
    if state.status not in (OPEN, SETTLING):
        raise Refused(f"the negotiation has ended ({state.status})", code="ended")
    if state.paused:  # before the clock: a pause gives the time back
        raise Refused("the instructor has paused the round; wait until it resumes", code="paused")
    if state.deadline is not None and now >= state.deadline:
        raise Refused("time is up: the negotiation has ended", code="ended")
    _room_left(state, action)
    partner = state.partner(role)
    if state.status == SETTLING:
        _settlement_check(state, role, action, scenario)
    if action.type == "chat":
        return Decision("chat", {"text": action.text}, state)
    if action.type == "keep":
        return Decision("keep", {}, replace(state, status=AGREED, standing={}))
    if action.type == "offer":
        packages = [dict(p) for p in action.packages]
        # The new offer replaces this side's standing offer; the event's seq identifies it (set on storing).
        return Decision("offer", {"packages": packages}, state)
    if action.type == "walk_away":
        return Decision("walk_away", {"reason": action.reason}, _impasse(state))
    own = state.standing.get(role)
    theirs = state.standing.get(partner)
    if action.type == "withdraw":
        if own is None or own.seq != action.offer_seq:
            raise Refused("you can withdraw only your own standing offer", code="not_standing")
        return Decision("withdraw", {"offer_seq": own.seq}, replace(state, standing=_without(state.standing, role)))
    # accept and reject concern the partner's standing offer
    if own is not None and own.seq == action.offer_seq:
        raise Refused(f"you cannot {action.type} your own offer", code="own_offer")
    if theirs is None or theirs.seq != action.offer_seq:
        raise Refused(
            "that offer is no longer on the table (it was replaced, withdrawn, rejected or never made)",
            code="not_standing",
        )
    if action.type == "reject":
        return Decision(
            "reject",
            {"offer_seq": theirs.seq, "reason": action.reason},
            replace(state, standing=_without(state.standing, partner)),
        )
    if action.package >= len(theirs.packages):
        raise Refused(f"that offer has {len(theirs.packages)} package(s)", code="no_such_package")
    agreed = dict(theirs.packages[action.package])
    return Decision(
        "accept",
        {"offer_seq": theirs.seq, "package": action.package, "terms": agreed},
        replace(state, status=AGREED, agreement=agreed, standing={}),
    )


def below_agreement(scenario: Scenario, agreement: Mapping[str, str], package: Mapping[str, str]) -> tuple[str, ...]:
    """The roles for whom `package` is worth fewer points than `agreement`: a post-settlement package
    replaces the agreement only when this is empty (Raiffa, 1985)."""
    return tuple(
        role.key
        for role in scenario.roles
        if package_points(scenario, package, role.key) < package_points(scenario, agreement, role.key)
    )


def _settlement_check(state: State, role: str, action: Action, scenario: Scenario | None) -> None:
    """In a post-settlement round: no walking away (keep the agreement instead); an offer's packages are
    each at least as good for the side that makes it; an accepted package is at least as good for both.
    A refusal names only the acting side's own points, never the partner's."""
    if scenario is None or state.agreement is None:
        raise ValueError("a post-settlement round is decided with the scenario and the agreement")
    if action.type == "walk_away":
        raise Refused("in the post-settlement round nobody walks away: keep the agreement instead", code="keep_instead")
    floor = package_points(scenario, state.agreement, role)
    if action.type == "offer":
        for i, package in enumerate(action.packages):
            if role in below_agreement(scenario, state.agreement, package):
                raise Refused(
                    f"package {i + 1} gives you {format_number(package_points(scenario, package, role))} points, "
                    f"less than the {format_number(floor)} of your current agreement: a package of this round "
                    "must be at least as good for you",
                    code="below_agreement",
                )
    if action.type == "accept":
        offer = state.standing.get(state.partner(role))
        if offer is None or offer.seq != action.offer_seq or action.package >= len(offer.packages):
            return  # refused below, for what it is
        package = offer.packages[action.package]
        below = below_agreement(scenario, state.agreement, package)
        if role in below:
            raise Refused(
                f"that package gives you {format_number(package_points(scenario, package, role))} points, less "
                f"than the {format_number(floor)} of your current agreement: it cannot replace it",
                code="below_agreement",
            )
        if below:
            raise Refused(
                "that package is worth less to your partner than your current agreement: it cannot replace it",
                code="below_agreement",
            )


def _room_left(state: State, action: Action) -> None:
    """Chat and offers stop at what one negotiation may store; the answers that end it never do."""
    if action.type in ("chat", "offer") and state.stored >= MAX_EVENTS:
        raise Refused(
            f"this negotiation has stored its limit of {MAX_EVENTS:,} events: no more chat or offers; "
            "answer the offer on the table, or walk away",
            code="negotiation_full",
        )
    if action.type == "chat" and state.chat_characters + len(action.text) > MAX_CHAT_CHARACTERS:
        raise Refused(
            f"this negotiation has stored its limit of {MAX_CHAT_CHARACTERS:,} characters of chat: "
            "no more chat; offers and answers still go through",
            code="negotiation_full",
        )


def _impasse(state: State) -> State:
    return replace(state, status=IMPASSE, standing={})


def _without(standing: Mapping[str, Offer], role: str) -> dict[str, Offer]:
    return {r: o for r, o in standing.items() if r != role}


def after_offer(state: State, role: str, seq: int, packages: Sequence[Package]) -> State:
    """The state once an offer is stored under its sequence number."""
    return replace(state, standing={**state.standing, role: Offer(seq, role, tuple(packages))})


def after_round_event(state: State, type_: str) -> State:
    """The state once the round's own event is stored: the pair opened, paused, resumed, given more
    time, or closed without agreement when the time ran out ("deadline") or the instructor ended it; an
    agreed pair taken into a post-settlement round, and out of it with its agreement as it stands."""
    if type_ not in ROUND_EVENTS:
        raise ValueError(f"{type_!r} is not an event of the round")
    allowed = {
        "started": ("waiting",),
        "deadline": ("waiting", OPEN),
        "ended": ("waiting", OPEN),
        "settlement_opened": (AGREED,),
        "settlement_closed": (SETTLING,),
    }.get(type_, (OPEN,))
    if state.status not in allowed:
        raise ValueError(f"{type_!r} cannot happen to a pair that is {state.status}")
    if type_ == "settlement_opened":
        return replace(state, status=SETTLING, standing={})
    if type_ == "settlement_closed":
        return replace(state, status=AGREED, standing={})
    if type_ == "started":
        return replace(state, status=OPEN)
    if type_ == "ended":
        return replace(_impasse(state), paused=False)  # an ended round is not paused (the server's snapshot)
    if type_ == "deadline":
        return _impasse(state)
    if type_ in ("paused", "resumed"):
        return replace(state, paused=type_ == "paused")
    return state  # extended: the deadline moves, the table stays


def standing_json(standing: Mapping[str, Offer]) -> dict[str, dict[str, Any]]:
    """Each role's standing offer as the negotiation's row stores it and the snapshot sends it."""
    return {role: {"seq": offer.seq, "packages": [dict(p) for p in offer.packages]} for role, offer in standing.items()}


def package_points(scenario: Scenario, package: Mapping[str, str], role: str) -> Fraction:
    return sum((issue.term_points(role, package[issue.key]) for issue in scenario.issues), Fraction(0))
