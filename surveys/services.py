"""The survey's rules and its summary for the debrief. Scoring itself is pure (core/survey.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from classrooms.models import Exercise
from core import survey as svi
from core.refusal import Refused
from negotiations.models import Negotiation, Outcome, Seat
from scenarios.services import version_spec
from surveys.models import SurveyAnswer, SurveyResponse, SurveySkip

ENDED = (Negotiation.Status.AGREED, Negotiation.Status.IMPASSE)


def item_field(number: int) -> str:
    """The name of an item's answer, in the survey's form and in a refusal's `field`."""
    return f"item_{number}"


def survey_refusal(*, seat: Seat) -> str | None:
    """Why this seat may not answer the survey now, or None when it may."""
    if seat.kind != Seat.Kind.STUDENT or seat.student_id is None:
        return gettext("The survey asks negotiators about their own negotiation; observers do not take it.")
    if seat.negotiation.status not in ENDED and seat.exercise.state != Exercise.State.ENDED:
        return gettext("The survey opens when your negotiation has ended.")
    if SurveySkip.objects.filter(exercise_id=seat.exercise_id, student_id=seat.student_id).exists():
        return gettext(
            "You skipped the survey and have seen your results: answers given now would measure the results."
        )
    return None


def survey_state(*, seat: Seat) -> str:
    """ "answered", "skipped", "open" (neither yet), or "observer" (not the seat's to take), in at most two
    queries."""
    if seat.kind != Seat.Kind.STUDENT or seat.student_id is None:
        return "observer"
    mine = {"exercise_id": seat.exercise_id, "student_id": seat.student_id}
    if SurveyResponse.objects.filter(**mine).exists():
        return "answered"
    return "skipped" if SurveySkip.objects.filter(**mine).exists() else "open"


def survey_settled(*, seat: Seat) -> bool:
    """Whether the survey no longer stands before the seat's results: answered, skipped, or not the
    seat's to take (an observer). Answers given after seeing the results would measure the results."""
    return survey_state(seat=seat) != "open"


@dataclass(frozen=True)
class SurveyStanding:
    """Where the seat stands with the survey, read once: its state (survey_state), why it may not answer
    now (survey_refusal, None when it may), and whether the survey comes next, before the results."""

    state: str
    refusal: str | None

    @property
    def due(self) -> bool:
        return self.refusal is None and self.state == "open"


def survey_standing(*, seat: Seat) -> SurveyStanding:
    return SurveyStanding(state=survey_state(seat=seat), refusal=survey_refusal(seat=seat))


def survey_due(*, seat: Seat) -> bool:
    """The survey comes next: the seat's negotiation has ended and it is neither answered nor skipped."""
    return survey_standing(seat=seat).due


def survey_skip(*, seat: Seat) -> None:
    """The student goes to their results without answering; answered already, nothing changes."""
    refusal = survey_refusal(seat=seat)
    if refusal:
        raise Refused(refusal)
    if not survey_settled(seat=seat):
        SurveySkip.objects.get_or_create(exercise_id=seat.exercise_id, student_id=seat.student_id)


def survey_save(*, seat: Seat, answers: Mapping[int, int]) -> tuple[SurveyResponse, bool]:
    """Store a seat's 16 answers; a second call replaces the first answers. Returns (response, created)."""
    refusal = survey_refusal(seat=seat)
    if refusal:
        raise Refused(refusal)
    try:
        svi.check_answers(answers)
    except svi.SurveyError as exc:
        raise Refused(exc.message, item_field(exc.item) if exc.item else None) from exc
    with transaction.atomic():
        response, created = SurveyResponse.objects.select_for_update().get_or_create(
            exercise_id=seat.exercise_id,
            student_id=seat.student_id,
            defaults={"seat": seat, "role_key": seat.role_key},
        )
        if not created:
            response.save(update_fields=["updated_at"])
            response.answers.all().delete()
        SurveyAnswer.objects.bulk_create(
            SurveyAnswer(response=response, item=number, value=answers[number]) for number in svi.ITEM_NUMBERS
        )
    return response, created


def survey_response_of(*, seat: Seat) -> SurveyResponse | None:
    """The seat's student's earlier answers for this exercise, if any."""
    return SurveyResponse.objects.filter(exercise_id=seat.exercise_id, student_id=seat.student_id).first()


def survey_responses(exercise: Exercise) -> list[SurveyResponse]:
    """An exercise's responses by pair and role, with their answers, seats, pairs and students (3 queries)."""
    return list(
        SurveyResponse.objects.filter(exercise=exercise)
        .select_related("seat__negotiation", "student")
        .prefetch_related("answers")
        .order_by("seat__negotiation__number", "role_key", "pk")
    )


def response_scores(response: SurveyResponse) -> svi.Scores:
    return svi.score(response.answer_map())


def survey_summary(exercise: Exercise) -> dict[str, Any]:
    """The survey for the instructor's debrief: subscale means by role and each respondent's scores
    beside their points. Shape documented in docs/debrief.md ("Survey")."""
    spec = version_spec(exercise.scenario_version)
    responses = survey_responses(exercise)
    outcomes = {
        o.negotiation_id: o.data
        for o in Outcome.objects.filter(negotiation_id__in={r.seat.negotiation_id for r in responses})
    }
    by_role: dict[str, list[svi.Scores]] = {role.key: [] for role in spec.roles}
    points = []
    for response in responses:
        scores = response_scores(response)
        by_role.setdefault(response.role_key, []).append(scores)
        negotiation = response.seat.negotiation
        points.append(
            {
                "negotiation": negotiation.pk,
                "number": negotiation.number,
                "role": response.role_key,
                "points": outcome_points(outcomes.get(negotiation.pk), response.role_key),
                "scores": scores.as_json(),
            }
        )
    names = {role.key: role.name for role in spec.roles}
    return {
        "credit": svi.CREDIT,
        "subscales": [{"key": s.key, "label": s.label} for s in svi.SUBSCALES],
        "responses": len(responses),
        "by_role": [
            {
                "role": key,
                "role_name": names.get(key, key),
                "n": len(scores),
                "means": svi.mean_scores(scores),
            }
            for key, scores in by_role.items()
        ],
        "points": points,
    }


def outcome_points(data: Mapping[str, Any] | None, role: str) -> float | None:
    """A role's points in a pair's stored outcome (core.metrics PairResult.as_json); None if not computed."""
    if not data:
        return None
    value = (data.get("outcome") or {}).get("points", {}).get(role)
    return None if value is None else float(value)
