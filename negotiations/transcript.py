"""A pair's transcript as the instructor reads it: each event in words, offers numbered as offers
(1, 2, 3 in the order made, whatever the events between them) and every term by its label."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext, gettext_lazy, ngettext

from core.spec import Scenario
from negotiations.models import Event
from scenarios.labels import package_labels

ROUND_EVENTS = {
    "paused": gettext_lazy("The instructor paused the round"),
    "resumed": gettext_lazy("The round resumed; the paused time was given back"),
    "deadline": gettext_lazy("Time ran out: no agreement"),
    "ended": gettext_lazy("The instructor ended the round: no agreement"),
    "settlement_opened": gettext_lazy(
        "Post-settlement round: the agreement stands unless both find one at least as good for each"
    ),
}


def offer_numbers(negotiation_id: int) -> dict[int, int]:
    """Each offer's seq -> its number among the pair's offers (at most MAX_EVENTS small rows)."""
    offers = Event.objects.filter(negotiation_id=negotiation_id, type="offer").order_by("seq")
    seqs = offers.values_list("seq", flat=True)
    return {seq: i for i, seq in enumerate(seqs, start=1)}


def _offer(numbers: dict[int, int], seq: Any) -> str:
    number = numbers.get(int(seq)) if str(seq).isdigit() else None
    return gettext("offer %(number)s") % {"number": number} if number else gettext("an offer")


def transcript_entries(events: Iterable[Event], spec: Scenario, numbers: dict[int, int]) -> list[dict[str, Any]]:
    """One entry per event: `who` (a role's name, or None for the round), `text`, and for an offer its
    `packages` as lists of (issue name, term label)."""
    roles = {r.key: r.name for r in spec.roles}
    entries = []
    for event in events:
        p = event.payload or {}
        entry: dict[str, Any] = {"event": event, "who": roles.get(event.role or "", event.role), "packages": None}
        reason = f": {p['reason']}" if p.get("reason") else ""
        offer = _offer(numbers, p.get("offer_seq"))
        # After the role's name, which the page writes first in bold: "Seller makes offer 1".
        if event.type == "chat":
            text = f": {p.get('text', '')}"
        elif event.type == "offer":
            text = " " + gettext("makes %(offer)s") % {"offer": _offer(numbers, event.seq)}
            entry["packages"] = [package_labels(spec.issues, package) for package in p.get("packages", [])]
        elif event.type == "accept":
            number = int(p.get("package", 0)) + 1
            text = " " + gettext("accepts package %(number)s of %(offer)s") % {"number": number, "offer": offer}
        elif event.type == "reject":
            text = " " + gettext("rejects %(offer)s") % {"offer": offer} + reason
        elif event.type == "withdraw":
            text = " " + gettext("withdraws %(offer)s") % {"offer": offer} + reason
        elif event.type == "walk_away":
            text = " " + gettext("walks away") + reason
        elif event.type == "keep":
            text = " " + gettext("keeps the agreement as it is")
        elif event.type == "settlement_closed":
            if p.get("reason") == "deadline":
                text = gettext("The post-settlement round is over (time ran out): the agreement stands")
            else:
                text = gettext("The post-settlement round is over (the instructor closed it): the agreement stands")
        elif event.type == "started":
            text = gettext("The negotiation started")
        elif event.type == "extended":
            minutes = p.get("minutes")
            text = ngettext(
                "The instructor gave %(minutes)s more minute",
                "The instructor gave %(minutes)s more minutes",
                minutes or 0,
            ) % {"minutes": minutes}
        else:
            text = str(ROUND_EVENTS.get(event.type, event.type))
        entry["text"] = text
        entries.append(entry)
    return entries
