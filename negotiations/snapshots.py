"""What a socket is shown when it connects: the snapshot of its negotiation (only its own role's
points, the state and the latest events), or the monitor's snapshot of a whole exercise; the pages of
a negotiation's history (`history`, `resume`); and the latest sequence number, for the pong.

No frame grows with the negotiation: every list of events here is a bounded page (core.negotiation's
SNAPSHOT_EVENTS, PAGE_EVENTS, PAGE_BYTES).

Synchronous functions; the consumers call them through database_sync_to_async.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from classrooms.models import Exercise, PlanningSheet
from core.negotiation import PAGE_BYTES, PAGE_EVENTS, SNAPSHOT_EVENTS
from core.spec import Scenario, plain
from negotiations.acting import negotiation_close_expired
from negotiations.models import Broadcast, Event, Negotiation, Seat
from negotiations.participants import Participant
from negotiations.protocol import (
    BroadcastJSON,
    EventJSON,
    EventsFrame,
    HistoryFrame,
    MonitorPairJSON,
    MonitorSeatJSON,
    MonitorSnapshotFrame,
    NegotiationJSON,
    SnapshotFrame,
)
from negotiations.publishing import (
    event_json,
    exercise_summary,
    pair_result,
    pair_summary,
    seat_json,
    snapshot_seat,
)
from scenarios.services import version_spec

IDLE_AFTER = timedelta(minutes=3)  # a negotiating pair with no event for this long shows as idle
SNAPSHOT_BROADCASTS = 10  # the instructor's latest messages a snapshot repeats


FIRST_FETCH = 20  # rows read before the rest of a page: a page of large events reads few more than it sends


class Page:
    """A page being filled: up to `limit` events, while they fit in PAGE_BYTES as sent (the first one
    always). `add()` is false once an event was left out, and `more` tells so."""

    def __init__(self, limit: int) -> None:
        self.limit, self.size, self.more = limit, 0, False
        self.events: list[EventJSON] = []

    def add(self, item: EventJSON) -> bool:
        if len(self.events) == self.limit:
            self.more = True
            return False
        self.size += len(json.dumps(item, separators=(",", ":"))) + 1
        if self.events and self.size > PAGE_BYTES:
            self.more = True
            return False
        self.events.append(item)
        return True


def _page(rows: QuerySet[Event], limit: int, *, first: int = FIRST_FETCH) -> tuple[list[EventJSON], bool]:
    """Up to `limit` of the ordered `rows` that fit a Page; and whether rows were left out. Read in two
    steps (`first` rows, then the rest), so that the work stays near what is sent."""
    page = Page(limit)
    start = 0
    for end in (min(first, limit + 1), limit + 1):
        if end <= start:
            continue
        read = 0
        for event in rows[start:end]:
            read += 1
            if not page.add(event_json(event)):
                return page.events, True
        if read < end - start:
            return page.events, False
        start = end
    return page.events, False


def history_page(negotiation_id: int, *, before_seq: int, limit: int) -> HistoryFrame:
    """The events just before `before_seq`, oldest first: at most `limit` (PAGE_EVENTS) and PAGE_BYTES."""
    newest_first = Event.objects.filter(negotiation_id=negotiation_id, seq__lt=before_seq).order_by("-seq")
    events = _page(newest_first, min(limit, PAGE_EVENTS))[0][::-1]
    return {"type": "history", "events": events, "earlier": bool(events) and events[0]["seq"] > 1}


def events_page(negotiation_id: int, *, last_seq: int) -> EventsFrame:
    """The answer to `resume`: the events after `last_seq`, oldest first, a page at a time; `more` when
    the client should ask again from the page's last seq."""
    events, more = _page(Event.objects.filter(negotiation_id=negotiation_id, seq__gt=last_seq), PAGE_EVENTS)
    return {"type": "events", "events": events, "more": more}


def last_seq(negotiation_id: int) -> int:
    """The number of the negotiation's latest stored event (the pong's, for clients to catch up)."""
    return Negotiation.objects.filter(pk=negotiation_id).values_list("last_seq", flat=True).first() or 0


def issues_for(scenario: Scenario, role: str | None) -> list[dict[str, Any]]:
    """Every issue with its options and, when a role is given, that role's points only."""
    issues = []
    for issue in scenario.issues:
        item: dict[str, Any] = {"key": issue.key, "name": issue.name, "kind": issue.kind}
        if issue.kind == "numeric":
            item.update(min=plain(issue.minimum), max=plain(issue.maximum), step=plain(issue.step), unit=issue.unit)
            if role is not None and issue.linear is not None:
                line = issue.linear[role]
                item["points"] = {"at_min": plain(line.at_min), "at_max": plain(line.at_max)}
        else:
            item["options"] = [
                {"key": o.key, "label": o.label, **({"points": plain(o.points[role])} if role else {})}
                for o in issue.options
            ]
        issues.append(item)
    return issues


_SCENARIOS: dict[int, Scenario] = {}  # exercise id -> the spec of the scenario version it pins


def exercise_spec(exercise_id: int) -> Scenario:
    """The scenario an exercise runs, parsed once per process: a join burst must not fetch and parse
    the document a thousand times. An exercise pins its version, and versions are immutable."""
    spec = _SCENARIOS.get(exercise_id)
    if spec is None:
        if len(_SCENARIOS) > 256:
            _SCENARIOS.clear()
        exercise = Exercise.objects.select_related("scenario_version").get(pk=exercise_id)
        spec = _SCENARIOS[exercise_id] = version_spec(exercise.scenario_version)
    return spec


def cached_spec(exercise_id: int) -> Scenario | None:
    """The exercise's scenario if this process has parsed it already (no database)."""
    return _SCENARIOS.get(exercise_id)


def snapshot_frame(
    participant: Participant,
    scenario: Scenario,
    *,
    negotiation: NegotiationJSON,
    seats: list[dict[str, Any]],  # role, kind and name (a student's, or None)
    latest: list[EventJSON],
    broadcasts: list[BroadcastJSON],
) -> SnapshotFrame:
    """The snapshot of what was read: `latest` events newest first (up to SNAPSHOT_EVENTS + 1, to tell
    whether earlier ones exist) and `broadcasts` oldest first."""
    page = Page(SNAPSHOT_EVENTS)
    for event in latest:
        if not page.add(event):
            break
    events = page.events[::-1]
    return {
        "type": "snapshot",
        "server_time": timezone.now().isoformat(),
        "negotiation": negotiation,
        "me": {
            "role": participant.role,
            "kind": participant.kind,
            "name": participant.name,
            "can_act": participant.can_act,
            "batna": plain(scenario.role(participant.role).batna) if participant.role else None,
        },
        "roles": [{"key": r.key, "name": r.name} for r in scenario.roles],
        "seats": [snapshot_seat(s["role"], s["kind"], s["name"]) for s in seats],
        "issues": issues_for(scenario, participant.role),
        "events": events,
        "earlier": bool(events) and events[0]["seq"] > 1,
        "broadcasts": broadcasts,
        "last_seq": negotiation["last_seq"],
    }


def snapshot(participant: Participant) -> SnapshotFrame:
    """Four queries, whatever the class or the history: the pair's row (with its exercise, and its
    scenario version without the document, parsed once per process), the seats, the latest events in
    one read (a snapshot is sent on every join, so it is not worth a second query to read fewer rows),
    the broadcasts. (A student's join reads the same in one statement: negotiations.joining.)"""
    negotiation = (
        Negotiation.objects.with_offers()
        .defer("exercise__scenario_version__document")
        .select_related("exercise__scenario_version")
        .get(pk=participant.negotiation_id)
    )
    exercise = negotiation.exercise
    seats = negotiation.seats.select_related("student").order_by("role_key", "kind", "pk")
    # The latest events, up to those the row above has counted: one stored meanwhile (by a socket of
    # another process) comes through the group this socket already listens to. Listing it here too,
    # beyond `last_seq`, would have the client apply it twice. Earlier ones: `history`.
    latest = Event.objects.filter(negotiation=negotiation, seq__lte=negotiation.last_seq).order_by("-seq")
    broadcasts = Broadcast.objects.filter(exercise=exercise).order_by("-created_at", "-pk")[:SNAPSHOT_BROADCASTS]
    return snapshot_frame(
        participant,
        version_spec(exercise.scenario_version),
        negotiation={
            **pair_summary(negotiation),
            "exercise": exercise.pk,
            "title": exercise.title,
            "paused": exercise.paused_at is not None,
            "standing": negotiation.standing,
            "agreement": negotiation.agreement,
        },
        seats=[{"role": s.role_key, "kind": s.kind, "name": s.student and s.student.display_name} for s in seats],
        latest=[event_json(event) for event in latest[: SNAPSHOT_EVENTS + 1]],
        broadcasts=[{"text": b.text, "at": b.created_at.isoformat()} for b in reversed(broadcasts)],
    )


def monitor_snapshot(exercise_id: int) -> MonitorSnapshotFrame:
    """Every pair of an exercise in a fixed number of queries, whatever the class size."""
    negotiation_close_expired(exercise_id=exercise_id)
    exercise = Exercise.objects.select_related("scenario_version").get(pk=exercise_id)
    scenario = version_spec(exercise.scenario_version)
    negotiations = exercise.negotiations.with_offers().order_by("number")
    seats: dict[int, list[MonitorSeatJSON]] = {}
    planned = set(PlanningSheet.objects.filter(exercise=exercise).values_list("student_id", flat=True))
    # A role's negotiator before its observers, as on the exercise page (rounds.exercise_pairs).
    in_class = Seat.objects.filter(exercise=exercise).select_related("student")
    for seat in sorted(in_class, key=lambda s: (s.kind == Seat.Kind.OBSERVER, s.pk)):
        seats.setdefault(seat.negotiation_id, []).append(seat_json(seat, seat.student_id in planned))
    now = timezone.now()
    pairs: list[MonitorPairJSON] = []
    for negotiation in negotiations:
        idle = negotiation.status == Negotiation.Status.NEGOTIATING and (
            now - (negotiation.last_activity_at or exercise.started_at or now) > IDLE_AFTER
        )
        pairs.append(
            {
                **pair_summary(negotiation),
                "result": pair_result(negotiation, scenario),
                "idle": idle,
                "seats": seats.get(negotiation.pk, []),
            }
        )
    return {
        "type": "snapshot",
        "server_time": now.isoformat(),
        "exercise": {**exercise_summary(exercise), "title": exercise.title},
        "roles": [{"key": r.key, "name": r.name} for r in scenario.roles],
        "idle_after_seconds": int(IDLE_AFTER.total_seconds()),
        "pairs": pairs,
    }
