"""Computing and storing the debrief: a pair's outcome when it ends, the class debrief when the round ends.

Celery tasks call these with ids; both are idempotent (running twice stores the same result) and
record which events they were computed from.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from functools import lru_cache
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from classrooms.models import Exercise
from core.analysis import report_json
from core.metrics import Landscape, PairResult, class_metrics, debrief_pair, landscape
from core.spec import parse_scenario
from negotiations.models import Debrief, Event, Negotiation, Outcome
from negotiations.services import event_json, monitor_group
from scenarios.models import ScenarioVersion
from scenarios.services import version_figures, version_table

log = logging.getLogger(__name__)
FINAL = (Negotiation.Status.AGREED, Negotiation.Status.IMPASSE)


@lru_cache(maxsize=32)
def _landscape(digest: str, document: str) -> Landscape:
    return landscape(parse_scenario(document).scenario)


def landscape_for(version: ScenarioVersion) -> Landscape:
    return _landscape(version.digest, version.document)


def _events_by_negotiation(negotiation_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for event in Event.objects.filter(negotiation_id__in=negotiation_ids).order_by("negotiation_id", "seq"):
        grouped[event.negotiation_id].append(event_json(event))
    return grouped


def outcome_refresh(*, negotiation_id: int) -> Outcome | None:
    """Store a finished pair's metrics; None while the pair is still open."""
    negotiation = Negotiation.objects.select_related("exercise__scenario_version").get(pk=negotiation_id)
    if negotiation.status not in FINAL:
        return None
    events = _events_by_negotiation([negotiation.pk])[negotiation.pk]
    result = debrief_pair(landscape_for(negotiation.exercise.scenario_version), events)
    outcome, _ = Outcome.objects.update_or_create(
        negotiation=negotiation, defaults={"data": result.as_json(), "computed_from_seq": negotiation.last_seq}
    )
    return outcome


def debrief_refresh(*, exercise_id: int) -> Debrief:
    """Compute every finished pair and the class figures from the stored events, and store them."""
    exercise = Exercise.objects.select_related("scenario_version__scenario").get(pk=exercise_id)
    land = landscape_for(exercise.scenario_version)
    negotiations = list(exercise.negotiations.filter(status__in=FINAL).order_by("number"))
    events = _events_by_negotiation([n.pk for n in negotiations])
    results: list[PairResult] = []
    pairs = []
    for negotiation in negotiations:
        result = debrief_pair(land, events[negotiation.pk])
        results.append(result)
        data = result.as_json()
        pairs.append({"id": negotiation.pk, "number": negotiation.number, "status": negotiation.status, **data})
        Outcome.objects.update_or_create(
            negotiation=negotiation, defaults={"data": data, "computed_from_seq": negotiation.last_seq}
        )
    version = exercise.scenario_version
    figures = report_json(version_table(version), version.scenario.slug, version_figures(version))
    data = {
        "exercise": exercise.pk,
        "scenario": figures,
        "class": class_metrics(land, results).as_json(),
        "pairs": pairs,
        "open_pairs": exercise.negotiations.exclude(status__in=FINAL).count(),
    }
    sources = {str(n.pk): n.last_seq for n in negotiations}
    with transaction.atomic():
        debrief, _ = Debrief.objects.update_or_create(exercise=exercise, defaults={"data": data, "sources": sources})
        transaction.on_commit(lambda: _announce(exercise.pk))
    return debrief


def _announce(exercise_id: int) -> None:
    try:
        async_to_sync(get_channel_layer().group_send)(
            monitor_group(exercise_id), {"type": "monitor.debrief", "exercise": exercise_id}
        )
    except Exception:
        log.exception("could not announce the debrief of exercise %s", exercise_id)
