"""Resolving a contingent scenario's event at the debrief (drawn from the stated chances or set), and
the debrief's expected and realised points against a brute force of the raw document."""

from __future__ import annotations

import json
from collections import Counter
from fractions import Fraction

import pytest
from django.test import Client

from classrooms.models import EventResolution
from classrooms.resolutions import draw_outcome
from classrooms.services import exercise_create
from core.bruteforce import document_figures, document_points, document_realised
from core.spec import plain
from negotiations import rounds
from scenarios.services import scenario_version_create, version_spec
from tests.base import agree, results_page, seats_by_role, start_round, student_client
from tests.scenario_docs import contingent, dump
from tests.test_api import api_client
from tests.test_export import download

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_tasks")]

WITH_BONUS = {"price": "150", "earnout": "bonus"}  # seller 20 + 24, buyer 20 - 1.6
WITHOUT = {"price": "175", "earnout": "none"}  # seller 30, buyer 10


def ended_sale(classroom, instructor):
    """An ended round of the shop sale: one pair with the earn-out, one without, one impasse."""
    document = contingent()
    document["debrief_questions"] = [
        {"question": "Who bet on the revenue, and did the bet pay?", "figure": "contingent"}
    ]
    version = scenario_version_create(document=dump(document)).version
    exercise = exercise_create(
        classroom=classroom, title="Shop sale", scenario_version=version, time_limit_minutes=20, created_by=instructor
    )
    pairs = start_round(exercise, classroom, 6)
    agree(pairs[0], WITH_BONUS)
    agree(pairs[1], WITHOUT, opener="buyer")
    rounds.exercise_end(exercise=exercise)
    return exercise, pairs


@pytest.fixture
def sale(classroom, instructor):
    return ended_sale(classroom, instructor)


def debrief_json(client: Client, exercise) -> dict:
    response = client.get(f"/exercises/{exercise.pk}/debrief.json")
    assert response.status_code == 200
    return response.json()["contingent"]


def post(client: Client, exercise, event: str, **data):
    return client.post(f"/exercises/{exercise.pk}/debrief/events/{event}/", data)


BATNAS = (Fraction(20), Fraction(10))


def brute(document, package, world=None) -> tuple[Fraction, Fraction]:
    """Both roles' points by the oracle: expected, or realised in `world`; an impasse at the BATNAs."""
    if package is None:
        return BATNAS
    keys = tuple(package[i["key"]] for i in document["issues"])
    if world is None:
        return document_points(document)[keys]
    return document_realised(document, keys, world)


def by_role(points: tuple[Fraction, Fraction]) -> dict:
    return {"seller": plain(points[0]), "buyer": plain(points[1])}


def test_the_debrief_shows_expected_points_then_realised_ones_equal_to_the_brute_force(sale, instructor_client):
    exercise, _ = sale
    document = contingent()
    before = debrief_json(instructor_client, exercise)
    assert before["resolved"] is False and before["events"][0]["outcome"] is None
    assert [p["contingent_terms"] for p in before["pairs"]] == [["earnout"], [], []]
    figures = document_figures(document)
    assert before["max_joint"] == plain(figures.max_joint) == 62.4
    assert before["max_joint_flat"] == plain(figures.max_joint_flat) == 40
    for pair, package in zip(before["pairs"], [WITH_BONUS, WITHOUT, None], strict=True):
        expected = brute(document, package)
        assert pair["expected"] == by_role(expected) and pair["realised"] is None
        assert pair["added"] == plain(sum(expected) - figures.max_joint_flat)
    stored_pairs = instructor_client.get(f"/exercises/{exercise.pk}/debrief.json").json()["debrief"]["pairs"]
    stored = {p["id"]: p["outcome"]["points"] for p in stored_pairs}
    assert all(stored[p["id"]] == p["expected"] for p in before["pairs"])

    response = post(instructor_client, exercise, "revenue", action="draw")
    assert response.status_code == 302 and response["Location"].endswith("#panel-contingent")
    drawn = EventResolution.objects.get(exercise=exercise)
    assert drawn.drawn and drawn.outcome in ("beats", "misses")
    after = debrief_json(instructor_client, exercise)
    world = {"revenue": drawn.outcome}
    assert after["resolved"] is True and after["events"][0]["how"] == "drawn"
    for pair, package in zip(after["pairs"], [WITH_BONUS, WITHOUT, None], strict=True):
        assert pair["realised"] == by_role(brute(document, package, world))
        assert pair["joint_realised"] == plain(sum(brute(document, package, world)))
    bonus = after["pairs"][0]["realised"]
    assert bonus == ({"seller": 50, "buyer": 10} if drawn.outcome == "beats" else {"seller": 20, "buyer": 26})
    html = instructor_client.get(f"/exercises/{exercise.pk}/debrief/").content.decode()
    assert 'id="contingent-pairs"' in html and "a draw is final" in html
    panel = html[html.index('id="panel-contingent"') : html.index("</section>", html.index('id="panel-contingent"'))]
    assert "<li>Who bet on the revenue, and did the bet pay?</li>" in panel
    export = json.loads(download(instructor_client, exercise, format="json", table="pairs"))
    assert export["meta"]["events"][0]["outcome"] == drawn.outcome
    rows = export["pairs"]
    assert [row["contingent_terms"] for row in rows] == [["earnout"], [], []]
    assert [row["realised_seller"] for row in rows] == [p["realised"]["seller"] for p in after["pairs"]]
    assert [row["contingent_added"] for row in rows] == [p["added"] for p in after["pairs"]]


def test_a_draw_is_final_and_a_set_outcome_can_change(sale, instructor_client):
    exercise, _ = sale
    post(instructor_client, exercise, "revenue", action="set", outcome="misses")
    assert debrief_json(instructor_client, exercise)["events"][0]["how"] == "set"
    post(instructor_client, exercise, "revenue", action="set", outcome="beats")
    assert EventResolution.objects.get(exercise=exercise).outcome == "beats"
    post(instructor_client, exercise, "revenue", action="draw")
    drawn = EventResolution.objects.get(exercise=exercise)
    assert drawn.drawn
    again = post(instructor_client, exercise, "revenue", action="set", outcome="misses")
    followed = instructor_client.get(again["Location"]).content.decode()
    assert "was drawn" in followed and "a draw is final" in followed
    assert EventResolution.objects.get(exercise=exercise).outcome == drawn.outcome
    post(instructor_client, exercise, "revenue", action="set", outcome="nowhere")
    assert EventResolution.objects.count() == 1
    # In German the refusal is in German, with what it names.
    german = instructor_client.post(
        f"/exercises/{exercise.pk}/debrief/events/revenue/", {"action": "draw"}, HTTP_ACCEPT_LANGUAGE="de", follow=True
    )
    assert "&#x27;revenue&#x27; wurde ausgelost (" in german.content.decode()
    assert "): Eine Auslosung ist endgültig." in german.content.decode()
    assert EventResolution.objects.get(exercise=exercise).outcome == drawn.outcome


def test_a_draw_follows_the_stated_chances_exactly():
    spec_doc = contingent()
    spec_doc["events"][0]["outcomes"].append({"key": "flat", "label": "Flat"})
    spec_doc["events"][0]["distribution"] = {"beats": 0.1, "misses": 0.25, "flat": 0.65}
    from core.scenario_document import parse_scenario

    for role in spec_doc["roles"]:
        role["forecasts"]["revenue"] = {"beats": 0.5, "misses": 0.25, "flat": 0.25}
    for option in spec_doc["issues"][1]["options"][1:]:
        for pays in option["points"].values():
            pays["flat"] = 0
    event = parse_scenario(dump(spec_doc)).scenario.events[0]
    counts = Counter(draw_outcome(event, ticket) for ticket in range(20))  # the common denominator
    assert counts == {"beats": 2, "misses": 5, "flat": 13}
    assert draw_outcome(event) in ("beats", "misses", "flat")


def test_only_the_exercises_instructors_resolve_an_event_and_only_after_the_round(
    sale, classroom, instructor, other_instructor
):
    exercise, pairs = sale
    otto = Client()
    otto.force_login(other_instructor)
    assert post(otto, exercise, "revenue", action="draw").status_code == 404
    student = student_client(seats_by_role(pairs[0])["seller"].student)
    assert post(student, exercise, "revenue", action="draw")["Location"].startswith("/login/")
    assert not EventResolution.objects.exists()
    draft = exercise_create(
        classroom=classroom, title="Again", scenario_version=exercise.scenario_version, time_limit_minutes=20
    )
    client = Client()
    client.force_login(instructor)
    followed = client.get(post(client, draft, "revenue", action="draw")["Location"]).content.decode()
    assert "the round has not ended" in followed and not EventResolution.objects.exists()


def test_the_api_lists_draws_and_sets_events(sale, instructor, other_instructor, classroom):
    exercise, pairs = sale
    api = api_client(instructor)
    listed = api.get(f"/api/exercises/{exercise.pk}/events")
    assert listed.status_code == 200
    assert listed.json() == [
        {
            "event": "revenue",
            "question": "Will next year's revenue beat 2 million?",
            "outcomes": [
                {"key": "beats", "label": "Beats 2M", "chance": 0.5},
                {"key": "misses", "label": "Misses", "chance": 0.5},
            ],
            "outcome": None,
            "outcome_label": None,
            "how": None,
            "resolved_at": None,
        }
    ]
    url = f"/api/exercises/{exercise.pk}/events/revenue"
    # In English whatever the client asks (docs/api.md); the debrief page says it in the page's language.
    wrong = api.put(url, {"outcome": "grows"}, content_type="application/json", HTTP_ACCEPT_LANGUAGE="de")
    assert wrong.status_code == 400 and wrong.json() == {
        "detail": "'grows' is not an outcome of 'revenue' (its outcomes: beats, misses)",
        "field": "outcome",
    }
    unknown = api.post(f"/api/exercises/{exercise.pk}/events/weather/draw")
    assert unknown.status_code == 400 and unknown.json()["field"] == "event"
    assert api_client(other_instructor).post(f"{url}/draw").status_code == 404
    assert api_client(other_instructor).get(f"/api/exercises/{exercise.pk}/events").status_code == 404
    assert Client().post(f"{url}/draw").status_code == 401
    student = student_client(seats_by_role(pairs[0])["seller"].student)
    assert student.post(f"{url}/draw").status_code == 401
    put = api.put(url, {"outcome": "misses"}, content_type="application/json")
    assert put.status_code == 200 and put.json()["how"] == "set" and put.json()["outcome_label"] == "Misses"
    drawn = api.post(f"{url}/draw")
    assert drawn.status_code == 200 and drawn.json()["how"] == "drawn"
    again = api.post(f"{url}/draw")
    assert again.status_code == 409 and "a draw is final" in again.json()["detail"]
    spec = version_spec(exercise.scenario_version)
    assert drawn.json()["outcome"] in spec.events[0].outcome_keys()


def test_each_side_reads_what_a_contingent_option_pays_in_each_outcome(sale, instructor_client):
    exercise, pairs = sale
    seats = seats_by_role(pairs[0])
    seller = student_client(seats["seller"].student).get(f"/s/exercises/{exercise.pk}/").content.decode()
    assert "pay by the answer to “Will next year&#x27;s revenue beat 2 million?”" in seller
    assert "<li>40k more if revenue beats 2M: Beats 2M: 30, Misses: 0</li>" in seller
    assert "Beats 2M: -10" not in seller  # the buyer's points stay the buyer's
    buyer = student_client(seats["buyer"].student).get(f"/s/exercises/{exercise.pk}/").content.decode()
    assert "<li>40k more if revenue beats 2M: Beats 2M: -10, Misses: 6</li>" in buyer and "Beats 2M: 30" not in buyer
    detail = instructor_client.get("/scenarios/shop-sale/").content.decode()
    assert "Seller: Beats 2M: 30, Misses: 0; Buyer: Beats 2M: -10, Misses: 6" in detail


def test_a_students_debrief_shows_the_points_their_bet_realised(sale, instructor_client):
    exercise, pairs = sale
    seller = seats_by_role(pairs[0])["seller"].student
    page = results_page(seller, exercise)
    assert "the answer to “Will next year&#x27;s revenue beat 2 million?”" in page
    assert "Your instructor has not resolved it yet" in page and 'id="my-realised"' not in page
    post(instructor_client, exercise, "revenue", action="set", outcome="misses")
    page = results_page(seller, exercise)
    assert "(Misses)" in page and 'you realised <strong id="my-realised">20</strong> points and Buyer 26.' in page
    other = seats_by_role(pairs[1])["seller"].student
    assert 'id="my-contingent"' not in results_page(other, exercise)  # no bet, nothing to realise


def test_a_stated_chance_keeps_its_percent_sign_beside_it_on_a_narrow_screen():
    from scenarios.templatetags.parley import percent

    assert percent(0.25) == "25%"  # in English; a plain space before it let a narrow panel wrap "25 / %"
