"""The rounds compared, drawn (docs/debrief.md, "The rounds compared" and the presentation's `rounds`
slide): one figure's spread per round as box plots side by side (the box from the first to the third
quartile, a thick line at the median, whiskers to the lowest and the highest value), a dashed line joining
the medians and the median's change from each round to the next written above it. Drawn on the server as
one SVG (reports/svg.py) with its text alternative: the same numbers in words.

It reads the rounds of reports.series.series_comparison's JSON: each round's `figures` hold the figure's
distribution (n, min, q1, median, q3, max), or none.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.utils.translation import gettext, ngettext

from reports import svg
from reports.svg import INK, LINE, MARK, MUTED, SIDES
from scenarios.labels import percent_text

Write = Callable[[Any], str]  # a value as the page writes it
Count = Callable[[int], str]  # "3 pairs"

BOX_FILL = "#dce7f8"  # the box's inside; its outline (SIDES[0]) carries the contrast
FIVE = ("min", "q1", "median", "q3", "max")


def percent(value: Any) -> str:
    """A share as a whole percentage in the page's language ("50%", "50 %": scenarios.labels.percent_text),
    halves away from zero as the debrief's script writes them (12.5 % is "13%")."""
    return percent_text(value, places=0)


def signed(written: str, value: Any) -> str:
    """A change as written, with a plus sign when it is a rise that shows: a change written as zero (a
    fall of 0.1 % written "0 %") has no sign."""
    shows = any(digit in written for digit in "123456789")
    return written if written.startswith("-") or not shows or Fraction(str(value)) <= 0 else "+" + written


def pairs(n: int) -> str:
    return ngettext("%(n)s pair", "%(n)s pairs", n) % {"n": svg.number(n)}


def negotiators(n: int) -> str:
    return ngettext("%(n)s negotiator", "%(n)s negotiators", n) % {"n": svg.number(n)}


def guesses(n: int) -> str:
    return ngettext("%(n)s guess", "%(n)s guesses", n) % {"n": svg.number(n)}


@dataclass(frozen=True)
class Frame:
    """Where the plot goes in the viewBox (the tick labels inside it, at its left; the round labels under
    its bottom; the changes above its top) and the size of its text."""

    left: float
    right: float
    top: float
    bottom: float
    size: int


def round_label(item: dict[str, Any]) -> str:
    return gettext("Round %(number)s") % {"number": item["round"]}


def _spread(item: dict[str, Any], figure: str) -> dict[str, Any] | None:
    return (item.get("figures") or {}).get(figure)


def _missing(item: dict[str, Any]) -> str:
    """What a round without the figure has instead, as the page's table says it."""
    if item.get("ready"):
        return gettext("none")
    return gettext("the debrief is being computed") if item.get("state") == "ended" else gettext("not ended yet")


def _change(before: dict[str, Any], after: dict[str, Any]) -> Fraction:
    return Fraction(str(after["median"])) - Fraction(str(before["median"]))


def described(rounds: Sequence[dict[str, Any]], figure: str, write: Write, count: Count) -> list[str]:
    """The chart in words: each round's spread, then the median's change from each round to the next."""
    sentences = [
        gettext(
            "Box plots, one per round: the box spans the middle half (first to third quartile), the thick line in"
            " it is the median, the whiskers reach the lowest and the highest value; a dashed line joins the"
            " medians."
        )
    ]
    for item in rounds:
        spread = _spread(item, figure)
        if spread is None:
            sentences.append(gettext("%(round)s: %(what)s.") % {"round": round_label(item), "what": _missing(item)})
        else:
            sentences.append(box_title(item, spread, write, count) + ".")
    for before, after in itertools.pairwise(rounds):
        a, b = _spread(before, figure), _spread(after, figure)
        if a is not None and b is not None:
            moved = _change(a, b)
            sentences.append(
                gettext("Round %(a)s to round %(b)s: the median %(change)s.")
                % {"a": before["round"], "b": after["round"], "change": signed(write(moved), moved)}
            )
    return sentences


def box_title(item: dict[str, Any], spread: dict[str, Any], write: Write, count: Count) -> str:
    return gettext(
        "%(round)s: %(count)s, lowest %(min)s, first quartile %(q1)s, median %(median)s, third quartile %(q3)s,"
        " highest %(max)s"
    ) % ({"round": round_label(item), "count": count(spread["n"])} | {k: write(spread[k]) for k in FIVE})


def box_plots(rounds: Sequence[dict[str, Any]], figure: str, frame: Frame, write: Write, count: Count) -> list[str]:
    """The figure's box plots, one per round, in `frame`; a round without it says what it has instead."""
    size = frame.size
    spreads = [_spread(item, figure) for item in rounds]
    values = [float(s[k]) for s in spreads if s is not None for k in ("min", "max")]
    out: list[str] = []
    if not values:
        middle = (frame.left + frame.right) / 2
        out.append(
            svg.text(
                middle,
                (frame.top + frame.bottom) / 2,
                gettext("No round has figures yet."),
                size=size,
                fill=MUTED,
                text_anchor="middle",
            )
        )
        return out
    low, high = min(values), max(values)
    if low == high:  # one value throughout: a band around it, below zero only when the value is
        pad = abs(low) / 10 or 1
        low, high = (low - pad if low - pad >= 0 or low < 0 else 0), high + pad
    ticks = svg.nice_ticks(low, high, 4)
    labels = [write(Fraction(str(t))) for t in ticks]
    left = frame.left + max(len(label) for label in labels) * size * 0.56 + 14  # the plot, right of its ticks
    slot = (frame.right - left) / max(len(rounds), 1)
    width = min(slot * 0.36, size * 3.2)

    def y(value: Any) -> float:
        return frame.bottom - (float(value) - ticks[0]) / (ticks[-1] - ticks[0]) * (frame.bottom - frame.top)

    def x(i: int) -> float:
        return left + slot * (i + 0.5)

    for tick, label in zip(ticks, labels, strict=True):
        out.append(svg.line(left, y(tick), frame.right, y(tick), stroke="#e6e9ef"))
        out.append(svg.text(left - 10, y(tick) + size * 0.35, label, size=size, fill=MUTED, text_anchor="end"))
    out.append(svg.line(left, frame.bottom, frame.right, frame.bottom, stroke=LINE))
    for i in range(len(rounds) - 1):  # the medians joined, behind the boxes, and each change above
        a, b = spreads[i], spreads[i + 1]
        if a is None or b is None:
            continue
        out.append(
            svg.line(x(i), y(a["median"]), x(i + 1), y(b["median"]), stroke=MARK, width=3, stroke_dasharray="10 6")
        )
        moved = _change(a, b)
        out.append(
            svg.text(
                left + slot * (i + 1),
                frame.top - size * 0.6,
                signed(write(moved), moved),
                size=size,
                fill=MARK,
                font_weight=700,
                text_anchor="middle",
            )
        )
    short = max(len(round_label(item)) for item in rounds) * size * 0.56 > slot - 8
    halo = {"stroke": "#fff", "stroke_width": 5, "paint_order": "stroke"}
    # Each median's value beside its box, where every one fits (some written and some not would puzzle)
    widest = max(len(write(s["median"])) for s in spreads if s is not None) * size * 0.56
    labelled = widest < slot / 2 - width / 2 - 6
    for i, (item, spread) in enumerate(zip(rounds, spreads, strict=True)):
        name = str(item["round"]) if short else round_label(item)
        out.append(svg.text(x(i), frame.bottom + size * 1.5, name, size=size, text_anchor="middle"))
        if spread is None:
            missing = _missing(item)
            out += svg.paragraph(
                x(i),
                (frame.top + frame.bottom) / 2,
                missing,
                size=size,
                width=slot - 8,
                fill=MUTED,
                text_anchor="middle",
            )[0]
            continue
        counted = count(spread["n"])
        if len(counted) * size * 0.56 > slot - 8:  # too wide beside the next round's: the number alone
            counted = str(spread["n"])
        out.append(svg.text(x(i), frame.bottom + size * 2.7, counted, size=size, fill=MUTED, text_anchor="middle"))
        out.append(svg.line(x(i), y(spread["max"]), x(i), y(spread["min"]), stroke=INK, width=2))
        for end in (spread["min"], spread["max"]):
            out.append(svg.line(x(i) - width / 4, y(end), x(i) + width / 4, y(end), stroke=INK, width=2))
        top, height = y(spread["q3"]), y(spread["q1"]) - y(spread["q3"])
        if height < 3:  # one value, or quartiles that meet: a line rather than nothing
            top, height = top - 1.5, 3.0
        title = box_title(item, spread, write, count)
        out.append(
            svg.rect(x(i) - width / 2, top, width, height, BOX_FILL, title, stroke=SIDES[0], stroke_width=2, data_box=i)
        )
        out.append(
            svg.line(
                x(i) - width / 2,
                y(spread["median"]),
                x(i) + width / 2,
                y(spread["median"]),
                stroke=INK,
                width=5,
                data_median=i,
            )
        )
        if labelled:
            median = write(spread["median"])
            out.append(
                svg.text(
                    x(i) + width / 2 + 6, y(spread["median"]) + size * 0.35, median, size=size, font_weight=700, **halo
                )
            )
    return out


# The rounds page's charts: narrower than a slide, so that they stay readable on a phone
CHART_WIDTH, CHART_TEXT = 480, 20


def spread_chart(
    key: str, caption: str, rounds: Sequence[dict[str, Any]], figure: str, write: Write, count: Count
) -> str:
    """The chart above the table `key` on the rounds page: `figure`'s spread per round, `caption` its title."""
    size = CHART_TEXT
    frame = Frame(left=6, right=CHART_WIDTH - 10, top=size * 2.2, bottom=size * 2.2 + 180, size=size)
    height = round(frame.bottom + size * 3.1)
    body = box_plots(rounds, figure, frame, write, count)
    description = " ".join(described(rounds, figure, write, count))
    if not any(_spread(item, figure) for item in rounds):
        description = gettext("No round has figures yet.") + " " + description
    return svg.picture(
        f"{key}-chart",
        caption,
        description,
        body,
        width=CHART_WIDTH,
        height=height,
        data_chart=key,
        class_="round-chart",
    )
