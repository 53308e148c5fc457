"""A student's join read in one SQL statement (negotiations.joining) shows exactly what the ORM's
snapshot shows, and refuses exactly whom identify() refuses."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from classrooms.services import student_link_revoke
from core.negotiation import SNAPSHOT_EVENTS, Action
from negotiations import joining, rounds, snapshots
from negotiations.acting import negotiation_act
from negotiations.participants import identify
from negotiations.protocol import CLOSE_NOT_FOUND, CLOSE_NOT_SIGNED_IN
from tests.base import add_students, agree, long_history, seats_by_role, start_round, student_client

# The one statement is PostgreSQL's: on other databases student_join() steps aside for the ORM's way.
pytestmark = pytest.mark.postgres

PACKAGE = {"price": "9500", "handover": "three-weeks", "warranty": "none", "tyres": "included"}


def session_of(student):
    session = student_client(student).session
    session.keys()  # loaded, as by the session middleware
    return session


def both(student, negotiation_id: int):
    """The join in one statement and the ORM's, each without its server time."""
    session = session_of(student)
    fast = joining.student_join(session, negotiation_id)
    who = identify(session, AnonymousUser(), negotiation_id)
    assert not isinstance(who, int), who
    assert fast is not None
    participant, frame = fast
    slow = snapshots.snapshot(who)
    assert participant == who
    del frame["server_time"], slow["server_time"]  # type: ignore[misc]
    return frame, slow


@pytest.mark.django_db
def test_the_one_statement_join_shows_what_the_orm_snapshot_shows(exercise, classroom):
    talking, agreed, quiet = start_round(exercise, classroom, 6)
    seats = seats_by_role(talking)
    negotiation_act(negotiation_id=talking.pk, seat=seats["buyer"], action=Action("offer", "o", packages=(PACKAGE,)))
    long_history(talking, 30, "short {seq}")
    long_history(talking, SNAPSHOT_EVENTS + 5, "x" * 900 + " {seq}")  # the page's bytes cut it
    (late,) = add_students(classroom, "Watcher Wu")
    observer = rounds.exercise_place(exercise=exercise, student=late, negotiation=talking, role="seller")
    for i in range(snapshots.SNAPSHOT_BROADCASTS + 2):
        rounds.broadcast_send(exercise=exercise, text=f"message {i}")
    agree(agreed, PACKAGE)
    rounds.round_pause(exercise=exercise, paused=True, now=timezone.now())

    cases = [
        (seats["seller"].student, talking),
        (observer.student, talking),
        (seats_by_role(agreed)["buyer"].student, agreed),
        (seats_by_role(quiet)["seller"].student, quiet),
    ]
    for student, negotiation in cases:
        frame, slow = both(student, negotiation.pk)
        assert frame == slow
    frame, _ = both(seats["seller"].student, talking.pk)
    assert frame["earlier"] and frame["negotiation"]["standing"] and frame["negotiation"]["paused"]
    assert len(frame["broadcasts"]) == snapshots.SNAPSHOT_BROADCASTS
    assert 0 < len(frame["events"]) < SNAPSHOT_EVENTS, "the page's bytes, not its count, ended it"


@pytest.mark.django_db
def test_the_one_statement_join_refuses_whom_identify_refuses(exercise, classroom):
    ours, theirs = start_round(exercise, classroom, 4)
    student = seats_by_role(ours)["buyer"].student
    session = session_of(student)
    assert joining.student_join(session, theirs.pk) is None
    assert identify(session, AnonymousUser(), theirs.pk) == CLOSE_NOT_FOUND
    assert joining.student_join(session, 10**9) is None
    student_link_revoke(student=student)
    assert joining.student_join(session, ours.pk) is None
    assert identify(session, AnonymousUser(), ours.pk) == CLOSE_NOT_SIGNED_IN
