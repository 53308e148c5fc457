"""The round, in one home: pairing the students present into negotiations and seats (and by hand:
swap, late arrivals, a student placed into a seat), releasing the roles, start, pause, extend, end,
the instructor's broadcast, and the deadline's schedule. Each locks what it changes, stores the pairs'
events, and rings the doorbell after the commit. A refused action raises Refused, with a message
an instructor can act on and the form field it concerns, when there is one; nothing is written then.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext, ngettext, pgettext_lazy

from classrooms.models import Exercise, Student
from core.negotiation import OPEN
from core.pairing import PairPlan, SeatPlan, plan_next_round, plan_pairs
from core.refusal import Refused
from negotiations.acting import (
    OPEN_STATUSES,
    deadline_enqueue,
    negotiation_close_as_impasse,
    negotiation_close_expired,
    settlement_close_all,
    system_event_append,
)
from negotiations.bot_seats import bot_seats_wake
from negotiations.debrief import debrief_enqueue
from negotiations.models import Broadcast, Negotiation, Seat
from negotiations.protocol import BroadcastJSON
from negotiations.publishing import (
    broadcast_publish,
    exercise_announce,
    iso,
    negotiation_publish,
    seat_announce,
    seat_sockets_close,
)
from scenarios.services import version_spec

MAX_EXTENSION = 120  # minutes at a time
MAX_BROADCAST = 500  # characters of a broadcast (the monitor's text box holds no more)


# Pairing, releasing the roles, start and end


def _locked(exercise: Exercise) -> Exercise:
    return Exercise.objects.select_for_update().get(pk=exercise.pk)


# What a refusal says of the exercise's state, after "the exercise is".
STATE_PHRASES = {
    Exercise.State.DRAFT: pgettext_lazy("the exercise is ...", "still a draft"),
    Exercise.State.RELEASED: pgettext_lazy("the exercise is ...", "released but not started"),
    Exercise.State.LIVE: pgettext_lazy("the exercise is ...", "live"),
    Exercise.State.ENDED: pgettext_lazy("the exercise is ...", "over"),
}
# The actions a refusal names, after "Cannot".
PAIR = pgettext_lazy("cannot ... now", "pair the class")
SWAP = pgettext_lazy("cannot ... now", "swap students")
RELEASE = pgettext_lazy("cannot ... now", "release the roles")
START = pgettext_lazy("cannot ... now", "start the negotiations")
END = pgettext_lazy("cannot ... now", "end the exercise")
PAIR_LATE = pgettext_lazy("cannot ... now", "pair late arrivals")
EXTEND = pgettext_lazy("cannot ... now", "give more time")
BROADCAST = pgettext_lazy("cannot ... now", "broadcast")
CANNOT = pgettext_lazy("a refused action", "Cannot %(doing)s now: the exercise is %(state)s.")


def _require_state(exercise: Exercise, *states: str, doing: str) -> None:
    if exercise.state not in states:
        raise Refused(CANNOT % {"doing": doing, "state": STATE_PHRASES[Exercise.State(exercise.state)]})


def _require_round(exercise: Exercise, *states: str, doing: str) -> None:
    """The broadcast and the extension reach the pairs of a round that has not ended (the state read
    afresh: a monitor left open after the end still posts)."""
    state = Exercise.objects.filter(pk=exercise.pk).values_list("state", flat=True).first()
    if state == Exercise.State.ENDED:
        raise Refused(
            gettext("Cannot %(doing)s now: the exercise is over. Nobody is negotiating any more.") % {"doing": doing}
        )
    if state not in states:
        raise Refused(CANNOT % {"doing": doing, "state": STATE_PHRASES[Exercise.State(state)]})


def _history(exercise: Exercise) -> tuple[dict[int, Counter[str]], set[frozenset[int]]]:
    """Roles each student played, and who met whom, in the class's earlier exercises."""
    roles: dict[int, Counter[str]] = {}
    members: dict[int, list[int]] = {}
    seats = Seat.objects.filter(exercise__classroom=exercise.classroom, student__isnull=False).exclude(
        exercise=exercise
    )
    for student_id, role, negotiation_id in seats.values_list("student_id", "role_key", "negotiation_id"):
        roles.setdefault(student_id, Counter())[role] += 1
        members.setdefault(negotiation_id, []).append(student_id)
    met = {frozenset((a, b)) for group in members.values() for a in group for b in group if a != b}
    return roles, met


def _previous_round_plans(exercise: Exercise, roles: tuple[str, str]) -> list[PairPlan]:
    """The pairs of the round before this one, their roles named as this round's by position (the
    previous round's first role is this one's first, whatever the scenarios)."""
    series = Q(pk=exercise.series_id) | Q(series_id=exercise.series_id)
    previous = Exercise.objects.filter(series, round_number=exercise.round_number - 1).first()
    if previous is None:
        return []
    order = version_spec(previous.scenario_version).role_keys
    plans: dict[int, list[SeatPlan]] = {}
    for seat in Seat.objects.filter(exercise=previous).order_by("pk"):
        role = roles[order.index(seat.role_key)] if seat.role_key in order[:2] else seat.role_key
        plans.setdefault(seat.negotiation_id, []).append(SeatPlan(role, seat.kind, seat.student_id))
    return [PairPlan(tuple(seats)) for seats in plans.values()]


def _store_pairs(exercise: Exercise, plans, first_number: int) -> list[Negotiation]:
    negotiations = []
    for number, plan in enumerate(plans, start=first_number):
        negotiation = Negotiation.objects.create(exercise=exercise, number=number)
        Seat.objects.bulk_create(
            Seat(negotiation=negotiation, exercise=exercise, role_key=s.role, kind=s.kind, student_id=s.student)
            for s in plan.seats
        )
        negotiations.append(negotiation)
    return negotiations


def _students_of(exercise: Exercise, student_ids: list[int]) -> list[int]:
    ids = list(dict.fromkeys(student_ids))
    found = set(exercise.classroom.students.filter(pk__in=ids).values_list("pk", flat=True))
    strangers = [i for i in ids if i not in found]
    if strangers:
        raise Refused(
            gettext("Not students of this class: %(ids)s.") % {"ids": ", ".join(map(str, strangers))}, "student_ids"
        )
    return ids


def exercise_pair(*, exercise: Exercise, student_ids: list[int], seed: int | None = None) -> list[Negotiation]:
    """Pair the students present (a draft pairing: it replaces the previous one until roles are released)."""
    with transaction.atomic():
        exercise = _locked(exercise)
        _require_state(exercise, Exercise.State.DRAFT, doing=PAIR)
        ids = _students_of(exercise, student_ids)
        if not ids:
            raise Refused(gettext("Mark at least one student present before pairing."), "student_ids")
        roles = version_spec(exercise.scenario_version).role_keys
        history, met = _history(exercise)
        pair_roles, rng = (roles[0], roles[1]), random.Random(seed)
        if exercise.rematch:  # a later round of a series: paired from the round before it
            previous = _previous_round_plans(exercise, pair_roles)
            plans = plan_next_round(previous, ids, pair_roles, mode=exercise.rematch, odd=exercise.odd_rule, rng=rng,
                                    role_history=history, past_partners=met)  # fmt: skip
        else:
            plans = plan_pairs(ids, pair_roles, rule=exercise.pairing_rule, odd=exercise.odd_rule, rng=rng,
                               role_history=history, past_partners=met)  # fmt: skip
        exercise.negotiations.all().delete()
        return _store_pairs(exercise, plans, 1)


def exercise_odd_rule_set(*, exercise: Exercise, odd_rule: str) -> bool:
    """Change the odd-student rule of a draft. A pairing preview with an odd student left over is made
    again, of the same students, under the new rule (hand swaps are lost); returns whether it was."""
    if odd_rule not in Exercise.OddRule.values:
        raise Refused(
            gettext("Choose an odd-student rule: %(rules)s.") % {"rules": ", ".join(Exercise.OddRule.values)},
            "odd_rule",
        )
    with transaction.atomic():
        exercise = _locked(exercise)
        if exercise.state != Exercise.State.DRAFT:
            raise Refused(
                gettext("Cannot change the odd-student rule now: the roles are released and the pairs are fixed.")
            )
        if exercise.odd_rule == odd_rule:
            return False
        exercise.odd_rule = odd_rule
        exercise.save(update_fields=["odd_rule"])
        seated = list(
            Seat.objects.filter(exercise=exercise, student__isnull=False).values_list("student_id", flat=True)
        )
        if len(seated) % 2 == 0:
            return False
        exercise_pair(exercise=exercise, student_ids=sorted(seated))
        return True


def exercise_delete_effects(exercise: Exercise) -> list[str]:
    """What deleting a draft removes, with its numbers, for the confirmation."""
    pairs = exercise.negotiations.count()
    seated = Seat.objects.filter(exercise=exercise, student__isnull=False).count()
    if not pairs:
        effects = [gettext("Deletes this draft. It has no pairing yet.")]
    else:
        pairs_text = ngettext("%(count)s pair", "%(count)s pairs", pairs) % {"count": pairs}
        seated_text = ngettext("%(count)s student seated", "%(count)s students seated", seated) % {"count": seated}
        effects = [
            gettext("Deletes this draft and its pairing preview: %(pairs)s, %(seated)s.")
            % {"pairs": pairs_text, "seated": seated_text}
        ]
    effects.append(
        gettext("The students stay in the class; no role was released, so none of them has seen it or saved anything.")
    )
    return effects


def exercise_delete_refusal(exercise: Exercise) -> str | None:
    """Why the exercise cannot be deleted, or None for a draft."""
    if exercise.state != Exercise.State.DRAFT:
        return gettext("Only a draft can be deleted: this exercise's roles are out, and what its students did is kept.")
    return None


def exercise_delete(*, exercise: Exercise) -> None:
    """Delete a draft (and its pairing preview); an exercise whose roles are out keeps its records."""
    with transaction.atomic():
        exercise = _locked(exercise)
        if refusal := exercise_delete_refusal(exercise):
            raise Refused(refusal)
        exercise.delete()


def exercise_end_effects(exercise: Exercise, pairs: list[Negotiation]) -> list[str]:
    """What ending the exercise now does to `pairs` (all of its pairs), with its numbers, for the
    confirmation. The monitor's page says the same from its live counts (static/js/monitor.js)."""
    statuses = Counter(pair.status for pair in pairs)
    open_pairs = statuses[Negotiation.Status.WAITING] + statuses[Negotiation.Status.NEGOTIATING]
    if exercise.state == Exercise.State.RELEASED:
        effects = [
            ngettext(
                "The negotiations have not started: all %(count)s pair end as impasse, unplayed.",
                "The negotiations have not started: all %(count)s pairs end as impasse, unplayed.",
                open_pairs,
            )
            % {"count": open_pairs}
        ]
    else:
        effects = [
            ngettext(
                "Ends %(count)s open pair as impasse, without agreement.",
                "Ends %(count)s open pairs as impasse, without agreement.",
                open_pairs,
            )
            % {"count": open_pairs}
        ]
        agreed = statuses[Negotiation.Status.AGREED]
        if agreed:
            effects.append(
                ngettext(
                    "%(count)s pair that agreed keeps its agreement.",
                    "%(count)s pairs that agreed keep their agreements.",
                    agreed,
                )
                % {"count": agreed}
            )
    effects.append(gettext("Students see that the round is over; the debrief is computed. This cannot be undone."))
    return effects


def exercise_swap(*, exercise: Exercise, seat_a: int, seat_b: int) -> None:
    """Swap the students of two seats by hand, before the roles are released."""
    with transaction.atomic():
        exercise = _locked(exercise)
        _require_state(exercise, Exercise.State.DRAFT, doing=SWAP)
        seats = {s.pk: s for s in Seat.objects.select_for_update().filter(exercise=exercise, pk__in=[seat_a, seat_b])}
        if len(seats) != 2 or seat_a == seat_b:
            raise Refused(gettext("Choose two different seats of this exercise to swap."), "seats")
        a, b = seats[seat_a], seats[seat_b]
        if a.student_id is None or b.student_id is None:
            raise Refused(gettext("Only students can be swapped; a bot or instructor seat stays where it is."), "seats")
        student_a, student_b = a.student_id, b.student_id
        # The one-seat-per-student constraint forbids the intermediate state; clear one first.
        Seat.objects.filter(pk=a.pk).update(student=None, kind=Seat.Kind.BOT)
        Seat.objects.filter(pk=b.pk).update(student_id=student_a)
        Seat.objects.filter(pk=a.pk).update(student_id=student_b, kind=a.kind)


def exercise_release(*, exercise: Exercise) -> Exercise:
    with transaction.atomic():
        exercise = _locked(exercise)
        _require_state(exercise, Exercise.State.DRAFT, doing=RELEASE)
        if not exercise.negotiations.exists():
            raise Refused(gettext("Pair the class before releasing the roles."))
        exercise.state = Exercise.State.RELEASED
        exercise.released_at = timezone.now()
        exercise.save(update_fields=["state", "released_at"])
        exercise_announce(exercise_id=exercise.pk, monitor=False)  # the students' pages show their roles
        return exercise


def exercise_start(*, exercise: Exercise) -> Exercise:
    with transaction.atomic():
        exercise = _locked(exercise)
        _require_state(exercise, Exercise.State.RELEASED, doing=START)
        now = timezone.now()
        exercise.state = Exercise.State.LIVE
        exercise.started_at = now
        exercise.deadline = now + timedelta(minutes=exercise.time_limit_minutes)
        exercise.save(update_fields=["state", "started_at", "deadline"])
        _waiting_pairs_open(exercise, now)
        return exercise


def exercise_end_refusal(exercise: Exercise) -> str | None:
    """Why the exercise cannot be ended now, or None once its roles are out and until it has ended."""
    try:
        _require_state(exercise, Exercise.State.RELEASED, Exercise.State.LIVE, doing=END)
    except Refused as exc:
        return exc.message
    return None


def exercise_end(*, exercise: Exercise) -> Exercise:
    with transaction.atomic():
        exercise = _locked(exercise)
        if refusal := exercise_end_refusal(exercise):
            raise Refused(refusal)
        exercise.state = Exercise.State.ENDED
        exercise.ended_at = timezone.now()
        exercise.debrief_sent_at = exercise.ended_at  # sent after the commit; sent again while missing
        exercise.paused_at = None  # an ended round is not paused
        exercise.save(update_fields=["state", "ended_at", "debrief_sent_at", "paused_at"])
        _open_pairs_end(exercise, exercise.ended_at)
        return exercise


def _open_pairs_end(exercise: Exercise, now: datetime) -> None:
    """Close every open pair as impasse (the instructor ended the round), and a post-settlement round still
    open (its pairs keep their agreement), then compute the class debrief."""
    settlement_close_all(exercise_id=exercise.pk, now=now)
    for pk in exercise.negotiations.filter(status__in=OPEN_STATUSES).values_list("pk", flat=True):
        with transaction.atomic():
            negotiation = Negotiation.objects.select_for_update().with_offers().get(pk=pk)
            if negotiation.status not in OPEN_STATUSES:
                continue
            negotiation_close_as_impasse(negotiation, "ended", now, tell_students=False)
    exercise_announce(exercise_id=exercise.pk)
    debrief_enqueue(exercise_id=exercise.pk)


def exercise_pairs(exercise: Exercise) -> list[Negotiation]:
    """The exercise's pairs, each with `seat_list` in the scenario's role order, observers last (two queries)."""
    roles = version_spec(exercise.scenario_version).role_keys
    seats = Seat.objects.select_related("student")
    pairs = list(exercise.negotiations.prefetch_related(Prefetch("seats", queryset=seats)))
    for pair in pairs:
        pair.seat_list = sorted(pair.seats.all(), key=lambda s: (s.kind == Seat.Kind.OBSERVER, roles.index(s.role_key)))
    return pairs


def unseated_students(exercise: Exercise) -> list[Student]:
    return list(exercise.classroom.students.exclude(seats__exercise=exercise))


def exercise_pair_late(*, exercise: Exercise, student_ids: list[int], seed: int | None = None) -> list[Student]:
    """Pair late arrivals with each other; returns the one left over (to be placed by hand), if any."""
    with transaction.atomic():
        exercise = _locked(exercise)
        _require_state(exercise, Exercise.State.RELEASED, Exercise.State.LIVE, doing=PAIR_LATE)
        ids = _students_of(exercise, student_ids)
        seated = set(Seat.objects.filter(exercise=exercise, student_id__in=ids).values_list("student_id", flat=True))
        ids = [i for i in ids if i not in seated]
        if len(ids) < 2:
            return list(Student.objects.filter(pk__in=ids))
        leftover = ids.pop() if len(ids) % 2 else None
        roles = version_spec(exercise.scenario_version).role_keys
        plans = plan_pairs(ids, (roles[0], roles[1]), rule="random", odd="bot", rng=random.Random(seed))
        last = exercise.negotiations.order_by("-number").values_list("number", flat=True).first() or 0
        added = _store_pairs(exercise, plans, last + 1)
        if exercise.state == Exercise.State.LIVE:
            _waiting_pairs_open(exercise, timezone.now())  # their `started` events reach the monitor
        else:
            for negotiation in added:  # the monitor shows them (a pair it has not seen: it reads a snapshot)
                negotiation.offers = 0
                negotiation_publish(negotiation=negotiation, events=[])
            exercise_announce(exercise_id=exercise.pk, monitor=False)  # the late arrivals' pages show their roles
        return list(Student.objects.filter(pk=leftover)) if leftover else []


def exercise_place(*, exercise: Exercise, student: Student, negotiation: Negotiation, role: str) -> Seat:
    """Place one student by hand: into a bot's or the instructor's seat of that role, else as its observer."""
    with transaction.atomic():
        exercise = _locked(exercise)
        if exercise.state == Exercise.State.ENDED:
            raise Refused(gettext("The exercise has ended; nobody can be placed any more."))
        if student.classroom_id != exercise.classroom_id or negotiation.exercise_id != exercise.pk:
            raise Refused(gettext("That student or pair does not belong to this exercise."))
        if role not in version_spec(exercise.scenario_version).role_keys:
            raise Refused(gettext("'%(role)s' is not a role of this scenario.") % {"role": role}, "role")
        if Seat.objects.filter(exercise=exercise, student=student).exists():
            raise Refused(gettext("%(name)s already has a seat in this exercise.") % {"name": student.display_name})
        stand_in = negotiation.seats.filter(role_key=role, kind__in=[Seat.Kind.BOT, Seat.Kind.INSTRUCTOR]).first()
        if stand_in is not None:
            stand_in.kind, stand_in.student, stand_in.bot_move_at = Seat.Kind.STUDENT, student, None
            stand_in.save(update_fields=["kind", "student", "bot_move_at"])
            seat_sockets_close(seat_id=stand_in.pk)  # the bot's or instructor's open sockets stop acting
            seat = stand_in
        else:
            seat = Seat.objects.create(
                negotiation=negotiation, exercise=exercise, role_key=role, kind=Seat.Kind.OBSERVER, student=student
            )
        seat_announce(seat_id=seat.pk)  # the monitor shows who sits there now
        exercise_announce(exercise_id=exercise.pk, monitor=False)  # the student's pages show the seat
        return seat


def _waiting_pairs_open(exercise: Exercise, now: datetime) -> None:
    """Open every waiting pair of a live exercise: all of them at the start, late arrivals' when paired."""
    for pk in exercise.negotiations.filter(status=Negotiation.Status.WAITING).values_list("pk", flat=True):
        with transaction.atomic():
            negotiation = Negotiation.objects.select_for_update().with_offers().get(pk=pk)
            if negotiation.status != Negotiation.Status.WAITING:
                continue
            negotiation.status = OPEN
            negotiation.deadline = exercise.deadline
            event = system_event_append(negotiation, "started", {"deadline": iso(exercise.deadline)}, now)
            negotiation.save()
            negotiation_publish(negotiation=negotiation, events=[event])
    bot_seats_wake(exercise_id=exercise.pk, now=now)
    deadline_schedule(exercise_id=exercise.pk, at=exercise.deadline)
    exercise_announce(exercise_id=exercise.pk)


# While it runs: extend, pause, broadcast, and the deadline


def time_extend(*, exercise: Exercise, minutes: int, negotiation_id: int | None = None, now: datetime) -> int:
    """Give one pair, or every open pair, more time. Returns how many pairs were extended.

    A pair whose time is already up is closed first, not brought back: extend before the deadline."""
    _require_round(exercise, Exercise.State.LIVE, doing=EXTEND)
    if not 1 <= minutes <= MAX_EXTENSION:
        raise Refused(gettext("Give a number of minutes from 1 to %(max)s.") % {"max": MAX_EXTENSION}, "minutes")
    if negotiation_id is not None and not exercise.negotiations.filter(pk=negotiation_id).exists():
        raise Refused(gettext("No such pair in this exercise."), "negotiation")
    negotiation_close_expired(exercise_id=exercise.pk, now=now)
    pairs = exercise.negotiations.filter(status=OPEN)
    if negotiation_id is not None:
        pairs = pairs.filter(pk=negotiation_id)
    count = 0
    latest = None
    for pk in pairs.values_list("pk", flat=True):
        with transaction.atomic():
            negotiation = Negotiation.objects.select_for_update().with_offers().get(pk=pk)
            if negotiation.status != OPEN or negotiation.deadline is None:
                continue
            negotiation.deadline = max(negotiation.deadline, now) + timedelta(minutes=minutes)
            event = system_event_append(
                negotiation, "extended", {"deadline": iso(negotiation.deadline), "minutes": minutes}, now
            )
            negotiation.save()
            negotiation_publish(negotiation=negotiation, events=[event])
            latest = max(latest or negotiation.deadline, negotiation.deadline)
            count += 1
    if latest is not None:
        deadline_schedule(exercise_id=exercise.pk, at=latest)
        if negotiation_id is None:
            Exercise.objects.filter(pk=exercise.pk).update(deadline=latest)
            exercise_announce(exercise_id=exercise.pk)
    return count


def round_pause(*, exercise: Exercise, paused: bool, now: datetime) -> None:
    """Pause the clock and every action; on resuming, every open pair gets the paused time back."""
    with transaction.atomic():
        exercise = Exercise.objects.select_for_update().get(pk=exercise.pk)
        if exercise.state != Exercise.State.LIVE:
            raise Refused(gettext("Only a live round can be paused or resumed."))
        if paused == (exercise.paused_at is not None):
            return
        gained = timedelta(0) if paused else now - exercise.paused_at  # type: ignore[operator]
        exercise.paused_at = now if paused else None
        if exercise.deadline and not paused:
            exercise.deadline += gained
        exercise.save(update_fields=["paused_at", "deadline"])
        for negotiation in Negotiation.objects.select_for_update().with_offers().filter(exercise=exercise, status=OPEN):
            if negotiation.deadline and not paused:
                negotiation.deadline += gained
            event = system_event_append(
                negotiation,
                "paused" if paused else "resumed",
                {"deadline": iso(negotiation.deadline)},
                now,
            )
            negotiation.save()
            negotiation_publish(negotiation=negotiation, events=[event])
    if not paused and exercise.deadline:
        deadline_schedule(exercise_id=exercise.pk, at=exercise.deadline)
    exercise_announce(exercise_id=exercise.pk)


def broadcast_send(*, exercise: Exercise, text: str) -> BroadcastJSON:
    _require_round(exercise, Exercise.State.RELEASED, Exercise.State.LIVE, doing=BROADCAST)
    text = text.strip()
    if not text:
        raise Refused(gettext("write a message to broadcast"), "text")
    if len(text) > MAX_BROADCAST:
        raise Refused(
            gettext("A broadcast is at most %(max)s characters; this one has %(length)s.")
            % {"max": MAX_BROADCAST, "length": len(text)},
            "text",
        )
    message = Broadcast.objects.create(exercise=exercise, text=text)
    payload: BroadcastJSON = {"text": message.text, "at": message.created_at.isoformat()}
    negotiation_ids = list(exercise.negotiations.values_list("pk", flat=True))
    broadcast_publish(negotiation_ids=negotiation_ids, broadcast=payload, exercise_id=exercise.pk)
    return payload


def deadline_schedule(*, exercise_id: int, at: datetime | None) -> None:
    """Ask a Celery worker to close expired pairs at the deadline (the sockets' own timers do it too)."""
    if at is None or settings.CELERY_TASK_ALWAYS_EAGER:
        return  # embedded: no worker honours an ETA; the sockets' timers and every action's check do it
    deadline_enqueue(exercise_id=exercise_id, at=at)
