from __future__ import annotations

from celery import shared_task

from negotiations.services import negotiation_close_expired


@shared_task(acks_late=True, reject_on_worker_lost=True)
def close_expired(exercise_id: int) -> list[int]:
    """At a deadline: end as impasse the exercise's pairs whose time is up (idempotent)."""
    return negotiation_close_expired(exercise_id=exercise_id)
