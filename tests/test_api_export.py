"""The research export through the instructor API, and the agreements in the results export."""

from __future__ import annotations

import csv
import io
import json

import pytest

from core.negotiation import Action
from negotiations import rounds
from negotiations.acting import negotiation_act
from negotiations.debrief import debrief_refresh, outcome_refresh
from tests.base import seats_by_role, start_round
from tests.test_api import api_client

DEAL = {"price": "9800", "handover": "three-weeks", "warranty": "one-month", "tyres": "included"}


@pytest.fixture
def api(instructor):
    return api_client(instructor)


@pytest.fixture
def ended(exercise, classroom):
    """Pair 1 agreed after a chat; pair 2 ended as an impasse; the debrief computed."""
    first, second = start_round(exercise, classroom, 4)
    seats = seats_by_role(first)
    negotiation_act(negotiation_id=first.pk, seat=seats["buyer"], action=Action("chat", "c", text="Hi, I'm Student"))
    offer = negotiation_act(
        negotiation_id=first.pk, seat=seats["seller"], action=Action("offer", "o", packages=(DEAL,))
    )
    negotiation_act(
        negotiation_id=first.pk, seat=seats["buyer"], action=Action("accept", "a", offer_seq=offer.event["seq"])
    )
    rounds.exercise_end(exercise=exercise)
    for negotiation in (first, second):
        outcome_refresh(negotiation_id=negotiation.pk)
    debrief_refresh(exercise_id=exercise.pk)
    return exercise


def body(response) -> str:
    return b"".join(response.streaming_content).decode()


def test_the_api_exports_every_table_as_json(api, ended):
    response = api.get(f"/api/exercises/{ended.pk}/export?format=json&table=all")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = json.loads(body(response))
    assert [row["status"] for row in data["pairs"]] == ["agreed", "impasse"]
    assert data["class"]["class"]["agreements"] == 1
    assert "chat" not in {row["type"] for row in data["events"]}
    assert "Student" not in json.dumps(data["pairs"])  # pseudonymous by default


def test_the_api_exports_one_table_as_csv_matching_the_page(api, instructor_client, ended):
    response = api.get(f"/api/exercises/{ended.pk}/export?format=csv&table=events&chat=true&ids=names")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = body(response)
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [r["text"] for r in rows if r["type"] == "chat"] == ["Hi, I'm Student"]
    page = instructor_client.get(f"/exercises/{ended.pk}/export/?format=csv&table=events&chat=1&ids=names")
    assert body(page).splitlines()[0] == text.splitlines()[0]


def test_a_csv_of_everything_is_a_clear_400(api, ended):
    response = api.get(f"/api/exercises/{ended.pk}/export?format=csv&table=all")
    assert response.status_code == 400
    assert response.json()["field"] == "table"
    assert "only available as JSON" in response.json()["detail"]


def test_an_unknown_table_does_not_fit_the_schema(api, ended):
    assert api.get(f"/api/exercises/{ended.pk}/export?table=people").status_code == 422


def test_another_instructors_export_is_not_found(ended, other_instructor):
    response = api_client(other_instructor).get(f"/api/exercises/{ended.pk}/export?format=json")
    assert response.status_code == 404


def test_the_results_export_gives_each_pairs_agreement_and_metrics(api, ended):
    pairs = api.get(f"/api/exercises/{ended.pk}/results").json()["pairs"]
    assert [p["agreement"] for p in pairs] == [DEAL, None]
    assert pairs[0]["outcome"]["outcome"]["pareto_optimal"] in (True, False)
    assert pairs[1]["outcome"]["outcome"]["impasse"] is True
