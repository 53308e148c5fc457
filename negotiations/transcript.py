"""A pair's transcript as the instructor reads it: each event in words, offers numbered as offers
(1, 2, 3 in the order made, whatever the events between them) and every term by its label."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from core.spec import Scenario
from negotiations.models import Event
from scenarios.labels import package_labels

ROUND_EVENTS = {
    "paused": "The instructor paused the round",
    "resumed": "The round resumed; the paused time was given back",
    "deadline": "Time ran out: no agreement",
    "ended": "The instructor ended the round: no agreement",
    "settlement_opened": "Post-settlement round: the agreement stands unless both find one at least as good for each",
}


def offer_numbers(negotiation_id: int) -> dict[int, int]:
    """Each offer's seq -> its number among the pair's offers (at most MAX_EVENTS small rows)."""
    offers = Event.objects.filter(negotiation_id=negotiation_id, type="offer").order_by("seq")
    seqs = offers.values_list("seq", flat=True)
    return {seq: i for i, seq in enumerate(seqs, start=1)}


def _offer(numbers: dict[int, int], seq: Any) -> str:
    number = numbers.get(int(seq)) if str(seq).isdigit() else None
    return f"offer {number}" if number else "an offer"


def transcript_entries(events: Iterable[Event], spec: Scenario, numbers: dict[int, int]) -> list[dict[str, Any]]:
    """One entry per event: `who` (a role's name, or None for the round), `text`, and for an offer its
    `packages` as lists of (issue name, term label)."""
    roles = {r.key: r.name for r in spec.roles}
    entries = []
    for event in events:
        p = event.payload or {}
        entry: dict[str, Any] = {"event": event, "who": roles.get(event.role or "", event.role), "packages": None}
        reason = f": {p['reason']}" if p.get("reason") else ""
        if event.type == "chat":
            text = f": {p.get('text', '')}"
        elif event.type == "offer":
            text = f" makes {_offer(numbers, event.seq)}"
            entry["packages"] = [package_labels(spec.issues, package) for package in p.get("packages", [])]
        elif event.type == "accept":
            text = f" accepts package {int(p.get('package', 0)) + 1} of {_offer(numbers, p.get('offer_seq'))}"
        elif event.type in ("reject", "withdraw"):
            verb = "rejects" if event.type == "reject" else "withdraws"
            text = f" {verb} {_offer(numbers, p.get('offer_seq'))}{reason}"
        elif event.type == "walk_away":
            text = f" walks away{reason}"
        elif event.type == "keep":
            text = " keeps the agreement as it is"
        elif event.type == "settlement_closed":
            why = "time ran out" if p.get("reason") == "deadline" else "the instructor closed it"
            text = f"The post-settlement round is over ({why}): the agreement stands"
        elif event.type == "started":
            text = "The negotiation started"
        elif event.type == "extended":
            minutes = p.get("minutes")
            text = f"The instructor gave {minutes} more minute{'' if minutes == 1 else 's'}"
        else:
            text = ROUND_EVENTS.get(event.type, event.type)
        entry["text"] = text
        entries.append(entry)
    return entries
