"""Small scenario documents for tests: a valid one to start from, and helpers to break it."""

from __future__ import annotations

import copy
from typing import Any

import yaml

VALID: dict[str, Any] = {
    "slug": "bakery-lease",
    "title": "The Bakery Lease",
    "summary": "A baker rents a shop.",
    "situation": "A baker wants a **shop**; an owner has one.",
    "roles": [
        {"key": "owner", "name": "Owner", "batna": 20, "alternative": "Another tenant.", "sheet": "You own it."},
        {"key": "baker", "name": "Baker", "batna": 15, "alternative": "A market stall.", "sheet": "You bake."},
    ],
    "issues": [
        {
            "key": "rent",
            "name": "Monthly rent",
            "type": "numeric",
            "min": 1000,
            "max": 2000,
            "step": 250,
            "unit": "EUR",
            "points": {"owner": {"at_min": 0, "at_max": 40}, "baker": {"at_min": 40, "at_max": 0}},
        },
        {
            "key": "term",
            "name": "Term",
            "options": [
                {"key": "one-year", "label": "One year", "points": {"owner": 0, "baker": 5}},
                {"key": "five-years", "label": "Five years", "points": {"owner": 30, "baker": 10}},
            ],
        },
        {
            "key": "repairs",
            "name": "Repairs",
            "options": [
                {"key": "owner-pays", "label": "Owner pays", "points": {"owner": 0, "baker": 30}},
                {"key": "baker-pays", "label": "Baker pays", "points": {"owner": 10, "baker": 0}},
            ],
        },
    ],
    "teaching_notes": "Look for the term-for-repairs trade.",
}


def valid() -> dict[str, Any]:
    return copy.deepcopy(VALID)


def dump(document: dict[str, Any]) -> str:
    return yaml.safe_dump(document, sort_keys=False)


CONTINGENT: dict[str, Any] = {
    "slug": "shop-sale",
    "title": "The Shop Sale",
    "summary": "An owner sells a shop whose next year nobody knows.",
    "situation": "Robin sells a bicycle shop to Kim.",
    "events": [
        {
            "key": "revenue",
            "question": "Will next year's revenue beat 2 million?",
            "outcomes": [{"key": "beats", "label": "Beats 2M"}, {"key": "misses", "label": "Misses"}],
            "distribution": {"beats": 0.5, "misses": 0.5},
        }
    ],
    "roles": [
        {
            "key": "seller",
            "name": "Seller",
            "batna": 20,
            "alternative": "Keep the shop.",
            "sheet": "You expect a record year.",
            "forecasts": {"revenue": {"beats": 0.8, "misses": 0.2}},
        },
        {
            "key": "buyer",
            "name": "Buyer",
            "batna": 10,
            "alternative": "Another shop.",
            "sheet": "You doubt the figures.",
            "forecasts": {"revenue": {"beats": 0.3, "misses": 0.7}},
            "caution": 0.25,
        },
    ],
    "issues": [
        {
            "key": "price",
            "name": "Price",
            "type": "numeric",
            "min": 100,
            "max": 200,
            "step": 25,
            "unit": "kEUR",
            "points": {"seller": {"at_min": 0, "at_max": 40}, "buyer": {"at_min": 40, "at_max": 0}},
        },
        {
            "key": "earnout",
            "name": "Earn-out",
            "type": "contingent",
            "event": "revenue",
            "options": [
                {"key": "none", "label": "No earn-out", "points": {"seller": 0, "buyer": 0}},
                {
                    "key": "bonus",
                    "label": "40k more if revenue beats 2M",
                    "points": {"seller": {"beats": 30, "misses": 0}, "buyer": {"beats": -10, "misses": 6}},
                },
            ],
        },
    ],
    "teaching_notes": "The sides forecast differently: an earn-out lets each bet on its own forecast.",
}


def contingent() -> dict[str, Any]:
    return copy.deepcopy(CONTINGENT)
