from __future__ import annotations

from django.test import Client

from scenarios.models import ScenarioVersion
from tests.scenario_docs import dump, valid


def test_the_admin_lists_scenarios_with_their_latest_version(admin_client: Client, lease):
    page = admin_client.get("/admin/scenarios/scenario/").content.decode()
    assert "bakery-lease" in page and "The Bakery Lease" in page


def test_the_admin_shows_a_versions_document_read_only(admin_client: Client, lease):
    page = admin_client.get(f"/admin/scenarios/scenarioversion/{lease.pk}/change/").content.decode()
    assert "teaching_notes: Look for the term-for-repairs trade." in page
    assert 'name="document"' not in page  # shown, not editable


def test_adding_a_bad_version_in_the_admin_is_refused_with_the_reason(admin_client: Client, lease):
    doc = valid()
    doc["issues"][1]["options"][0]["points"]["baker"] = "lots"
    response = admin_client.post("/admin/scenarios/scenarioversion/add/", {"document": dump(doc)})
    assert response.status_code == 200
    assert "issues[1].options[0].points.baker: must be a number, got text &#x27;lots&#x27;" in response.content.decode()
    assert ScenarioVersion.objects.count() == 1


def test_adding_a_changed_version_in_the_admin_stores_the_next_number(admin_client: Client, lease, admin_user):
    doc = valid()
    doc["summary"] = "A baker rents a shop, again."
    response = admin_client.post("/admin/scenarios/scenarioversion/add/", {"document": dump(doc)})
    assert response.status_code == 302
    newest = ScenarioVersion.objects.order_by("-number").first()
    assert (newest.number, newest.created_by, newest.source) == (2, admin_user, "admin")


def test_versions_cannot_be_deleted_in_the_admin(admin_client: Client, lease):
    assert admin_client.get(f"/admin/scenarios/scenarioversion/{lease.pk}/delete/").status_code == 403
