from __future__ import annotations

from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client

from classrooms.models import Classroom, User
from classrooms.services import classroom_create


def test_an_instructor_signs_up_confirms_the_address_and_lands_on_the_dashboard(db, settings):
    settings.INSTRUCTOR_EMAIL_DOMAINS = ["uni.example"]
    client = Client()
    response = client.post(
        "/signup/",
        {
            "email": "Nia@Uni.example",
            "first_name": "Nia",
            "password": "tangerine-harbour-7",
            "password_again": "tangerine-harbour-7",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/signup/sent/"
    assert User.objects.get().email == "nia@uni.example"
    (message,) = mail.outbox
    link = next(word for word in message.body.split() if "/account/verify/" in word)
    page = client.post(link.split("testserver", 1)[1], follow=True).content.decode()
    assert "You have no classes yet" in page


def test_the_confirmation_mail_is_in_the_sign_up_page_language(db, settings):
    settings.INSTRUCTOR_EMAIL_DOMAINS = ["uni.example"]
    client = Client(headers={"accept-language": "de"})
    fields = {"email": "nia@uni.example", "password": "tangerine-harbour-7", "password_again": "tangerine-harbour-7"}
    assert client.post("/signup/", fields).status_code == 302
    client.post("/signup/", fields)  # again: the address has an account now, and its owner is told by mail
    first, second = mail.outbox
    assert first.subject == "Bestätigen Sie Ihre Adresse für Parley"
    assert first.body.startswith("Öffnen Sie diesen Link, um zu bestätigen, dass nia@uni.example Ihnen gehört")
    assert second.subject == "Ihr Parley-Konto" and "Sie ist noch nicht bestätigt" in second.body


def test_sign_up_errors_stand_next_to_their_fields(instructor):
    response = Client().post(
        "/signup/", {"email": instructor.email, "password": "short", "password_again": "different"}
    )
    page = response.content.decode()
    assert "The two passwords differ." in page
    assert "already" not in page  # whether the address has an account is told only to its owner, by mail
    assert User.objects.count() == 1


def test_an_instructor_logs_in_with_email_and_password(instructor):
    client = Client()
    response = client.post("/login/", {"username": "ines@example.com", "password": "a-long-password"})
    assert response.status_code == 302 and response["Location"] == "/dashboard/"


def test_password_reset_sends_a_working_link(instructor):
    client = Client()
    client.post("/password-reset/", {"email": "ines@example.com"})
    (message,) = mail.outbox
    link = next(word for word in message.body.split() if "/password-reset/" in word)
    path = link.split("testserver", 1)[1]
    response = client.get(path, follow=True)
    form_url = response.redirect_chain[-1][0]
    client.post(form_url, {"new_password1": "lemon-orchard-42", "new_password2": "lemon-orchard-42"})
    instructor.refresh_from_db()
    assert instructor.check_password("lemon-orchard-42")


def test_an_instructor_sees_only_their_own_classes(instructor_client, other_instructor):
    theirs = classroom_create(owner=other_instructor, name="Other class")
    mine = classroom_create(owner=User.objects.get(email="ines@example.com"), name="My class")
    dashboard = instructor_client.get("/dashboard/").content.decode()
    assert "My class" in dashboard and "Other class" not in dashboard
    assert instructor_client.get(f"/classes/{mine.pk}/").status_code == 200
    for url in (f"/classes/{theirs.pk}/", f"/classes/{theirs.pk}/exercises/new/"):
        assert instructor_client.get(url).status_code == 404
    assert instructor_client.post(f"/classes/{theirs.pk}/open/", {"open": "0"}).status_code == 404
    assert Classroom.objects.get(pk=theirs.pk).is_open


def test_a_co_instructor_can_run_the_class_once_they_accept(instructor_client, classroom, other_instructor):
    response = instructor_client.post(f"/classes/{classroom.pk}/instructors/", {"email": "OTTO@example.com"})
    assert response.status_code == 302
    other = Client()
    other.force_login(other_instructor)
    (invitation,) = other_instructor.coinstructor_invitations.all()
    other.post(f"/invitations/{invitation.pk}/", {"action": "accept"})
    assert other.get(f"/classes/{classroom.pk}/").status_code == 200


def test_adding_an_unknown_co_instructor_says_so(instructor_client, classroom):
    response = instructor_client.post(
        f"/classes/{classroom.pk}/instructors/", {"email": "nobody@example.com"}, follow=True
    )
    assert "No verified instructor has an account with that email address" in response.content.decode()


def test_a_new_class_gets_a_join_code_without_look_alike_characters(instructor_client):
    response = instructor_client.post("/classes/new/", {"name": "Deals", "term": "Fall"})
    classroom = Classroom.objects.get()
    assert response["Location"] == f"/classes/{classroom.pk}/"
    assert len(classroom.join_code) == 6
    assert not set(classroom.join_code) & set("IL01O")


def test_createinstructor_makes_an_account(db, monkeypatch):
    monkeypatch.setenv("PARLEY_PASSWORD", "quince-lantern-93")
    call_command("createinstructor", "kai@uni.example", "--no-input", stdout=StringIO())
    assert User.objects.get(email="kai@uni.example").check_password("quince-lantern-93")
    with pytest.raises(CommandError, match="already exists"):
        call_command("createinstructor", "kai@uni.example", "--no-input", stdout=StringIO())


def test_createinstructor_refuses_a_weak_password(db, monkeypatch):
    monkeypatch.setenv("PARLEY_PASSWORD", "123")
    with pytest.raises(CommandError, match="Password refused"):
        call_command("createinstructor", "kai@uni.example", "--no-input", stdout=StringIO())
