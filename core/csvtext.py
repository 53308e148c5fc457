"""CSV text for spreadsheets: values written as text, formulas defused, lines handed back one at a time."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

# A cell starting with one of these is run as a formula by spreadsheets (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """A JSON value as CSV text: empty for null, true/false, numbers as JSON writes them, lists and
    objects as JSON text, and text that a spreadsheet would run as a formula prefixed with '."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Line:
    """A file-like object for csv.writer that hands back each line instead of storing it."""

    def write(self, value: str) -> str:
        return value


def csv_chunks(columns: list[str], rows: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """CSV text, one line at a time, UTF-8 with a byte-order mark so that spreadsheets read it as UTF-8."""
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow(columns)
    for row in rows:
        yield writer.writerow([csv_cell(row.get(c)) for c in columns])
