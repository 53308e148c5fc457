"""The presentation of a class debrief (docs/debrief.md, section 7, "The presentation"): slides of one idea
each, every one a self-contained SVG drawn here from the debrief's projector data, so no name can reach
them (pairs are "Pair 3").

A slide is added by a builder in SLIDES: a function of the deck's data that returns the slide, or None
when its data do not exist (no price issue, no compatible issue, no agreement, no event to bet on, no
post-settlement round, not a later round).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import get_language, gettext, ngettext, pgettext

from core.metrics.series import moved_most
from reports import roundchart, svg
from reports.svg import HEIGHT, LINE, MARK, MUTED, OTHER, SIDES, TEXT, WIDTH, number

LEFT, RIGHT, TOP, BOTTOM = 130, WIDTH - 40, 150, HEIGHT - 90  # the plot area of a chart slide
UNDER_LEGEND = 230  # the plot's top under a legend (at 160)


@dataclass(frozen=True)
class Slide:
    key: str  # also the file name of its download
    title: str
    svg: str  # the whole slide, escaped
    description: str  # its text alternative


@dataclass(frozen=True)
class Deck:
    """What the slides read: the instructor's debrief JSON in projector mode (reports.debrief_pages)."""

    data: dict[str, Any]
    rounds: dict[str, Any] | None = None  # a later round's series compared up to it, without names

    @property
    def roles(self) -> list[dict[str, Any]]:
        return list(self.data["scenario"]["roles"])

    @property
    def pairs(self) -> list[dict[str, Any]]:
        return list(self.data["debrief"]["pairs"])

    @property
    def figures(self) -> dict[str, Any]:
        return dict(self.data["debrief"]["scenario"])

    @property
    def klass(self) -> dict[str, Any]:
        return dict(self.data["debrief"]["class"])

    def points(self, pair: dict[str, Any]) -> list[float]:
        return [pair["outcome"]["points"][role["key"]] for role in self.roles]


Segment = tuple[float, str, str]  # value, colour, what it is (the bar's <title>)


def _columns(
    groups: Sequence[tuple[str, Sequence[Sequence[Segment]]]],
    *,
    marks: Sequence[tuple[float, str]] = (),
    axis: str = "",
    top: float = TOP,
) -> list[str]:
    """Columns in labelled groups (one or more columns each), each column's segments stacked (a
    negative one below zero), with horizontal reference lines (`marks`: value and label); the plot starts
    at `top` (lower, under a legend)."""
    columns = [segs for _, cols in groups for segs in cols]
    tops = [sum(v for v, _, _ in segs if v > 0) for segs in columns] + [v for v, _ in marks] + [0]
    bottoms = [sum(v for v, _, _ in segs if v < 0) for segs in columns] + [0]
    ticks = svg.nice_ticks(min(bottoms), max(tops) * 1.08 or 1)
    low, high = ticks[0], ticks[-1]

    def y(value: float) -> float:
        return BOTTOM - (value - low) / (high - low) * (BOTTOM - top)

    out = []
    for tick in ticks:
        out.append(svg.line(LEFT, y(tick), RIGHT, y(tick), stroke="#e6e9ef"))
        out.append(svg.text(LEFT - 12, y(tick) + 9, number(tick), fill=MUTED, text_anchor="end"))
    if axis:
        middle = (top + BOTTOM) / 2
        out.append(svg.text(40, middle, axis, fill=MUTED, transform=f"rotate(-90 40 {middle})", text_anchor="middle"))
    slot = (RIGHT - LEFT) / max(len(groups), 1)
    every = max(1, math.ceil(len(groups) * 60 / (RIGHT - LEFT)))  # labels at least 60 units apart
    for i, (label, cols) in enumerate(groups):
        width = min(slot * 0.7 / len(cols), 120)
        start = LEFT + slot * i + (slot - width * len(cols)) / 2
        for j, segments in enumerate(cols):
            x = start + width * j
            up = down = 0.0
            for value, colour, title in segments:
                if value >= 0:
                    out.append(svg.rect(x, y(up + value), width, y(up) - y(up + value), colour, title))
                    up += value
                else:
                    out.append(svg.rect(x, y(down), width, y(down + value) - y(down), colour, title))
                    down += value
        if i % every == 0:
            out.append(svg.text(LEFT + slot * (i + 0.5), BOTTOM + 40, label, text_anchor="middle"))
    out.append(svg.line(LEFT, y(0), RIGHT, y(0), stroke=MUTED))
    for value, label in marks:
        out.append(svg.line(LEFT, y(value), RIGHT, y(value), stroke=MARK, width=4, stroke_dasharray="12 8"))
        halo = {"stroke": "#fff", "stroke_width": 6, "paint_order": "stroke"}  # readable across a bar
        out.append(svg.text(RIGHT, y(value) - 12, label, fill=MARK, text_anchor="end", font_weight=700, **halo))
    return out


def _pair_label(pair: dict[str, Any], many: bool) -> str:
    return str(pair["number"]) if many else _pair(pair["number"])


def _lower(name: str) -> str:
    """A name inside a sentence: lower case, but for German, which writes its nouns with a capital."""
    return name if (get_language() or "").startswith("de") else name.lower()


def _pair(number_: int) -> str:
    return gettext("Pair %(number)s") % {"number": number_}


def _most(value: float) -> str:
    return gettext("Most possible: %(points)s") % {"points": number(value)}


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


# The slides, in order


def pie(deck: Deck) -> Slide | None:
    pairs, figures = deck.pairs, deck.figures
    if not pairs:
        return None
    best = figures["max_joint"]
    walk = sum(role["batna"] for role in deck.roles)
    joints = [pair["outcome"]["joint"] for pair in pairs]
    many = len(pairs) > 8
    groups = [
        (
            _pair_label(p, many),
            [
                [
                    (
                        p["outcome"]["joint"],
                        SIDES[0],
                        gettext("Pair %(number)s: %(points)s points together")
                        % {"number": p["number"], "points": number(p["outcome"]["joint"])},
                    )
                ]
            ],
        )
        for p in pairs
    ]
    title = gettext("How big a pie did each pair make?")
    lead = gettext("Mean %(mean)s of the %(best)s points the best agreement creates") % {
        "mean": number(_mean(joints)),
        "best": number(best),
    }
    body = [svg.text(40, 110, lead, size=svg.fit(lead, 30), fill=MUTED)]
    body += _columns(
        groups,
        marks=[(best, _most(best)), (walk, gettext("No deal: %(points)s") % {"points": number(walk)})],
        axis=gettext("Joint points"),
    )
    if many:
        body.append(svg.text(LEFT, HEIGHT - 14, gettext("Pair"), fill=MUTED))
    each = "; ".join(
        gettext("pair %(number)s %(points)s") % {"number": p["number"], "points": number(p["outcome"]["joint"])}
        for p in pairs
    )
    description = gettext(
        "%(title)s Joint points of each pair: %(each)s. The best agreement creates %(best)s; walking away gives"
        " %(walk)s together."
    ) % {"title": title, "each": each, "best": number(best), "walk": number(walk)}
    return Slide("pie", title, svg.document("pie", title, description, body), description)


def created_and_claimed(deck: Deck) -> Slide | None:
    pairs, roles = deck.pairs, deck.roles
    if not pairs:
        return None
    many = len(pairs) > 8
    groups = []
    for p in pairs:
        points = deck.points(p)
        groups.append(
            (
                _pair_label(p, many),
                [
                    [
                        (v, SIDES[i], f"{_pair(p['number'])}: {roles[i]['name']} {number(v)}")
                        for i, v in enumerate(points)
                    ]
                ],
            )
        )
    title = gettext("Value created, and who claimed it")
    body = svg.legend(40, 118, [(SIDES[i], role["name"]) for i, role in enumerate(roles)], gettext("Points of"))
    body += _columns(
        groups, marks=[(deck.figures["max_joint"], _most(deck.figures["max_joint"]))], axis=gettext("Points")
    )
    if many:
        body.append(svg.text(LEFT, HEIGHT - 14, gettext("Pair"), fill=MUTED))
    each = "; ".join(
        gettext("pair %(number)s %(points)s")
        % {
            "number": p["number"],
            "points": ", ".join(f"{r['name']} {number(v)}" for r, v in zip(roles, deck.points(p), strict=True)),
        }
        for p in pairs
    )
    description = gettext("%(title)s. Each pair's joint points as a bar split into each side's points: %(each)s.") % {
        "title": title,
        "each": each,
    }
    return Slide("claimed", title, svg.document("claimed", title, description, body), description)


def could_have_done(deck: Deck) -> Slide | None:
    best = deck.data["scenario"]["best_deal"]
    if best is None or not deck.pairs:
        return None
    top = max(p["outcome"]["joint"] for p in deck.pairs)
    title = gettext("Could the class have done better?")
    lines = [
        gettext("The best pair created %(points)s points together.") % {"points": number(top)},
        gettext("The best agreement creates %(points)s.") % {"points": number(best["max_joint"])},
        gettext("What would a deal that shares the gains evenly look like?"),
    ]
    body: list[str] = []
    y = 200.0
    for i, line in enumerate(lines):
        drawn, y = svg.paragraph(80, y, line, size=40 if i < 2 else 36, font_weight=700 if i == 2 else None)
        body += drawn
        y += 50
    description = f"{title} " + " ".join(lines)
    return Slide("question", title, svg.document("question", title, description, body), description)


def best_deal(deck: Deck) -> Slide | None:
    best = deck.data["scenario"]["best_deal"]
    if best is None:
        return None
    title = gettext("The deal the class could have found")
    lead = gettext("%(joint)s points together (the Nash point), of the %(max)s possible") % {
        "joint": number(best["joint"]),
        "max": number(best["max_joint"]),
    }
    body = [svg.text(40, 110, lead, size=svg.fit(lead, 30), fill=MUTED)]
    terms = best["terms"]
    for size in (30, TEXT):  # the smaller size only when the terms would not fit at the larger
        drawn_terms: list[str] = []
        y = 180.0
        for term in terms:
            drawn, y = svg.paragraph(40, y, f"{term['issue']}: {term['option']}", size=size, width=620, gap=1.25)
            drawn_terms += drawn
            y += 14
        if y <= HEIGHT:
            break
    body += drawn_terms
    most = max(max(s["points"] for s in best["points"]), max(s["batna"] for s in best["points"]), 1)
    left, span = 720, 420
    y = 190.0
    for i, side in enumerate(best["points"]):
        drawn, y = svg.paragraph(left, y, side["role"], width=span)
        body += drawn
        top = y - 26  # the bar's top edge, just below the name
        length = max(side["points"], 0) / most * span
        points_of = gettext("%(role)s: %(points)s points") % {"role": side["role"], "points": number(side["points"])}
        body.append(svg.rect(left, top, length, 64, SIDES[i], points_of))
        body.append(svg.text(left + 16, top + 44, number(side["points"]), size=34, fill="#fff", font_weight=700))
        batna = left + max(side["batna"], 0) / most * span
        body.append(svg.line(batna, top - 12, batna, top + 76, stroke=MARK, width=4, stroke_dasharray="8 6"))
        dashed = gettext("alternative %(points)s (dashed)") % {"points": number(side["batna"])}
        body.append(svg.text(left, top + 108, dashed, fill=MARK))
        y = top + 180
    sides = ", ".join(
        gettext("%(role)s %(points)s points (alternative %(batna)s)")
        % {"role": s["role"], "points": number(s["points"]), "batna": number(s["batna"])}
        for s in best["points"]
    )
    description = gettext("%(title)s: %(terms)s. %(sides)s; %(joint)s together of the %(max)s possible.") % {
        "title": title,
        "terms": "; ".join(f"{t['issue']}: {t['option']}" for t in terms),
        "sides": sides,
        "joint": number(best["joint"]),
        "max": number(best["max_joint"]),
    }
    return Slide("best-deal", title, svg.document("best-deal", title, description, body), description)


def openers(deck: Deck) -> Slide | None:
    """Who made the first offer, and each side's mean points where each side opened."""
    roles = deck.roles
    groups, parts = [], []
    for opener in roles:
        opened = [p for p in deck.pairs if (p.get("process") or {}).get("opener") == opener["key"]]
        if not opened:
            continue
        means = [_mean([deck.points(p)[i] for p in opened]) for i in range(len(roles))]
        label = gettext("%(role)s opened (%(n)s)") % {"role": opener["name"], "n": number(len(opened))}
        on_average = gettext("%(label)s: %(role)s %(points)s on average")
        groups.append(
            (
                label,
                [
                    [(m, SIDES[i], on_average % {"label": label, "role": roles[i]["name"], "points": number(m)})]
                    for i, m in enumerate(means)
                ],
            )
        )
        sides = gettext(" and ").join(f"{role['name']} {number(m)}" for role, m in zip(roles, means, strict=True))
        parts.append(
            gettext("where the %(role)s opened (%(pairs)s), %(sides)s")
            % {"role": _lower(opener["name"]), "pairs": roundchart.pairs(len(opened)), "sides": sides}
        )
    if not groups:
        return None
    title = gettext("Who made the first offer, and who gained?")
    body = svg.legend(40, 118, [(SIDES[i], role["name"]) for i, role in enumerate(roles)], gettext("Mean points of"))
    body += _columns(groups, axis=gettext("Mean points"))
    description = gettext("%(title)s Mean points %(parts)s.") % {"title": title, "parts": "; ".join(parts)}
    return Slide("openers", title, svg.document("openers", title, description, body), description)


def first_offers(deck: Deck) -> Slide | None:
    """First offers against final values on the price issue (anchoring)."""
    price = deck.data["scenario"]["price"]
    points = [
        (p["price"]["first_offer"], p["price"]["agreed"], p["price"]["opener"], p["number"])
        for p in deck.pairs
        if p.get("price") and p["price"].get("first_offer") is not None and p["price"].get("agreed") is not None
    ]
    if price is None or not points:
        return None
    ticks = svg.nice_ticks(price["min"], price["max"])
    low, high = ticks[0], ticks[-1]
    left, right = LEFT + 60, RIGHT - 40

    def x(value: float) -> float:
        return left + (value - low) / (high - low) * (right - left)

    def y(value: float) -> float:
        return BOTTOM - (value - low) / (high - low) * (BOTTOM - TOP)

    body = []
    for tick in ticks[:: max(1, len(ticks) // 5)]:
        body.append(svg.line(left, y(tick), right, y(tick), stroke="#e6e9ef"))
        body.append(svg.text(left - 12, y(tick) + 9, number(tick), fill=MUTED, text_anchor="end"))
        body.append(svg.text(x(tick), BOTTOM + 36, number(tick), fill=MUTED, text_anchor="middle"))
    body.append(svg.line(x(low), y(low), x(high), y(high), stroke=LINE, width=2, stroke_dasharray="6 6"))
    keys = [r["key"] for r in deck.roles]
    for first, agreed, opener, number_ in points:
        colour = SIDES[keys.index(opener)] if opener in keys else MUTED
        body.append(
            svg.circle(
                x(first),
                y(agreed),
                14,
                colour,
                gettext("Pair %(number)s: first offer %(first)s, agreed %(agreed)s")
                % {"number": number_, "first": number(first), "agreed": number(agreed)},
            )
        )
    unit = f" ({price['unit']})" if price.get("unit") else ""
    body.append(
        svg.text(
            (left + right) / 2,
            HEIGHT - 14,
            gettext("First offer: %(name)s") % {"name": f"{price['name']}{unit}"},
            fill=MUTED,
            text_anchor="middle",
        )
    )
    middle = (TOP + BOTTOM) / 2
    axis = pgettext("the value or term agreed", "Agreed")  # the name is on the other axis
    body.append(svg.text(36, middle, axis, fill=MUTED, transform=f"rotate(-90 36 {middle})", text_anchor="middle"))
    body.append(
        svg.text(x(high) - 10, y(high) + 40, gettext("agreed at the first offer"), fill=MUTED, text_anchor="end")
    )
    body += svg.legend(40, 118, [(SIDES[i], role["name"]) for i, role in enumerate(deck.roles)], gettext("Opened by"))
    title = gettext("First offers against outcomes")
    each = "; ".join(
        gettext("pair %(number)s, first offer %(first)s, agreed %(agreed)s")
        % {"number": n, "first": number(f), "agreed": number(a)}
        for f, a, _, n in points
    )
    description = gettext("%(title)s: each agreement's first offer on %(name)s against the value agreed: %(each)s.") % {
        "title": title,
        "name": price["name"],
        "each": each,
    }
    return Slide("first-offers", title, svg.document("first-offers", title, description, body), description)


def meso(deck: Deck) -> Slide | None:
    """Joint points of the pairs that made an offer of several packages at once, against the others'."""
    split = deck.klass.get("meso") or {}
    sides = [(gettext("Offered several packages"), split.get("with")), (gettext("Did not"), split.get("without"))]
    if not any(d for _, d in sides):
        return None
    colours = (SIDES[0], OTHER)
    groups = [
        (
            f"{label} ({d['n'] if d else 0})",
            [
                [
                    (
                        d["mean"],
                        colours[i],
                        gettext("%(label)s: %(points)s joint points on average, %(pairs)s")
                        % {"label": label, "points": number(d["mean"]), "pairs": roundchart.pairs(d["n"])},
                    )
                ]
            ]
            if d
            else [[]],
        )
        for i, (label, d) in enumerate(sides)
    ]
    title = gettext("Several offers at once (MESO) against one")
    best = deck.figures["max_joint"]
    subtitle = gettext("Mean joint points of the pairs where either side made a MESO, and of the others")
    body = [svg.text(40, 110, subtitle, size=svg.fit(subtitle, 28), fill=MUTED)]
    body += _columns(groups, marks=[(best, _most(best))], axis=gettext("Mean joint points"))
    each = "; ".join(
        gettext("%(label)s: %(points)s joint points on average over %(pairs)s")
        % {"label": label, "points": number(d["mean"]), "pairs": roundchart.pairs(d["n"])}
        if d
        else gettext("%(label)s: no pair") % {"label": label}
        for label, d in sides
    )
    description = f"{title}: {each}."
    return Slide("meso", title, svg.document("meso", title, description, body), description)


def lose_lose(deck: Deck) -> Slide | None:
    """On each compatible issue: the agreements that chose the option both prefer, and the others."""
    rows = [row for row in deck.data["heatmap"] if row["compatible"]]
    agreements = deck.klass.get("agreements") or 0
    if not rows or not agreements:
        return None
    title = gettext("Lose-lose: both wanted the same thing")
    subtitle = gettext("Agreements on each issue where both sides prefer the same option")
    body = [svg.text(40, 110, subtitle, size=svg.fit(subtitle, 28), fill=MUTED)]
    body += svg.legend(
        40, 170, [(SIDES[0], gettext("the option both prefer")), ("#a4161a", gettext("worse for both (lose-lose)"))]
    )
    bar = min(70.0, (HEIGHT - 260) / len(rows) - 30)
    parts = []
    for i, row in enumerate(rows):
        lost = sum(c["count"] for c in row["cells"] if c["lose_lose"])
        won = sum(c["count"] for c in row["cells"]) - lost
        top = 230 + i * (bar + 40)
        body += svg.paragraph(40, top + bar / 2 + 9, row["name"], width=340)[0]
        scale = (RIGHT - 420) / max(won + lost, 1)
        body.append(
            svg.rect(
                400,
                top,
                won * scale,
                bar,
                SIDES[0],
                gettext("%(issue)s: %(n)s agreements chose the option both prefer") % {"issue": row["name"], "n": won},
            )
        )
        body.append(
            svg.rect(
                400 + won * scale,
                top,
                lost * scale,
                bar,
                "#a4161a",
                gettext("%(issue)s: %(n)s lose-lose agreements") % {"issue": row["name"], "n": lost},
            )
        )
        body.append(svg.text(400 + 10, top + bar / 2 + 9, str(won), fill="#fff", font_weight=700) if won else "")
        if lost:
            body.append(
                svg.text(
                    400 + (won + lost) * scale - 10,
                    top + bar / 2 + 9,
                    str(lost),
                    fill="#fff",
                    font_weight=700,
                    text_anchor="end",
                )
            )
        parts.append(
            gettext("%(issue)s: %(won)s chose the option both prefer, %(lost)s an option worse for both")
            % {"issue": row["name"], "won": won, "lost": lost}
        )
    description = f"{title}. " + "; ".join(parts) + "."
    return Slide("lose-lose", title, svg.document("lose-lose", title, description, body), description)


def contingent_clause(deck: Deck) -> Slide | None:
    """What betting on the event added: the mean joint points of the agreements with a contingent term and
    of the others, as each side expected them (and as they came out, once drawn), against the best without
    a contingent term and the most possible."""
    part = deck.data.get("contingent")
    if not part or not (part["with_terms"]["pairs"] or part["without_terms"]["pairs"]):
        return None
    sides = [(gettext("With a contingent term"), part["with_terms"]), (gettext("Without"), part["without_terms"])]
    groups = []
    for label, group in sides:
        columns: list[list[Segment]] = []
        if group["pairs"]:
            columns.append(
                [
                    (
                        group["mean_joint_expected"],
                        SIDES[0],
                        gettext("%(label)s: %(points)s joint points expected on average")
                        % {"label": label, "points": number(group["mean_joint_expected"])},
                    )
                ]
            )
            if group["mean_joint_realised"] is not None:
                columns.append(
                    [
                        (
                            group["mean_joint_realised"],
                            SIDES[1],
                            gettext("%(label)s: %(points)s joint points as the event came out, on average")
                            % {"label": label, "points": number(group["mean_joint_realised"])},
                        )
                    ]
                )
        groups.append((f"{label} ({group['pairs']})", columns or [[]]))
    marks = [(part["max_joint"], _most(part["max_joint"]))]
    if part["max_joint_flat"] is not None:
        flat = gettext("Best without a bet: %(points)s") % {"points": number(part["max_joint_flat"])}
        marks.append((part["max_joint_flat"], flat))
    title = gettext("What betting on the future added")
    subtitle = (
        gettext("Different forecasts add %(points)s points to the pie") % {"points": number(part["contingent_gain"])}
        if part["contingent_gain"] is not None
        else gettext("Who carries the risk decides what the contingent term is worth")
    )
    body = [svg.text(40, 110, subtitle, size=svg.fit(subtitle, 28), fill=MUTED)]
    body += svg.legend(
        40,
        160,
        [(SIDES[0], gettext("expected")), (SIDES[1], gettext("as it came out"))]
        if part["resolved"]
        else [(SIDES[0], gettext("expected"))],
    )
    body += _columns(groups, marks=marks, axis=gettext("Mean joint points"), top=UNDER_LEGEND)
    described = []
    for label, group in sides:
        if not group["pairs"]:
            described.append(gettext("%(label)s: no agreement") % {"label": label})
            continue
        realised = group["mean_joint_realised"]
        expected = gettext("%(label)s: %(pairs)s, %(points)s joint points expected") % {
            "label": label,
            "pairs": roundchart.pairs(group["pairs"]),
            "points": number(group["mean_joint_expected"]),
        }
        if realised is not None:
            expected += ", " + gettext("%(points)s as the event came out") % {"points": number(realised)}
        described.append(expected)
    description = f"{title}. {subtitle}. " + "; ".join(described) + "."
    return Slide("contingent", title, svg.document("contingent", title, description, body), description)


def settlement_round(deck: Deck) -> Slide | None:
    """The post-settlement round: each pair in it, its joint points before and after the round."""
    summary = deck.klass.get("settlement")
    in_round = sorted((p for p in deck.pairs if p.get("settlement")), key=lambda p: p["number"])
    if not summary or not in_round:
        return None
    many = len(in_round) > 12
    groups = [
        (
            _pair_label(pair, many),
            [
                [
                    (
                        pair["settlement"]["joint_before"],
                        OTHER,
                        gettext("Pair %(number)s: %(points)s joint points before the round")
                        % {"number": pair["number"], "points": number(pair["settlement"]["joint_before"])},
                    )
                ],
                [
                    (
                        pair["settlement"]["joint_after"],
                        SIDES[0],
                        gettext("Pair %(number)s: %(points)s after it")
                        % {"number": pair["number"], "points": number(pair["settlement"]["joint_after"])},
                    )
                ],
            ],
        )
        for pair in in_round
    ]
    best = deck.figures["max_joint"]
    title = gettext("After the deal: a better one for both?")
    gain = summary["joint_gain"]
    found = f"{'+' if gain > 0 else ''}{number(gain)}"
    subtitle = ngettext(
        "%(improved)s of %(n)s pair found one: %(found)s joint points",
        "%(improved)s of %(n)s pairs found one: %(found)s joint points",
        summary["pairs"],
    ) % {"improved": number(summary["improved"]), "n": number(summary["pairs"]), "found": found}
    body = [svg.text(40, 110, subtitle, size=svg.fit(subtitle, 28), fill=MUTED)]
    legend = [(OTHER, gettext("the agreement before the round")), (SIDES[0], gettext("after it"))]
    body += svg.legend(40, 160, legend)
    body += _columns(groups, marks=[(best, _most(best))], axis=gettext("Joint points"), top=UNDER_LEGEND)
    each = "; ".join(
        gettext("Pair %(number)s: %(before)s before, %(after)s after")
        % {
            "number": p["number"],
            "before": number(p["settlement"]["joint_before"]),
            "after": number(p["settlement"]["joint_after"]),
        }
        for p in in_round
    )
    description = f"{title} {subtitle}. {each}."
    return Slide("settlement", title, svg.document("settlement", title, description, body), description)


def _moved_most(rounds: dict[str, Any]) -> str | None:
    """The class figure that moved most from the round before to this one (core.metrics.series.moved_most),
    with its value in each."""
    before, after = (r["figures"] for r in rounds["rounds"][-2:])
    change = rounds["steps"][-1]["change"] if rounds["steps"] else None  # None: a round without figures
    key = moved_most(change["class"]) if change and before is not None and after is not None else None
    if key is None:
        return None
    name, read, write = {
        "efficiency_median": (
            gettext("Efficiency"),
            lambda f: (f["efficiency"] or {}).get("median"),
            roundchart.percent,
        ),
        "pareto_share": (gettext("Pareto-optimal agreements"), lambda f: f["pareto_share"], roundchart.percent),
        "meso_share": (gettext("MESO use"), lambda f: f["meso_share"], roundchart.percent),
        "fixed_pie_median": (gettext("Fixed-pie guess"), lambda f: (f["fixed_pie"] or {}).get("median"), number),
    }[key]
    return gettext("Moved most since round %(number)s: %(figure)s, %(before)s to %(after)s") % {
        "number": rounds["rounds"][-2]["round"],
        "figure": name,
        "before": write(read(before)),
        "after": write(read(after)),
    }


def rounds_compared(deck: Deck) -> Slide | None:
    """A later round: the joint points of each round of its series up to it as box plots (their efficiency
    when the rounds played different scenarios), and the figure that moved most since the round before."""
    if not deck.rounds or len(deck.rounds["rounds"]) < 2:
        return None
    rounds = deck.rounds["rounds"]
    title = gettext("The rounds compared")
    figure, write = "joint", number
    subtitle = gettext("Joint points per round: median, middle half and range")
    if len({(r.get("scenario"), r.get("scenario_version")) for r in rounds}) > 1:  # points of different pies
        figure, write = "efficiency", roundchart.percent
        subtitle = gettext("Efficiency per round (different scenarios): median, middle half and range")
    # The subtitle, then the figure that moved most in bold, each on a second line when it is long (the plot
    # then starts lower).
    body, below = svg.paragraph(40, 110, subtitle, size=28, fill=MUTED)
    moved = _moved_most(deck.rounds)
    if moved:
        drawn, below = svg.paragraph(40, below + 14, moved, size=30, fill=MARK, font_weight=700)
        body += drawn
    top = max(UNDER_LEGEND + 20, below + 40)
    frame = roundchart.Frame(left=40, right=RIGHT, top=top, bottom=BOTTOM - 10, size=TEXT)
    body += roundchart.box_plots(rounds, figure, frame, write, roundchart.pairs)
    sentences = [title + ".", subtitle + ".", *roundchart.described(rounds, figure, write, roundchart.pairs)]
    description = " ".join([*sentences, moved + "."] if moved else sentences)
    return Slide("rounds", title, svg.document("rounds", title, description, body), description)


# Each builder returns its slide, or None to leave it out when its data do not exist.
SLIDES: tuple[Callable[[Deck], Slide | None], ...] = (
    pie,
    created_and_claimed,
    could_have_done,
    best_deal,
    openers,
    first_offers,
    meso,
    lose_lose,
    contingent_clause,
    settlement_round,
    rounds_compared,
)


def deck_slides(data: dict[str, Any], rounds: dict[str, Any] | None = None) -> list[Slide]:
    """The slides of a debrief in projector mode (no names); none before the debrief is ready. `rounds`: a
    later round's series compared up to it (reports.series.rounds_so_far), for its `rounds` slide."""
    if not data.get("ready") or not data.get("debrief"):
        return []
    deck = Deck(data, rounds)
    return [slide for build in SLIDES if (slide := build(deck)) is not None]


assert TEXT >= 24  # chart text stays large on a projector (docs/debrief.md)
