"""The Celery tasks: ids in, a service does the work. The top of the app: nothing here imports them;
negotiations.task_queue sends them by name."""

from __future__ import annotations

from celery import shared_task

from negotiations.acting import negotiation_close_expired
from negotiations.debrief import debrief_refresh, debriefs_resend, outcome_refresh


@shared_task(acks_late=True, reject_on_worker_lost=True)
def close_expired(exercise_id: int) -> list[int]:
    """At a deadline: end as impasse the exercise's pairs whose time is up (idempotent)."""
    return negotiation_close_expired(exercise_id=exercise_id)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def compute_outcome(negotiation_id: int) -> int | None:
    """When a pair ends: its outcome metrics (idempotent). Sent with a low priority (config/celery.py)."""
    outcome = outcome_refresh(negotiation_id=negotiation_id)
    return outcome.pk if outcome else None


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def compute_debrief(exercise_id: int) -> int | None:
    """When the round ends: the class debrief (idempotent). Its readiness is announced to the monitor."""
    debrief = debrief_refresh(exercise_id=exercise_id)
    return debrief.pk if debrief else None


@shared_task(acks_late=False, ignore_result=True)
def resend_debriefs() -> list[int]:
    """Every few seconds, sent by each worker (config/celery.py): the class debriefs overdue, sent again.
    Acknowledged on receipt and sent with an expiry: a sweep lost or late is replaced by the next."""
    return debriefs_resend()
