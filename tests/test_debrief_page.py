"""The instructor's debrief page and its JSON, and the student's own debrief on their exercise page."""

from __future__ import annotations

import itertools
import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from negotiations import rounds
from negotiations.models import Debrief
from negotiations.planning import planning_sheet_save
from reports.debrief_pages import instructor_debrief
from surveys.services import survey_summary
from tests.base import agree, results_page, seats_by_role, start_round, student_client

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_tasks")]

LOSE_LOSE = {"price": "9500", "handover": "three-weeks", "warranty": "none", "tyres": "seller-keeps"}  # (44, 37)
NASH = {"price": "10000", "handover": "five-weeks", "warranty": "three-months", "tyres": "included"}  # (61, 54)
BUYER_OPENS = {"price": "9800", "handover": "five-weeks", "warranty": "three-months", "tyres": "included"}  # (57, 58)


@pytest.fixture
def played(exercise, classroom):
    """Four pairs: a lose-lose agreement, the Nash package, a buyer-opened deal, and one still open."""
    pairs = start_round(exercise, classroom, 8)
    agree(pairs[0], LOSE_LOSE)
    agree(pairs[1], NASH)
    agree(pairs[2], BUYER_OPENS, opener="buyer")
    return exercise, pairs


def names(exercise) -> list[str]:
    return [s.student.display_name for s in exercise.seats.select_related("student") if s.student]


def page(client: Client, exercise, query: str = "") -> str:
    response = client.get(f"/exercises/{exercise.pk}/debrief/{query}")
    assert response.status_code == 200
    return response.content.decode()


def as_json(client: Client, exercise, query: str = "") -> dict:
    response = client.get(f"/exercises/{exercise.pk}/debrief.json{query}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return response.json()


# Who may see it


def test_only_the_exercises_instructors_see_the_debrief(played, other_instructor):
    exercise, pairs = played
    otto = Client()
    otto.force_login(other_instructor)
    assert otto.get(f"/exercises/{exercise.pk}/debrief/").status_code == 404
    assert otto.get(f"/exercises/{exercise.pk}/debrief.json").status_code == 404
    student = student_client(seats_by_role(pairs[0])["seller"].student)
    for path in (f"/exercises/{exercise.pk}/debrief/", f"/exercises/{exercise.pk}/debrief.json"):
        response = student.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/login/")
        assert Client().get(path).status_code == 302


def test_the_exercise_page_and_the_monitor_link_to_the_debrief(played, instructor_client):
    exercise, _ = played
    url = reverse("debrief", args=[exercise.pk])
    assert f'href="{url}"' in instructor_client.get(f"/exercises/{exercise.pk}/").content.decode()
    assert f'href="{url}"' in instructor_client.get(f"/exercises/{exercise.pk}/monitor/").content.decode()


# Before and after the round ends


def test_before_the_round_ends_the_page_says_when_the_debrief_will_appear(played, instructor_client):
    exercise, _ = played
    html = page(instructor_client, exercise)
    assert "The debrief will appear here when the round ends. 1 of 4 pairs is still open." in html
    data = as_json(instructor_client, exercise)
    assert data["ready"] is False and data["debrief"] is None
    assert (data["open_pairs"], data["pairs_total"]) == (1, 4)


def test_after_the_round_the_json_holds_every_pair_with_names_and_the_scenario(played, instructor_client):
    exercise, pairs = played
    rounds.exercise_end(exercise=exercise)
    data = as_json(instructor_client, exercise)
    assert data["ready"] is True and data["open_pairs"] == 0
    stored = Debrief.objects.get(exercise=exercise).data
    assert data["debrief"]["class"] == stored["class"] and data["debrief"]["scenario"] == stored["scenario"]
    by_number = {p["number"]: p for p in data["debrief"]["pairs"]}
    assert [by_number[n]["outcome"]["points"] for n in (1, 2, 3, 4)] == [
        {"seller": 44, "buyer": 37},
        {"seller": 61, "buyer": 54},
        {"seller": 57, "buyer": 58},
        {"seller": 43, "buyer": 35},
    ]
    seats = seats_by_role(pairs[0])
    assert by_number[1]["people"] == {
        "seller": [seats["seller"].student.display_name],
        "buyer": [seats["buyer"].student.display_name],
    }
    assert [r["key"] for r in data["scenario"]["roles"]] == ["seller", "buyer"]
    assert data["debrief"]["class"]["anchoring_by_opener"]["buyer"]["n"] == 1
    html = page(instructor_client, exercise)
    assert 'id="debrief-body" hidden' not in html and 'id="debrief-waiting"' in html


def test_the_debrief_reveals_the_deal_the_class_could_have_found_with_its_terms_and_points(played, instructor_client):
    exercise, _ = played
    rounds.exercise_end(exercise=exercise)
    best = as_json(instructor_client, exercise)["scenario"]["best_deal"]
    # The used car's Nash point: five weeks, three months of cover, the tyres, at €10,000 (61 / 54).
    assert best == {
        "terms": [
            {"issue": "Price", "option": "10,000 EUR"},
            {"issue": "Handover", "option": "In five weeks"},
            {"issue": "Warranty", "option": "Three months of cover"},
            {"issue": "Winter tyres", "option": "Go with the car, at no extra charge"},
        ],
        "points": [
            {"role": "Seller (Dana Whitlock)", "points": 61, "batna": 43},
            {"role": "Buyer (Sami Okoro)", "points": 54, "batna": 35},
        ],
        "joint": 115,
        "max_joint": 115,
    }
    html = page(instructor_client, exercise, "?projector=1")
    assert "The deal the class could have found" in html and "<strong>61</strong> points" in html
    assert "<td>In five weeks</td>" in html


def test_the_teaching_notes_and_debrief_questions_are_on_the_instructors_debrief_and_not_the_students(
    played, instructor_client
):
    exercise, pairs = played
    rounds.exercise_end(exercise=exercise)
    html = page(instructor_client, exercise)
    assert 'id="teaching-notes"' in html

    def panel(panel_id: str) -> str:
        return html.split(f'id="{panel_id}"')[1].split("</section>")[0]

    # Each question beside the figure that answers it (the scenario's `figure:` keys).
    assert "What was the first number mentioned, and who said it?" in panel("panel-openings")
    assert "Did anyone offer two or three packages at once?" in panel("panel-openings")
    assert "which &quot;small details&quot; would you now raise before the price?" in panel("panel-openings")
    assert "What did you assume the other side wanted for the tyres?" in panel("panel-heatmap")
    assert "How did the other terms change the price you were willing to accept?" in panel("panel-price")
    assert "When did you find out that the handover date mattered" in panel("panel-perception")
    assert "What did you assume the other side wanted for the tyres?" not in panel("panel-openings")
    student = seats_by_role(pairs[1])["seller"].student
    student_page = results_page(student, exercise)
    assert "Debrief questions" not in student_page and "What was the first number mentioned" not in student_page


def test_each_agreement_shows_what_each_side_gave_and_got_against_its_first_offer(
    exercise, classroom, instructor_client
):
    from core.negotiation import Action
    from negotiations.acting import negotiation_act

    (negotiation,) = start_round(exercise, classroom, 2)
    seats = seats_by_role(negotiation)

    def act(role: str, action: Action) -> int:
        return negotiation_act(negotiation_id=negotiation.pk, seat=seats[role], action=action).event["seq"]

    act("seller", Action("offer", "s1", packages=(dict(NASH, price="10800", warranty="none", tyres="seller-keeps"),)))
    act("buyer", Action("offer", "b1", packages=(dict(NASH, price="9000", handover="saturday"),)))
    final = act("seller", Action("offer", "s2", packages=(NASH,)))
    act("buyer", Action("accept", "a", offer_seq=final))
    rounds.exercise_end(exercise=exercise)
    (pair,) = as_json(instructor_client, exercise)["debrief"]["pairs"]
    rows = {
        row["issue"]: (row["agreed"], [(s["asked"], s["change"]) for s in row["sides"]]) for row in pair["gave_got"]
    }
    # (seller, buyer): the term each first asked for, and the points the agreement gave it there against that.
    assert rows == {
        "Price": ("10,000 EUR", [("10,800 EUR", 30 - 46), ("9,000 EUR", 20 - 40)]),
        "Handover": ("In five weeks", [("In five weeks", 0), ("This coming Saturday", 0 - 10)]),
        "Warranty": ("Three months of cover", [("None, sold as seen", 0 - 12), ("Three months of cover", 0)]),
        "Winter tyres": (
            "Go with the car, at no extra charge",
            [("Dana keeps them", 6 - 0), ("Go with the car, at no extra charge", 0)],
        ),
    }


def test_the_price_zones_are_the_prices_that_leave_both_sides_at_or_above_their_batna(played, instructor_client):
    exercise, _ = played
    rounds.exercise_end(exercise=exercise)
    price = as_json(instructor_client, exercise)["scenario"]["price"]
    assert (price["issue"], price["min"], price["max"], price["step"]) == ("price", 8500, 11000, 100)
    # Brute force over every package of the used car (BATNAs 43 and 35; docs/debrief.md).
    handover = {"saturday": (0, 10), "three-weeks": (12, 7), "five-weeks": (25, 0)}
    warranty = {"none": (12, 0), "one-month": (8, 10), "three-months": (0, 22)}
    tyres = {"included": (6, 12), "seller-keeps": (0, 0)}

    def acceptable(value, h, w, t):
        return (value - 8500) / 50 + h[0] + w[0] + t[0] >= 43 and (11000 - value) / 50 + h[1] + w[1] + t[1] >= 35

    prices = range(8500, 11001, 100)
    anything = [
        v
        for v in prices
        for terms in itertools.product(*(d.values() for d in (handover, warranty, tyres)))
        if acceptable(v, *terms)
    ]
    at_nash = [v for v in prices if acceptable(v, handover["five-weeks"], warranty["three-months"], tyres["included"])]
    assert price["zone_any_terms"] == [min(anything), max(anything)] == [8500, 11000]
    assert price["zone"] == [min(at_nash), max(at_nash)] == [9100, 10900]


def test_the_heatmap_counts_agreements_and_marks_lose_lose_options(played, instructor_client):
    exercise, _ = played
    rounds.exercise_end(exercise=exercise)
    rows = {r["issue"]: r for r in as_json(instructor_client, exercise)["heatmap"]}
    tyres = {c["options"][0]: c for c in rows["tyres"]["cells"]}
    assert rows["tyres"]["compatible"] is True
    assert (tyres["included"]["count"], tyres["included"]["lose_lose"]) == (2, False)
    assert (tyres["seller-keeps"]["count"], tyres["seller-keeps"]["lose_lose"]) == (1, True)
    assert not any(c["lose_lose"] for c in rows["warranty"]["cells"])  # an opposed issue has none
    price = rows["price"]["cells"]
    assert len(price) <= 12 and sum(c["count"] for c in price) == 3  # 26 prices shown in bins
    assert [o for c in price for o in c["options"]] == [str(v) for v in range(8500, 11001, 100)]
    assert price[0]["label"] == "8,500\N{EN DASH}8,700"  # grouped as the page's language groups
    with translation.override("de"):
        german = {r["issue"]: r for r in instructor_debrief(exercise, projector=True)["heatmap"]}
    assert german["price"]["cells"][0]["label"] == "8.500\N{EN DASH}8.700"


def test_projector_mode_leaves_every_name_out_of_the_page_and_the_json(played, instructor_client):
    exercise, _ = played
    rounds.exercise_end(exercise=exercise)
    everyone = names(exercise)
    assert len(everyone) == 8
    normal = json.dumps(as_json(instructor_client, exercise))
    assert all(name in normal for name in everyone)
    projected_html = page(instructor_client, exercise, "?projector=1")
    projected = json.dumps(as_json(instructor_client, exercise, "?projector=1"))
    for name in everyone:
        assert name not in projected_html and name not in projected
    assert 'class="debrief projector"' in projected_html
    assert "debrief.json?projector=1" in projected_html  # live updates stay anonymous
    assert "Leave projector mode" in projected_html
    # Nor is the instructor's own address, which the navigation shows on every other page.
    email = exercise.classroom.owner.email
    assert email in page(instructor_client, exercise) and email not in projected_html


def test_the_survey_summary_is_shown(played, instructor_client):
    exercise, _ = played
    data = as_json(instructor_client, exercise)
    assert data["survey"] == json.loads(json.dumps(survey_summary(exercise)))
    assert data["survey"]["responses"] == 0
    assert "No survey answers yet." in page(instructor_client, exercise)


def test_the_export_form_points_at_the_export(played, instructor_client):
    exercise, _ = played
    html = page(instructor_client, exercise)
    url = reverse("exercise_export", args=[exercise.pk])
    assert f'action="{url}"' in html
    for field in (
        'name="format" value="csv"',
        'name="table"',
        'name="chat" value="1"',
        'name="ids" value="pseudonymous"',
    ):
        assert field in html


# The student's debrief


def results_of(seat, exercise) -> str:
    return results_page(seat.student, exercise)


RESULTS = ('id="my-debrief"', 'id="my-points"', 'id="partner-sheet"', 'id="my-rank"', "revealed after the round",
           'id="better-for-both"', 'id="pareto-note"', 'id="my-debrief-data"')  # fmt: skip


def test_the_survey_comes_before_any_result_and_says_it_may_be_skipped(played):
    exercise, pairs = played
    rounds.exercise_end(exercise=exercise)
    seat = seats_by_role(pairs[0])["seller"]
    client = student_client(seat.student)
    html = client.get(f"/s/exercises/{exercise.pk}/").content.decode()
    survey = reverse("student_survey", args=[exercise.pk])
    assert 'id="survey-first"' in html and f'href="{survey}" id="survey-first-link"' in html
    assert "You may skip it." in html
    assert f'data-survey="{survey}"' in html  # the room's outcome shows no points until the survey
    for result in RESULTS:
        assert result not in html, result
    form = client.get(survey).content.decode()
    assert 'you may <a href="#survey-skip">skip it</a>' in form and "Skip the survey and see my results" in form
    for result in RESULTS:
        assert result not in form, result
    answers = {f"item_{n}": "4" for n in range(1, 17)}
    answered = client.post(survey, answers)
    assert answered.status_code == 302 and answered["Location"].endswith("#my-debrief")
    html = client.get(f"/s/exercises/{exercise.pk}/").content.decode()
    assert 'id="my-debrief"' in html and 'id="survey-first"' not in html and "data-survey=" not in html


def test_a_student_who_skipped_sees_the_results_and_may_not_answer_after_them(played):
    exercise, pairs = played
    rounds.exercise_end(exercise=exercise)
    seat = seats_by_role(pairs[0])["buyer"]
    html = results_of(seat, exercise)
    assert 'id="my-debrief"' in html and 'id="results-ready"' in html
    late = student_client(seat.student).post(
        reverse("student_survey", args=[exercise.pk]), {f"item_{n}": "4" for n in range(1, 17)}
    )
    assert late.status_code == 409 and "would measure the results" in late.content.decode()


def test_a_student_sees_no_debrief_and_no_partner_sheet_before_the_round_ends(played, used_car):
    exercise, pairs = played
    seller = seats_by_role(pairs[0])["seller"].student
    html = student_client(seller).get(f"/s/exercises/{exercise.pk}/").content.decode()
    assert 'id="my-debrief"' not in html and 'id="partner-sheet"' not in html
    assert "revealed after the round" not in html


def test_after_the_round_a_student_sees_their_result_the_partner_sheet_and_a_better_package(played):
    exercise, pairs = played
    rounds.exercise_end(exercise=exercise)
    seats = seats_by_role(pairs[0])
    html = results_of(seats["seller"], exercise)
    assert 'id="my-debrief"' in html
    assert '<strong id="my-points">44</strong>' in html
    assert "In three weeks" in html  # the agreed package, by its labels
    # The buyer's confidential sheet, revealed.
    assert 'id="partner-sheet"' in html and "Buyer (Sami Okoro)" in html
    assert "If there is no agreement (35 points)" in html
    # Better for both: the suggestion of docs/debrief.md's worked example, (61, 54), +17 each.
    better = html[html.index('id="better-for-both"') :]
    assert "<strong>61</strong> points (+17)" in better and "<strong>54</strong> (+17)" in better
    assert "Three months of cover" in better
    # Where it sits: sellers scored 44, 61, 57 and 43 (the impasse at the BATNA).
    assert "yours ranks <strong>3rd</strong>" in html and "more points than 1 of the other 3 results (33%)" in html
    chart = json.loads(html.split('id="my-debrief-data" type="application/json">')[1].split("</script>")[0])
    assert sorted((p["a"], p["b"]) for p in chart["points"]) == [(43, 35), (44, 37), (57, 58), (61, 54)]
    assert [(p["a"], p["b"]) for p in chart["points"] if p["mine"]] == [(44, 37)]
    # Nobody else's name and no other pair's identity appears.
    own = {seats["seller"].student.display_name, seats["buyer"].student.display_name}
    for name in set(names(exercise)) - own:
        assert name not in html
    assert set(chart["points"][0]) == {"a", "b", "impasse", "mine"}


def test_a_pareto_optimal_agreement_gets_no_better_package(played):
    exercise, pairs = played
    rounds.exercise_end(exercise=exercise)
    html = results_of(seats_by_role(pairs[1])["buyer"], exercise)
    assert '<strong id="my-points">54</strong>' in html
    assert 'id="better-for-both"' not in html and 'id="pareto-note"' in html
    assert "Seller (Dana Whitlock)" in html and 'id="partner-sheet"' in html


def test_an_impasse_is_scored_at_the_batna_and_shows_what_both_could_have_had(played):
    exercise, pairs = played
    rounds.exercise_end(exercise=exercise)
    html = results_of(seats_by_role(pairs[3])["buyer"], exercise)
    assert "No agreement. You are scored at your alternative (BATNA)" in html
    assert '<strong id="my-points">35</strong>' in html
    assert "A package you could both have preferred to no agreement" in html


def test_the_student_debrief_links_to_the_survey(played):
    exercise, pairs = played
    rounds.exercise_end(exercise=exercise)
    seat = seats_by_role(pairs[0])["seller"]
    client = student_client(seat.student)
    url = reverse("student_survey", args=[exercise.pk])
    client.post(url, {f"item_{n}": "4" for n in range(1, 17)})
    html = client.get(f"/s/exercises/{exercise.pk}/").content.decode()
    assert f'href="{url}" id="survey-link"' in html


# The partner's priorities, guessed (docs/debrief.md, 4a)


def test_the_debrief_shows_each_guess_of_the_partners_priorities_and_the_class_figures(
    exercise, classroom, instructor_client
):
    pairs = start_round(exercise, classroom, 4)
    first, second = seats_by_role(pairs[0]), seats_by_role(pairs[1])
    guesses = [
        (first["seller"], ["price", "warranty", "tyres", "handover"]),  # the buyer's true order: accuracy 1
        (first["buyer"], ["handover", "price", "warranty", "tyres"]),  # accuracy 0.8, fixed pie -0.2
        (second["seller"], ["price", "handover", "warranty", "tyres"]),  # its own order: fixed pie 1, accuracy 0.4
    ]
    for seat, order in guesses:
        planning_sheet_save(exercise=exercise, student=seat.student, partner_priorities=order)
    planning_sheet_save(exercise=exercise, student=second["buyer"].student, target=40)  # no guess
    rounds.exercise_end(exercise=exercise)
    data = as_json(instructor_client, exercise)["perception"]
    assert (data["guesses"], data["negotiators"]) == (3, 4)
    assert (data["accuracy"]["min"], data["accuracy"]["median"], data["accuracy"]["max"]) == (0.4, 0.8, 1)
    assert (data["fixed_pie"]["min"], data["fixed_pie"]["median"], data["fixed_pie"]["max"]) == (-0.2, 0.4, 1)
    assert "Thompson, L., & Hastie, R. (1990)" in data["credit"]
    rows = [(s["pair"], s["role"], s["name"], s["accuracy"], s["fixed_pie"]) for s in data["students"]]
    assert rows == [
        (1, "seller", first["seller"].student.display_name, 1, 0.4),
        (1, "buyer", first["buyer"].student.display_name, 0.8, -0.2),
        (2, "seller", second["seller"].student.display_name, 0.4, 1),
    ]
    truth = [(item["issue"], item["rank"]) for item in data["students"][0]["truth"]]
    assert truth == [("Price", 1), ("Warranty", 2), ("Winter tyres", 3), ("Handover", 4)]
    assert [item["issue"] for item in data["students"][1]["guess"]] == ["Handover", "Price", "Warranty", "Winter tyres"]
    assert 'id="panel-perception"' in page(instructor_client, exercise)
    projected = as_json(instructor_client, exercise, "?projector=1")["perception"]
    assert [s["name"] for s in projected["students"]] == [None, None, None]


def test_without_a_guess_the_debrief_says_so(played, instructor_client):
    exercise, _ = played
    assert as_json(instructor_client, exercise)["perception"]["guesses"] == 0
    assert "No student has ranked the partner's priorities yet." in page(instructor_client, exercise)
