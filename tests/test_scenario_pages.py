from __future__ import annotations

import re
from fractions import Fraction

import pytest
from django.test import Client

from scenarios.services import builtin_scenarios_load, scenario_version_create
from tests.scenario_docs import dump, valid


def test_the_scenario_pages_need_a_login(client: Client, lease):
    for url in ("/scenarios/", "/scenarios/bakery-lease/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


@pytest.mark.django_db
def test_the_list_shows_the_builtins(instructor_client: Client):
    builtin_scenarios_load()
    page = instructor_client.get("/scenarios/").content.decode()
    for slug in (
        "orange-dispute",
        "used-car",
        "farm-expansion",
        "road-bike",
        "job-offer",
        "supply-contract",
        "business-sale",
    ):
        assert f'href="/scenarios/{slug}/"' in page
    assert "Buyer (Rafael Dunne) · 1 issue ·" in page and "Buyer (Sami Okoro) · 4 issues ·" in page


def test_the_detail_shows_situation_both_sheets_scoring_and_notes(instructor_client: Client, lease):
    page = instructor_client.get("/scenarios/bakery-lease/").content.decode()
    assert "A baker wants a <strong>shop</strong>" in page
    assert "You own it." in page and "You bake." in page
    assert "Look for the term-for-repairs trade." in page
    assert "Monthly rent" in page and "Five years" in page
    assert "Best joint gain" in page


def test_the_detail_shows_a_chosen_version(instructor_client: Client, lease):
    doc = valid()
    doc["title"] = "The Bakery Lease, revised"
    scenario_version_create(document=dump(doc))
    assert "revised" in instructor_client.get("/scenarios/bakery-lease/").content.decode()
    old = instructor_client.get("/scenarios/bakery-lease/?version=1").content.decode()
    assert "revised" not in old and "Version 1 of 2" in old


def test_an_unknown_scenario_or_version_is_404(instructor_client: Client, lease):
    assert instructor_client.get("/scenarios/nope/").status_code == 404
    assert instructor_client.get("/scenarios/bakery-lease/?version=9").status_code == 404


def test_markdown_in_a_document_cannot_inject_script(instructor_client: Client, db):
    doc = valid()
    doc["situation"] = "Hello <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>"
    scenario_version_create(document=dump(doc))
    page = instructor_client.get("/scenarios/bakery-lease/").content.decode()
    assert "<script>alert(1)" not in page
    assert "javascript:" not in page
    assert "<img" not in page
    # The markup is shown as the text it is, as in every field that is not Markdown.
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.django_db
def test_the_detail_lists_the_debrief_questions_with_their_figures(instructor_client: Client):
    builtin_scenarios_load()
    page = instructor_client.get("/scenarios/used-car/").content.decode()
    questions = page.split('id="debrief-questions"')[1].split("</ol>")[0]
    assert "What was the first number mentioned, and who said it?" in questions
    assert "(beside the debrief's first-offers figure)" in questions


def test_the_studio_preview_renders_markdown_as_the_pages_do(instructor_client: Client, db):
    answer = instructor_client.post("/scenarios/drafts/preview/", {"text": "*Think* <img src=x onerror=alert(1)>"})
    assert answer.json() == {"html": "<p><em>Think</em> &lt;img src=x onerror=alert(1)&gt;</p>"}
    answer = instructor_client.post("/scenarios/drafts/preview/", {"text": "x" * 50_001})
    assert answer.status_code == 400
    assert answer.json() == {"detail": "The text has 50,001 characters; at most 50,000 are allowed."}


def test_the_studio_preview_is_for_instructors_only(client: Client, db):
    answer = client.post("/scenarios/drafts/preview/", {"text": "*Think*"})
    assert answer.status_code == 302 and "/login/" in answer["Location"]


def test_the_share_of_outcomes_both_prefer_is_a_percentage_as_the_pages_language_writes_it(
    instructor_client: Client, lease
):
    """As the studio's script writes it with Intl.NumberFormat ("37.5%", "37,5 %"): the page wrote a
    float rounded by round(), "50.0%", and "37,5%" in German."""
    page = instructor_client.get("/scenarios/bakery-lease/").content.decode()
    outcomes = int(re.search(r"<dt>Outcomes</dt><dd>(\d+)</dd>", page).group(1))
    shown = re.search(r"<dt>Outcomes both prefer to their BATNA</dt><dd>(\d+) \((.*?)\)</dd>", page)
    assert shown, page
    feasible, share = int(shown.group(1)), shown.group(2)
    exact = Fraction(feasible, outcomes) * 100
    whole, rest = divmod(exact * 100, 1)  # two places, halves away from zero
    places = int(whole + (rest >= Fraction(1, 2)))
    written = f"{places // 100}.{places % 100:02d}".rstrip("0").rstrip(".")
    assert share == f"{written}%"
    german = instructor_client.get("/scenarios/bakery-lease/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert f"({written.replace('.', ',')}\u00a0%)" in german
