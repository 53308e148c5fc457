"""Which term a pair settled first: whether it fixed the price before the trades on its other issues
were known (docs/debrief.md, section 2, "Settled first")."""

from __future__ import annotations

from collections.abc import Iterable

from core.metrics.landscape import ENDINGS, Event


def settled_first(events: Iterable[Event], issue_key: str) -> bool | None:
    """True when the pair's offers named the agreed term of `issue_key` from some offer on, without
    change, while at least one other issue was still moving: every other issue whose offers ever named
    a term other than the agreed one settled strictly later. An issue "settles" at the offer from which
    every later offer, in every package, names the agreed term. False when the issue never moved or
    settled with or after the others; None without an agreement."""
    ordered = sorted(events, key=lambda e: int(e["seq"]))
    offers: list[list[dict[str, str]]] = []
    agreement = None
    for event in ordered:
        kind = event.get("type")
        payload = event.get("payload") or {}
        if kind == "offer":
            offers.append([{str(k): str(v) for k, v in p.items()} for p in payload.get("packages", [])])
        elif kind in ENDINGS:
            if kind == "accept":
                agreement = {str(k): str(v) for k, v in payload["terms"].items()}
            break
    if agreement is None or issue_key not in agreement:
        return None

    def settled_at(key: str) -> int:
        at = len(offers)
        while at > 0 and all(p.get(key) == agreement[key] for p in offers[at - 1]):
            at -= 1
        return at

    def moved(key: str) -> bool:
        return any(p.get(key) != agreement[key] for packages in offers for p in packages)

    if not moved(issue_key):
        return False
    others = [key for key in agreement if key != issue_key and moved(key)]
    return bool(others) and all(settled_at(key) > settled_at(issue_key) for key in others)
