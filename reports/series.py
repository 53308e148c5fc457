"""The rounds of a series compared (docs/debrief.md, section 4c): each round's class figures, each step
from one round to the next, and each student's figures and changes, read from the stored class debriefs
(the pairs' outcomes and processes) and the planning sheets (the fixed-pie guess). A round whose debrief
is not computed yet (not ended, or computing) has no figures; a student who did not negotiate in a round
has none for it.
"""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction
from typing import Any

from django.utils.translation import gettext as _

from classrooms.models import Exercise, Student
from core.metrics.series import PairRecord, StudentRecord, round_figures, round_step
from negotiations.models import Debrief, Seat
from negotiations.planning import fixed_pie_guesses
from negotiations.series import series_id, series_rounds
from reports import roundchart
from scenarios.labels import number_text
from scenarios.services import version_spec


def _fraction(value: Any) -> Fraction:
    return Fraction(str(value)) if isinstance(value, float) else Fraction(value)


def _records(
    debrief: Debrief, seats: list[tuple[int, str, int]], fixed_pie: dict[int, float | None]
) -> tuple[list[PairRecord], dict[int, StudentRecord]]:
    """A round's finished pairs, and its negotiators (student id -> record) in a finished pair, from its
    student seats (student, role, negotiation) and its planning sheets' fixed-pie guesses."""
    pairs: dict[int, dict[str, Any]] = {pair["id"]: pair for pair in debrief.data["pairs"]}
    records = []
    for pair in pairs.values():
        outcome = pair["outcome"]
        records.append(
            PairRecord(
                joint=_fraction(outcome["joint"]),
                efficiency=None if outcome["efficiency"] is None else _fraction(outcome["efficiency"]),
                agreed=not outcome["impasse"],
                pareto_optimal=bool(outcome["pareto_optimal"]),
            )
        )
    students = {}
    for student_id, role, negotiation_id in seats:
        if negotiation_id not in pairs:
            continue
        pair = pairs[negotiation_id]
        outcome = pair["outcome"]
        side = ((pair.get("process") or {}).get("sides") or {}).get(role) or {}
        students[student_id] = StudentRecord(
            student=student_id,
            role=role,
            joint=_fraction(outcome["joint"]),
            efficiency=None if outcome["efficiency"] is None else _fraction(outcome["efficiency"]),
            agreed=not outcome["impasse"],
            pareto_optimal=not outcome["impasse"] and bool(outcome["pareto_optimal"]),
            meso_offers=int(side.get("meso_offers") or 0),
            fixed_pie=fixed_pie.get(student_id),
        )
    return records, students


def series_comparison(exercise: Exercise, *, names: bool = True) -> dict[str, Any]:
    """The comparison of the rounds of the exercise's series, as JSON (the page's and the API's)."""
    exercises = list(series_rounds(exercise))
    debriefs = {d.exercise_id: d for d in Debrief.objects.filter(exercise__in=exercises)}
    # Every round's negotiators and planning guesses at once, whatever the series' length.
    ready = [item for item in exercises if item.state == Exercise.State.ENDED and item.pk in debriefs]
    seats: dict[int, list[tuple[int, str, int]]] = defaultdict(list)
    rows = Seat.objects.filter(exercise__in=ready, kind=Seat.Kind.STUDENT, student__isnull=False)
    for exercise_id, student_id, role, negotiation_id in rows.values_list(
        "exercise_id", "student_id", "role_key", "negotiation_id"
    ):
        seats[exercise_id].append((student_id, role, negotiation_id))
    guesses = fixed_pie_guesses(ready)
    rounds_json: list[dict[str, Any]] = []
    figures = []
    per_student: list[dict[int, StudentRecord]] = []
    for item in exercises:
        spec = version_spec(item.scenario_version)
        debrief = debriefs.get(item.pk) if item.state == Exercise.State.ENDED else None
        found = None
        students: dict[int, StudentRecord] = {}
        if debrief is not None:
            pairs, students = _records(debrief, seats[item.pk], guesses.get(item.pk, {}))
            found = round_figures(pairs, list(students.values()))
        figures.append(found)
        per_student.append(students)
        rounds_json.append(
            {
                "round": item.round_number,
                "exercise_id": item.pk,
                "title": item.title,
                "state": item.state,
                "scenario": item.scenario_version.scenario.slug,
                "scenario_title": spec.title,
                "scenario_version": item.scenario_version.number,
                "rematch": item.rematch or None,
                "ready": found is not None,
                "figures": None if found is None else found.as_json(),
            }
        )
    steps = []
    changes: list[dict[int, Any]] = []
    for k in range(1, len(exercises)):
        before, after = figures[k - 1], figures[k]
        step_json: dict[str, Any] = {
            "from_round": exercises[k - 1].round_number,
            "to_round": exercises[k].round_number,
            "same_scenario": exercises[k - 1].scenario_version_id == exercises[k].scenario_version_id,
            "change": None,
        }
        by_student: dict[int, Any] = {}
        if before is not None and after is not None:
            step, by_student = round_step(before, after, per_student[k - 1], per_student[k])
            step_json["change"] = step.as_json()
        steps.append(step_json)
        changes.append(by_student)
    played = sorted({s for students in per_student for s in students})
    people = {s.pk: s.display_name for s in Student.objects.filter(pk__in=played)} if names else {}
    students_json = [
        {
            "student_id": student,
            "name": people.get(student),
            "rounds": [r[student].as_json() if student in r else None for r in per_student],
            "changes": [c[student].as_json() if student in c else None for c in changes],
        }
        for student in sorted(played, key=lambda s: (people.get(s, ""), s))
    ]
    return {"series": series_id(exercise), "rounds": rounds_json, "steps": steps, "students": students_json}


def rounds_so_far(exercise: Exercise) -> dict[str, Any] | None:
    """A later round's series compared up to it, without names (the presentation's `rounds` slide); None for
    a first round."""
    if exercise.round_number <= 1:
        return None
    data = series_comparison(exercise, names=False)
    kept = [r for r in data["rounds"] if r["round"] <= exercise.round_number]
    steps = [s for s in data["steps"] if s["to_round"] <= exercise.round_number]
    return {**data, "rounds": kept, "steps": steps, "students": []}


# What the page shows: the same figures, written out


def _num(value: Any) -> str:
    return "-" if value is None else number_text(value)


def _pct(value: Any) -> str:
    return "-" if value is None else roundchart.percent(value)


def _signed(value: Any, percent: bool = False) -> str:
    if value is None:
        return "-"
    return roundchart.signed(_pct(value) if percent else _num(value), value)


def _spread(dist: dict[str, Any] | None, write=_num) -> dict[str, str] | None:
    if dist is None:
        return None
    return {key: write(dist[key]) for key in ("n", "min", "q1", "median", "q3", "max")} | {"n": str(dist["n"])}


def _change_spread(dist: dict[str, Any] | None, percent: bool = False) -> str:
    """A distribution of changes in one line: the median, its middle half and its range."""
    if dist is None:
        return "-"
    signed = [_signed(dist[key], percent) for key in ("median", "q1", "q3", "min", "max")]
    return _("%(median)s (middle half %(q1)s to %(q3)s; range %(min)s to %(max)s)") % dict(
        zip(("median", "q1", "q3", "min", "max"), signed, strict=True)
    )


def series_page(data: dict[str, Any]) -> dict[str, Any]:
    """series_comparison's JSON as the page's tables write it (numbers as the locale writes them, a dash
    for what is missing)."""
    rounds = data["rounds"]

    def per_round(key: str, write=_num) -> list[dict[str, Any]]:
        return [{"round": r, "spread": _spread((r["figures"] or {}).get(key), write)} for r in rounds]

    steps = []
    for step in data["steps"]:
        change = step["change"]
        rows = []
        if change is not None:
            moved = change["class"]
            rows = [
                (_("Joint gain (points)"), _signed(moved["joint_median"]), _change_spread(change["joint"])),
                (
                    _("Efficiency"),
                    _signed(moved["efficiency_median"], True),
                    _change_spread(change["efficiency"], True),
                ),
                (
                    _("Pareto-optimal agreements"),
                    _signed(moved["pareto_share"], True),
                    _(
                        "%(gained)s reached a Pareto-optimal agreement only in the later round, %(lost)s only in "
                        "the earlier"
                    )
                    % {"gained": change["pareto_gained"], "lost": change["pareto_lost"]},
                ),
                (
                    _("MESO use (the share of negotiators; each one's MESO offers)"),
                    _signed(moved["meso_share"], True),
                    _change_spread(change["meso_offers"]),
                ),
                (_("Fixed-pie guess"), _signed(moved["fixed_pie_median"]), _change_spread(change["fixed_pie"])),
            ]
        steps.append({**step, "rows": rows})
    students = []
    for student in data["students"]:
        cells = []
        for record in student["rounds"]:
            if record is None:
                cells.append(None)
                continue
            cells.append(
                {
                    "joint": _num(record["joint"]),
                    "pareto": _("yes") if record["pareto_optimal"] else (_("no") if record["agreed"] else _("impasse")),
                    "meso": str(record["meso_offers"]),
                    "fixed_pie": _num(record["fixed_pie"]),
                }
            )
        changes = [
            None
            if c is None
            else {
                "joint": _signed(c["joint"]),
                "pareto": _signed(c["pareto"]),
                "meso": _signed(c["meso_offers"]),
                "fixed_pie": _signed(c["fixed_pie"]),
            }
            for c in student["changes"]
        ]
        students.append({"name": student["name"], "rounds": cells, "changes": changes})
    charts = {
        key: roundchart.spread_chart(f"series-{key.replace('_', '-')}", caption, rounds, key, write, count)
        for key, caption, write, count in (
            ("joint", _("Joint gain (points)"), _num, roundchart.pairs),
            ("efficiency", _("Efficiency"), _pct, roundchart.pairs),
            ("meso_offers", _("MESO offers each negotiator made"), _num, roundchart.negotiators),
            ("fixed_pie", _("Fixed-pie guess"), _num, roundchart.guesses),
        )
    }
    return {
        "rounds": rounds,
        "charts": charts,
        "joint": per_round("joint"),
        "efficiency": per_round("efficiency", _pct),
        "fixed_pie": per_round("fixed_pie"),
        "meso_offers": per_round("meso_offers"),
        "steps": steps,
        "students": students,
    }
