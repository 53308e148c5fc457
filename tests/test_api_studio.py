"""The scenario studio's API (api/studio.py, docs/studio.md): drafts saved as typed and refused when stale,
analysed as an import validates, published as private versions, shared, exported and compared; every
endpoint checked against a second instructor, a student and an anonymous caller."""

from __future__ import annotations

import pytest
import yaml
from django.core.cache import caches
from django.test import Client

from scenarios.models import Scenario, ScenarioDraft
from tests.base import add_students, student_client
from tests.scenario_docs import valid
from tests.test_api import api_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_throttles():
    caches["default"].clear()


@pytest.fixture
def api(instructor) -> Client:
    return api_client(instructor)


def send(client: Client, method: str, url: str, body=None):
    return getattr(client, method)(url, body if body is not None else {}, content_type="application/json")


def new_draft(client: Client, **body) -> dict:
    response = send(client, "post", "/api/scenario-drafts", body)
    assert response.status_code == 201, response.content
    return response.json()


def test_a_draft_is_made_saved_and_refused_when_saved_from_an_older_copy(api):
    draft = new_draft(api)
    assert draft["revision"] == 1 and draft["document"]["roles"][0]["key"] == "first" and draft["title"] == ""
    url = f"/api/scenario-drafts/{draft['id']}"
    saved = send(api, "put", url, {"document": valid(), "revision": 1})
    assert saved.status_code == 200 and saved.json()["revision"] == 2 and saved.json()["title"] == "The Bakery Lease"
    stale = send(api, "put", url, {"document": {"title": "lost?"}, "revision": 1})
    assert stale.status_code == 400 and stale.json()["field"] == "revision"
    assert "saved elsewhere since (revision 2, not 1)" in stale.json()["detail"]
    assert api.get(url).json()["document"] == valid()  # nothing lost, nothing overwritten
    invalid = {**valid(), "roles": "nobody"}  # a draft may be invalid while it is written
    assert send(api, "put", url, {"document": invalid, "revision": 2}).status_code == 200
    assert [d["id"] for d in api.get("/api/scenario-drafts").json()] == [draft["id"]]


def test_a_draft_is_adapted_from_a_builtin_or_imported_from_yaml_and_bad_input_is_named(api, used_car):
    adapted = new_draft(api, adapt={"scenario": "used-car"})
    assert adapted["document"]["slug"] == "used-car-copy" and adapted["based_on"] == f"used-car@{used_car.number}"
    imported = new_draft(api, yaml=yaml.safe_dump(valid()))
    assert imported["document"] == valid()
    bad = send(api, "post", "/api/scenario-drafts", {"yaml": "a: [1, 2"})
    assert bad.status_code == 400 and bad.json()["field"] == "yaml" and "does not parse" in bad.json()["detail"]
    both = send(api, "post", "/api/scenario-drafts", {"yaml": "a: 1", "document": {}})
    assert both.status_code == 400 and both.json()["detail"] == (
        "Give at most one of document, adapt and yaml, not document and yaml."
    )
    # A refusal of the studio, with its template and parameters (docs/api.md, "Messages to translate").
    assert both.json()["template"] == "Give at most one of document, adapt and yaml, not %(first)s and %(second)s."
    assert both.json()["params"] == {"first": "document", "second": "yaml"}
    three = send(api, "post", "/api/scenario-drafts", {"yaml": "a: 1", "document": {}, "adapt": {"scenario": "x"}})
    assert three.status_code == 400 and three.json()["detail"] == (
        "Give at most one of document, adapt and yaml, not document and adapt and yaml."
    )
    assert three.json()["template"] == three.json()["detail"] and three.json()["params"] == {}  # nothing to fill
    unknown = send(api, "post", "/api/scenario-drafts", {"documnet": {}})
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"] == ["body", "payload", "documnet"]
    deep: list = []
    for _ in range(50):
        deep = [deep]
    too_deep = send(api, "post", "/api/scenario-drafts", {"document": {"slug": deep}})
    assert too_deep.status_code == 400 and "nested deeper than 20 levels" in too_deep.json()["detail"]
    missing = send(api, "post", "/api/scenario-drafts", {"adapt": {"scenario": "nothing-here"}})
    assert missing.status_code == 404


def test_the_analysis_answers_problems_at_their_paths_or_the_figures_and_warnings(api):
    bad = send(api, "post", "/api/scenario-analysis", {"document": {**valid(), "roles": []}})
    assert bad.status_code == 200 and bad.json()["valid"] is False
    assert bad.json()["problems"][0]["path"] == "roles"
    good = send(api, "post", "/api/scenario-analysis", {"document": valid()}).json()
    assert good["valid"] and good["figures"]["max_joint"] == 110 and good["figures"]["batna"] == [20, 15]
    assert good["warnings"][0].startswith("issues[0] (rent): with every other issue")
    assert len(good["figures"]["region"]) >= 3


def test_a_published_draft_is_a_private_scenario_until_shared_and_a_builtin_is_never_changed(
    api, instructor, other_instructor, used_car
):
    draft = new_draft(api, document={**valid(), "slug": "ines-lease"})
    published = send(api, "post", f"/api/scenario-drafts/{draft['id']}/publish")
    assert published.status_code == 201 and published.json() == {
        "scenario": "ines-lease",
        "version": 1,
        "title": "The Bakery Lease",
    }
    assert Scenario.objects.get(slug="ines-lease").owner == instructor
    other = api_client(other_instructor)
    assert "ines-lease" in [s["slug"] for s in api.get("/api/scenarios").json()]
    assert "ines-lease" not in [s["slug"] for s in other.get("/api/scenarios").json()]
    assert other.get("/api/scenarios/ines-lease/versions/1/document").status_code == 404
    assert send(other, "patch", "/api/scenarios/ines-lease", {"shared": True}).status_code == 404
    assert send(other, "post", "/api/scenario-drafts", {"adapt": {"scenario": "ines-lease"}}).status_code == 404
    assert send(api, "patch", "/api/scenarios/ines-lease", {"shared": True}).json() == {
        "slug": "ines-lease",
        "shared": True,
    }
    assert "ines-lease" in [s["slug"] for s in other.get("/api/scenarios").json()]
    assert send(other, "patch", "/api/scenarios/ines-lease", {"shared": False}).status_code == 409  # not the owner's
    # A second publication is version 2, and the two compare
    changed = {**valid(), "slug": "ines-lease", "title": "The Bakery Lease, again"}
    assert (
        send(api, "put", f"/api/scenario-drafts/{draft['id']}", {"document": changed, "revision": 1}).status_code == 200
    )
    assert send(api, "post", f"/api/scenario-drafts/{draft['id']}/publish").json()["version"] == 2
    diff = api.get("/api/scenarios/ines-lease/diff?from=1&to=2")
    assert (
        diff.status_code == 200
        and "-title: The Bakery Lease\n+title: The Bakery Lease, again\n" in diff.content.decode()
    )
    exported = api.get("/api/scenarios/ines-lease/versions/2/document")
    assert exported["Content-Type"].startswith("application/yaml") and yaml.safe_load(exported.content) == changed
    # Someone else's slug, and a built-in's, are refused at publication
    theirs = new_draft(other, document={**valid(), "slug": "ines-lease"})
    taken = send(other, "post", f"/api/scenario-drafts/{theirs['id']}/publish")
    assert taken.status_code == 400 and "belongs to another scenario" in taken.json()["detail"]
    builtin = new_draft(api, adapt={"scenario": "used-car"})
    document = {**builtin["document"], "slug": "used-car"}
    send(api, "put", f"/api/scenario-drafts/{builtin['id']}", {"document": document, "revision": 1})
    refused = send(api, "post", f"/api/scenario-drafts/{builtin['id']}/publish")
    assert refused.status_code == 400 and "built in: adapt it" in refused.json()["detail"]
    assert Scenario.objects.get(slug="used-car").versions.count() == 1


def test_an_invalid_draft_is_not_published_and_says_its_first_problem(api):
    draft = new_draft(api)
    refused = send(api, "post", f"/api/scenario-drafts/{draft['id']}/publish")
    assert refused.status_code == 400 and refused.json()["detail"] == (
        "The draft has 12 problems to fix first; the first: slug: must be a short key of lower-case letters, "
        "digits, '-' or '_' (at most 50), got ''"
    )
    assert not Scenario.objects.exists()


def test_every_draft_endpoint_is_404_for_a_second_instructor_and_401_for_others(api, other_instructor, classroom):
    draft = new_draft(api, document=valid())
    other = api_client(other_instructor)
    base = f"/api/scenario-drafts/{draft['id']}"
    assert other.get(base).status_code == 404
    assert send(other, "put", base, {"document": {}, "revision": 1}).status_code == 404
    assert send(other, "post", f"{base}/publish").status_code == 404
    assert other.delete(base).status_code == 404
    assert other.get("/api/scenario-drafts").json() == []
    (student,) = add_students(classroom, "Ada")
    for caller in (Client(), student_client(student)):  # anonymous, and a student's session
        for method, url in (("get", base), ("get", "/api/scenario-drafts"), ("post", "/api/scenario-analysis")):
            assert send(caller, method, url, {"document": valid()}).status_code == 401
    assert ScenarioDraft.objects.get().document == valid()
    assert api.delete(base).status_code == 204 and not ScenarioDraft.objects.exists()


def test_the_studio_page_s_session_may_call_with_its_csrf_token_and_not_without(instructor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(instructor)
    refused = send(client, "post", "/api/scenario-analysis", {"document": valid()})
    assert refused.status_code == 403  # no CSRF token: a page elsewhere cannot make the call
    client.get("/scenarios/")  # any page sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    allowed = client.post(
        "/api/scenario-analysis", {"document": valid()}, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert allowed.status_code == 200 and allowed.json()["valid"] is True


def test_analyses_and_tournaments_are_throttled_per_instructor_with_a_time_to_retry(api, settings, monkeypatch):
    settings.THROTTLES = {**settings.THROTTLES, "studio_analysis": {"address": (100, 60), "account": (2, 60)}}
    monkeypatch.setattr("classrooms.throttles._now", lambda: 1_800_000_000.0)  # one fixed window, whatever the clock
    for _ in range(2):
        assert send(api, "post", "/api/scenario-analysis", {"document": valid()}).status_code == 200
    refused = send(api, "post", "/api/scenario-analysis", {"document": valid()})
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert refused.json()["detail"].startswith("Too many analyses of a scenario from your account. Try again in")


def test_a_tournament_plays_the_bots_and_refuses_an_invalid_document(api):
    rounds = send(api, "post", "/api/scenario-tournaments", {"document": valid(), "rounds": 8})
    assert rounds.status_code == 200 and len(rounds.json()) == 8
    assert {r["ending"] for r in rounds.json()} <= {"agreed", "walked", "time"}
    assert all(r["points"][0] >= 20 and r["points"][1] >= 15 for r in rounds.json())
    bad = send(api, "post", "/api/scenario-tournaments", {"document": {**valid(), "issues": []}})
    assert bad.status_code == 400 and bad.json() == {
        "detail": "The document has 1 problem to fix first; the first: issues: must be a non-empty list of issues, "
        "got a list",
        "field": "document",
        # The same in parts, for a client to say in another language (docs/api.md, "Messages to translate").
        "template": "The document has 1 problem to fix first; the first: %(path)s: %(problem)s",
        "params": {
            "path": "issues",
            "problem": {
                "template": "must be a non-empty list of issues, got %(kind)s",
                "params": {"kind": {"template": "a list", "params": {}}},
            },
        },
    }
    too_many = send(api, "post", "/api/scenario-tournaments", {"document": valid(), "rounds": 101})
    assert too_many.status_code == 422


def test_another_instructor_s_private_scenario_is_on_no_page_or_form_of_theirs(api, other_instructor, used_car):
    draft = new_draft(api, document={**valid(), "slug": "ines-lease", "title": "Ines's private lease"})
    send(api, "post", f"/api/scenario-drafts/{draft['id']}/publish")
    other = Client()
    other.force_login(other_instructor)
    assert "Ines&#x27;s private lease" not in other.get("/scenarios/").content.decode()
    assert "The Used Car" in other.get("/scenarios/").content.decode()
    assert other.get("/scenarios/ines-lease/").status_code == 404
    from classrooms.forms import ExerciseForm

    titles = [v.title for v in ExerciseForm(user=other_instructor).fields["scenario_version"].queryset]
    assert "Ines's private lease" not in titles and "The Used Car" in titles
    classroom = send(api_client(other_instructor), "post", "/api/classes", {"name": "Otto's class"}).json()
    refused = send(
        api_client(other_instructor), "post", f"/api/classes/{classroom['id']}/exercises", {"scenario": "ines-lease"}
    )
    assert refused.status_code == 400 and refused.json()["detail"] == "No scenario has the slug 'ines-lease'."


def test_a_draft_keeps_the_order_of_its_keys_as_written_on_every_database(api):
    document = {"title": "Ordered", "slug": "ordered", **{k: v for k, v in reversed(list(valid().items()))}}
    document["roles"] = [{k: v for k, v in reversed(list(role.items()))} for role in valid()["roles"]]
    draft = new_draft(api, document=document)
    stored = api.get(f"/api/scenario-drafts/{draft['id']}").json()["document"]
    assert list(stored) == list(document) and list(stored["roles"][0]) == list(document["roles"][0])
    assert list(ScenarioDraft.objects.get(pk=draft["id"]).document) == list(document)


def test_an_imported_yaml_with_a_character_yaml_cannot_read_is_refused_at_its_field(api):
    refused = send(api, "post", "/api/scenario-drafts", {"yaml": "slug: a\u0007b\n"})
    assert refused.status_code == 400 and refused.json()["field"] == "yaml"
    assert refused.json()["detail"] == (
        "(document): the YAML does not parse: the character #x0007 is not allowed in a document, position 8"
    )
    assert refused.json()["params"]["problem"]["params"]["reason"]["params"] == {"code": "0007", "position": "8"}
