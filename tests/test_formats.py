"""One format per locale for numbers, money and times on every page (docs/operations.md, "Numbers and
times"); offers numbered as offers and terms by their labels in the transcript; the student debrief's
sentence about the class; the site's icon."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction

import pytest
from django.contrib.staticfiles import finders
from django.template import Context, Template
from django.test import Client

from core.negotiation import Action
from negotiations.acting import negotiation_act
from negotiations.models import Event
from reports.debrief_pages import _rank, rank_beats
from tests.base import seats_by_role, student_client

pytestmark = pytest.mark.django_db(transaction=True)

PACKAGE = {"price": "10100", "handover": "three-weeks", "warranty": "none", "tyres": "included"}


def render(source: str, **context) -> str:
    return Template("{% load parley %}" + source).render(Context(context))


def test_numbers_are_grouped_and_rounded_as_the_room_shows_them():
    assert render("{{ v|number }}", v=10100) == "10,100"
    assert render("{{ v|number }}", v=Fraction(100, 3)) == "33.33"
    assert render("{{ v|number }}", v=Fraction(-5, 2)) == "-2.5"
    assert render("{{ v|number }}", v=None) == "-"
    assert render("{{ v|number }}", v=1234567.0) == "1,234,567"
    # a float's halves by its decimal form, as Intl.NumberFormat reads it (its binary value is below)
    assert render("{{ v|number }}", v=1.005) == "1.01"
    assert render("{{ v|number }}", v=2.675) == "2.68"


def test_times_are_on_the_24_hour_clock_as_the_room_shows_them(settings):
    settings.TIME_ZONE = "UTC"
    assert Template("{{ t|time }}").render(Context({"t": datetime(2026, 3, 2, 22, 33, tzinfo=UTC)})) == "22:33"


def test_the_role_sheet_shows_money_grouped(started_pair):
    negotiation, students = started_pair
    html = student_client(students["seller"]).get(f"/s/exercises/{negotiation.exercise_id}/").content.decode()
    assert "8,500 EUR" in html and "11,000 EUR" in html
    assert "8500 EUR" not in html


def test_the_transcript_numbers_offers_as_offers_and_shows_labels(started_pair, instructor_client):
    negotiation, _ = started_pair
    seats = seats_by_role(negotiation)
    act = lambda seat, **kw: negotiation_act(negotiation_id=negotiation.pk, seat=seat, action=Action(**kw))  # noqa: E731
    act(seats["seller"], type="chat", client_msg_id="c", text="Hello")
    act(seats["seller"], type="offer", client_msg_id="o1", packages=(PACKAGE,))
    second = act(seats["buyer"], type="offer", client_msg_id="o2", packages=(PACKAGE, {**PACKAGE, "price": "9000"}))
    act(seats["seller"], type="accept", client_msg_id="a", offer_seq=second.event["seq"], package=1)
    assert second.event["seq"] == 4
    html = instructor_client.get(f"/exercises/{negotiation.exercise_id}/pairs/1/").content.decode()
    transcript = html[html.index("<h2>Transcript</h2>") :]
    assert "offer 1" in transcript and "offer 2" in transcript
    assert "#4" not in transcript and "offer #" not in transcript
    assert "accepts package 2 of offer 2" in transcript
    assert "10,100 EUR" in transcript and "In three weeks" in transcript
    assert "three-weeks" not in html and "10100" not in html
    assert "Parley" not in transcript and "The negotiation started" in transcript
    started = Event.objects.get(negotiation=negotiation, type="started").created_at
    assert started.strftime("%H:%M") in transcript
    agreement = html[html.index("<h2>Agreement</h2>") : html.index("<h2>Transcript</h2>")]
    assert "Price</strong>: 9,000 EUR" in agreement and "Handover</strong>: In three weeks" in agreement


@pytest.mark.parametrize(
    ("above", "of", "text"),
    [
        (1, 2, "more points than the other result"),
        (0, 2, "no more points than the other result"),
        (2, 3, "more points than both other results"),
        (0, 3, "no more points than either of the other results"),
        (1, 3, "more points than 1 of the other 2 results (50%)"),
        (3, 4, "more points than all 3 other results"),
        (0, 4, "no more points than any of the other 3 results"),
        (1, 4, "more points than 1 of the other 3 results (33%)"),
        (2, 4, "more points than 2 of the other 3 results (67%)"),
        (1, 9, "more points than 1 of the other 8 results (13%)"),  # 12.5: halves up, as the scripts round
    ],
)
def test_the_rank_sentence_agrees_in_number(above, of, text):
    values = [0] * above + [2] * (of - 1 - above) + [1]  # `above` of the others below the last, 1
    assert rank_beats(_rank(1, values)) == text


def test_the_site_has_an_icon_served_as_a_static_file():
    html = Client().get("/").content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html
    assert finders.find("favicon.svg")
    icon = Client().get("/favicon.ico")
    assert icon.status_code in (301, 302) and icon["Location"] == "/static/favicon.svg"


def test_the_chat_box_cuts_nothing_and_knows_the_servers_limit(started_pair):
    from core.negotiation import MAX_CHAT

    negotiation, students = started_pair
    html = student_client(students["seller"]).get(f"/s/exercises/{negotiation.exercise_id}/").content.decode()
    box = html[html.index('<textarea id="chat-text"') :].split(">", 1)[0]
    assert "maxlength" not in box and f'data-max="{MAX_CHAT}"' in box
    assert "{#" not in html and "#}" not in html  # no template comment shows as text


def test_no_template_comment_spans_lines():
    """Django's `{# #}` comment ends with its line: one that goes on to the next is sent to the browser."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "templates"
    open_ended = [
        f"{path.relative_to(root)}:{number}"
        for path in sorted(root.rglob("*.html"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if "{#" in line and "#}" not in line.split("{#", 1)[1]
    ]
    assert open_ended == []


NBSP = "\N{NO-BREAK SPACE}"


def test_a_whole_percentage_rounds_halves_away_from_zero_as_the_scripts_do():
    """12.5 % is "13%" on every page, as Intl.NumberFormat writes it in the debrief's script; Python's
    round() made it "12 %" on the rounds, course and slide pages."""
    from reports import course_pages, roundchart

    for write in (roundchart.percent, course_pages._pct):
        assert write(Fraction(1, 8)) == "13%"
        assert write(Fraction(5, 8)) == "63%"
        assert write(Fraction(-1, 8)) == "-13%"
        assert write(0.5) == "50%"
        assert write(Fraction(1, 3)) == "33%"


@pytest.mark.parametrize(
    ("language", "whole", "exact"),
    [("en", "13%", "12.5%"), ("de", f"13{NBSP}%", f"12,5{NBSP}%"), ("es", f"13{NBSP}%", f"12,5{NBSP}%")],
)
def test_a_percentage_is_written_as_the_pages_language_and_its_script_write_it(language, whole, exact):
    """As static/js/format.js and the debrief's script write one with Intl.NumberFormat (tests/js/):
    "50%" in English, "50 %" in German and Spanish, the sign held to its number by a no-break space
    (a plain one let a phone's narrow panel wrap "25 / %")."""
    from django.utils import translation

    from reports.roundchart import percent as whole_percent
    from scenarios.templatetags.parley import percent

    with translation.override(language):
        assert whole_percent(Fraction(1, 8)) == whole
        assert percent(Fraction(1, 8)) == exact
        assert render("{{ v|percent }}", v=0.125) == exact
        assert render("{{ v|whole_percent }}", v=0.125) == whole
        assert render("{{ v|whole_percent }}", v=None) == "-"


def test_a_change_too_small_to_show_is_written_without_a_sign():
    """A fall of 0.1 points of a percentage is written "0%", not "+0%"; a rise or a fall that shows keeps
    its sign."""
    from reports.roundchart import percent, signed

    tiny_fall, tiny_rise = Fraction(-1, 1000), Fraction(1, 1000)
    assert signed(percent(tiny_fall), tiny_fall) == "0%"
    assert signed(percent(tiny_rise), tiny_rise) == "0%"
    assert signed(percent(Fraction(1, 20)), Fraction(1, 20)) == "+5%"
    assert signed(percent(Fraction(-1, 20)), Fraction(-1, 20)) == "-5%"
    assert signed("0", 0) == "0"
    assert signed("1,200", 1200) == "+1,200"
    assert signed("0", Fraction(-1, 1000)) == "0"


@pytest.mark.parametrize("language", ["de", "es"])
def test_the_rank_sentences_percentage_keeps_its_sign_beside_it_in_german_and_spanish(language):
    from django.utils import translation

    with translation.override(language):
        sentence = rank_beats(_rank(1, [0, 2, 2, 1]))
    assert f"(33{NBSP}%)" in sentence, sentence
