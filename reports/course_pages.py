"""What a course's page shows: its sections side by side (docs/debrief.md, "Courses: sections side by side").

For every scenario version that ended in more than one section the instructor teaches, each section's most
recent ended exercise of it is compared: every pair on one outcome plane (a colour and a shape per section),
and the key figures of each section in one table. The figures are those the section's class debrief stored
(negotiations/debrief.py): nothing is computed again, only read side by side; the one figure the debrief
does not hold as a class figure, the median share of the surplus each role claimed, is the core's
distribution of the pairs' stored shares. Pairs are numbered, never named.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.utils.translation import gettext as _

from classrooms.access import course_sections_for
from classrooms.models import Classroom, Course, Exercise, User
from core.metrics import distribution
from core.spec import plain
from negotiations.debrief import debriefs_resend, landscape_for
from negotiations.models import Debrief
from reports import roundchart
from scenarios.labels import number_text
from scenarios.models import ScenarioVersion
from scenarios.services import version_spec

# Each section's mark on the plane: a colour (the same in static/js/charts.js, `.point.section-<n>`), each
# at least 3:1 on white, and a shape, so that the legend does not rest on colour alone. Eight colours and four
# shapes give the twelve sections a course may have (classrooms.courses.MAX_COURSE_SECTIONS) each a
# different pair. The diamond is the Nash point's, the cross an impasse's.
SECTION_COLOURS = ("#1f5fbf", "#b3501a", "#1b6e3a", "#8e3b9e", "#0f7b8a", "#6b5a00", "#c2185b", "#4a5365")
SECTION_SHAPES = ("circle", "square", "triangle", "triangle-down")


def section_mark(mark: int) -> dict[str, Any]:
    """A section's place in the course, its colour and its shape."""
    return {
        "mark": mark,
        "colour": SECTION_COLOURS[mark % len(SECTION_COLOURS)],
        # Shifted once the colours come round again, so that no two of the first 32 marks look the same.
        "shape": SECTION_SHAPES[(mark + mark // len(SECTION_COLOURS)) % len(SECTION_SHAPES)],
    }


@dataclass(frozen=True)
class Run:
    """One section's exercise of a scenario version: the one the comparison reads."""

    section: Classroom
    mark: int  # the section's place in the course, for its colour and shape
    exercise: Exercise


def course_runs(course: Course, user: User) -> tuple[list[Classroom], dict[int, list[Run]]]:
    """The sections this instructor teaches, and per scenario version (by id) each section's most recent
    ended exercise of it, in the sections' order."""
    sections = list(course_sections_for(user, course))
    marks = {section.pk: i for i, section in enumerate(sections)}
    latest: dict[tuple[int, int], Exercise] = {}
    ended = (
        Exercise.objects.filter(classroom__in=sections, state=Exercise.State.ENDED)
        .select_related("scenario_version__scenario", "classroom")
        .order_by("-ended_at", "-pk")
    )
    for exercise in ended:
        latest.setdefault((exercise.scenario_version_id, exercise.classroom_id), exercise)
    runs: dict[int, list[Run]] = {}
    for (version, section), exercise in latest.items():
        runs.setdefault(version, []).append(Run(exercise.classroom, marks[section], exercise))
    for found in runs.values():
        found.sort(key=lambda run: run.mark)
    return sections, runs


def compared_runs(course: Course, user: User, version_id: int) -> tuple[ScenarioVersion, list[Run]] | None:
    """The runs of one version the course compares (in more than one section), or None."""
    _, runs = course_runs(course, user)
    found = runs.get(version_id, [])
    if len(found) < 2:
        return None
    return found[0].exercise.scenario_version, found


def _median(values: list[Any]) -> int | float | None:
    spread = distribution(Fraction(v) for v in values)
    return None if spread is None else plain(spread.median)


def section_figures(data: dict[str, Any], roles: list[str]) -> dict[str, Any]:
    """A section's key figures from its stored class debrief (`Debrief.data`)."""
    klass = data["class"]
    joint = klass.get("joint")
    meso = klass.get("meso") or {}
    with_meso = (meso.get("with") or {}).get("n", 0)
    shares = {role: [p["outcome"]["share"][role] for p in data["pairs"] if p["outcome"].get("share")] for role in roles}
    return {
        "pairs": klass["pairs"],
        "agreements": klass["agreements"],
        "impasses": klass["impasses"],
        "impasse_rate": klass["impasse_rate"],
        "joint": joint,  # n, min, q1, median, q3, max, mean; null without a pair
        "pareto_share": klass["pareto_share"],
        "meso_share": with_meso / klass["pairs"] if klass["pairs"] else None,
        "meso_joint": {"with": meso.get("with"), "without": meso.get("without")},
        "logrolling_share": klass["logrolling_share"],
        "lose_lose_share": klass["lose_lose_share"],
        "median_points": {role: (klass["points"].get(role) or {}).get("median") for role in roles},
        "median_share": {role: _median(shares[role]) for role in roles},
    }


def _section_json(run: Run, debrief: Debrief | None, roles: list[str]) -> dict[str, Any]:
    exercise = run.exercise
    points = []
    if debrief is not None:
        for pair in debrief.data["pairs"]:
            outcome = pair["outcome"]
            points.append(
                {
                    "pair": pair["number"],
                    "a": outcome["points"][roles[0]],
                    "b": outcome["points"][roles[1]],
                    "impasse": outcome["impasse"],
                    "pareto_optimal": outcome["pareto_optimal"],
                }
            )
    return {
        "id": run.section.pk,
        "name": str(run.section),
        **section_mark(run.mark),
        "exercise": {
            "id": exercise.pk,
            "title": exercise.title,
            "ended_at": exercise.ended_at.isoformat() if exercise.ended_at else None,
        },
        "ready": debrief is not None,
        "figures": None if debrief is None else section_figures(debrief.data, roles),
        "points": points,
    }


def comparison_json(version: ScenarioVersion, runs: list[Run], debriefs: dict[int, Debrief]) -> dict[str, Any]:
    """One version's sections side by side: the plane's landmarks, and each section's figures and pairs
    (`debriefs`: the stored class debriefs by exercise id, of every run the page shows)."""
    spec = version_spec(version)
    land = landscape_for(version)
    roles = list(spec.role_keys)
    for run in runs:
        if run.exercise.pk not in debriefs and debriefs_resend(exercise_id=run.exercise.pk):
            # Overdue and sent again: in the embedded mode it has been computed just now.
            found = Debrief.objects.filter(exercise=run.exercise).first()
            if found is not None:
                debriefs[run.exercise.pk] = found
    return {
        "version": {
            "id": version.pk,
            "slug": version.scenario.slug,
            "number": version.number,
            "title": version.title,
        },
        "roles": [{"key": r.key, "name": r.name, "batna": plain(r.batna)} for r in spec.roles],
        "frontier": [[plain(land.real(p.a)), plain(land.real(p.b))] for p in land.frontier],
        "nash": None if land.nash is None else [plain(land.real(land.nash[0])), plain(land.real(land.nash[1]))],
        "max_joint": plain(land.real(land.max_joint)),
        "sections": [_section_json(run, debriefs.get(run.exercise.pk), roles) for run in runs],
    }


def course_json(course: Course, user: User) -> dict[str, Any]:
    """Everything the course's page shows, as JSON (the API's comparison too)."""
    sections, runs = course_runs(course, user)
    compared = [run.exercise for found in runs.values() if len(found) > 1 for run in found]
    debriefs = {d.exercise_id: d for d in Debrief.objects.filter(exercise__in=compared)}  # one query for all
    comparisons, single = [], []
    for found in runs.values():
        version = found[0].exercise.scenario_version
        if len(found) > 1:
            comparisons.append(comparison_json(version, found, debriefs))
        else:
            single.append(
                {
                    "version": {"id": version.pk, "title": version.title, "number": version.number},
                    "section": {"id": found[0].section.pk, "name": str(found[0].section)},
                }
            )
    comparisons.sort(key=lambda c: (c["version"]["title"], c["version"]["number"]))
    return {
        "course": {"id": course.pk, "name": course.name, "term": course.term},
        "sections": [{"id": s.pk, "name": str(s), **section_mark(i)} for i, s in enumerate(sections)],
        "hidden_sections": course.sections.count() - len(sections),
        "comparisons": comparisons,
        "single": single,
    }


# The key figures as the page's table: a row per figure, a cell per section


def _num(value: Any) -> str:
    return "—" if value is None else number_text(value)


def _pct(value: Any) -> str:
    return "—" if value is None else roundchart.percent(value)


def _dist(dist: dict[str, Any] | None, low: str, high: str) -> str:
    return "—" if not dist else f"{number_text(dist[low])} \N{EN DASH} {number_text(dist[high])}"


def figure_rows(comparison: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of a comparison's table of key figures, each cell written out (— where there is none)."""
    sections = comparison["sections"]
    rows: list[tuple[str, Callable[[dict[str, Any]], str]]] = [
        (_("Pairs"), lambda f: str(f["pairs"])),
        (_("Agreements"), lambda f: str(f["agreements"])),
        (_("Impasses"), lambda f: str(f["impasses"])),
        (
            _("Median joint gain (most possible: %(most)s)") % {"most": number_text(comparison["max_joint"])},
            lambda f: _num((f["joint"] or {}).get("median")),
        ),
        (_("Joint gain, middle half of the pairs"), lambda f: _dist(f["joint"], "q1", "q3")),
        (_("Joint gain, lowest to highest"), lambda f: _dist(f["joint"], "min", "max")),
        (_("Pareto-optimal agreements"), lambda f: _pct(f["pareto_share"])),
        (_("Pairs that offered several packages at once (MESO)"), lambda f: _pct(f["meso_share"])),
        (_("Mean joint gain, pairs with a MESO"), lambda f: _num((f["meso_joint"]["with"] or {}).get("mean"))),
        (_("Mean joint gain, the other pairs"), lambda f: _num((f["meso_joint"]["without"] or {}).get("mean"))),
        (_("Logrolling agreements"), lambda f: _pct(f["logrolling_share"])),
        (_("Lose-lose agreements"), lambda f: _pct(f["lose_lose_share"])),
    ]
    for role in comparison["roles"]:
        key = role["key"]
        rows.append(
            (_("Median points, %(role)s") % {"role": role["name"]}, lambda f, k=key: _num(f["median_points"][k]))
        )
    for role in comparison["roles"]:
        key = role["key"]
        rows.append(
            (
                _("Median share of the surplus claimed, %(role)s") % {"role": role["name"]},
                lambda f, k=key: _pct(f["median_share"][k]),
            )
        )
    waiting = _("being computed")
    return [
        {"label": label, "cells": [cell(s["figures"]) if s["figures"] else waiting for s in sections]}
        for label, cell in rows
    ]
