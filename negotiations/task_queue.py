"""Sending the app's Celery tasks, after the commit, by name.

The tasks (negotiations.tasks) are the top of the app: they call the round and the debrief. The
services below them must send them without importing them, or the app would import in a circle; so
they look each task up by its registered name (negotiations.apps registers the tasks at start-up).
A task sent this way still runs eagerly in the embedded mode, where Celery honours no ETA.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from celery import current_app
from celery.app.task import Task

from negotiations.publishing import on_commit_quietly

COMPUTE_OUTCOME = "negotiations.tasks.compute_outcome"
COMPUTE_DEBRIEF = "negotiations.tasks.compute_debrief"
CLOSE_EXPIRED = "negotiations.tasks.close_expired"


def _task(name: str) -> Task:
    return current_app.tasks[name]


def outcome_enqueue(*, negotiation_id: int) -> None:
    """After commit: a worker computes the finished pair's outcome metrics. Quietly: a broker that is down
    must not turn the stored end into an error; the class debrief at the round's end computes every
    pair's outcome that is missing."""
    on_commit_quietly(
        lambda: _task(COMPUTE_OUTCOME).delay(negotiation_id), f"send the outcome of negotiation {negotiation_id}"
    )


def debrief_enqueue(*, exercise_id: int) -> None:
    """After commit: a worker computes the class debrief of a round that has ended."""
    on_commit_quietly(lambda: _task(COMPUTE_DEBRIEF).delay(exercise_id), f"send the debrief of exercise {exercise_id}")


def deadline_enqueue(*, exercise_id: int, at: datetime) -> None:
    """After commit: a worker closes the exercise's expired pairs just after `at`."""
    on_commit_quietly(
        lambda: _task(CLOSE_EXPIRED).apply_async(args=[exercise_id], eta=at + timedelta(seconds=1)),
        f"schedule the deadline of exercise {exercise_id}",
    )
