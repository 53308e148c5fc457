"""The debrief is computed by tasks when pairs and rounds end, idempotently, from the stored events."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import config.celery
from classrooms import services
from classrooms.models import Exercise
from negotiations import debrief, rounds
from negotiations.debrief import debrief_refresh, debriefs_resend, outcome_refresh
from negotiations.models import Debrief, Outcome
from tests.base import agree, start_round

pytestmark = pytest.mark.django_db(transaction=True)
PACKAGE = {"price": "9500", "handover": "five-weeks", "warranty": "one-month", "tyres": "included"}


@pytest.fixture(autouse=True)
def _eager(eager_tasks):
    """Run the tasks in-process, as the embedded default does; a real worker has its own tests."""


@pytest.fixture
def played(exercise, classroom):
    agreed = start_round(exercise, classroom, 4)[0]
    agree(agreed, PACKAGE)
    return exercise, agreed


def test_a_pair_that_agrees_gets_its_outcome_computed(played):
    _, agreed = played
    outcome = Outcome.objects.get(negotiation=agreed)  # the task ran (eagerly here) when the pair ended
    assert outcome.computed_from_seq == 3
    assert outcome.data["outcome"]["points"]["seller"] > 0


def test_ending_the_round_computes_the_class_debrief_from_every_pair(played):
    exercise, agreed = played
    rounds.exercise_end(exercise=exercise)
    debrief = Debrief.objects.get(exercise=exercise)
    assert [p["number"] for p in debrief.data["pairs"]] == [1, 2]
    assert [p["status"] for p in debrief.data["pairs"]] == ["agreed", "impasse"]
    other = exercise.negotiations.get(number=2)
    assert debrief.sources == {str(agreed.pk): 3, str(other.pk): other.last_seq}
    assert debrief.data["open_pairs"] == 0
    assert Outcome.objects.count() == 2


def test_computing_twice_stores_the_same_result(played):
    exercise, agreed = played
    rounds.exercise_end(exercise=exercise)
    first = Debrief.objects.get(exercise=exercise).data
    debrief_refresh(exercise_id=exercise.pk)
    outcome_refresh(negotiation_id=agreed.pk)
    assert Debrief.objects.get(exercise=exercise).data == first
    assert Debrief.objects.count() == 1 and Outcome.objects.count() == 2


def test_an_open_pair_has_no_outcome_yet(played):
    exercise, _ = played
    assert outcome_refresh(negotiation_id=exercise.negotiations.get(number=2).pk) is None


def test_a_stale_or_missing_outcome_is_rewritten_by_the_class_debrief(played):
    exercise, agreed = played
    rounds.exercise_end(exercise=exercise)
    good = Outcome.objects.get(negotiation=agreed).data
    Outcome.objects.filter(negotiation=agreed).update(data={"stale": True}, computed_from_seq=1)
    Outcome.objects.exclude(negotiation=agreed).delete()
    debrief_refresh(exercise_id=exercise.pk)
    outcome = Outcome.objects.get(negotiation=agreed)
    assert outcome.data == good and outcome.computed_from_seq == 3
    assert Outcome.objects.count() == 2


def test_the_class_debrief_takes_the_same_number_of_queries_for_any_class_size(played, classroom, used_car):
    small, _ = played
    rounds.exercise_end(exercise=small)
    large = services.exercise_create(
        classroom=classroom, title="Large", scenario_version=used_car, time_limit_minutes=20
    )
    start_round(large, classroom, 12)
    rounds.exercise_end(exercise=large)
    counts = []
    for exercise in (small, large):
        Outcome.objects.filter(negotiation__exercise=exercise).delete()
        with CaptureQueriesContext(connection) as queries:
            debrief_refresh(exercise_id=exercise.pk)
        counts.append(len(queries))
    assert Debrief.objects.get(exercise=large).data["class"]["pairs"] == 6
    assert counts[0] == counts[1], counts  # no query per pair (the debrief of 300 pairs makes about 15)


def test_a_pair_task_that_runs_after_the_round_end_leaves_the_pair_to_the_class_debrief(played):
    exercise, agreed = played
    rounds.exercise_end(exercise=exercise)
    Outcome.objects.filter(negotiation=agreed).delete()  # as if its task had waited in the queue until now
    assert outcome_refresh(negotiation_id=agreed.pk) is None
    assert not Outcome.objects.filter(negotiation=agreed).exists()
    debrief_refresh(exercise_id=exercise.pk)  # the class debrief's task, queued behind it
    assert Outcome.objects.get(negotiation=agreed).computed_from_seq == 3


def test_each_task_lives_beside_its_service_under_the_name_the_worker_knows():
    from negotiations import acting, debrief

    assert acting.close_expired.name == "negotiations.tasks.close_expired"
    assert debrief.compute_outcome.name == "negotiations.tasks.compute_outcome"
    assert debrief.compute_debrief.name == "negotiations.tasks.compute_debrief"
    assert debrief.resend_debriefs.name == config.celery.RESEND_DEBRIEFS


def test_a_task_for_a_pair_or_exercise_deleted_meanwhile_does_nothing(played):
    from negotiations.debrief import compute_debrief, compute_outcome

    exercise, agreed = played
    exercise_id, negotiation_id = exercise.pk, agreed.pk
    exercise.delete()  # while its tasks waited in the queue (the instructor deleted it)
    assert compute_outcome(negotiation_id) is None
    assert compute_debrief(exercise_id) is None
    assert not Debrief.objects.exists() and not Outcome.objects.exists()


# A debrief lost with its worker is sent again: negotiations.debrief.debriefs_resend (tests/test_faults_debrief.py
# runs it with a real worker killed mid-debrief)


def lost_debrief(exercise, *, ended_ago: float, sent_ago: float) -> None:
    """As if the debrief's task had died with its worker: no Debrief, ended and last sent that long ago."""
    Debrief.objects.filter(exercise=exercise).delete()
    now = timezone.now()
    Exercise.objects.filter(pk=exercise.pk).update(
        ended_at=now - timedelta(seconds=ended_ago), debrief_sent_at=now - timedelta(seconds=sent_ago)
    )


@pytest.fixture
def announced(monkeypatch) -> list[int]:
    calls: list[int] = []
    original = debrief.debrief_announce
    monkeypatch.setattr(
        debrief,
        "debrief_announce",
        lambda *, exercise_id: (calls.append(exercise_id), original(exercise_id=exercise_id)),
    )
    return calls


def test_a_debrief_missing_a_few_seconds_after_it_was_sent_is_sent_again_once(played, settings):
    exercise, _ = played
    rounds.exercise_end(exercise=exercise)
    assert Exercise.objects.get(pk=exercise.pk).debrief_sent_at == Exercise.objects.get(pk=exercise.pk).ended_at
    lost_debrief(exercise, ended_ago=settings.DEBRIEF_RESEND_SECONDS - 1, sent_ago=settings.DEBRIEF_RESEND_SECONDS - 1)
    assert debriefs_resend() == []  # not yet overdue: its task may still be running
    lost_debrief(exercise, ended_ago=settings.DEBRIEF_RESEND_SECONDS + 1, sent_ago=settings.DEBRIEF_RESEND_SECONDS + 1)
    assert debriefs_resend() == [exercise.pk]
    assert Debrief.objects.get(exercise=exercise).data["class"]["pairs"] == 2  # computed (eagerly here)
    assert debriefs_resend() == []


def test_a_debrief_that_keeps_failing_is_sent_again_ever_more_rarely(played):
    exercise, _ = played
    rounds.exercise_end(exercise=exercise)
    lost_debrief(exercise, ended_ago=100, sent_ago=30)  # sent last 70 s after the end: next at 140 s
    assert debriefs_resend() == []
    lost_debrief(exercise, ended_ago=100, sent_ago=60)  # sent last 40 s after the end: next at 80 s
    assert debriefs_resend() == [exercise.pk]


def test_two_copies_of_the_debrief_task_store_and_announce_it_once(played, announced):
    exercise, _ = played
    rounds.exercise_end(exercise=exercise)
    assert announced == [exercise.pk]
    first = Debrief.objects.get(exercise=exercise)
    debrief_refresh(exercise_id=exercise.pk)  # the dead worker's message, given back after the visibility timeout
    assert announced == [exercise.pk]
    assert Debrief.objects.get(exercise=exercise).computed_at == first.computed_at


def test_in_the_embedded_mode_the_debrief_page_computes_an_overdue_debrief(played, instructor_client):
    exercise, _ = played
    rounds.exercise_end(exercise=exercise)
    lost_debrief(exercise, ended_ago=60, sent_ago=60)  # the process died mid-debrief and was restarted
    data = instructor_client.get(f"/exercises/{exercise.pk}/debrief.json").json()
    assert data["ready"] is True and data["debrief"]["class"]["pairs"] == 2


def test_a_workers_sweep_with_redis_away_logs_one_line_and_waits_for_the_next_tick(monkeypatch, caplog):
    from config import celery

    def refused(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(celery.app, "send_task", refused)
    celery.DebriefSweep.send(celery.DebriefSweep.__new__(celery.DebriefSweep), 2.5)  # its timer's call
    assert [r.getMessage() for r in caplog.records] == [
        "could not send the debrief sweep (the next tick tries again): Error 111 connecting to 127.0.0.1:6379. "
        "Connection refused."
    ]
    assert caplog.records[0].exc_info is None  # one line, no traceback
