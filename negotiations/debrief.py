"""Computing and storing the debrief: a pair's outcome when it ends, the class debrief when the round ends.

Celery tasks call these with ids; both are idempotent (running twice stores the same result) and
record which events they were computed from. The class debrief reads every pair's events in one
query, recomputes every finished pair from them, and writes only the outcomes that are missing or
differ, in one statement: a pair's own task may have stored it already, or may be storing it now.
A class debrief already stored from the same events is neither stored nor announced again.

A class debrief still missing a few seconds after it was sent (its task lost with a dead worker, or
never sent because Redis was down) is sent again by `debriefs_resend`, which every worker runs every
few seconds (config/celery.py) and the pages that wait for the debrief call too.

The tasks below are thin (ids in, a service above does the work); the pair's and the class's are
sent after the commit by `outcome_enqueue` and `debrief_enqueue`. Their names are the ones the worker
and its queue have always known (negotiations.tasks.*), kept when the tasks moved beside their services.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta
from functools import lru_cache
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from classrooms.models import Exercise
from classrooms.signals import debrief_stored
from core.analysis import report_json
from core.metrics import Landscape, PairResult, class_metrics, debrief_pair, landscape
from core.scenario_document import parse_scenario
from negotiations.models import Debrief, Event, Negotiation, Outcome
from negotiations.protocol import EventJSON
from negotiations.publishing import debrief_announce, event_json, on_commit_quietly
from scenarios.models import ScenarioVersion
from scenarios.services import version_figures, version_table

# Pairs with a result: a pair in the post-settlement round has its agreement as it stands.
FINAL = (Negotiation.Status.AGREED, Negotiation.Status.IMPASSE, Negotiation.Status.SETTLING)
RESEND_AT_MOST_EVERY = timedelta(hours=1)
log = logging.getLogger(__name__)


@lru_cache(maxsize=32)
def _landscape(digest: str, document: str) -> Landscape:
    return landscape(parse_scenario(document).scenario)


def landscape_for(version: ScenarioVersion) -> Landscape:
    """The scenario's landscape, computed once per worker process and version (versions never change)."""
    return _landscape(version.digest, version.document)


def _results(land: Landscape, negotiations: list[Negotiation]) -> dict[int, PairResult]:
    """Each pair's metrics from its stored events, read in one query."""
    events: dict[int, list[EventJSON]] = defaultdict(list)
    rows = Event.objects.filter(negotiation_id__in=[n.pk for n in negotiations]).order_by("negotiation_id", "seq")
    for event in rows.only("negotiation_id", "seq", "type", "role", "payload", "created_at"):
        events[event.negotiation_id].append(event_json(event))
    return {n.pk: debrief_pair(land, events[n.pk]) for n in negotiations}


def _outcomes_store(computed: Iterable[tuple[Negotiation, dict[str, Any]]]) -> None:
    """Store the outcomes that are missing or differ from what is stored, in one statement."""
    fresh = {negotiation.pk: (negotiation.last_seq, data) for negotiation, data in computed}
    stored = Outcome.objects.filter(negotiation_id__in=fresh).values_list("negotiation_id", "computed_from_seq", "data")
    unchanged = {pk for pk, seq, data in stored if fresh[pk] == (seq, data)}
    changed = [
        Outcome(negotiation_id=pk, computed_from_seq=seq, data=data)
        for pk, (seq, data) in fresh.items()
        if pk not in unchanged
    ]
    if changed:  # an upsert: a pair's own task may be storing the same outcome at this moment
        Outcome.objects.bulk_create(
            changed,
            update_conflicts=True,
            unique_fields=["negotiation"],
            update_fields=["data", "computed_from_seq", "computed_at"],
        )


def outcome_refresh(*, negotiation_id: int) -> Outcome | None:
    """Store a finished pair's metrics; None while the pair is still open, or once it has been deleted.

    Once the round has ended, the class debrief computes every pair: a pair's task still queued then
    (pairs that ended in the last seconds) leaves the pair to it, rather than delaying and racing it,
    and returns what is stored (None until the class debrief has run).
    """
    negotiation = Negotiation.objects.select_related("exercise__scenario_version").filter(pk=negotiation_id).first()
    if negotiation is None or negotiation.status not in FINAL:
        return None
    if negotiation.exercise.state == Exercise.State.ENDED:
        return Outcome.objects.filter(negotiation=negotiation).first()
    result = _results(landscape_for(negotiation.exercise.scenario_version), [negotiation])[negotiation.pk]
    _outcomes_store([(negotiation, result.as_json())])
    return Outcome.objects.get(negotiation=negotiation)


def debrief_refresh(*, exercise_id: int) -> Debrief | None:
    """Compute every finished pair and the class figures from the stored events, and store them (None
    when the exercise has been deleted since the task was sent). A debrief already stored from the
    same events is kept as it is: this task sent again, or delivered twice, announces it once."""
    exercise = Exercise.objects.select_related("scenario_version__scenario").filter(pk=exercise_id).first()
    if exercise is None:
        return None
    version = exercise.scenario_version
    land = landscape_for(version)
    negotiations = list(exercise.negotiations.filter(status__in=FINAL).order_by("number"))
    results = _results(land, negotiations)
    outcomes = [(n, results[n.pk].as_json()) for n in negotiations]
    _outcomes_store(outcomes)
    figures = report_json(version_table(version), version.scenario.slug, version_figures(version))
    data = {
        "exercise": exercise.pk,
        "scenario": figures,
        "class": class_metrics(land, list(results.values())).as_json(),
        "pairs": [{"id": n.pk, "number": n.number, "status": n.status, **pair} for n, pair in outcomes],
        "open_pairs": exercise.negotiations.exclude(status__in=FINAL).count(),
    }
    return _store_debrief(exercise, data, sources={str(n.pk): n.last_seq for n in negotiations})


def _store_debrief(exercise: Exercise, data: dict[str, Any], sources: dict[str, int]) -> Debrief:
    """The last step: store the class debrief, and announce it to the monitor once it is committed.
    Under the exercise's row lock, so that of two copies of the task finishing together, one stores
    and announces it and the other finds it stored."""
    with transaction.atomic():
        Exercise.objects.select_for_update().only("pk").get(pk=exercise.pk)
        stored = Debrief.objects.filter(exercise=exercise).first()
        if stored is not None and stored.sources == sources and stored.data["open_pairs"] == data["open_pairs"]:
            return stored  # computed from these very events
        debrief, _ = Debrief.objects.update_or_create(exercise=exercise, defaults={"data": data, "sources": sources})
        debrief_announce(exercise_id=exercise.pk)
        on_commit_quietly(
            lambda: debrief_stored.send(sender=Debrief, exercise_id=exercise.pk),
            f"tell the apps of the debrief of exercise {exercise.pk}",
        )
    return debrief


def debriefs_resend(*, exercise_id: int | None = None) -> list[int]:
    """Send again the class debrief of every ended exercise (or of this one) that has none
    DEBRIEF_RESEND_SECONDS after it was last sent, waiting twice as long after each attempt (up to an
    hour); returns their ids. Each is claimed by one conditional update, so that workers sweeping at
    the same time send it once. The task is idempotent: a copy still running, or the dead worker's
    message that Redis gives back after the visibility timeout, finds the debrief stored."""
    now = timezone.now()
    first_wait = timedelta(seconds=settings.DEBRIEF_RESEND_SECONDS)
    overdue = Exercise.objects.filter(state=Exercise.State.ENDED, debrief__isnull=True).filter(
        Q(debrief_sent_at__isnull=True) | Q(debrief_sent_at__lte=now - first_wait)
    )
    if exercise_id is not None:
        overdue = overdue.filter(pk=exercise_id)
    sent = []
    for pk, ended_at, sent_at in overdue.values_list("pk", "ended_at", "debrief_sent_at"):
        last = sent_at or ended_at or now
        wait = min(max(first_wait, last - (ended_at or last)), RESEND_AT_MOST_EVERY)
        if sent_at is not None and now - last < wait:
            continue
        if not Exercise.objects.filter(pk=pk, debrief_sent_at=sent_at).update(debrief_sent_at=now):
            continue  # another sweep sent it just now
        log.warning(
            "the class debrief of exercise %s is missing %.0f s after it was sent; sending it again",
            pk,
            (now - last).total_seconds(),
        )
        debrief_enqueue(exercise_id=pk)
        sent.append(pk)
    return sent


# The tasks, and sending them after the commit


@shared_task(name="negotiations.tasks.compute_outcome", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def compute_outcome(negotiation_id: int) -> int | None:
    """When a pair ends: its outcome metrics (idempotent). Sent with a low priority (config/celery.py)."""
    outcome = outcome_refresh(negotiation_id=negotiation_id)
    return outcome.pk if outcome else None


@shared_task(name="negotiations.tasks.compute_debrief", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def compute_debrief(exercise_id: int) -> int | None:
    """When the round ends: the class debrief (idempotent). Its readiness is announced to the monitor."""
    debrief = debrief_refresh(exercise_id=exercise_id)
    return debrief.pk if debrief else None


@shared_task(name="negotiations.tasks.resend_debriefs", acks_late=False, ignore_result=True)
def resend_debriefs() -> list[int]:
    """Every few seconds, sent by each worker (config/celery.py): the class debriefs overdue, sent again.
    Acknowledged on receipt and sent with an expiry: a sweep lost or late is replaced by the next."""
    return debriefs_resend()


def outcome_enqueue(*, negotiation_id: int) -> None:
    """After commit: a worker computes the finished pair's outcome metrics. Quietly: a broker that is down
    must not turn the stored end into an error; the class debrief at the round's end computes every
    pair's outcome that is missing."""
    on_commit_quietly(
        lambda: compute_outcome.delay(negotiation_id), f"send the outcome of negotiation {negotiation_id}"
    )


def debrief_enqueue(*, exercise_id: int) -> None:
    """After commit: a worker computes the class debrief of a round that has ended."""
    on_commit_quietly(lambda: compute_debrief.delay(exercise_id), f"send the debrief of exercise {exercise_id}")
