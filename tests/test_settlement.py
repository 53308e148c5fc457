"""The post-settlement round's service, pages and API (negotiations.settlement): who may open and close
it and when, what a hostile student can and cannot do in it, and how it ends at its deadline."""

from __future__ import annotations

from datetime import timedelta

import pytest
import yaml
from django.conf import settings
from django.test import Client
from django.utils import timezone

from classrooms import services
from classrooms.models import Exercise
from core.negotiation import Action
from core.refusal import Refused
from negotiations import rounds, settlement
from negotiations.acting import negotiation_act, negotiation_close_expired
from negotiations.models import Debrief, Event, Negotiation, Seat, Settlement
from negotiations.publishing import exercise_summary
from reports.debrief_pages import student_debrief
from scenarios.services import scenario_version_create
from surveys.models import SurveySkip
from tests.base import add_students, seats_by_role, student_client
from tests.scenario_docs import dump

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_tasks")]  # tasks after commit

SIGNED = {"price": "9600", "handover": "three-weeks", "warranty": "none", "tyres": "included"}  # seller 52, buyer 47
BETTER = {"price": "9600", "handover": "five-weeks", "warranty": "three-months", "tyres": "included"}  # 53, 62


def act(seat: Seat, kind: str, **fields) -> dict:
    return negotiation_act(
        negotiation_id=seat.negotiation_id, seat=seat, action=Action(kind, f"{kind}-{timezone.now()}", **fields)
    ).event


@pytest.fixture
def two_pairs(exercise, classroom):
    """Pair 1 agreed on SIGNED, pair 2 did not: the round is live. Returns each pair's seats by role."""
    students = add_students(classroom, *[f"Student {i}" for i in range(4)])
    rounds.exercise_pair(exercise=exercise, student_ids=[s.pk for s in students], seed=1)
    rounds.exercise_release(exercise=exercise)
    rounds.exercise_start(exercise=exercise)
    first, second = (seats_by_role(n) for n in exercise.negotiations.order_by("number"))
    offer = act(first["seller"], "offer", packages=(SIGNED,))
    act(first["buyer"], "accept", offer_seq=offer["seq"], package=0)
    return first, second


def test_the_round_opens_for_the_pairs_agreed_by_then_and_ends_at_the_latest_with_the_exercise(exercise, two_pairs):
    first, second = two_pairs
    now = timezone.now()
    with pytest.raises(Refused) as minutes:
        settlement.settlement_open(exercise=exercise, minutes=0, now=now)
    assert minutes.value.field == "minutes"
    assert settlement.settlement_open(exercise=exercise, minutes=10, now=now) == 1  # the exercise still live
    pair, other = first["seller"].negotiation, second["seller"].negotiation
    pair.refresh_from_db()
    assert (pair.status, pair.agreement, pair.deadline) == ("settling", SIGNED, now + timedelta(minutes=10))
    assert Event.objects.filter(negotiation=pair).last().type == "settlement_opened"
    # The monitor sees the round open while the exercise runs, so that it offers to close it.
    assert exercise_summary(Exercise.objects.get(pk=exercise.pk))["settlement"] == {
        "opened_at": now.isoformat(),
        "deadline": (now + timedelta(minutes=10)).isoformat(),
        "closed_at": None,
    }
    with pytest.raises(Refused, match="has had its post-settlement round"):
        settlement.settlement_open(exercise=exercise, minutes=10, now=now)
    # A pair that agrees after the round opened is not in it; the exercise's end closes the round.
    offer = act(second["seller"], "offer", packages=(SIGNED,))
    act(second["buyer"], "accept", offer_seq=offer["seq"], package=0)
    assert Negotiation.objects.get(pk=other.pk).status == "agreed"
    assert not Debrief.objects.filter(exercise=exercise).exists()  # nothing computed before the end
    rounds.exercise_end(exercise=exercise)
    pair.refresh_from_db()
    assert (pair.status, pair.agreement) == ("agreed", SIGNED)
    assert Event.objects.filter(negotiation=pair).last().payload == {"reason": "closed"}
    assert Settlement.objects.get(exercise=exercise).closed_at is not None
    debrief = Debrief.objects.get(exercise=exercise).data
    assert [p["settlement"] is not None for p in debrief["pairs"]] == [True, False]
    assert debrief["class"]["settlement"]["pairs"] == 1


def test_a_student_in_the_round_sees_no_results_until_the_pair_has_left_it(exercise, two_pairs):
    first, _ = two_pairs
    rounds.exercise_end(exercise=exercise)
    seller = Seat.objects.select_related("exercise", "negotiation").get(pk=first["seller"].pk)
    SurveySkip.objects.create(exercise=exercise, student=seller.student)
    assert student_debrief(seller) is not None  # skipped the survey: the results, the partner's sheet in them
    settlement.settlement_open(exercise=exercise, minutes=10, now=timezone.now())
    seller = Seat.objects.select_related("exercise", "negotiation").get(pk=first["seller"].pk)
    assert student_debrief(seller) is None  # the partner's points would tell what the partner accepts
    act(first["buyer"], "keep")
    seller = Seat.objects.select_related("exercise", "negotiation").get(pk=first["seller"].pk)
    assert student_debrief(seller) is not None


def test_a_hostile_student_can_neither_open_the_round_nor_act_in_another_pair_nor_make_a_worse_deal(
    exercise, two_pairs, classroom
):
    first, second = two_pairs
    rounds.exercise_end(exercise=exercise)
    seller = student_client(first["seller"].student)
    for url in (f"/exercises/{exercise.pk}/monitor/settlement/open/", f"/api/exercises/{exercise.pk}/settlement/open"):
        response = seller.post(url, {"minutes": "10"}, content_type="application/json")
        assert response.status_code in (302, 401, 403, 404), (url, response.status_code)
    assert not Settlement.objects.exists()
    settlement.settlement_open(exercise=exercise, minutes=10, now=timezone.now())
    # A seat of the other pair cannot act on this one (the socket's identity is its seat, never a frame).
    with pytest.raises(Refused) as elsewhere:
        negotiation_act(
            negotiation_id=first["seller"].negotiation_id,
            seat=second["seller"],
            action=Action("keep", "k1"),
        )
    assert elsewhere.value.code == "seat_changed"
    # The seller offers a package worse for the buyer (the agreement at a higher price): the buyer cannot take it.
    dearer = act(first["seller"], "offer", packages=({**SIGNED, "price": "9900"},))
    with pytest.raises(Refused) as worse:
        act(first["buyer"], "accept", offer_seq=dearer["seq"], package=0)
    assert worse.value.code == "below_agreement" and "41 points, less than the 47" in worse.value.message
    with pytest.raises(Refused) as walked:
        act(first["buyer"], "walk_away")
    assert walked.value.code == "keep_instead"
    pair = Negotiation.objects.get(pk=first["seller"].negotiation_id)
    assert (pair.status, pair.agreement) == ("settling", SIGNED)


def test_an_accepted_package_better_for_both_replaces_the_agreement_and_ends_the_round(
    exercise, two_pairs, instructor_client
):
    first, _ = two_pairs
    rounds.exercise_end(exercise=exercise)
    settlement.settlement_open(exercise=exercise, minutes=10, now=timezone.now())
    better = act(first["buyer"], "offer", packages=(BETTER,))
    act(first["seller"], "accept", offer_seq=better["seq"], package=0)
    pair = Negotiation.objects.get(pk=first["seller"].negotiation_id)
    assert (pair.status, pair.agreement) == ("agreed", BETTER)
    assert [e.payload["terms"] for e in Event.objects.filter(negotiation=pair, type="accept")] == [SIGNED, BETTER]
    assert Settlement.objects.get(exercise=exercise).closed_at is not None  # its only pair has left it
    debrief = Debrief.objects.get(exercise=exercise).data
    assert debrief["class"]["settlement"] == {
        "pairs": 1,
        "improved": 1,
        "joint_before": 99,
        "joint_after": 115,
        "joint_gain": 16,
    }
    page = instructor_client.get(f"/exercises/{exercise.pk}/debrief.json").json()["debrief"]["pairs"]
    assert [p["settlement_changes"] for p in page] == [  # the terms the round changed, as the page shows them
        [
            {"issue": "Handover", "before": "In three weeks", "after": "In five weeks"},
            {"issue": "Warranty", "before": "None, sold as seen", "after": "Three months of cover"},
        ],
        None,  # never in the round
    ]
    with pytest.raises(Refused, match="No post-settlement round is open"):
        settlement.settlement_close(exercise=exercise, now=timezone.now())
    transcript = instructor_client.get(f"/exercises/{exercise.pk}/pairs/1/").content.decode()
    assert "Post-settlement round: the agreement stands" in transcript
    assert transcript.count("accepts package 1 of offer") == 2  # the first agreement, and the one replacing it


def test_a_question_on_the_post_settlement_round_is_asked_beside_it_once_a_pair_was_in_one(
    exercise, two_pairs, instructor_client
):
    first, _ = two_pairs
    document = yaml.safe_load((settings.BASE_DIR / "scenarios" / "builtin" / "used-car.yaml").read_text())
    document.pop("translations")  # which would need the question in each language too
    document["debrief_questions"].append({"question": "What did the second look find?", "figure": "settlement"})
    version = scenario_version_create(document=dump(document)).version  # the same points, one question more
    Exercise.objects.filter(pk=exercise.pk).update(scenario_version=version)
    rounds.exercise_end(exercise=exercise)

    def where() -> tuple[bool, bool]:
        page = instructor_client.get(f"/exercises/{exercise.pk}/debrief/").content.decode()
        panel = page.split('id="panel-settlement"')[1].split("</section>")[0]
        other = page.split('id="other-questions"')[1].split("</ul>")[0] if 'id="other-questions"' in page else ""
        return "What did the second look find?" in panel, "What did the second look find?" in other

    assert where() == (False, True)  # no round yet: under the teaching notes
    settlement.settlement_open(exercise=exercise, minutes=10, now=timezone.now())
    better = act(first["buyer"], "offer", packages=(BETTER,))
    act(first["seller"], "accept", offer_seq=better["seq"], package=0)
    assert where() == (True, False)  # beside the round's table


def test_at_its_deadline_the_pairs_still_in_the_round_keep_their_agreement(exercise, two_pairs):
    first, _ = two_pairs
    rounds.exercise_end(exercise=exercise)
    opened = timezone.now()
    settlement.settlement_open(exercise=exercise, minutes=5, now=opened)
    act(first["seller"], "chat", text="Anything better for both of us?")
    assert negotiation_close_expired(now=opened + timedelta(minutes=5, seconds=1)) == [first["seller"].negotiation_id]
    pair = Negotiation.objects.get(pk=first["seller"].negotiation_id)
    last = Event.objects.filter(negotiation=pair).last()
    assert (pair.status, pair.agreement) == ("agreed", SIGNED)
    assert (last.type, last.payload) == ("settlement_closed", {"reason": "deadline"})
    assert Settlement.objects.get(exercise=exercise).closed_at is not None
    debrief = Debrief.objects.get(exercise=exercise).data
    assert debrief["class"]["settlement"]["joint_gain"] == 0
    assert debrief["pairs"][0]["settlement"]["ending"] == "settlement_closed"


def test_the_instructor_opens_and_closes_the_round_from_the_monitor_and_the_api(
    exercise, two_pairs, instructor, instructor_client, other_instructor
):
    rounds.exercise_end(exercise=exercise)
    stranger = Client()
    stranger.force_login(other_instructor)
    assert stranger.post(f"/exercises/{exercise.pk}/monitor/settlement/open/", {"minutes": "5"}).status_code == 404
    response = instructor_client.post(f"/exercises/{exercise.pk}/monitor/settlement/open/", {"minutes": "5"})
    assert response.json() == {"message": "Post-settlement round open for 1 agreed pair, 5 minutes."}
    token = services.api_token_create(user=instructor, name="settlement")[1]
    api = Client(headers={"Authorization": f"Bearer {token}"})
    again = api.post(f"/api/exercises/{exercise.pk}/settlement/open", {"minutes": 5}, content_type="application/json")
    assert again.status_code == 409 and "has had its post-settlement round" in again.json()["detail"]
    closed = api.post(f"/api/exercises/{exercise.pk}/settlement/close")
    assert closed.status_code == 200 and closed.json()["pairs"] == 1 and closed.json()["closed_at"] is not None
    status = api.get(f"/api/exercises/{exercise.pk}/status").json()
    assert status["counts"] == {"waiting": 0, "negotiating": 0, "agreed": 1, "impasse": 1, "settling": 0}
