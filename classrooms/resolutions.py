"""Resolving an exercise's uncertain events for the debrief: the server draws an outcome from the
scenario's stated chances, or an instructor sets one. A drawn outcome is final (neither drawn again
nor set); a set one can be set again or replaced by a draw. Only once the round has ended.
The rule and its reasons are in docs/debrief.md ("Contingent terms")."""

from __future__ import annotations

import math
import secrets
from fractions import Fraction
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, pgettext

from classrooms.models import EventResolution, Exercise, User
from core.refusal import Refused
from core.spec import Event, plain
from scenarios.services import version_spec


def draw_outcome(event: Event, ticket: int | None = None) -> str:
    """An outcome drawn with exactly the stated chances: a whole number below the chances' common
    denominator (`ticket`, by default from the system's secure random source), read against their
    running sums."""
    scale = math.lcm(*(chance.denominator for chance in event.distribution.values()))
    if ticket is None:
        ticket = secrets.randbelow(scale)
    total = Fraction(0)
    for outcome in event.outcome_keys():
        total += event.distribution[outcome]
        if ticket < total * scale:
            return outcome
    raise AssertionError("the chances add up to 1")


def exercise_resolution(exercise: Exercise) -> dict[str, str]:
    """Each resolved event's outcome, by event key."""
    return dict(exercise.resolutions.values_list("event", "outcome"))


def resolutions_json(exercise: Exercise) -> list[dict[str, Any]]:
    """Every event of the exercise's scenario with its stated chances and how it came out (null fields
    while it is unresolved)."""
    stored = {r.event: r for r in exercise.resolutions.all()}
    events = []
    for event in version_spec(exercise.scenario_version).events:
        resolution = stored.get(event.key)
        events.append(
            {
                "event": event.key,
                "question": event.question,
                "outcomes": [
                    {"key": o.key, "label": o.label, "chance": plain(event.distribution[o.key])} for o in event.outcomes
                ],
                "outcome": resolution.outcome if resolution else None,
                "outcome_label": event.label(resolution.outcome) if resolution else None,
                "how": None if resolution is None else ("drawn" if resolution.drawn else "set"),
                "resolved_at": resolution.resolved_at.isoformat() if resolution else None,
            }
        )
    return events


def _event(exercise: Exercise, key: str) -> Event:
    spec = version_spec(exercise.scenario_version)
    for event in spec.events:
        if event.key == key:
            return event
    known = ", ".join(e.key for e in spec.events) or pgettext("its events: ...", "none")
    raise Refused(
        gettext("the scenario has no event '%(event)s' (its events: %(known)s)") % {"event": key[:50], "known": known},
        "event",
        code="unknown_event",
    )


def _resolve(exercise: Exercise, event: Event, user: User, outcome: str | None) -> EventResolution:
    """Draw (outcome None) or set the event's outcome, under the exercise's row lock so that two draws
    at once make one."""
    with transaction.atomic():
        locked = Exercise.objects.select_for_update().get(pk=exercise.pk)
        if locked.state != Exercise.State.ENDED:
            raise Refused(gettext("the round has not ended: events are resolved at the debrief"), code="round_open")
        stored = EventResolution.objects.filter(exercise=exercise, event=event.key).first()
        if stored is not None and stored.drawn:
            raise Refused(
                gettext("'%(event)s' was drawn (%(outcome)s): a draw is final")
                % {"event": event.key, "outcome": event.label(stored.outcome)},
                code="already_drawn",
            )
        drawn = outcome is None
        resolution, _ = EventResolution.objects.update_or_create(
            exercise=exercise,
            event=event.key,
            defaults={
                "outcome": draw_outcome(event) if outcome is None else outcome,
                "drawn": drawn,
                "resolved_by": user,
                "resolved_at": timezone.now(),
            },
        )
    return resolution


def event_draw(*, exercise: Exercise, event: str, user: User) -> EventResolution:
    """The server draws the event's outcome from the scenario's stated chances."""
    return _resolve(exercise, _event(exercise, event), user, None)


def event_set(*, exercise: Exercise, event: str, outcome: str, user: User) -> EventResolution:
    """The instructor sets the event's outcome."""
    found = _event(exercise, event)
    if outcome not in found.outcome_keys():
        raise Refused(
            gettext("'%(outcome)s' is not an outcome of '%(event)s' (its outcomes: %(known)s)")
            % {"outcome": outcome[:50], "event": found.key, "known": ", ".join(found.outcome_keys())},
            "outcome",
            code="unknown_outcome",
        )
    return _resolve(exercise, found, user, outcome)
