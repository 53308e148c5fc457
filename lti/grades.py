"""Grades to the course's gradebook (Assignment and Grade Services), by the rule the instructor picked for
the exercise (docs/lms.md, "Grades").

When an exercise's class debrief is stored, each linked student's grade is computed and kept as a `Score`
row (an outbox) before anything is sent; a Celery task then posts the pending ones. A failure is recorded
on the row with its reason and tried again later (waits doubling from a minute up to six hours: the
workers' sweep, or the instructor's "send again"); a grade is never dropped, and the instructor's page
shows each one's state. Posting a score again is harmless: the platform keeps the latest per student.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

import requests
from celery import shared_task
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.exception import LtiException, LtiServiceException
from pylti1p3.grade import Grade
from pylti1p3.lineitem import LineItem
from pylti1p3.service_connector import ServiceConnector

from classrooms.models import Exercise
from lti.models import Course, Grading, Learner, Score
from lti.roster import PlatformError, service_failure
from lti.tool import NoToolKey, TimedSession, registration_for
from negotiations.debrief import FINAL, landscape_for
from negotiations.models import Outcome, Seat
from negotiations.publishing import on_commit_quietly

SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
DEFAULT_MAXIMUM = Decimal(100)
RETRY_FIRST = timedelta(minutes=1)
RETRY_AT_MOST = timedelta(hours=6)
log = logging.getLogger(__name__)


def _clamp(value: Fraction) -> Fraction:
    return min(max(value, Fraction(0)), Fraction(1))


def _ratio(gained: Fraction, possible: Fraction) -> Fraction:
    """What was gained against the most possible, from 0 to 1; full marks when nothing could be gained."""
    return Fraction(1) if possible <= 0 else _clamp(gained / possible)


def score_fractions(exercise: Exercise, rule: str) -> dict[int, Fraction]:
    """Each seated student's grade (student id -> 0..1) by the rule, from the stored outcomes; a student
    without a seat, or whose pair has not finished, has none."""
    seats = (
        Seat.objects.filter(exercise=exercise, student__isnull=False, negotiation__status__in=FINAL)
        .select_related("negotiation")
        .order_by("pk")
    )
    outcomes = {o.negotiation_id: o.data["outcome"] for o in Outcome.objects.filter(negotiation__exercise=exercise)}
    land = landscape_for(exercise.scenario_version) if rule != Grading.Rule.PARTICIPATION else None
    grades: dict[int, Fraction] = {}
    for seat in seats:
        if rule == Grading.Rule.PARTICIPATION:
            grades[seat.student_id] = Fraction(1)
            continue
        outcome = outcomes.get(seat.negotiation_id)
        if outcome is None or land is None:
            continue  # not computed yet: the next debrief brings it
        real = land.table.real  # the landscape's points are scaled to whole numbers; the outcome's are not
        batna = {role: real(value) for role, value in zip(land.roles, land.batna, strict=True)}
        if rule == Grading.Rule.POINTS:
            index = land.roles.index(seat.role_key)
            best = real(max((point.a, point.b)[index] for point in land.frontier))
            gained = Fraction(str(outcome["points"][seat.role_key])) - batna[seat.role_key]
            grades[seat.student_id] = _ratio(gained, best - batna[seat.role_key])
        else:
            floor = sum(batna.values(), Fraction(0))
            joint = Fraction(str(outcome["joint"]))
            grades[seat.student_id] = _ratio(joint - floor, real(land.max_joint) - floor)
    return grades


def scores_compute(*, exercise_id: int) -> int:
    """Keep each linked student's grade for the exercise as a Score; a grade that changed (or a new rule)
    is sent again. Returns how many are waiting to be sent."""
    exercise = Exercise.objects.select_related("scenario_version").filter(pk=exercise_id).first()
    grading = Grading.objects.filter(exercise_id=exercise_id).first()
    if exercise is None or grading is None or grading.rule == Grading.Rule.NONE:
        return 0
    if exercise.state != Exercise.State.ENDED:
        return 0
    learners = {
        learner.student_id: learner for learner in Learner.objects.filter(course__classroom_id=exercise.classroom_id)
    }
    for student_id, fraction in score_fractions(exercise, grading.rule).items():
        learner = learners.get(student_id)
        if learner is None:
            continue  # a student who came by code or link: not in the gradebook
        value = Decimal(fraction.numerator) / Decimal(fraction.denominator)
        value = value.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
        score, created = Score.objects.get_or_create(
            exercise=exercise, learner=learner, defaults={"fraction": value, "rule": grading.rule}
        )
        if not created and (score.fraction != value or score.rule != grading.rule):
            Score.objects.filter(pk=score.pk).update(
                fraction=value, rule=grading.rule, status=Score.Status.PENDING, next_attempt_at=None, last_error=""
            )
    return Score.objects.filter(exercise=exercise).exclude(status=Score.Status.SENT).count()


def _line_item(ags: AssignmentsGradesService, course: Course, grading: Grading) -> tuple[str, Decimal]:
    """The line item that receives the exercise's grades, and its maximum: the one its deep link created
    (the resource link's), else one found or made in the course by the exercise's resource id."""
    exercise = grading.exercise
    url = grading.lineitem_url
    if not url:
        link = course.resource_links.filter(exercise=exercise).exclude(lineitem_url="").first()
        url = link.lineitem_url if link else ""
    if url:
        if not ags.can_read_lineitem():
            return url, DEFAULT_MAXIMUM
        item = ags.get_lineitem(url)
    else:
        if not course.lineitems_url:
            raise PlatformError(_("The platform has not offered its gradebook service for this course."))
        wanted = (
            LineItem()
            .set_label(exercise.title)
            .set_score_maximum(float(DEFAULT_MAXIMUM))
            .set_resource_id(f"parley-exercise-{exercise.pk}")
            .set_tag("parley")
        )
        item = ags.find_or_create_lineitem(wanted, find_by="resource_id")
    url = item.get_id() or url
    if not url:
        raise PlatformError(_("The platform's line item has no id."))
    if grading.lineitem_url != url:
        Grading.objects.filter(pk=grading.pk).update(lineitem_url=url)
        grading.lineitem_url = url
    maximum = item.get_score_maximum()
    return url, Decimal(str(maximum)) if maximum and maximum > 0 else DEFAULT_MAXIMUM


def _failed(scores: list[Score], reason: str) -> None:
    now = timezone.now()
    for score in scores:
        wait = min(RETRY_FIRST * 2 ** min(score.attempts, 20), RETRY_AT_MOST)
        Score.objects.filter(pk=score.pk).update(
            status=Score.Status.FAILED, attempts=score.attempts + 1, next_attempt_at=now + wait, last_error=reason[:500]
        )


def _publish(due: list[Score], grading: Grading, counts: dict[str, int]) -> None:
    """Send `due`, course by course, counting into `counts`; a failure is kept with its reason."""
    by_course: dict[int, list[Score]] = {}
    for score in due:
        by_course.setdefault(score.learner.course_id, []).append(score)
    for scores in by_course.values():
        course = scores[0].learner.course
        try:
            connector = ServiceConnector(registration_for(course.platform, signing=True), TimedSession())
            ags = AssignmentsGradesService(
                connector,
                {"scope": list(course.ags_scopes), "lineitems": course.lineitems_url},
            )
            if not ags.can_put_grade():
                raise PlatformError(_("The platform has not allowed Parley to send scores in this course."))
            lineitem_url, maximum = _line_item(ags, course, grading)
        except (
            PlatformError,
            LtiException,
            LtiServiceException,
            requests.RequestException,
            NoToolKey,
            ValueError,
        ) as exc:
            _failed(scores, service_failure(exc))
            counts["failed"] += len(scores)
            continue
        for score in scores:
            given = (score.fraction * maximum).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            grade = (
                Grade()
                .set_score_given(float(given))
                .set_score_maximum(float(maximum))
                .set_user_id(score.learner.platform_user_id)
                .set_timestamp(timezone.now().isoformat())
                .set_activity_progress("Completed")
                .set_grading_progress("FullyGraded")
            )
            try:
                ags.put_grade(grade, LineItem({"id": lineitem_url}))
            except (LtiException, LtiServiceException, requests.RequestException, ValueError) as exc:
                _failed([score], service_failure(exc))
                counts["failed"] += 1
                continue
            Score.objects.filter(pk=score.pk).update(
                status=Score.Status.SENT, attempts=score.attempts + 1, sent_at=timezone.now(), last_error=""
            )
            counts["sent"] += 1


def scores_publish(*, exercise_id: int, force: bool = False) -> dict[str, int]:
    """Send the exercise's scores that are due (all unsent ones with `force`); returns counts by outcome."""
    now = timezone.now()
    due = Score.objects.filter(exercise_id=exercise_id).exclude(status=Score.Status.SENT)
    if not force:
        due = due.filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    due = list(due.select_related("learner__course__platform", "exercise").order_by("pk"))
    grading = Grading.objects.select_related("exercise").filter(exercise_id=exercise_id).first()
    counts = {"sent": 0, "failed": 0}
    if not due or grading is None:
        return counts
    # A failure is written in the language of the page that set the rule, wherever it is sent from: a
    # worker has no page, and the instructor reads the failures on theirs.
    with translation.override(grading.language or translation.get_language()):
        _publish(due, grading, counts)
    if counts["failed"]:
        log.warning(
            "exercise %s: %s grades could not be sent; they are kept and retried", exercise_id, counts["failed"]
        )
    return counts


def grading_set(*, exercise: Exercise, rule: str, language: str = "") -> None:
    """The instructor's grade rule for the exercise, set on a page in `language`. Once it has ended, its
    grades are computed again and sent; "none" withdraws the grades not sent yet (those sent stay in the
    gradebook, and here)."""
    Grading.objects.update_or_create(exercise=exercise, defaults={"rule": rule, "language": language})
    if rule == Grading.Rule.NONE:
        Score.objects.filter(exercise=exercise).exclude(status=Score.Status.SENT).delete()
    elif exercise.state == Exercise.State.ENDED:
        scores_enqueue(exercise_id=exercise.pk)


def scores_due_exercises() -> list[int]:
    """The exercises with scores to send now (the workers' sweep)."""
    now = timezone.now()
    due = Score.objects.exclude(status=Score.Status.SENT).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    return sorted(set(due.values_list("exercise_id", flat=True)))


# The tasks, and the debrief's signal


@shared_task(name="lti.tasks.publish_scores", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def publish_scores(exercise_id: int) -> dict[str, int]:
    """After an exercise's debrief: compute its grades, then send them."""
    scores_compute(exercise_id=exercise_id)
    return scores_publish(exercise_id=exercise_id)


@shared_task(name="lti.tasks.sweep_scores", acks_late=False, ignore_result=True)
def sweep_scores() -> list[int]:
    """Every minute, sent by each worker (config/celery.py): the grades whose retry is due, sent again."""
    exercises = scores_due_exercises()
    for exercise_id in exercises:
        scores_publish(exercise_id=exercise_id)
    return exercises


def scores_enqueue(*, exercise_id: int) -> None:
    on_commit_quietly(lambda: publish_scores.delay(exercise_id), f"send the grades of exercise {exercise_id}")


def scores_on_debrief(sender: Any, *, exercise_id: int, **kwargs: Any) -> None:
    """classrooms' debrief_stored: an exercise's class debrief was stored. Only exercises of linked classes
    with a grade rule are sent anything."""
    if Grading.objects.filter(exercise_id=exercise_id).exclude(rule=Grading.Rule.NONE).exists():
        scores_enqueue(exercise_id=exercise_id)
