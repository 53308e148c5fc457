"""Headers (docs/operations.md, "Headers"): pages with personal links, names or role sheets are never stored
by a browser or proxy; every page has a Content-Security-Policy without inline script, and a
Permissions-Policy; no template holds an inline script or event handler; the API docs page loads nothing
from another site. (In a browser, with the policy on: tests/test_security_browser_csp.py.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client

from classrooms import services
from negotiations import rounds
from tests.base import agree, seats_by_role, start_round, student_client

TEMPLATES = Path(settings.BASE_DIR) / "templates"
PACKAGE = {"price": "10000", "handover": "five-weeks", "warranty": "three-months", "tyres": "included"}


@pytest.fixture
def ended(exercise, classroom):
    (negotiation,) = start_round(exercise, classroom, 2)
    agree(negotiation, PACKAGE)
    rounds.exercise_end(exercise=exercise)
    return exercise, negotiation


def policy(response) -> dict[str, str]:
    header = response.headers.get("Content-Security-Policy", "")
    return {name: value for name, _, value in (part.strip().partition(" ") for part in header.split(";") if part)}


def test_pages_with_personal_links_names_or_role_sheets_are_never_stored(instructor_client, classroom, ended):
    exercise, negotiation = ended
    student = seats_by_role(negotiation)["buyer"].student
    _, token = services.api_token_create(user=classroom.owner, name="t")
    pages = {
        instructor_client: [
            f"/classes/{classroom.pk}/",
            f"/exercises/{exercise.pk}/",
            f"/exercises/{exercise.pk}/monitor/",
            f"/exercises/{exercise.pk}/pairs/1/",
            f"/exercises/{exercise.pk}/debrief/",
            f"/exercises/{exercise.pk}/debrief.json",
            "/scenarios/used-car/",
            "/account/tokens/",
            "/dashboard/",
        ],
        student_client(student): ["/s/", f"/s/exercises/{exercise.pk}/", f"/s/{services.student_link_token(student)}/"],
    }
    for client, paths in pages.items():
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, path
            assert "no-store" in response.headers.get("Cache-Control", ""), path
    api = Client().get(f"/api/classes/{classroom.pk}/students", headers={"authorization": f"Bearer {token}"})
    assert api.status_code == 200 and "no-store" in api.headers["Cache-Control"]


def test_every_page_has_a_content_security_policy_without_inline_script_and_a_permissions_policy(
    instructor_client, admin_client, classroom
):
    for client, path in [
        (Client(), "/"),
        (Client(), "/login/"),
        (Client(), "/join"),
        (Client(), "/no-such-page/"),
        (instructor_client, f"/classes/{classroom.pk}/"),
        (admin_client, "/admin/"),
        (Client(), "/api/docs"),
    ]:
        response = client.get(path)
        directives = policy(response)
        assert directives.get("script-src") == "'self'" and directives.get("style-src") == "'self'", path
        assert directives.get("default-src") == "'self'" and directives.get("object-src") == "'none'", path
        assert directives.get("frame-ancestors") == "'none'" and directives.get("base-uri") == "'none'", path
        assert "ws://testserver" in directives.get("connect-src", ""), path
        assert "camera=()" in response.headers.get("Permissions-Policy", ""), path


def test_no_template_holds_an_inline_script_event_handler_or_style():
    problems = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        text = template.read_text()
        for match in re.finditer(r"<script\b[^>]*>", text):
            if "src=" not in match.group(0):
                problems.append(f"{template.relative_to(TEMPLATES)}: {match.group(0)}")
        for match in re.finditer(r"\son[a-z]+\s*=", text):
            problems.append(f"{template.relative_to(TEMPLATES)}: {match.group(0).strip()}")
        if "javascript:" in text:
            problems.append(f"{template.relative_to(TEMPLATES)}: javascript: URL")
        for match in re.finditer(r"<style\b|\sstyle\s*=", text):
            problems.append(f"{template.relative_to(TEMPLATES)}: {match.group(0).strip()}")
    assert problems == []


def test_the_api_docs_page_loads_nothing_from_another_site(db):
    client = Client()
    response = client.get("/api/docs")
    page = response.content.decode()
    assert response.status_code == 200
    sources = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page)
    assert sources and all(source.startswith("/") for source in sources), sources
    assert "cdn" not in page.lower()
    static = [source.removeprefix("/static/") for source in sources if source.startswith("/static/")]
    assert "ninja/swagger-ui-bundle.js" in static
    for source in static:  # from the installed package, collected with the rest
        assert finders.find(source), source
