"""Who may see a confidential sheet: only verified instructors (docs/operations.md, "Who may see a confidential
sheet"). An account anyone can make by signing up sees no role sheet, points, teaching notes or class until
its owner confirmed an allowed address; an unverified account is told what to do."""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from classrooms import services
from classrooms.models import InstructorInvitation, User
from scenarios.services import scenario_version_get, version_spec
from tests.base import start_round

SIGNUP = {"first_name": "Sam", "password": "tangerine-harbour-7", "password_again": "tangerine-harbour-7"}


def sign_up(email: str) -> tuple[Client, object]:
    client = Client()
    response = client.post("/signup/", {**SIGNUP, "email": email})
    return client, response


def confirmation_path() -> str:
    (message,) = mail.outbox
    link = next(word for word in message.body.split() if "/account/verify/" in word)
    return link.split("testserver", 1)[1]


def confidential_texts(slug: str) -> list[str]:
    spec = version_spec(scenario_version_get(slug))
    sheets = [re.search(r"[A-Za-z][A-Za-z ,]{30,}", role.sheet).group(0) for role in spec.roles]
    return [*sheets, "Teaching notes"]


@pytest.fixture
def domains(settings):
    settings.INSTRUCTOR_EMAIL_DOMAINS = ["uni.example"]


def test_an_account_made_by_signing_up_sees_no_confidential_sheet_and_is_told_what_to_do(db, builtin_scenarios):
    client = Client()
    client.force_login(User.objects.create_user("student@mail.example", "tangerine-harbour-7"))
    for path in ("/scenarios/", "/scenarios/used-car/", "/dashboard/", "/account/tokens/", "/classes/new/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/account/verify/"), path
    page = client.get("/scenarios/used-car/", follow=True).content.decode()
    assert "Confirm your email address" in page and "not allowed yet" in page
    for text in confidential_texts("used-car"):
        assert text not in page


def test_an_unverified_account_reaches_no_class_it_was_added_to_nor_its_exercise(exercise, classroom):
    stranger = User.objects.create_user("mallory@uni.example", "tangerine-harbour-7")
    classroom.instructors.add(stranger)
    start_round(exercise, classroom, 2)
    client = Client()
    client.force_login(stranger)
    for path in (f"/classes/{classroom.pk}/", f"/exercises/{exercise.pk}/", f"/exercises/{exercise.pk}/monitor/"):
        assert client.get(path, follow=True).redirect_chain[-1][0].startswith("/account/verify/"), path
    _, token = services.api_token_create(user=stranger, name="t")
    api = client.get(f"/api/exercises/{exercise.pk}", headers={"authorization": f"Bearer {token}"})
    assert api.status_code == 401


def test_sign_up_outside_the_allowed_domains_is_refused_plainly_and_creates_nothing(domains, db):
    for email in ("student@gmail.example", "student@students.uni.example"):
        _, response = sign_up(email)
        page = response.content.decode()
        assert response.status_code == 200
        assert "addresses ending in @uni.example, or need an invitation" in page, email
    assert not User.objects.exists() and not mail.outbox


def test_sign_up_on_an_allowed_domain_verifies_with_the_link_sent_to_the_address(domains, builtin_scenarios):
    client, response = sign_up("Nia@Uni.example")
    assert response["Location"] == "/signup/sent/"
    assert "We sent a message to <strong>nia@uni.example</strong>" in client.get("/signup/sent/").content.decode()
    assert client.get("/scenarios/used-car/").status_code == 302
    response = client.post(confirmation_path(), follow=True)
    assert response.redirect_chain[-1][0] == "/dashboard/"
    assert User.objects.get(email="nia@uni.example").is_verified_instructor
    page = client.get("/scenarios/used-car/").content.decode()
    for text in confidential_texts("used-car"):
        assert text in page


def test_a_link_scanner_fetching_the_link_verifies_nothing_its_owner_confirms_on_the_page(domains, db):
    """Mail scanners open the links of a message: had a GET verified the account, whoever signed up with a
    colleague's address would be verified by the colleague's scanner. The page asks for a button instead."""
    _, _ = sign_up("nia@uni.example")
    scanner = Client()
    page = scanner.get(confirmation_path())
    assert page.status_code == 200 and "Confirm that nia@uni.example is yours" in page.content.decode()
    assert not User.objects.get().is_verified_instructor
    response = scanner.post(confirmation_path())
    assert response.status_code == 302 and User.objects.get().is_verified_instructor


def test_an_invitation_from_an_administrator_allows_an_address_outside_the_domains(db, settings):
    settings.INSTRUCTOR_EMAIL_DOMAINS = []
    _, response = sign_up("guest@elsewhere.example")
    assert "need an invitation from an administrator" in response.content.decode()
    InstructorInvitation.objects.create(email="guest@elsewhere.example")
    client, response = sign_up("guest@elsewhere.example")
    assert response.status_code == 302
    client.post(confirmation_path())
    assert User.objects.get().is_verified_instructor


def test_a_forged_expired_or_withdrawn_link_verifies_nothing(domains, db):
    client, _ = sign_up("nia@uni.example")
    path = confirmation_path()
    response = client.get(path[:-3] + "xx/")
    assert response.status_code == 400 and "This link is not valid" in response.content.decode()
    with mock.patch("django.core.signing.time.time", return_value=(timezone.now() + timedelta(hours=49)).timestamp()):
        response = client.get(path)
    assert response.status_code == 400 and "older than 48 hours" in response.content.decode()
    user = User.objects.get()
    user.email = "nia@uni2.example"
    user.save()
    assert "no longer exists or has changed its address" in client.get(path).content.decode()
    assert not User.objects.get().is_verified_instructor


def test_the_administrators_accounts_are_verified(db, monkeypatch):
    monkeypatch.setenv("PARLEY_PASSWORD", "quince-lantern-93")
    call_command("createinstructor", "kai@anywhere.example", "--no-input", stdout=StringIO())
    call_command("demo_setup", stdout=StringIO())
    assert User.objects.create_superuser("root@anywhere.example", "x").is_verified_instructor
    assert all(user.is_verified_instructor for user in User.objects.all())


def test_a_co_instructor_is_added_only_once_verified_and_only_by_accepting(
    instructor_client, classroom, other_instructor
):
    squatter = User.objects.create_user("colleague@uni.example", "tangerine-harbour-7")
    response = instructor_client.post(f"/classes/{classroom.pk}/instructors/", {"email": squatter.email})
    assert response.status_code == 400
    assert "No verified instructor has an account with that email address" in response.content.decode()
    assert not classroom.instructors.filter(pk=squatter.pk).exists()

    response = instructor_client.post(f"/classes/{classroom.pk}/instructors/", {"email": "OTTO@example.com"})
    assert response.status_code == 302
    assert "otto@example.com has not accepted yet" in instructor_client.get(response["Location"]).content.decode()
    otto = Client()
    otto.force_login(other_instructor)
    assert otto.get(f"/classes/{classroom.pk}/").status_code == 404
    assert "Negotiation 101" in otto.get("/dashboard/").content.decode()
    (invitation,) = classroom.coinstructor_invitations.all()

    for stranger in (squatter, User.objects.create_user("eve@uni.example", "x", verified_at=timezone.now())):
        client = Client()
        client.force_login(stranger)
        client.post(f"/invitations/{invitation.pk}/", {"action": "accept"})
    assert list(classroom.instructors.all()) == [classroom.owner]

    response = otto.post(f"/invitations/{invitation.pk}/", {"action": "accept"})
    assert response["Location"] == f"/classes/{classroom.pk}/"
    assert otto.get(f"/classes/{classroom.pk}/").status_code == 200
    assert not classroom.coinstructor_invitations.exists()


def test_a_declined_invitation_gives_no_access(instructor_client, classroom, other_instructor):
    instructor_client.post(f"/classes/{classroom.pk}/instructors/", {"email": other_instructor.email})
    otto = Client()
    otto.force_login(other_instructor)
    (invitation,) = classroom.coinstructor_invitations.all()
    assert otto.post(f"/invitations/{invitation.pk}/", {"action": "decline"}).status_code == 302
    assert otto.get(f"/classes/{classroom.pk}/").status_code == 404
    assert not classroom.coinstructor_invitations.exists()


def test_the_upgrade_verifies_superusers_and_staff_and_no_other_existing_account(db):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("classrooms.migrations.0005_verify_administrators")
    root = User.objects.create_superuser("root@anywhere.example", "x", verified_at=None)
    staff = User.objects.create_user("staff@anywhere.example", "x", is_staff=True)
    signed_up = User.objects.create_user("someone@anywhere.example", "x")
    migration.verify_administrators(apps, None)
    verified = set(User.objects.filter(verified_at__isnull=False).values_list("email", flat=True))
    assert verified == {root.email, staff.email} and signed_up.email not in verified


@pytest.mark.django_db(transaction=True)
def test_an_unverified_account_added_to_a_class_opens_neither_its_monitor_nor_a_pairs_socket(exercise, classroom):
    from tests.live import Live, run

    (negotiation,) = start_round(exercise, classroom, 2)
    stranger = User.objects.create_user("mallory@uni.example", "tangerine-harbour-7")
    classroom.instructors.add(stranger)
    client = Client()
    client.force_login(stranger)

    async def go() -> list:
        codes = []
        for path in (f"/ws/exercises/{exercise.pk}/monitor/", f"/ws/negotiations/{negotiation.pk}/"):
            try:
                await Live(path, client).connect()
                codes.append("connected")
            except ConnectionRefusedError as refused:
                codes.append(refused.args[0])
        return codes

    assert run(go()) == [4404, 4404]
