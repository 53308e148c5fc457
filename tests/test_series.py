"""Rounds: the round after an ended exercise (negotiations/series.py), its page and API, and the rounds
compared (reports/series.py, docs/debrief.md section 4c)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from classrooms.models import Exercise
from classrooms.services import api_token_create
from core.refusal import Refused
from negotiations import rounds, series
from negotiations.debrief import debrief_refresh
from negotiations.models import Seat
from reports.series import series_comparison
from tests.base import add_coinstructor, add_students, agree, seats_by_role, student_client

NASH = {"price": "10000", "handover": "five-weeks", "warranty": "three-months", "tyres": "included"}
LOSE_LOSE = {"price": "9500", "handover": "three-weeks", "warranty": "none", "tyres": "seller-keeps"}


def partners(exercise: Exercise) -> dict[int, set[int]]:
    met: dict[int, set[int]] = {}
    for negotiation in exercise.negotiations.all():
        ids = [s.student_id for s in negotiation.seats.all() if s.student_id]
        for a in ids:
            met.setdefault(a, set()).update(set(ids) - {a})
    return met


def roles(exercise: Exercise) -> dict[int, str]:
    return dict(Seat.objects.filter(exercise=exercise, student__isnull=False).values_list("student_id", "role_key"))


def play_and_end(exercise: Exercise, packages: list[dict[str, str] | None]) -> None:
    """Start the released or paired round, each pair agrees its package (None: left to the end), end it."""
    if exercise.state == Exercise.State.DRAFT:
        rounds.exercise_release(exercise=exercise)
    rounds.exercise_start(exercise=exercise)
    for negotiation, package in zip(exercise.negotiations.order_by("number"), packages, strict=False):
        if package is not None:
            agree(negotiation, package)
    rounds.exercise_end(exercise=exercise)
    debrief_refresh(exercise_id=exercise.pk)


@pytest.fixture
def six(classroom):
    return add_students(classroom, *[f"Learner {chr(65 + i)}" for i in range(6)])


@pytest.fixture
def ended(exercise, six):
    rounds.exercise_pair(exercise=exercise, student_ids=[s.pk for s in six], seed=1)
    play_and_end(exercise, [LOSE_LOSE, NASH, None])
    exercise.refresh_from_db()
    return exercise


def test_a_rematch_pairs_everyone_present_with_a_new_partner(ended, six, classroom, instructor):
    (late,) = add_students(classroom, "Late Comer")
    present = [s.pk for s in six[1:]] + [late.pk]  # the first is away, a new arrival is here
    following = series.next_round_create(
        exercise=ended, rematch="rematch", student_ids=present, created_by=instructor, seed=4
    )
    assert (following.series_id, following.round_number, following.rematch) == (ended.pk, 2, "rematch")
    assert following.state == Exercise.State.DRAFT and following.title == "Used car (round 2)"
    assert sorted(roles(following)) == sorted(present)  # the away one left out, the new arrival seated
    before, after = partners(ended), partners(following)
    for student, met in after.items():
        assert not met & before.get(student, set()), student
    # Six present: three pairs (the odd rule is never needed here).
    assert following.negotiations.count() == 3


def test_switch_keeps_each_pair_and_swaps_its_roles(ended, six, instructor):
    following = series.next_round_create(
        exercise=ended, rematch="switch", student_ids=[s.pk for s in six], created_by=instructor
    )
    assert partners(following) == partners(ended)
    before, after = roles(ended), roles(following)
    assert all(after[s] != before[s] for s in before)


def test_keep_keeps_pairs_and_roles_and_pairing_again_does_the_same(ended, six, instructor):
    following = series.next_round_create(
        exercise=ended, rematch="keep", student_ids=[s.pk for s in six], created_by=instructor
    )
    assert roles(following) == roles(ended) and partners(following) == partners(ended)
    rounds.exercise_pair(exercise=following, student_ids=[s.pk for s in six], seed=9)  # "Pair again"
    assert roles(following) == roles(ended)


def test_a_next_round_is_refused_before_the_end_and_after_another_and_writes_nothing(exercise, six, instructor):
    rounds.exercise_pair(exercise=exercise, student_ids=[s.pk for s in six], seed=1)
    with pytest.raises(Refused, match="end this one first"):
        series.next_round_create(exercise=exercise, rematch="rematch", student_ids=[six[0].pk], created_by=instructor)
    play_and_end(exercise, [NASH])
    with pytest.raises(Refused, match="Mark at least one"):
        series.next_round_create(exercise=exercise, rematch="rematch", student_ids=[], created_by=instructor)
    with pytest.raises(Refused) as refused:
        series.next_round_create(exercise=exercise, rematch="shuffle", student_ids=[six[0].pk], created_by=instructor)
    assert refused.value.field == "rematch"
    assert Exercise.objects.count() == 1
    series.next_round_create(
        exercise=exercise, rematch="rematch", student_ids=[s.pk for s in six], created_by=instructor
    )
    with pytest.raises(Refused, match="Round 2 of this series exists already"):
        series.next_round_create(
            exercise=exercise, rematch="keep", student_ids=[s.pk for s in six], created_by=instructor
        )
    assert Exercise.objects.count() == 2


def test_the_comparison_has_each_rounds_spread_and_each_students_change(ended, six, classroom, instructor):
    (late,) = add_students(classroom, "Late Comer")
    present = [s.pk for s in six[1:]] + [late.pk]
    following = series.next_round_create(
        exercise=ended, rematch="rematch", student_ids=present, created_by=instructor, seed=4
    )
    data = series_comparison(following)
    assert [r["round"] for r in data["rounds"]] == [1, 2] and data["series"] == ended.pk
    assert data["rounds"][1]["ready"] is False and data["steps"][0]["change"] is None
    first = data["rounds"][0]["figures"]
    # Three pairs: a lose-lose deal (joint 52+... ), the Nash deal (115), an impasse at the BATNAs (78).
    assert first["pairs"] == 3 and first["agreements"] == 2 and first["pareto_optimal"] == 1
    assert first["joint"]["max"] == 115 and first["joint"]["min"] == 43 + 35
    assert first["pareto_share"] == 0.5 and first["negotiators"] == 6 and first["meso_users"] == 0

    play_and_end(following, [NASH, NASH, NASH])
    data = series_comparison(following)
    second = data["rounds"][1]["figures"]
    assert second["joint"] == {"n": 3, "min": 115, "q1": 115, "median": 115, "q3": 115, "max": 115, "mean": 115}
    change = data["steps"][0]["change"]
    assert change["students"] == 5  # in both rounds: not the one away, not the new arrival
    assert change["class"]["pareto_share"] == 0.5 and change["class"]["joint_median"] == 115 - first["joint"]["median"]
    by_name = {s["name"]: s for s in data["students"]}
    assert by_name["Late Comer"]["rounds"][0] is None and by_name["Late Comer"]["changes"] == [None]
    assert by_name[six[0].display_name]["rounds"][1] is None
    gained = [s for s in data["students"] if s["changes"][0] and s["changes"][0]["pareto"] == 1]
    assert len(gained) == change["pareto_gained"] and change["pareto_lost"] == 0


def test_the_exercise_page_creates_the_next_round_and_shows_the_comparison(ended, six, instructor_client):
    page = instructor_client.get(f"/exercises/{ended.pk}/")
    assert b'id="next-round-form"' in page.content
    refused = instructor_client.post(
        f"/exercises/{ended.pk}/next-round/",
        {"rematch": "rematch", "scenario_version": ended.scenario_version_id, "time_limit_minutes": 15},
    )
    assert refused.status_code == 400 and "Tick at least one student who is present." in refused.content.decode()
    assert Exercise.objects.count() == 1
    response = instructor_client.post(
        f"/exercises/{ended.pk}/next-round/",
        {"rematch": "switch", "scenario_version": ended.scenario_version_id, "time_limit_minutes": 15,
         "students": [s.pk for s in six]},
    )  # fmt: skip
    following = Exercise.objects.get(series=ended)
    assert response.status_code == 302 and response["Location"] == f"/exercises/{following.pk}/"
    assert following.time_limit_minutes == 15 and following.negotiations.count() == 3
    page = instructor_client.get(response["Location"]).content.decode()
    assert "Round 2 is paired: 3 pairs previewed." in page and 'id="compare-rounds-link"' in page
    again = instructor_client.get(f"/exercises/{ended.pk}/").content.decode()
    assert "Round 2 follows this one" in again and 'id="next-round-form"' not in again
    compared = instructor_client.get(f"/exercises/{following.pk}/rounds/").content.decode()
    assert "Rounds compared" in compared and "not ended yet" in compared and "Learner A" in compared


def test_outsiders_get_404_and_students_the_login_page(ended, six, other_instructor, classroom, lease):
    outsider = Client()
    outsider.force_login(other_instructor)
    assert outsider.get(f"/exercises/{ended.pk}/rounds/").status_code == 404
    response = outsider.post(f"/exercises/{ended.pk}/next-round/", {"rematch": "rematch", "students": [six[0].pk]})
    assert response.status_code == 404
    _, token = api_token_create(user=other_instructor, name="t")
    headers = {"authorization": f"Bearer {token}"}
    assert outsider.get(f"/api/exercises/{ended.pk}/rounds", headers=headers).status_code == 404
    body = {"rematch": "rematch", "student_ids": [six[0].pk]}
    response = outsider.post(
        f"/api/exercises/{ended.pk}/next-round", body, content_type="application/json", headers=headers
    )
    assert response.status_code == 404
    # A student of another class (of the other instructor) is sent to log in, and sees nothing.
    from classrooms.services import classroom_create

    elsewhere = classroom_create(owner=other_instructor, name="Elsewhere")
    (stranger,) = add_students(elsewhere, "Stranger")
    student = student_client(stranger)
    for path in (f"/exercises/{ended.pk}/rounds/", f"/exercises/{ended.pk}/next-round/"):
        response = student.post(path) if path.endswith("next-round/") else student.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), path
    assert Exercise.objects.count() == 1


def test_a_coinstructor_may_create_the_next_round_through_the_api(ended, six, other_instructor, classroom):
    add_coinstructor(classroom, other_instructor)
    _, token = api_token_create(user=other_instructor, name="t")
    client = Client(headers={"authorization": f"Bearer {token}"})
    body = {"rematch": "rematch", "student_ids": [s.pk for s in six], "seed": 3, "time_limit_minutes": 12}
    from classrooms.services import classroom_create

    (stranger,) = add_students(classroom_create(owner=other_instructor, name="Elsewhere"), "Stranger")
    strange = client.post(
        f"/api/exercises/{ended.pk}/next-round",
        {**body, "student_ids": [six[0].pk, stranger.pk]},
        content_type="application/json",
    )
    assert strange.status_code == 400 and strange.json()["field"] == "student_ids"
    assert not Exercise.objects.filter(series=ended).exists()
    response = client.post(f"/api/exercises/{ended.pk}/next-round", body, content_type="application/json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert (created["series"], created["round"], created["rematch"], created["state"]) == (
        ended.pk,
        2,
        "rematch",
        "draft",
    )
    assert created["time_limit_minutes"] == 12
    again = client.post(f"/api/exercises/{ended.pk}/next-round", body, content_type="application/json")
    assert again.status_code == 409 and "exists already" in again.json()["detail"]
    unknown = client.post(
        f"/api/exercises/{ended.pk}/next-round", {**body, "scenario": "no-such"}, content_type="application/json"
    )
    assert unknown.status_code == 400 and unknown.json()["field"] == "scenario"
    lone = client.post(
        f"/api/exercises/{ended.pk}/next-round", {**body, "scenario_version": 1}, content_type="application/json"
    )
    assert lone.status_code == 400 and lone.json()["field"] == "scenario_version"
    compared = client.get(f"/api/exercises/{created['id']}/rounds")
    assert compared.status_code == 200
    data = compared.json()
    assert [r["round"] for r in data["rounds"]] == [1, 2] and data["rounds"][0]["figures"]["pairs"] == 3
    assert data["steps"][0]["change"] is None and len(data["students"]) == 6
    first = client.get(f"/api/exercises/{ended.pk}")
    assert (first.json()["series"], first.json()["round"], first.json()["rematch"]) == (ended.pk, 1, None)


def test_another_scenario_maps_the_roles_by_position(ended, six, instructor, builtin_scenarios):
    from scenarios.services import scenario_version_get, version_spec

    other = scenario_version_get("orange-dispute")
    following = series.next_round_create(
        exercise=ended, rematch="switch", student_ids=[s.pk for s in six], created_by=instructor, scenario_version=other
    )
    new_roles = version_spec(other).role_keys
    old_roles = version_spec(ended.scenario_version).role_keys
    before, after = roles(ended), roles(following)
    for student, role in before.items():
        assert after[student] == new_roles[1 - old_roles.index(role)]
    negotiation = following.negotiations.first()
    assert set(seats_by_role(negotiation)) == set(new_roles)


def test_the_export_and_the_debrief_of_a_later_round_carry_its_series_and_number(
    ended, six, instructor, instructor_client
):
    import json

    following = series.next_round_create(
        exercise=ended, rematch="rematch", student_ids=[s.pk for s in six], created_by=instructor
    )
    response = instructor_client.get(f"/exercises/{following.pk}/export/?format=json&table=pairs")
    exported = json.loads(b"".join(response.streaming_content))
    meta = exported["meta"]["exercise"]
    assert (meta["series"], meta["round"], meta["rematch"]) == (ended.pk, 2, "rematch")
    assert exported["pairs_columns"][:3] == ["series", "round", "pair"]
    assert {(row["series"], row["round"]) for row in exported["pairs"]} == {(ended.pk, 2)}
    csv = b"".join(instructor_client.get(f"/exercises/{ended.pk}/export/?format=csv").streaming_content).decode()
    assert csv.lstrip("\ufeff").startswith("series,round,pair,") and f"\n{ended.pk},1,1," in csv
    assert 'id="compare-rounds-link"' in instructor_client.get(f"/exercises/{ended.pk}/debrief/").content.decode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_next_rounds_asked_at_once_make_one(ended, six, instructor):
    from tests.base import race

    def ask(mode):
        return lambda: series.next_round_create(
            exercise=ended, rematch=mode, student_ids=[s.pk for s in six], created_by=instructor
        )

    results = race(ask("rematch"), ask("keep"))
    made = [r for r in results if isinstance(r, Exercise)]
    refused = [r for r in results if isinstance(r, Refused)]
    assert len(made) == 1 and len(refused) == 1 and "exists already" in refused[0].message
    assert Exercise.objects.filter(series=ended).count() == 1


def test_the_rounds_page_draws_each_spread_above_its_table(ended, six, instructor, instructor_client):
    following = series.next_round_create(
        exercise=ended, rematch="keep", student_ids=[s.pk for s in six], created_by=instructor
    )
    play_and_end(following, [NASH, NASH, NASH])
    html = instructor_client.get(f"/exercises/{following.pk}/rounds/").content.decode()
    for key in ("series-joint", "series-efficiency", "series-meso-offers", "series-fixed-pie"):
        chart = html.index(f'data-chart="{key}"')
        assert (
            html.index(f'id="{key}-title"') < chart < html.index(f'<table class="data-table series-table" id="{key}"')
        )
    assert "<script" not in html.split('data-chart="series-joint"')[1].split("</svg>")[0]


def test_a_later_round_has_the_rounds_compared_slide_and_the_first_does_not(ended, six, instructor, instructor_client):
    first = instructor_client.get(f"/exercises/{ended.pk}/debrief/present/").content.decode()
    assert 'data-key="rounds"' not in first
    assert instructor_client.get(f"/exercises/{ended.pk}/debrief/present/rounds.svg").status_code == 404
    following = series.next_round_create(
        exercise=ended, rematch="keep", student_ids=[s.pk for s in six], created_by=instructor
    )
    play_and_end(following, [NASH, NASH, NASH])
    html = instructor_client.get(f"/exercises/{following.pk}/debrief/present/").content.decode()
    assert 'data-key="rounds"' in html
    slide = html.split('data-slide-svg="rounds"')[1].split("</svg>")[0]
    assert "The rounds compared" in html and "Round 1" in slide and "Round 2" in slide
    # Round 1: a lose-lose deal (81), the Nash package (115), an impasse (78); round 2: the Nash package thrice.
    assert "Round 1: 3 pairs, lowest 78, first quartile 79.5, median 81, third quartile 98, highest 115" in slide
    assert "Round 2: 3 pairs, lowest 115, first quartile 115, median 115" in slide
    # Of the figures, the Pareto-optimal share moved most (50% to 100%).
    assert "Moved most since round 1: Pareto-optimal agreements, 50% to 100%" in slide
    assert not any(s.display_name in slide for s in six)
    sizes = [int(s) for s in re.findall(r'font-size="(\d+)"', slide)]
    assert min(sizes) >= 26
    download = instructor_client.get(f"/exercises/{following.pk}/debrief/present/rounds.svg")
    assert download.status_code == 200 and download["Content-Type"].startswith("image/svg+xml")
    assert "Moved most since round 1" in download.content.decode()


def test_the_comparison_reads_as_many_queries_for_three_rounds_as_for_two(ended, six, instructor):
    """Each round's negotiators and their planning guesses are read with every other round's, not a round
    at a time (the rounds page, the API's series and the rounds slide read this comparison)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    present = [s.pk for s in six]
    second = series.next_round_create(
        exercise=ended, rematch="rematch", student_ids=present, created_by=instructor, seed=4
    )
    play_and_end(second, [NASH, NASH, NASH])
    with CaptureQueriesContext(connection) as two:
        series_comparison(second)
    third = series.next_round_create(
        exercise=second, rematch="switch", student_ids=present, created_by=instructor, seed=5
    )
    play_and_end(third, [NASH, LOSE_LOSE, None])
    with CaptureQueriesContext(connection) as three:
        data = series_comparison(third)
    assert [r["ready"] for r in data["rounds"]] == [True, True, True]
    assert len(three.captured_queries) == len(two.captured_queries), [q["sql"][:90] for q in three.captured_queries]


def test_the_fixed_pie_guesses_read_for_a_series_are_those_the_debrief_scores(exercise, six):
    """fixed_pie_guesses (every round at once) gives each negotiator the figure planning_guesses gives
    them, round by round; a student without a ranking has none."""
    from negotiations.planning import fixed_pie_guesses, planning_guesses, planning_sheet_save

    rounds.exercise_pair(exercise=exercise, student_ids=[s.pk for s in six], seed=1)
    rounds.exercise_release(exercise=exercise)
    orders = {"seller": ["price", "handover", "warranty", "tyres"], "buyer": ["tyres", "warranty", "handover", "price"]}
    ranked = list(exercise.negotiations.order_by("number"))[:2]
    for negotiation in ranked:
        for seat in negotiation.seats.filter(student__isnull=False):
            planning_sheet_save(exercise=exercise, student=seat.student, partner_priorities=orders[seat.role_key])
    exercise.refresh_from_db()
    play_and_end(exercise, [NASH, LOSE_LOSE, None])
    expected = {seat.student_id: guess.fixed_pie for seat, _, guess in planning_guesses(exercise=exercise)}
    assert len(expected) == 4
    assert fixed_pie_guesses([exercise]) == {exercise.pk: expected}
    by_student = {s["student_id"]: s["rounds"][0] for s in series_comparison(exercise)["students"]}
    assert {k: by_student[k]["fixed_pie"] for k in expected} == {k: float(v) for k, v in expected.items()}
