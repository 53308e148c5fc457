"""Sections of a course that ran the used-car scenario to the end: seeded through the services the other tests
use (pairs agree through negotiation_act, the round ends, the class debrief is computed)."""

from __future__ import annotations

from classrooms.courses import course_create, section_add
from classrooms.services import classroom_create, exercise_create
from negotiations import rounds
from negotiations.debrief import debrief_refresh
from tests.base import agree, start_round

LOSE_LOSE = {"price": "9500", "handover": "three-weeks", "warranty": "none", "tyres": "seller-keeps"}  # (44, 37)
NASH = {"price": "10000", "handover": "five-weeks", "warranty": "three-months", "tyres": "included"}  # (61, 54)
BUYER_OPENS = {"price": "9800", "handover": "five-weeks", "warranty": "three-months", "tyres": "included"}  # (57, 58)


def ended_run(classroom, version, packages: list[dict[str, str] | None], *, title: str = "Used car"):
    """An exercise of `version` in `classroom` whose pairs agreed on `packages` in turn (None: the pair is still
    open when the round ends, an impasse), ended, its debrief computed."""
    exercise = exercise_create(
        classroom=classroom, title=title, scenario_version=version, time_limit_minutes=20, created_by=classroom.owner
    )
    pairs = start_round(exercise, classroom, 2 * len(packages))
    for pair, package in zip(pairs, packages, strict=True):
        if package is not None:
            agree(pair, package)
    rounds.exercise_end(exercise=exercise)
    debrief_refresh(exercise_id=exercise.pk)
    exercise.refresh_from_db()
    return exercise


def course_of_two(owner, version, *, north=(NASH, LOSE_LOSE, None), south=(NASH, BUYER_OPENS)):
    """A course with two sections of `owner`'s, each with an ended run of `version`."""
    course = course_create(owner=owner, name="Negotiation", term="Spring 2027")
    sections = []
    for name, packages in (("North section", north), ("South section", south)):
        classroom = classroom_create(owner=owner, name=name, term="Spring 2027")
        section_add(course=course, classroom=classroom, user=owner)
        sections.append((classroom, ended_run(classroom, version, list(packages))))
    return course, sections
