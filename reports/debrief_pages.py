"""What the debrief pages show: the instructor's class debrief and a student's own debrief.

The numbers come from the stored Debrief and Outcome rows (negotiations/debrief.py computes them);
this module adds what a page needs around them: names (never in projector mode), the scenario's
labels, the price issue's zone of agreement, the heatmap's cells, the survey summary, the guesses of
the partner's priorities (read from the planning sheets, which are locked once a pair has ended). A student's
debrief holds their own pair only; the class appears as anonymous points.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import replace
from fractions import Fraction
from typing import Any

from django.utils.translation import get_language, gettext, pgettext

from classrooms.models import Exercise
from classrooms.resolutions import exercise_resolution, resolutions_json
from core import contingent
from core.analysis import ScoringTable, package_at, pareto_frontier
from core.metrics import ENDINGS, Landscape, perception_summary
from core.metrics.settling import settled_first
from core.spec import DEBRIEF_FIGURES, Issue, Scenario, plain
from negotiations.debrief import FINAL, landscape_for
from negotiations.models import Debrief, Event, Negotiation, Outcome, Seat
from negotiations.planning import planning_guesses
from scenarios.labels import number_text, term_label
from scenarios.services import scoring_rows, version_spec, version_spec_read
from surveys.services import survey_summary

HEATMAP_CELLS = 12  # a numeric issue with more values than this is shown in bins


def seat_label(seat: Seat) -> str:
    if seat.student is not None:
        if seat.kind == Seat.Kind.OBSERVER:
            return gettext("%(name)s (observer)") % {"name": seat.student.display_name}
        return seat.student.display_name
    return gettext("Bot") if seat.kind == Seat.Kind.BOT else gettext("Instructor")


def people_by_pair(exercise: Exercise) -> dict[int, dict[str, list[str]]]:
    """Negotiation id -> role -> the names seated in it (observers marked)."""
    people: dict[int, dict[str, list[str]]] = {}
    for seat in Seat.objects.filter(exercise=exercise).select_related("student").order_by("negotiation", "kind"):
        people.setdefault(seat.negotiation_id, {}).setdefault(seat.role_key, []).append(seat_label(seat))
    return people


def price_issue_of(spec: Scenario, key: str | None = None) -> Issue | None:
    numeric = [i for i in spec.issues if i.kind == "numeric"]
    if key:
        numeric = [i for i in numeric if i.key == key]
    return numeric[0] if numeric else None


def price_zones(table: ScoringTable, issue_key: str, nash: tuple[int, int] | None) -> dict[str, Any]:
    """Zones of agreement on a numeric issue: the values at which a package leaves both sides at or
    above their BATNA (docs/debrief.md, "Debrief pages").

    - `zone`: with the other terms as in the Nash package (the class's efficient deal), the lowest and
      highest such value; None without a Nash point or when no value works.
    - `zone_any_terms`: when the other terms may be anything. Often the whole range: generous terms
      elsewhere can pay for any value.

    With additive scores only the undominated packages of the other issues matter (and the Nash
    package's other terms are among them), so both are read from the Pareto frontier of the rest of
    the table, with `nash` and the table in scaled points."""
    index = [c.key for c in table.columns].index(issue_key)
    column = table.columns[index]
    rest = replace(table, columns=table.columns[:index] + table.columns[index + 1 :])
    front = [(p.a, p.b) for p in pareto_frontier(rest)]
    da, db = table.batna
    options = list(zip(column.option_keys, column.points, strict=True))

    def zone(rests: list[tuple[int, int]]) -> list[int | float] | None:
        values = [Fraction(key) for key, (a, b) in options if any(ra + a >= da and rb + b >= db for ra, rb in rests)]
        return [plain(min(values)), plain(max(values))] if values else None

    at_nash = [(ra, rb) for ra, rb in front for _, (a, b) in options if nash is not None and (ra + a, rb + b) == nash]
    return {"zone": zone(at_nash[:1]) if at_nash else None, "zone_any_terms": zone(front)}


def _bins(count: int) -> list[range]:
    if count <= HEATMAP_CELLS:
        return [range(i, i + 1) for i in range(count)]
    size = math.ceil(count / HEATMAP_CELLS)
    return [range(i, min(count, i + size)) for i in range(0, count, size)]


def heatmap_rows(exercise: Exercise, spec: Scenario, counts: dict[str, dict[str, int]]) -> list[dict[str, Any]]:
    """One row per issue, one cell per option (a long numeric issue in bins), with how many agreements
    chose it and whether it is a lose-lose option: on a compatible issue, worse for both sides than
    the option both like best (docs/debrief.md, 1.8)."""
    land = landscape_for(exercise.scenario_version)
    rows = []
    for issue, profile, column in zip(spec.issues, land.issues, land.table.columns, strict=True):
        options = issue.choices()
        lose = [profile.compatible and a < profile.high[0] and b < profile.high[1] for a, b in column.points]
        cells = []
        for part in _bins(len(options)):
            first, last = options[part.start], options[part.stop - 1]
            if issue.kind == "numeric":  # values in the locale: "9,500 EUR"; "8.500" in German
                single = term_label(issue, first.key)
                label = single if len(part) == 1 else f"{number_text(first.key)}\N{EN DASH}{number_text(last.key)}"
            else:
                label = first.label if len(part) == 1 else f"{first.key}\N{EN DASH}{last.key}"
            cells.append(
                {
                    "label": label,
                    "options": [options[i].key for i in part],
                    "count": sum(counts.get(issue.key, {}).get(options[i].key, 0) for i in part),
                    "lose_lose": all(lose[i] for i in part),
                }
            )
        name = f"{issue.name} ({issue.unit})" if issue.kind == "numeric" and issue.unit else issue.name
        rows.append({"issue": issue.key, "name": name, "compatible": profile.compatible, "cells": cells})
    return rows


def scenario_json(exercise: Exercise, spec: Scenario, price_key: str | None) -> dict[str, Any]:
    roles = [{"key": r.key, "name": r.name, "batna": plain(r.batna)} for r in spec.roles]
    issues = [
        {
            "key": issue.key,
            "name": issue.name,
            "kind": issue.kind,
            "unit": issue.unit,
            "options": {o.key: o.label for o in issue.choices()},
        }
        for issue in spec.issues
    ]
    price = None
    land = landscape_for(exercise.scenario_version)
    issue = price_issue_of(spec, price_key)
    if issue is not None:
        price = {
            "issue": issue.key,
            "name": issue.name,
            "unit": issue.unit,
            "min": plain(issue.minimum),
            "max": plain(issue.maximum),
            "step": plain(issue.step),
            **price_zones(land.table, issue.key, land.nash),
        }
    return {"title": spec.title, "roles": roles, "issues": issues, "price": price, "best_deal": best_deal(spec, land)}


def gave_and_got(spec: Scenario, pair: dict[str, Any]) -> list[dict[str, Any]] | None:
    """An agreement issue by issue against each side's first offer (docs/debrief.md, section 7): the term
    agreed, and per role the term its first offer asked for (its best package there) with the points the
    agreement gave it on that issue against that ask (negative: given up). None without an agreement."""
    agreement = (pair.get("outcome") or {}).get("agreement")
    process = pair.get("process") or {}
    if not agreement:
        return None
    firsts = {
        role: side["first_offer"] for role, side in (process.get("sides") or {}).items() if side.get("first_offer")
    }

    rows = []
    for issue in spec.issues:
        agreed = agreement[issue.key]
        sides = []
        for role in spec.roles:
            first = firsts.get(role.key)
            if first is None:
                sides.append({"role": role.key, "asked": None, "change": None})
                continue
            asked = first["packages"][first.get("best") or 0][issue.key]
            change = issue.term_points(role.key, str(agreed)) - issue.term_points(role.key, str(asked))
            sides.append({"role": role.key, "asked": term_label(issue, str(asked)), "change": plain(change)})
        rows.append({"issue": issue.name, "agreed": term_label(issue, str(agreed)), "sides": sides})
    return rows


def settlement_changes(spec: Scenario, pair: dict[str, Any]) -> list[dict[str, str]] | None:
    """The terms a post-settlement round changed (docs/debrief.md, section 7): per issue whose term the
    agreement after the round holds differently, the term before it and after it, in the issues' order;
    an empty list when the round changed nothing, None for a pair that was not in one."""
    round_ = pair.get("settlement")
    if not round_:
        return None
    before, after = round_["before"], round_["after"]
    return [
        {
            "issue": issue.name,
            "before": term_label(issue, str(before[issue.key])),
            "after": term_label(issue, str(after[issue.key])),
        }
        for issue in spec.issues
        if str(before[issue.key]) != str(after[issue.key])
    ]


def price_settled_first(exercise: Exercise, price_key: str | None) -> dict[int, bool | None]:
    """Negotiation id -> whether the pair settled the price before its other terms (docs/debrief.md,
    section 2, "Settled first"), from the offers and endings stored, read in one query."""
    if price_key is None:
        return {}
    events: dict[int, list[dict[str, Any]]] = defaultdict(list)
    rows = Event.objects.filter(negotiation__exercise=exercise, type__in=("offer", *ENDINGS))
    for row in rows.values("negotiation_id", "seq", "type", "payload"):
        events[row["negotiation_id"]].append(row)
    return {negotiation: settled_first(found, price_key) for negotiation, found in events.items()}


def opening(pair: dict[str, Any], price_first: bool | None) -> dict[str, Any]:
    """How a pair opened (docs/debrief.md, section 7): who made the first offer, how many packages it
    held (more than one: a MESO), and whether the pair settled the price first."""
    process = pair.get("process") or {}
    opener = process.get("opener")
    first = ((process.get("sides") or {}).get(opener) or {}).get("first_offer") if opener else None
    return {
        "opener": opener,
        "packages": len(first["packages"]) if first else None,
        "price_first": price_first,
    }


def best_deal(spec: Scenario, land: Landscape) -> dict[str, Any] | None:
    """The deal the class could have found (docs/debrief.md): a package at the Nash point, the frontier
    point that shares the gains over the two BATNAs most evenly, with each side's points and the most
    any agreement creates. None when no agreement beats both BATNAs."""
    if land.nash is None:
        return None
    package = package_at(land.table, land.nash)
    if package is None:  # the Nash point is on the frontier by construction
        return None
    return {
        "terms": [{"issue": issue.name, "option": term_label(issue, package[issue.key])} for issue in spec.issues],
        "points": [
            {"role": role.name, "points": plain(land.table.real(points)), "batna": plain(role.batna)}
            for role, points in zip(spec.roles, land.nash, strict=True)
        ],
        "joint": plain(land.table.real(sum(land.nash))),
        "max_joint": plain(land.table.real(land.max_joint)),
    }


PERCEPTION_CREDIT = (
    "Thompson, L., & Hastie, R. (1990). Social perception in negotiation. "
    "Organizational Behavior and Human Decision Processes, 47(1), 98-123."
)


def perception_json(exercise: Exercise, spec: Scenario, *, projector: bool) -> dict[str, Any]:
    """The guesses of the partner's priorities (docs/debrief.md, 4a): the class's figures and, per
    student, the guess against the partner's true order. Projector mode leaves out every name."""
    guesses = planning_guesses(exercise=exercise)
    names = {issue.key: issue.name for issue in spec.issues}
    role_names = {role.key: role.name for role in spec.roles}

    def ranked(ranks: dict[str, Fraction]) -> list[dict[str, Any]]:
        return [{"issue": names[key], "rank": plain(rank)} for key, rank in sorted(ranks.items(), key=lambda kv: kv[1])]

    students = [
        {
            "pair": seat.negotiation.number,
            "role": seat.role_key,
            "role_name": role_names.get(seat.role_key, seat.role_key),
            "partner_name": role_names.get(guess.partner, guess.partner),
            "name": None if projector else seat_label(seat),
            "guess": [{"issue": names[key], "rank": i} for i, key in enumerate(guess.guess, start=1)],
            "truth": ranked(guess.partner_ranks),
            "accuracy": guess.accuracy,
            "fixed_pie": guess.fixed_pie,
        }
        for seat, _, guess in guesses
    ]
    negotiators = Seat.objects.filter(exercise=exercise, kind=Seat.Kind.STUDENT).count()
    return {
        "credit": PERCEPTION_CREDIT,
        "negotiators": negotiators,
        **perception_summary(guess for _, _, guess in guesses).as_json(),
        "students": students,
    }


# The panel of the instructor's debrief page that shows each figure a debrief question can name.
FIGURE_PANELS = {
    "outcomes": "outcomes",
    "value-created": "joint",
    "best-deal": "best_deal",
    "price": "price",
    "first-offers": "openings",
    "meso": "openings",
    "price-first": "openings",
    "lose-lose": "heatmap",
    "gave-got": "gave_got",
    "partner-priorities": "perception",
    "survey": "survey",
    "contingent": "contingent",
    "settlement": "settlement",
}
assert set(FIGURE_PANELS) == set(DEBRIEF_FIGURES)


def questions_by_panel(spec: Scenario, data: dict[str, Any]) -> dict[str, list[str]]:
    """The scenario's debrief questions by the page's panel that answers each (docs/scenarios.md); those
    without a figure, or whose figure this class's page does not show, under "other"."""
    missing = set()
    if price_issue_of(spec) is None:
        missing.add("price")
    if data["scenario"]["best_deal"] is None:
        missing.add("best_deal")
    if data["survey"] is None:
        missing.add("survey")
    if not spec.events:
        missing.add("contingent")
    if not ((data["debrief"] or {}).get("class") or {}).get("settlement"):
        missing.add("settlement")
    panels: dict[str, list[str]] = defaultdict(list)
    for question in spec.debrief_questions:
        panel = FIGURE_PANELS.get(question.figure or "", "other")
        panels["other" if panel in missing else panel].append(question.question)
    return dict(panels)


def pair_counts(statuses: list[str]) -> dict[str, int]:
    """How many pairs the round has, and how many are still open (not in a final status)."""
    return {"pairs_total": len(statuses), "open_pairs": sum(s not in FINAL for s in statuses)}


def debrief_status(exercise: Exercise) -> dict[str, Any]:
    """What the waiting presentation asks every few seconds (docs/debrief.md, "The presentation"): the
    round's state, whether its debrief is stored, and its pairs, in two small queries."""
    statuses = list(exercise.negotiations.values_list("status", flat=True))
    ready = Debrief.objects.filter(exercise=exercise).exists()
    return {"state": exercise.state, "ready": ready, **pair_counts(statuses)}


def instructor_debrief(exercise: Exercise, *, projector: bool) -> dict[str, Any]:
    """Everything the instructor's debrief page draws, as JSON. Projector mode leaves out every name."""
    spec = version_spec(exercise.scenario_version)
    debrief = Debrief.objects.filter(exercise=exercise).first()
    statuses = list(exercise.negotiations.values_list("status", flat=True))
    data = None
    heatmap: list[dict[str, Any]] = []
    price_key = None
    if debrief is not None:
        data = dict(debrief.data)
        people = {} if projector else people_by_pair(exercise)
        price_key = data["class"].get("price_issue")
        price_first = price_settled_first(exercise, price_key)
        data["pairs"] = [
            {
                **pair,
                "people": people.get(pair["id"], {}),
                "gave_got": gave_and_got(spec, pair),
                "settlement_changes": settlement_changes(spec, pair),
                "opening": opening(pair, price_first.get(pair["id"])),
            }
            for pair in data["pairs"]
        ]
        heatmap = heatmap_rows(exercise, spec, data["class"].get("options", {}))
    return {
        "exercise": {"id": exercise.pk, "title": exercise.title, "state": exercise.state},
        "contingent": contingent_json(exercise, spec, data["pairs"] if data else []),
        "projector": projector,
        "scenario": scenario_json(exercise, spec, price_key),
        "ready": debrief is not None,
        "computed_at": debrief.computed_at.isoformat() if debrief else None,
        **pair_counts(statuses),
        "debrief": data,
        "heatmap": heatmap,
        "survey": survey_summary(exercise),
        "perception": perception_json(exercise, spec, projector=projector),
    }


def contingent_json(exercise: Exercise, spec: Scenario, pairs: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The events and how they came out, and each finished pair's expected and realised points (null for
    a scenario without events); docs/debrief.md, "Contingent terms"."""
    if not spec.events:
        return None
    agreements = []
    for pair in pairs:
        agreement = (pair.get("outcome") or {}).get("agreement")
        agreements.append((pair["id"], None if agreement is None else {k: str(v) for k, v in agreement.items()}))
    figures = contingent.debrief_json(spec, agreements, exercise_resolution(exercise))
    assert figures is not None
    numbers = {pair["id"]: pair["number"] for pair in pairs}
    for item in figures["pairs"]:
        item["number"] = numbers[item["id"]]
        realised = item["realised"] or {}
        item["sides"] = [{"expected": item["expected"][r], "realised": realised.get(r)} for r in spec.role_keys]
    roles = [{"key": role.key, "name": role.name} for role in spec.roles]
    return {"events": resolutions_json(exercise), "roles": roles, **figures}


# The student's debrief


def ordinal(n: int) -> str:
    """1 -> "1st" in English; in another language as its catalogue writes an ordinal ("1.", "1.º")."""
    if get_language().startswith("en"):
        suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
        return f"{n}{suffix}"
    return pgettext("ordinal number", "%(number)s.") % {"number": n}


def _rank(mine: float, values: list[float]) -> dict[str, Any]:
    """Where `mine` sits among its role's points (`values` includes it): rank 1 is the most points,
    ties share a rank; `above` is how many of the others it beats."""
    others = len(values) - 1
    above = sum(v < mine for v in values)
    return {
        "rank": 1 + sum(v > mine for v in values),
        "of": len(values),
        "above": above,
        # a whole percentage, halves up as the scripts round them (1 of 8 is 13 %)
        "percent_above": (200 * above + others) // (2 * others) if others else None,
    }


def rank_beats(rank: dict[str, Any]) -> str:
    """How many of the role's other results `rank` (of _rank) beats, in words that agree in number:
    "more points than the other result", "... than 1 of the other 3 results (33%)"."""
    above, others = rank["above"], rank["of"] - 1
    if others == 1:
        return (
            gettext("more points than the other result") if above else gettext("no more points than the other result")
        )
    if above == 0:
        if others == 2:
            return gettext("no more points than either of the other results")
        return gettext("no more points than any of the other %(others)s results") % {"others": others}
    if above == others:
        if others == 2:
            return gettext("more points than both other results")
        return gettext("more points than all %(others)s other results") % {"others": others}
    return gettext("more points than %(above)s of the other %(others)s results (%(percent)s%%)") % {
        "above": above,
        "others": others,
        "percent": rank["percent_above"],
    }


def student_debrief(seat: Seat) -> dict[str, Any] | None:
    """A student's debrief once the round has ended and their pair's outcome is stored; None before.

    It holds their own pair's result, the partner's role, and the class only as anonymous points."""
    exercise = seat.exercise
    negotiation: Negotiation = seat.negotiation
    if exercise.state != Exercise.State.ENDED or negotiation.status not in FINAL:
        return None
    if negotiation.status == Negotiation.Status.SETTLING:
        return None  # the partner's sheet waits until the pair has left its post-settlement round
    outcomes = list(Outcome.objects.filter(negotiation__exercise=exercise).order_by("negotiation__number"))
    own = next((o for o in outcomes if o.negotiation_id == negotiation.pk), None)
    if own is None:
        return None
    spec = version_spec_read(exercise.scenario_version)  # the partner's sheet in the student's language
    role = spec.role(seat.role_key)
    partner = next(r for r in spec.roles if r.key != role.key)
    result = own.data["outcome"]
    mine = result["points"][role.key]
    theirs = result["points"][partner.key]

    def package(terms: dict[str, str] | None) -> list[dict[str, Any]] | None:
        if terms is None:
            return None
        rows = []
        chosen = landscape_for(exercise.scenario_version).indices(terms)
        for issue, index in zip(spec.issues, chosen, strict=True):
            option = issue.choices()[index]
            rows.append(
                {
                    "issue": issue.name,
                    "option": term_label(issue, option.key),
                    "mine": plain(option.points[role.key]),
                    "theirs": plain(option.points[partner.key]),
                }
            )
        return rows

    suggestion = result.get("suggestion")
    better = None
    if suggestion:
        better = {
            "package": package(suggestion["package"]),
            "mine": suggestion["points"][role.key],
            "theirs": suggestion["points"][partner.key],
            "gain_mine": suggestion["gain"][role.key],
            "gain_theirs": suggestion["gain"][partner.key],
            # Only weakly better when one side gains nothing: the page must not say "both better off".
            "both": suggestion["gain"][role.key] > 0 and suggestion["gain"][partner.key] > 0,
            "changed": [i.name for i in spec.issues if i.key in (suggestion.get("changed") or [])],
        }
    points = [o.data["outcome"]["points"] for o in outcomes]
    class_points = [
        {
            "a": p[spec.roles[0].key],
            "b": p[spec.roles[1].key],
            "impasse": o.data["outcome"]["impasse"],
            "mine": o is own,
        }
        for o, p in zip(outcomes, points, strict=True)
    ]
    rank = _rank(mine, [p[role.key] for p in points])
    return {
        "contingent": _my_contingent(exercise, spec, result["agreement"], (role.key, partner.key)),
        "role": role,
        "partner": partner,
        "partner_rows": scoring_rows(spec, (partner.key, role.key)),
        "impasse": result["impasse"],
        "mine": mine,
        "theirs": theirs,
        "batna": plain(role.batna),
        "surplus": result["surplus"][role.key],
        "shortfall": -result["surplus"][role.key],  # how far below the BATNA an agreement left you
        "package": package(result["agreement"]),
        "pareto_optimal": result["pareto_optimal"],
        "better": better,
        "rank": rank,
        "rank_text": ordinal(rank["rank"]),
        "rank_beats": rank_beats(rank) if rank["of"] > 1 else "",
        "chart": {
            "roles": [{"key": r.key, "name": r.name, "batna": plain(r.batna)} for r in spec.roles],
            "mine_role": role.key,
            "points": class_points,
            **_landmarks(exercise),
        },
    }


def _my_contingent(
    exercise: Exercise, spec: Scenario, agreement: dict[str, Any] | None, roles: tuple[str, str]
) -> dict[str, Any] | None:
    """For an agreement with a contingent term: the events it pays by and, once all are resolved, what
    came out and the points each side realised (docs/debrief.md, section 4b); None otherwise."""
    terms = {k: str(v) for k, v in agreement.items()} if agreement else None
    issues = contingent.contingent_terms(spec, terms)
    if terms is None or not issues:
        return None
    resolution = exercise_resolution(exercise)
    events = [spec.event(issue.event) for issue in spec.contingent_issues() if issue.key in issues]
    resolved = all(event.key in resolution for event in spec.events)
    return {
        "events": [
            {"question": e.question, "outcome": e.label(resolution[e.key]) if e.key in resolution else None}
            for e in events
        ],
        "realised": [plain(contingent.realised_points(spec, terms, r, resolution)) for r in roles]
        if resolved
        else None,
    }


def _landmarks(exercise: Exercise) -> dict[str, Any]:
    """The scenario's frontier and Nash point, in points, for the outcome chart."""
    land = landscape_for(exercise.scenario_version)
    nash = None if land.nash is None else [plain(land.real(land.nash[0])), plain(land.real(land.nash[1]))]
    return {"frontier": [[plain(land.real(p.a)), plain(land.real(p.b))] for p in land.frontier], "nash": nash}
