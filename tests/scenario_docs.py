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
