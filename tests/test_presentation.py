"""The presentation of a class debrief: its slides, who may see them, no names, the SVG downloads."""

from __future__ import annotations

import itertools
import re
import xml.dom.minidom

import pytest
from django.test import Client
from django.utils import timezone

from negotiations import rounds, settlement
from tests.base import agree, seats_by_role, start_round, student_client
from tests.test_debrief_page import LOSE_LOSE, NASH, played  # noqa: F401  (played: the fixture)
from tests.test_settlement import BETTER, act, two_pairs  # noqa: F401  (two_pairs: the fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_tasks")]


@pytest.fixture
def ended(played):  # noqa: F811  (the fixture imported above)
    """tests/test_debrief_page.py's class (a lose-lose agreement, the Nash package, a buyer-opened deal,
    a pair still talking), the round over: the fourth pair an impasse."""
    exercise, pairs = played
    rounds.exercise_end(exercise=exercise)
    return exercise, pairs


def deck(client: Client, exercise) -> str:
    response = client.get(f"/exercises/{exercise.pk}/debrief/present/")
    assert response.status_code == 200
    return response.content.decode()


def slide_keys(html: str) -> list[str]:
    return re.findall(r'data-key="([a-z-]+)"', html)


def test_only_the_exercises_instructors_see_the_presentation(ended, other_instructor):
    exercise, pairs = ended
    otto = Client()
    otto.force_login(other_instructor)
    student = student_client(seats_by_role(pairs[0])["seller"].student)
    for path in (f"/exercises/{exercise.pk}/debrief/present/", f"/exercises/{exercise.pk}/debrief/present/pie.svg"):
        assert otto.get(path).status_code == 404
        response = student.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_debrief_page_links_to_the_presentation(ended, instructor_client):
    exercise, _ = ended
    html = instructor_client.get(f"/exercises/{exercise.pk}/debrief/").content.decode()
    assert f'href="/exercises/{exercise.pk}/debrief/present/"' in html


def test_the_slides_come_in_order_one_idea_each_with_the_best_deal_on_its_own(ended, instructor_client):
    exercise, _ = ended
    html = deck(instructor_client, exercise)
    assert slide_keys(html) == [
        "pie", "claimed", "question", "best-deal", "openers", "first-offers", "meso", "lose-lose"
    ]  # fmt: skip
    best = html.split('data-key="best-deal"')[1].split("</section>")[0]
    assert "In five weeks" in best and "10,000 EUR" in best and ">61<" in best and ">54<" in best
    question = html.split('data-key="question"')[1].split("</section>")[0]
    assert "In five weeks" not in question  # the question comes before the answer
    assert "The best pair created 115 points together." in question


def test_the_slides_speak_the_page_language_and_write_its_numbers(ended, instructor_client):
    exercise, _ = ended
    response = instructor_client.get(f"/exercises/{exercise.pk}/debrief/present/", HTTP_ACCEPT_LANGUAGE="de")
    html = response.content.decode()
    assert '<html lang="de">' in html and "Alle drucken (PDF)" in html
    assert "Wie groß war der Kuchen jedes Paares?" in html and "Höchstmöglich: 115" in html
    best = html.split('data-key="best-deal"')[1].split("</section>")[0]
    assert "Die Einigung, die der Kurs hätte finden können" in best and "10.000 EUR" in best  # grouped as German
    svg = instructor_client.get(f"/exercises/{exercise.pk}/debrief/present/pie.svg", HTTP_ACCEPT_LANGUAGE="es")
    assert "¿Qué tamaño de pastel creó cada pareja?" in svg.content.decode()


def test_no_name_reaches_the_deck_or_its_downloads(ended, instructor_client):
    exercise, _ = ended
    names = [s.student.display_name for s in exercise.seats.select_related("student") if s.student]
    html = deck(instructor_client, exercise)
    assert names and not any(name in html for name in names)
    assert "ines@example.com" not in html
    assert "Pair 1" in html
    for key in slide_keys(html):
        response = instructor_client.get(f"/exercises/{exercise.pk}/debrief/present/{key}.svg")
        assert response.status_code == 200 and response["Content-Type"].startswith("image/svg+xml")
        assert (
            response["Content-Disposition"]
            == f'attachment; filename="{exercise.title.lower().replace(" ", "-")}-{key}.svg"'
        )
        body = response.content.decode()
        xml.dom.minidom.parseString(body)  # noqa: S318  (our own output) well-formed: it opens in any drawing program
        assert not any(name in body for name in names)
    assert instructor_client.get(f"/exercises/{exercise.pk}/debrief/present/nothing.svg").status_code == 404


def test_every_slide_has_a_title_a_text_alternative_and_large_text(ended, instructor_client):
    exercise, _ = ended
    html = deck(instructor_client, exercise)
    for key in slide_keys(html):
        svg = (
            html.split(f'data-slide-svg="{key}"')[0].rsplit("<svg", 1)[1]
            + html.split(f'data-slide-svg="{key}"')[1].split("</svg>")[0]
        )
        assert f'aria-labelledby="slide-{key}-title slide-{key}-desc"' in svg and 'role="img"' in svg
        assert re.search(rf'<desc id="slide-{key}-desc">[^<]{{40,}}</desc>', svg), key
        sizes = [int(s) for s in re.findall(r'font-size="(\d+)"', svg)]
        assert sizes and min(sizes) >= 26, (key, sizes)  # docs/debrief.md: at least 26 units


def test_the_meso_slide_compares_the_pairs_that_offered_several_packages(exercise, classroom, instructor_client):
    from core.negotiation import Action
    from negotiations.acting import negotiation_act

    pairs = start_round(exercise, classroom, 4)
    seats = seats_by_role(pairs[0])
    offer = negotiation_act(
        negotiation_id=pairs[0].pk, seat=seats["buyer"], action=Action("offer", "o", packages=(LOSE_LOSE, NASH))
    )
    negotiation_act(
        negotiation_id=pairs[0].pk,
        seat=seats["seller"],
        action=Action("accept", "a", offer_seq=offer.event["seq"], package=1),
    )
    agree(pairs[1], LOSE_LOSE)
    rounds.exercise_end(exercise=exercise)
    meso = deck(instructor_client, exercise).split('data-key="meso"')[1].split("</section>")[0]
    assert "Offered several packages: 115 joint points on average, 1 pair" in meso
    assert "Did not: 81 joint points on average, 1 pair" in meso


def test_before_the_debrief_the_presentation_says_when_its_slides_appear(exercise, classroom, instructor_client):
    start_round(exercise, classroom, 4)
    html = deck(instructor_client, exercise)
    assert slide_keys(html) == []
    assert "The slides appear once the round has ended" in html and "2 of 2 pairs are still open." in html


def test_before_the_debrief_the_presentation_waits_on_a_small_status_and_stops_once_it_is_there(
    exercise, classroom, instructor_client
):
    """The waiting page asks debrief/status.json (docs/debrief.md, "The presentation"): the round's state,
    whether the debrief is ready and how many pairs are open, nothing else; once ready, it asks no more."""
    pairs = start_round(exercise, classroom, 4)
    html = deck(instructor_client, exercise)
    status_url = f"/exercises/{exercise.pk}/debrief/status.json"
    assert f'data-waiting="{status_url}"' in html and 'data-open="2"' in html
    assert instructor_client.get(status_url).json() == {
        "state": "live",
        "ready": False,
        "pairs_total": 2,
        "open_pairs": 2,
    }
    agree(pairs[0], NASH)
    assert instructor_client.get(status_url).json()["open_pairs"] == 1
    agree(pairs[1], LOSE_LOSE)
    rounds.exercise_end(exercise=exercise)
    answer = instructor_client.get(status_url)
    assert answer.json() == {"state": "ended", "ready": True, "pairs_total": 2, "open_pairs": 0}
    assert answer["Cache-Control"] == "no-store"
    html = deck(instructor_client, exercise)
    assert "data-waiting" not in html and slide_keys(html)


def test_the_presentations_status_is_the_exercises_instructors_only(ended, other_instructor):
    exercise, pairs = ended
    status_url = f"/exercises/{exercise.pk}/debrief/status.json"
    otto = Client()
    otto.force_login(other_instructor)
    assert otto.get(status_url).status_code == 404
    for visitor in (student_client(seats_by_role(pairs[0])["seller"].student), Client()):
        response = visitor.get(status_url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_debrief_json_says_how_each_pair_opened(exercise, classroom, instructor_client):
    from core.negotiation import Action
    from negotiations.acting import negotiation_act

    pairs = start_round(exercise, classroom, 4)
    seats = seats_by_role(pairs[0])

    def act(role: str, action: Action) -> int:
        return negotiation_act(negotiation_id=pairs[0].pk, seat=seats[role], action=action).event["seq"]

    high = {**NASH, "price": "10800", "warranty": "none"}
    act("seller", Action("offer", "1", packages=(high,)))
    act("buyer", Action("offer", "2", packages=({**LOSE_LOSE, "price": "10000"}, {**NASH, "price": "9000"})))
    act("seller", Action("offer", "3", packages=({**LOSE_LOSE, "price": "10000"},)))
    last = act("buyer", Action("offer", "4", packages=(NASH,)))
    act("seller", Action("accept", "5", offer_seq=last))
    agree(pairs[1], LOSE_LOSE, opener="buyer")
    rounds.exercise_end(exercise=exercise)
    data = instructor_client.get(f"/exercises/{exercise.pk}/debrief.json").json()
    openings = {p["number"]: p["opening"] for p in data["debrief"]["pairs"]}
    # The price stopped at 10,000 from the seller's second offer while the handover still moved.
    assert openings[1] == {"opener": "seller", "packages": 1, "price_first": True}
    assert openings[2] == {"opener": "buyer", "packages": 1, "price_first": False}
    html = instructor_client.get(f"/exercises/{exercise.pk}/debrief/").content.decode()
    assert 'id="openings-body"' in html and "How the pairs opened" in html


@pytest.mark.usefixtures("builtin_scenarios")
def test_a_question_without_a_figure_is_listed_under_the_notes(classroom, instructor, instructor_client):
    from tests.test_debrief_odd_cases import begin, nash_package, new_exercise

    exercise = new_exercise(classroom, instructor, slug="farm-expansion")
    pairs = begin(exercise, classroom, 4)
    agree(pairs[0], nash_package(exercise))
    rounds.exercise_end(exercise=exercise)
    page = instructor_client.get(f"/exercises/{exercise.pk}/debrief/").content.decode()
    other = page.split('id="other-questions"')[1].split("</ul>")[0]
    assert "What would you do differently if you knew you would negotiate with this person again" in other
    assert "What did you assume about the hedgerows?" in page.split('id="panel-heatmap"')[1].split("</section>")[0]
    assert "What did you assume about the hedgerows?" not in other


def test_a_large_class_keeps_its_pair_labels_apart():
    from reports.slides import Deck, created_and_claimed, pie

    roles = [{"key": "a", "name": "A", "batna": 0}, {"key": "b", "name": '<b "B"> & Co', "batna": 0}]
    pairs = [{"number": n, "outcome": {"joint": n, "points": {"a": n, "b": 0}}} for n in range(1, 61)]
    data = {"scenario": {"roles": roles}, "debrief": {"pairs": pairs, "scenario": {"max_joint": 60}, "class": {}}}
    slide = pie(Deck(data))
    assert slide is not None
    claimed = created_and_claimed(Deck(data))
    assert claimed is not None and "&lt;b &quot;B&quot;&gt; &amp; Co" in claimed.svg and "<b " not in claimed.svg
    xml.dom.minidom.parseString(claimed.svg)  # noqa: S318  (our own output) still well-formed
    labels = re.findall(r'<text x="([\d.]+)" y="570"[^>]*>(\d+)</text>', slide.svg)
    xs = [float(x) for x, _ in labels]
    assert len(labels) >= 10 and min(b - a for a, b in itertools.pairwise(xs)) >= 60
    assert "pair 60 60" in slide.description  # every pair in the text alternative, labelled or not


def test_a_post_settlement_round_has_a_slide_of_each_pair_before_and_after(exercise, two_pairs, instructor_client):  # noqa: F811
    first, _ = two_pairs
    rounds.exercise_end(exercise=exercise)
    assert "settlement" not in slide_keys(deck(instructor_client, exercise))  # no round yet: no slide
    settlement.settlement_open(exercise=exercise, minutes=10, now=timezone.now())
    better = act(first["buyer"], "offer", packages=(BETTER,))
    act(first["seller"], "accept", offer_seq=better["seq"], package=0)
    html = deck(instructor_client, exercise)
    assert slide_keys(html)[-1] == "settlement"
    shown = html.split('data-key="settlement"')[1].split("</section>")[0]
    assert "1 of 1 pair found one: +16 joint points" in shown
    assert "Pair 1: 99 joint points before the round" in shown and "Pair 1: 115 after it" in shown


def test_a_contingent_scenario_has_a_slide_of_what_the_bet_added_expected_then_as_it_came_out(
    classroom, instructor, instructor_client
):
    from classrooms.resolutions import event_set
    from tests.test_contingent_debrief import ended_sale

    exercise, _ = ended_sale(classroom, instructor)
    shown = deck(instructor_client, exercise).split('data-key="contingent"')[1].split("</section>")[0]
    assert "What betting on the future added" in shown and "as it came out" not in shown
    assert "With a contingent term (1)" in shown and "Without (1)" in shown
    event_set(exercise=exercise, event="revenue", outcome="misses", user=instructor)
    shown = deck(instructor_client, exercise).split('data-key="contingent"')[1].split("</section>")[0]
    assert "as the event came out" in shown
