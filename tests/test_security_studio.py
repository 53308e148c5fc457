"""An attacker's pass over the scenario studio: what a draft may hold (docs/studio.md, "Drafts")."""

from __future__ import annotations

import xml.dom.minidom

import pytest
from django.core.cache import caches

from core.bots import Sheet
from core.scenario_document import parse_scenario
from core.tournament import tournament
from reports import svg
from scenarios.models import ScenarioDraft
from scenarios.templatetags.parley import markdown
from tests.scenario_docs import dump, valid
from tests.test_api import api_client
from tests.test_api_studio import new_draft, send

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_throttles():
    caches["default"].clear()


def test_a_draft_past_500000_characters_as_yaml_is_not_stored(instructor):
    api = api_client(instructor)
    draft = new_draft(api)
    document = {**valid(), "teaching_notes": "x" * 600_000}
    saved = send(api, "put", f"/api/scenario-drafts/{draft['id']}", {"document": document, "revision": 1})
    assert saved.status_code == 400 and "at most 500,000 are allowed" in saved.json()["detail"]
    made = send(api, "post", "/api/scenario-drafts", {"document": document})
    assert made.status_code == 400 and ScenarioDraft.objects.count() == 1


def test_a_draft_holds_no_number_json_cannot_carry(instructor):
    """NaN and Infinity, which Python's JSON reader takes, would be stored and sent back as text no JSON
    reader (the editor's page among them) accepts."""
    api = api_client(instructor)
    draft = new_draft(api)
    for value in ("NaN", "Infinity", "-Infinity"):
        body = '{"document": {"slug": "a", "roles": [{"batna": ' + value + '}]}, "revision": 1}'
        saved = api.put(f"/api/scenario-drafts/{draft['id']}", body, content_type="application/json")
        assert saved.status_code == 400, saved.content
        assert saved.json()["detail"] == "roles[0].batna: is not a finite number"
    imported = send(api, "post", "/api/scenario-drafts", {"yaml": "slug: a\nroles: [{batna: .nan}]\n"})
    assert imported.status_code == 400 and "roles[0].batna" in imported.json()["detail"]
    assert ScenarioDraft.objects.get().revision == 1


def test_a_name_with_a_control_character_leaves_a_slide_well_formed_xml():
    """A scenario's names may hold characters XML 1.0 forbids (a YAML "\\x01", a JSON "\\u000b"); the
    slide downloaded as an .svg file must still parse."""
    slide = svg.document(
        "k",
        "Title\x0c",
        "Desc\x00ription",
        [svg.text(0, 0, "Own\x01er & <b>"), svg.rect(0, 0, 1, 1, "#fff", "Bar\x1f")],
    )
    parsed = xml.dom.minidom.parseString('<?xml version="1.0" encoding="UTF-8"?>\n' + slide)  # noqa: S318  (our own output)
    texts = [node.firstChild.data for node in parsed.getElementsByTagName("text")]
    assert texts == ["Title", "Owner & <b>"]
    assert parsed.getElementsByTagName("desc")[0].firstChild.data == "Description"


def test_a_markdown_text_with_brackets_past_the_budget_shows_them_as_typed():
    """The Markdown reader scans from every '[' to its match, or to the end of the paragraph: 25,000 of them
    in a 50,000-character sheet took 100 s on every page that shows it (and at every preview). Past the
    budget a text's links are not read; below it they are."""
    links = "[a](/x) " * 300
    assert markdown(links).count("<a ") == 300
    heavy = "[a](/x) " * 400 + "x" * 10_000  # 400 brackets in 13,200 characters
    html = markdown(heavy)
    assert "<a " not in html and html.count("[a](/x)") == 400
    assert markdown("\\[" * 25_000 + "]" * 25_000).count("[") == 25_000  # a backslash does not undo it


def test_a_tournament_reads_each_role_s_sheet_once_not_once_a_round(monkeypatch):
    """A sheet costs the grid of every issue: twenty numeric issues of 2,001 values took 5 s a round to read,
    so 100 rounds outlasted the one-at-a-time lock (60 s) by minutes."""
    scenario = parse_scenario(dump(valid())).scenario
    reads = []
    original = Sheet.from_scenario.__func__

    def counted(cls, scenario, role):
        reads.append(role)
        return original(cls, scenario, role)

    monkeypatch.setattr(Sheet, "from_scenario", classmethod(counted))
    assert len(tournament(scenario, 12)) == 12
    assert sorted(reads) == ["baker", "owner"]


def test_a_tournament_refused_by_the_lock_or_the_throttle_does_not_read_its_document_first(instructor, monkeypatch):
    """Reading a document costs its grids (a valid one of 100 numeric issues: 13 s): before the throttle and
    the one-at-a-time lock, any number of requests read theirs at once."""
    api = api_client(instructor)
    reads = []
    monkeypatch.setattr("scenarios.studio.parse_scenario", lambda text: reads.append(text))
    caches["default"].add(f"studio-busy:figures:{instructor.pk}", "analysis", timeout=60)
    busy = send(api, "post", "/api/scenario-tournaments", {"document": valid(), "rounds": 4})
    assert busy.status_code == 429 and "still running" in busy.json()["detail"]
    assert reads == []


def test_one_markdown_preview_at_a_time_an_instructor(instructor):
    from django.core.cache import caches
    from django.test import Client

    client = Client()
    client.force_login(instructor)
    caches["default"].clear()
    assert (
        client.post("/scenarios/drafts/preview/", {"text": "**bold**"}).json()["html"] == "<p><strong>bold</strong></p>"
    )
    caches["default"].add(f"studio-busy:preview:{instructor.pk}", "preview", timeout=30)  # one still running
    busy = client.post("/scenarios/drafts/preview/", {"text": "**bold**"})
    assert busy.status_code == 429 and busy["Retry-After"] == "1"
    assert busy.json()["detail"] == "Your previous preview is still running: wait for it, then try again."
    caches["default"].add(f"studio-busy:figures:{instructor.pk}", "analysis", timeout=30)  # another lane
    caches["default"].delete(f"studio-busy:preview:{instructor.pk}")
    assert client.post("/scenarios/drafts/preview/", {"text": "x"}).status_code == 200


def test_a_publication_waits_for_the_instructor_s_running_analysis(instructor):
    from scenarios.models import Scenario

    api = api_client(instructor)
    draft = send(api, "post", "/api/scenario-drafts", {"document": {**valid(), "slug": "busy-lease"}}).json()
    caches["default"].add(f"studio-busy:figures:{instructor.pk}", "analysis", timeout=60)
    busy = send(api, "post", f"/api/scenario-drafts/{draft['id']}/publish")
    assert busy.status_code == 429  # the answer names what is running, not what was asked
    assert busy.json()["detail"] == "Your previous analysis is still running: wait for it, then try again."
    assert not Scenario.objects.filter(slug="busy-lease").exists()
    caches["default"].delete(f"studio-busy:figures:{instructor.pk}")
    assert send(api, "post", f"/api/scenario-drafts/{draft['id']}/publish").status_code == 201


def test_a_markdown_preview_past_the_length_of_a_text_field_is_refused_unrendered(instructor, monkeypatch):
    from django.test import Client

    rendered = []
    monkeypatch.setattr("scenarios.views.markdown", lambda text: rendered.append(text) or "")
    client = Client()
    client.force_login(instructor)
    caches["default"].clear()
    refused = client.post("/scenarios/drafts/preview/", {"text": "x" * 50_001})
    assert refused.status_code == 400
    assert refused.json() == {"detail": "The text has 50,001 characters; at most 50,000 are allowed."}
    assert rendered == []
    assert client.post("/scenarios/drafts/preview/", {"text": "x" * 50_000}).status_code == 200
    assert len(rendered) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_drafts_made_at_once_stay_within_the_cap(instructor, monkeypatch):
    # Each creation counted the drafts under a lock on the rows there were, which a draft made meanwhile
    # is not: two at once both read one short of the cap and both were stored.
    from scenarios import studio
    from tests.base import race

    monkeypatch.setattr(studio, "MAX_DRAFTS", 3)
    studio.draft_create(owner=instructor)
    for _ in range(3):
        race(*(lambda: studio.draft_create(owner=instructor) for _ in range(4)))
        assert ScenarioDraft.objects.filter(owner=instructor).count() == 3


def test_a_tournament_of_a_document_past_a_bound_is_refused_with_its_problem(instructor):
    # The tournament writes its document as YAML to read it, as a publication does: a number past 10**100 or a
    # nesting past 20 levels is refused there, and that refusal answered 500.
    api = api_client(instructor)
    deep: dict = {}
    for _ in range(25):
        deep = {"a": deep}
    for document, problem in (
        ({**valid(), "title": 10**101}, "title: is too large: points and values stay within one billion"),
        ({**valid(), "notes": deep}, "nested deeper than 20 levels"),
    ):
        refused = send(api, "post", "/api/scenario-tournaments", {"document": document, "rounds": 2})
        assert refused.status_code == 400 and refused.json()["field"] == "document", refused.content
        said = refused.json()["detail"]
        assert said.startswith("The document has 1 problem to fix first; the first: ") and problem in said, said
        assert refused.json()["template"] == "The document has 1 problem to fix first; the first: %(path)s: %(problem)s"
