"""Shared fixtures of people and scenarios for the Django-level tests."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from classrooms.models import User
from scenarios.services import scenario_version_create
from tests.scenario_docs import dump, valid


@pytest.fixture
def instructor(db) -> User:
    return User.objects.create_user(
        "ines@example.com", "a-long-password", first_name="Ines", verified_at=timezone.now()
    )


@pytest.fixture
def admin_user(db) -> User:
    return User.objects.create_superuser("root@example.com", "a-long-password")


@pytest.fixture
def instructor_client(instructor: User) -> Client:
    client = Client()
    client.force_login(instructor)
    return client


@pytest.fixture
def admin_client(admin_user: User) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def lease(db):
    return scenario_version_create(document=dump(valid()), source="test").version


# Classes, students and exercises


@pytest.fixture
def other_instructor(db) -> User:
    return User.objects.create_user(
        "otto@example.com", "a-long-password", first_name="Otto", verified_at=timezone.now()
    )


@pytest.fixture(scope="session")
def builtin_rows(django_db_setup, django_db_blocker) -> list[tuple[dict, dict]]:
    """The built-in scenarios' rows as builtin_scenarios_load() stores them: read once per session, in a
    transaction rolled back, so that each test's database starts without them."""
    from django.db import transaction

    from scenarios.services import builtin_scenarios_load

    def fields(row) -> dict:
        return {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields if not f.primary_key}

    with django_db_blocker.unblock(), transaction.atomic():
        rows = [(fields(r.version.scenario), fields(r.version)) for r in builtin_scenarios_load()]
        transaction.set_rollback(True)
    return rows


@pytest.fixture
def builtin_scenarios(db, builtin_rows) -> None:
    """The built-in scenarios in the test's database, as builtin_scenarios_load() would leave them, without
    reading and validating their documents again for every test."""
    from scenarios.models import Scenario, ScenarioVersion

    scenarios = Scenario.objects.bulk_create(Scenario(**scenario) for scenario, _ in builtin_rows)
    ScenarioVersion.objects.bulk_create(
        ScenarioVersion(**{**version, "scenario_id": scenario.pk})
        for scenario, (_, version) in zip(scenarios, builtin_rows, strict=True)
    )


@pytest.fixture
def used_car(builtin_scenarios):
    from scenarios.services import scenario_version_get

    return scenario_version_get("used-car")


@pytest.fixture
def classroom(instructor):
    from classrooms.services import classroom_create

    return classroom_create(owner=instructor, name="Negotiation 101", term="Spring")


def add_students(classroom, *names: str):
    from classrooms.services import roster_import

    result = roster_import(classroom=classroom, text="name\n" + "\n".join(names) + "\n")
    assert not result.problems, result.problems
    return result.created


def add_coinstructor(classroom, user) -> None:
    """The class's owner invites `user` to co-teach it and `user` accepts."""
    from classrooms.services import coinstructor_answer, coinstructor_invite

    invitation = coinstructor_invite(classroom=classroom, email=user.email, invited_by=classroom.owner)
    coinstructor_answer(user=user, invitation_id=invitation.pk, accept=True)


def student_client(student) -> Client:
    """A browser session signed in as the student, through their personal link."""
    from classrooms.services import student_link_token

    client = Client()
    response = client.post(f"/s/{student_link_token(student)}/")
    assert response.status_code == 302, response
    return client


@pytest.fixture
def exercise(classroom, used_car, instructor):
    from classrooms.services import exercise_create

    return exercise_create(
        classroom=classroom, title="Used car", scenario_version=used_car, time_limit_minutes=20, created_by=instructor
    )


@pytest.fixture
def road_bike_pair(builtin_scenarios, classroom, instructor):
    """Ada and Ben paired on the road bike (a scenario translated into Spanish and German), roles out:
    (exercise, [ada, ben])."""
    from classrooms.services import exercise_create
    from negotiations import rounds
    from scenarios.services import scenario_version_get

    exercise = exercise_create(
        classroom=classroom,
        title="Road bike",
        scenario_version=scenario_version_get("road-bike"),
        time_limit_minutes=20,
        created_by=instructor,
    )
    students = add_students(classroom, "Ada", "Ben")
    rounds.exercise_pair(exercise=exercise, student_ids=[s.pk for s in students], seed=1)
    rounds.exercise_release(exercise=exercise)
    return exercise, students


def start_round(exercise, classroom, count: int) -> list:
    """`count` students join, are paired, get their roles, and the round starts; returns the pairs."""
    from negotiations import rounds

    students = add_students(classroom, *[f"Student {i}" for i in range(count)])
    rounds.exercise_pair(exercise=exercise, student_ids=[s.pk for s in students], seed=1)
    rounds.exercise_release(exercise=exercise)
    rounds.exercise_start(exercise=exercise)
    return list(exercise.negotiations.order_by("number"))


def odd_class_with_bot(exercise, classroom, *, start: bool = True) -> tuple:
    """Three students under the bot rule: a pair, and one against the disclosed bot; the roles released and,
    with `start`, the round started. Returns (the bot's seat, the odd student's seat)."""
    from negotiations import rounds
    from negotiations.models import Seat

    exercise.odd_rule = "bot"
    exercise.save()
    students = add_students(classroom, "Ada", "Ben", "Cy")
    rounds.exercise_pair(exercise=exercise, student_ids=[s.pk for s in students], seed=2)
    rounds.exercise_release(exercise=exercise)
    if start:
        rounds.exercise_start(exercise=exercise)
    bot = Seat.objects.select_related("negotiation", "exercise").get(exercise=exercise, kind="bot")
    human = next(s for s in seats_by_role(bot.negotiation).values() if s.kind == "student")
    return bot, human


def seats_by_role(negotiation) -> dict:
    from negotiations.models import Seat

    return {s.role_key: s for s in Seat.objects.filter(negotiation=negotiation).select_related("student")}


def long_history(negotiation, chats: int, text: str) -> int:
    """Append `chats` chats of `text` (its `{seq}` replaced by the event's number) after the negotiation's
    events, alternating sides, written straight into the database; returns the last seq."""
    from django.utils import timezone

    from negotiations.models import Event, Negotiation

    seats = seats_by_role(negotiation)
    negotiation.refresh_from_db()
    first = negotiation.last_seq + 1
    roles = sorted(seats)
    Event.objects.bulk_create(
        Event(
            negotiation=negotiation,
            seq=seq,
            type="chat",
            role=roles[seq % 2],
            seat=seats[roles[seq % 2]],
            payload={"text": text.replace("{seq}", str(seq))},
        )
        for seq in range(first, first + chats)
    )
    last = first + chats - 1
    Negotiation.objects.filter(pk=negotiation.pk).update(last_seq=last, last_activity_at=timezone.now())
    return last


def agree(negotiation, package: dict[str, str], opener: str | None = None) -> None:
    """`opener` (by default the scenario's first role) offers `package` and the other side accepts it."""
    from core.negotiation import Action
    from negotiations.acting import negotiation_act
    from negotiations.models import Seat
    from scenarios.services import version_spec

    seats = {s.role_key: s for s in Seat.objects.filter(negotiation=negotiation).exclude(kind=Seat.Kind.OBSERVER)}
    opener = opener or version_spec(negotiation.exercise.scenario_version).role_keys[0]
    (other,) = set(seats) - {opener}
    offer = negotiation_act(
        negotiation_id=negotiation.pk, seat=seats[opener], action=Action("offer", "o", packages=(package,))
    )
    negotiation_act(
        negotiation_id=negotiation.pk, seat=seats[other], action=Action("accept", "a", offer_seq=offer.event["seq"])
    )


@pytest.fixture
def started_pair(exercise, classroom):
    """One pair negotiating: (negotiation, {role: student})."""
    (negotiation,) = start_round(exercise, classroom, 2)
    return negotiation, {role: seat.student for role, seat in seats_by_role(negotiation).items()}


@pytest.fixture
def eager_tasks():
    """Celery tasks run in-process, as in the embedded default (use with `usefixtures`)."""
    from config.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


@pytest.fixture
def bot_pair(exercise, classroom):
    """One student against a disclosed bot: (negotiation, bot seat, student seat)."""
    from negotiations import rounds

    exercise.odd_rule = "bot"
    exercise.save()
    (student,) = add_students(classroom, "Odd One")
    rounds.exercise_pair(exercise=exercise, student_ids=[student.pk], seed=1)
    rounds.exercise_release(exercise=exercise)
    rounds.exercise_start(exercise=exercise)
    negotiation = exercise.negotiations.get()
    seats = seats_by_role(negotiation)
    bot = next(s for s in seats.values() if s.kind == "bot")
    human = next(s for s in seats.values() if s.kind == "student")
    return negotiation, bot, human


def race(*calls):
    """Run the calls at the same instant on separate connections; results or the Refused raised."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from django.db import connection

    from core.refusal import Refused

    barrier = Barrier(len(calls))

    def run(call):
        try:
            barrier.wait()
            return call()
        except Refused as refused:
            return refused
        finally:
            connection.close()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def results_page(student, exercise, *, answer: bool = False) -> str:
    """The student's exercise page once the survey, which comes before the results, is skipped (or
    answered, all fours): what a student sees of their results."""
    client = student_client(student)
    survey = f"/s/exercises/{exercise.pk}/survey/"
    client.post(survey, {f"item_{n}": "4" for n in range(1, 17)} if answer else {"skip": "1"})
    return client.get(f"/s/exercises/{exercise.pk}/").content.decode()


def password_the_server_knows(user) -> None:
    """Give `user` the tests' password hashed by a hasher a test server runs (it knows only the default
    hashers, not the fast one the test settings use)."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode("a-long-password", hasher.salt(), iterations=1000)
    user.save(update_fields=["password"])
