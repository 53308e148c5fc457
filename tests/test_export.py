"""The research export: pairs, events, survey, planning sheets and class metrics as CSV and JSON, with
pseudonymous ids."""

from __future__ import annotations

import asyncio
import csv
import io
import json

import pytest
from asgiref.sync import sync_to_async
from django.db import connections
from django.test import AsyncClient, Client
from django.utils import timezone

from classrooms import services
from classrooms.models import Classroom, Exercise, User
from core.csvtext import csv_cell
from core.negotiation import Action
from core.refusal import Refused
from negotiations import rounds
from negotiations.acting import negotiation_act
from negotiations.debrief import debrief_refresh, outcome_refresh
from negotiations.planning import planning_sheet_save
from reports.export_tables import (
    ExportOptions,
    export_chunks,
    export_data,
    export_options,
    outcome_columns,
    pseudonym,
)
from scenarios.services import version_spec
from surveys.services import survey_save
from tests.base import add_coinstructor, seats_by_role

CHEAP = {"price": "9000", "handover": "saturday", "warranty": "none", "tyres": "seller-keeps"}
DEAR = {"price": "10500", "handover": "five-weeks", "warranty": "three-months", "tyres": "included"}
MIDDLE = {"price": "9800", "handover": "three-weeks", "warranty": "one-month", "tyres": "included"}
ROSTER = (
    "name,email,student id\n"
    "Ada Lovelace,ada@example.com,S1\n"
    '"=HYPERLINK(""http://evil.example"")",eve@example.com,S2\n'
    "Blaise Pascal,blaise@example.com,S3\n"
    "Dora Maar,dora@example.com,S4\n"
)
NAMES = ("Ada Lovelace", "HYPERLINK", "Blaise Pascal", "Dora Maar")
EMAILS = ("ada@example.com", "eve@example.com", "blaise@example.com", "dora@example.com")


def act(negotiation, seat, action):
    return negotiation_act(negotiation_id=negotiation.pk, seat=seat, action=action)


@pytest.fixture
def played(exercise: Exercise, classroom: Classroom) -> Exercise:
    """Two pairs: pair 1 offers, counters with a MESO, chats (naming a classmate) and agrees; pair 2 only
    chats and ends as an impasse when the round ends. Both sellers answer the survey. Pair 1's seller
    guessed the buyer's priorities on their planning sheet (with a note naming a classmate); pair 2's
    buyer saved a sheet without a guess."""
    students = services.roster_import(classroom=classroom, text=ROSTER).created
    rounds.exercise_pair(exercise=exercise, student_ids=[s.pk for s in students], seed=3)
    rounds.exercise_release(exercise=exercise)
    rounds.exercise_start(exercise=exercise)
    first, second = exercise.negotiations.order_by("number")
    seats = seats_by_role(first)
    seller, buyer = seats["seller"], seats["buyer"]
    planning_sheet_save(
        exercise=exercise,
        student=seller.student,
        batna="43",
        target="60.5",
        priorities=["price", "handover", "warranty", "tyres"],
        partner_priorities=["price", "warranty", "tyres", "handover"],
        notes="Dora Maar says they need it soon",
    )
    planning_sheet_save(exercise=exercise, student=seats_by_role(second)["buyer"].student, target="50")
    act(first, seller, Action("offer", "1", packages=(DEAR,)))
    act(first, buyer, Action("chat", "2", text="Ada Lovelace told me the tyres are worn"))
    counter = act(first, buyer, Action("offer", "3", packages=(CHEAP, MIDDLE)))
    act(first, seller, Action("accept", "4", offer_seq=counter.event["seq"], package=1))
    act(second, seats_by_role(second)["buyer"], Action("chat", "5", text="hello"))
    rounds.exercise_end(exercise=exercise)
    for negotiation in (first, second):
        outcome_refresh(negotiation_id=negotiation.pk)
    debrief_refresh(exercise_id=exercise.pk)
    answers = dict.fromkeys(range(1, 17), 4) | {3: 2, 5: 6, 16: 7}
    survey_save(seat=seller, answers=answers)
    survey_save(seat=seats_by_role(second)["seller"], answers=dict.fromkeys(range(1, 17), 6))
    return exercise


def url(exercise, **params) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"/exercises/{exercise.pk}/export/?{query}"


def download(client: Client, exercise, **params) -> str:
    response = client.get(url(exercise, **params))
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content).decode("utf-8")


def parse_csv(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


# The CSV and the JSON hold the same table


@pytest.mark.parametrize("table", ["pairs", "events", "survey", "planning"])
@pytest.mark.parametrize("ids", ["pseudonymous", "names"])
def test_the_csv_parses_and_matches_the_json(instructor_client, played, table, ids):
    text = download(instructor_client, played, format="csv", table=table, ids=ids, chat=1)
    data = json.loads(download(instructor_client, played, format="json", table=table, ids=ids, chat=1))
    rows = parse_csv(text)
    assert list(rows[0].keys()) == data[f"{table}_columns"]
    assert len(rows) == len(data[table]) > 0
    assert rows == [{column: csv_cell(value) for column, value in row.items()} for row in data[table]]


def test_the_pairs_table_flattens_every_metric_and_the_agreement_per_issue(played):
    data = export_data(played, ExportOptions(table="pairs", ids="names"))
    first, second = data["pairs"]
    assert (first["pair"], first["status"], second["status"]) == (1, "agreed", "impasse")
    assert {k: first[f"agreement_{k}"] for k in MIDDLE} == MIDDLE
    assert second["agreement_price"] is None and second["impasse"] is True
    outcome = played.negotiations.get(number=1).outcome.data
    assert first["points_seller"] == outcome["outcome"]["points"]["seller"]
    assert first["joint"] == outcome["outcome"]["joint"]
    assert first["counter_offers"] == 1 and first["meso_offers_buyer"] == 1 and first["offers_seller"] == 1
    assert first["first_offer_packages_seller"] == [DEAR]
    assert first["price_agreed"] == 9800
    assert first["outcome_computed"] is True
    assert first["seller_kind"] == "student" and first["seller_name"]


def test_every_stored_metric_has_a_column(played):
    """A metric added to core/metrics must not be silently left out of the export."""
    spec = version_spec(played.scenario_version)
    covered = {path for _, path in outcome_columns(spec)}

    def leaves(value, path=()):
        if isinstance(value, dict) and value:
            for key, inner in value.items():
                yield from leaves(inner, (*path, key))
        else:
            yield path

    outcome = played.negotiations.get(number=1).outcome.data
    agreement_paths = {("outcome", "agreement", k) for k in MIDDLE} | {("process", "agreement", k) for k in MIDDLE}
    redundant = {("process", "sides", role, "role") for role in spec.role_keys}  # the key it sits under
    known = covered | agreement_paths | redundant
    missing = [p for p in leaves(outcome) if not any(c[: len(p)] == p for c in known)]
    assert missing == []
    assert len(covered) == len(outcome_columns(spec))  # no column twice


def test_events_hold_offers_counters_meso_and_the_accept_with_points(played):
    data = export_data(played, ExportOptions(table="events"))
    first = [e for e in data["events"] if e["pair"] == 1]
    assert [e["type"] for e in first] == ["started", "offer", "offer", "accept"]
    opening, counter, accept = first[1], first[2], first[3]
    assert (opening["counter_offer"], opening["meso"], opening["package_count"]) == (False, False, 1)
    assert (counter["counter_offer"], counter["meso"], counter["package_count"]) == (True, True, 2)
    assert counter["packages"] == [CHEAP, MIDDLE]
    assert len(counter["points_seller"]) == 2 and len(counter["points_buyer"]) == 2
    assert accept["offer_seq"] == counter["seq"] and accept["accepted_package"] == 1
    assert {k: accept[f"terms_{k}"] for k in MIDDLE} == MIDDLE
    assert accept["points_seller"] == [counter["points_seller"][1]]
    assert [e["type"] for e in data["events"] if e["pair"] == 2] == ["started", "ended"]


def test_chat_is_left_out_unless_asked_for(instructor_client, played):
    plain_csv = download(instructor_client, played, format="csv", table="events")
    assert "tyres are worn" not in plain_csv and ",chat," not in plain_csv
    assert "text" not in parse_csv(plain_csv)[0]
    everything = download(instructor_client, played, format="json", table="all")
    assert "tyres are worn" not in everything and '"type": "chat"' not in everything
    with_chat = download(instructor_client, played, format="csv", table="events", chat=1)
    chats = [row for row in parse_csv(with_chat) if row["type"] == "chat"]
    assert [row["text"] for row in chats] == ["Ada Lovelace told me the tyres are worn", "hello"]


# Pseudonymous ids


def test_pseudonymous_exports_contain_no_name_or_email(instructor_client, played):
    for table in ("pairs", "events", "survey", "planning"):
        text = download(instructor_client, played, format="csv", table=table)
        assert not any(word in text for word in NAMES + EMAILS), table
    everything = download(instructor_client, played, format="json", table="all")
    assert not any(word in everything for word in NAMES + EMAILS)
    assert "_name" not in "".join(json.loads(everything)["pairs_columns"])


def test_pseudonyms_are_stable_per_exercise_and_differ_between_exercises(instructor_client, played, settings):
    first = json.loads(download(instructor_client, played, format="json", table="pairs"))["pairs"]
    again = json.loads(download(instructor_client, played, format="json", table="pairs"))["pairs"]
    ids = [row[f"{role}_id"] for row in first for role in ("seller", "buyer")]
    assert ids == [row[f"{role}_id"] for row in again for role in ("seller", "buyer")]
    assert len(set(ids)) == 4 and all(i.startswith("s_") and len(i) == 14 for i in ids)
    student = played.seats.filter(role_key="seller").order_by("negotiation__number").first().student
    assert first[0]["seller_id"] == pseudonym(played.pk, student.pk)
    assert pseudonym(played.pk, student.pk) != pseudonym(played.pk + 1, student.pk)
    assert str(student.pk) not in pseudonym(played.pk, student.pk)[2:4]  # not the id in disguise
    survey = json.loads(download(instructor_client, played, format="json", table="survey"))["survey"]
    assert survey[0]["respondent_id"] == first[0]["seller_id"]  # joins across tables


def test_names_mode_gives_names_and_student_ids(instructor_client, played):
    rows = parse_csv(download(instructor_client, played, format="csv", table="pairs", ids="names"))
    names = {row["seller_name"] for row in rows} | {row["buyer_name"] for row in rows}
    assert "Ada Lovelace" in names
    assert all(row["seller_id"].isdigit() for row in rows)


def test_cells_that_a_spreadsheet_would_run_are_neutralised(instructor_client, played):
    rows = parse_csv(download(instructor_client, played, format="csv", table="pairs", ids="names"))
    names = [row[f"{role}_name"] for row in rows for role in ("seller", "buyer")]
    assert '\'=HYPERLINK("http://evil.example")' in names
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row.values())
    assert [csv_cell(v) for v in ("+1", "-x", "@a", "ok", -5, 2.5, True, None, [1])] == [
        "'+1",
        "'-x",
        "'@a",
        "ok",
        "-5",
        "2.5",
        "true",
        "",
        "[1]",
    ]


# Survey and class metrics


def test_the_survey_table_has_raw_answers_and_scores_after_reversal(played):
    rows = export_data(played, ExportOptions(table="survey"))["survey"]
    first = rows[0]
    assert (first["item_3"], first["item_5"], first["item_16"]) == (2, 6, 7)
    # instrumental: 4 + 4 + (8-2) + 4 = 18 / 4; self: (8-6) + 4 + 4 + 4 = 14 / 4
    assert (first["instrumental"], first["self"], first["relationship"]) == (4.5, 3.5, 4.75)
    assert first["global"] == (4 * 13 + 6 + 2 + 7) / 16
    assert first["points"] is not None


def test_all_as_json_has_every_table_and_the_class_metrics(played):
    data = export_data(played, ExportOptions(format="json", table="all"))
    assert set(data) >= {"meta", "pairs", "events", "survey", "survey_items", "planning", "class"}
    assert data["class"]["class"]["pairs"] == 2 and data["class"]["class"]["agreements"] == 1
    assert data["meta"]["scenario"]["slug"] == "used-car" and data["meta"]["ids"] == "pseudonymous"
    assert [i["number"] for i in data["survey_items"] if i["reversed"]] == [3, 5]


def test_the_planning_table_has_each_sheet_with_the_partners_priorities_guessed(instructor_client, played):
    rows = export_data(played, ExportOptions(table="planning"))["planning"]
    pairs = export_data(played, ExportOptions(table="pairs"))["pairs"]
    guessed, plain = rows
    assert (guessed["pair"], guessed["role"], guessed["student_id"]) == (1, "seller", pairs[0]["seller_id"])
    assert (guessed["batna"], guessed["reservation_value"], guessed["target"]) == (43, None, 60.5)
    assert guessed["priorities"] == ["price", "handover", "warranty", "tyres"]
    assert guessed["partner_priorities"] == ["price", "warranty", "tyres", "handover"]
    # The buyer's true order exactly; against the seller's own order d = 0, 2, -1, -1: 1 - 36 / 60.
    assert (guessed["partner_accuracy"], guessed["fixed_pie"]) == (1, 0.4)
    assert (plain["pair"], plain["role"], plain["target"]) == (2, "buyer", 50)
    assert (plain["partner_priorities"], plain["partner_accuracy"], plain["fixed_pie"]) == ([], None, None)
    assert "notes" not in guessed and "Dora Maar" not in download(instructor_client, played, table="planning")
    with_notes = parse_csv(download(instructor_client, played, table="planning", chat=1))
    assert with_notes[0]["notes"] == "Dora Maar says they need it soon"


# Requests


def test_the_download_is_an_attachment_with_a_sensible_name(instructor_client, played):
    response = instructor_client.get(url(played, format="csv", table="events"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response["Content-Disposition"] == f'attachment; filename="parley-exercise-{played.pk}-events-pseudonymous.csv"'
    )
    response = instructor_client.get(url(played, format="json", table="all", ids="names"))
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == f'attachment; filename="parley-exercise-{played.pk}-all.json"'


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"format": "csv", "table": "all"}, "table=all is only available as JSON"),
        ({"format": "xlsx"}, "format='xlsx' is not one of csv, json."),
        ({"table": "people"}, "table='people' is not one of pairs, events, survey, planning, class, all."),
        ({"ids": "emails"}, "ids='emails' is not one of pseudonymous, names."),
        ({"chat": "yes"}, "chat='yes' is not one of 0, 1."),
    ],
)
def test_bad_parameters_get_a_clear_400(instructor_client, played, params, words):
    response = instructor_client.get(url(played, **params))
    assert response.status_code == 400
    assert words in response.content.decode()


def test_only_the_exercises_instructors_may_download(played, client, classroom):
    other = User.objects.create_user("otto@example.com", "a-long-password", verified_at=timezone.now())
    outsider = Client()
    outsider.force_login(other)
    assert outsider.get(url(played)).status_code == 404
    anonymous = client.get(url(played))
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    add_coinstructor(classroom, other)
    assert outsider.get(url(played)).status_code == 200


def test_a_student_cannot_download(played):
    from tests.base import student_client

    student = played.seats.filter(kind="student").first().student
    response = student_client(student).get(url(played))
    assert response.status_code == 302  # to the instructors' log-in page


def test_export_options_default_to_pseudonymous_csv_of_pairs_without_chat():
    assert export_options({}) == ExportOptions("csv", "pairs", False, "pseudonymous")
    with pytest.raises(Refused) as caught:
        export_options({"format": "csv", "table": "class"})
    assert caught.value.field == "table"


def test_under_asgi_the_export_streams_from_the_database_thread(played_async):
    exercise, user = played_async

    async def fetch():
        client = AsyncClient()
        await client.aforce_login(user)
        response = await client.get(url(exercise, format="csv", table="events"))
        assert response.status_code == 200 and response.is_async
        text = b"".join([chunk async for chunk in response.streaming_content]).decode()
        await sync_to_async(connections.close_all)()  # the sync thread's connection, before the test database goes
        return text

    assert [row["type"] for row in parse_csv(asyncio.run(fetch()))] == ["started"]


@pytest.fixture
def played_async(transactional_db, instructor, used_car):
    classroom = services.classroom_create(owner=instructor, name="Async class")
    exercise = services.exercise_create(
        classroom=classroom, title="Used car", scenario_version=used_car, time_limit_minutes=20
    )
    students = services.roster_import(classroom=classroom, text="name\nA\nB\n").created
    rounds.exercise_pair(exercise=exercise, student_ids=[s.pk for s in students], seed=1)
    rounds.exercise_release(exercise=exercise)
    rounds.exercise_start(exercise=exercise)
    return exercise, instructor


def test_the_export_reads_a_fixed_number_of_queries(played, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        "".join(export_chunks(played, ExportOptions(format="json", table="all")))
