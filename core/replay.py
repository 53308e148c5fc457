"""A negotiation's state read from its event log alone.

The negotiation's row keeps its state (standing offers, agreement, status, last seq) beside the log, so
that a rule can be checked under one row lock. `replay` recomputes that state from the stored events by
the rules that wrote them (`decide`, `after_offer`, `after_round_event`), so that a test can hold the two
side by side; the browser reads the events the same way (static/js/room/state.js).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from core.negotiation import (
    ACTIONS,
    ROUND_EVENTS,
    Action,
    State,
    after_offer,
    after_round_event,
    decide,
    standing_json,
)
from core.refusal import Refused
from core.spec import Scenario

# The clock is not replayed: a stored action was in time, and a closing at the deadline is its own event.
_UNTIMED = datetime.min.replace(tzinfo=UTC)


class ReplayError(ValueError):
    """An event log that the rules could not have written."""


@dataclass(frozen=True)
class Replayed:
    state: State
    last_seq: int
    offers: int  # offers made, standing or not

    def row(self) -> dict[str, Any]:
        """The fields the negotiation's row keeps, as it stores them."""
        return {
            "status": self.state.status,
            "standing": standing_json(self.state.standing),
            "agreement": self.state.agreement,
            "last_seq": self.last_seq,
        }


def replay(events: Iterable[Mapping[str, Any]], roles: tuple[str, str], scenario: Scenario | None = None) -> Replayed:
    """Apply stored events, in seq order from 1, to a waiting negotiation between `roles`.

    An event is a mapping with `seq`, `type`, `role` (None or "" for the round's) and `payload`, as the
    snapshot sends it; a post-settlement round's actions are checked against the `scenario`'s points.
    Raises ReplayError when the log skips a number or breaks a rule."""
    state = State(status="waiting", roles=roles)
    last_seq = offers = 0
    for event in events:
        seq, kind = event["seq"], event["type"]
        if seq != last_seq + 1:
            raise ReplayError(f"event {seq} follows event {last_seq}")
        last_seq = seq
        state = replace(state, stored=seq - 1)
        if kind in ROUND_EVENTS:
            try:
                state = after_round_event(state, kind)
            except ValueError as error:
                raise ReplayError(f"event {seq}: {error}") from None
            continue
        if kind not in ACTIONS:
            raise ReplayError(f"event {seq} is of an unknown type {kind!r}")
        role, payload = event["role"], event["payload"]
        try:
            decision = decide(state, role, _action(kind, payload), _UNTIMED, scenario)
        except Refused as refused:
            raise ReplayError(f"event {seq} ({kind} by {role}) was not allowed: {refused.message}") from None
        except ValueError as error:  # a post-settlement round replayed without its scenario
            raise ReplayError(f"event {seq} ({kind} by {role}): {error}") from None
        if decision.type != kind or decision.payload != payload:
            raise ReplayError(f"event {seq} stored {kind} {payload!r}; the rules give {decision.payload!r}")
        state = decision.state
        if kind == "chat":
            state = replace(state, chat_characters=state.chat_characters + len(payload["text"]))
        if kind == "offer":
            state = after_offer(state, role, seq, payload["packages"])
            offers += 1
    return Replayed(replace(state, stored=last_seq), last_seq, offers)


def _action(kind: str, payload: Mapping[str, Any]) -> Action:
    """The action a stored event records (its client id does not matter to the rules)."""
    if kind == "chat":
        return Action(kind, text=payload["text"])
    if kind == "offer":
        return Action(kind, packages=tuple(dict(p) for p in payload["packages"]))
    if kind == "accept":
        return Action(kind, offer_seq=payload["offer_seq"], package=payload["package"])
    if kind == "walk_away":
        return Action(kind, reason=payload.get("reason", ""))
    if kind == "keep":
        return Action(kind)
    return Action(kind, offer_seq=payload["offer_seq"], reason=payload.get("reason", ""))  # reject, withdraw
