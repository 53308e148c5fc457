"""The studio's pages: the editor of a draft is its owner's alone, the scenario list shows the instructor's
own drafts and scenarios with their actions, and the exercise form can open on a published version."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from core.spec import DEBRIEF_FIGURES
from scenarios import studio
from scenarios.models import ScenarioDraft
from tests.scenario_docs import valid

pytestmark = pytest.mark.django_db


def test_the_editor_carries_the_draft_for_its_owner(instructor_client: Client, instructor):
    draft = studio.draft_create(owner=instructor, document=valid())
    page = instructor_client.get(f"/scenarios/drafts/{draft.pk}/").content.decode()
    start = page.index('<script id="studio-data" type="application/json">') + len(
        '<script id="studio-data" type="application/json">'
    )
    data = json.loads(page[start : page.index("</script>", start)])
    assert data == {
        "id": draft.pk,
        "revision": 1,
        "document": valid(),
        "scenario": None,
        "figures": list(DEBRIEF_FIGURES),
    }
    assert 'src="/static/js/studio.js"' in page


def test_another_instructors_draft_is_not_found(other_instructor, instructor):
    draft = studio.draft_create(owner=instructor, document=valid())
    client = Client()
    client.force_login(other_instructor)
    assert client.get(f"/scenarios/drafts/{draft.pk}/").status_code == 404
    assert client.get("/scenarios/drafts/999999/").status_code == 404
    assert "The Bakery Lease" not in client.get("/scenarios/").content.decode()


def test_a_visitor_is_sent_to_log_in(client: Client, instructor):
    draft = studio.draft_create(owner=instructor, document=valid())
    answer = client.get(f"/scenarios/drafts/{draft.pk}/")
    assert answer.status_code == 302 and "/login/" in answer["Location"]


def test_the_list_shows_ones_drafts_and_the_actions_on_ones_own_scenarios(instructor_client: Client, instructor):
    draft = studio.draft_create(owner=instructor, document=valid())
    studio.draft_publish(draft=draft)
    studio.draft_save(draft=draft, document={**valid(), "title": "The Bakery Lease, again"}, revision=1)
    studio.draft_publish(draft=ScenarioDraft.objects.get(pk=draft.pk))
    page = instructor_client.get("/scenarios/").content.decode()
    assert f'href="/scenarios/drafts/{draft.pk}/"' in page
    assert 'data-studio-share="bakery-lease"' in page and 'data-shared="false"' in page
    assert 'href="/api/scenarios/bakery-lease/versions/2/document"' in page
    assert 'data-studio-diff="bakery-lease"' in page and '<option value="1" selected>version 1</option>' in page


def test_the_exercise_form_opens_on_the_version_the_studio_links_to(instructor_client: Client, instructor, classroom):
    version = studio.draft_publish(draft=studio.draft_create(owner=instructor, document=valid()))
    page = instructor_client.get(f"/classes/{classroom.pk}/exercises/new/?scenario=bakery-lease&version=1").content
    assert f'<option value="{version.pk}" selected>'.encode() in page
    page = instructor_client.get(f"/classes/{classroom.pk}/exercises/new/?scenario=nobody&version=1").content
    assert f'<option value="{version.pk}">'.encode() in page  # listed, not chosen


def test_the_studio_page_reads_the_instructors_classes_with_its_session(instructor_client: Client, classroom):
    answer = instructor_client.get("/api/classes")
    assert answer.status_code == 200 and [c["name"] for c in answer.json()] == ["Negotiation 101"]
    assert Client().get("/api/classes").status_code == 401
