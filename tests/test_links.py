"""The class's personal links handed out: the printable sheet with a QR code per student, the CSV, and each
student's link sent by email through a real SMTP server (tests/smtp.py), in the embedded way and by a real
Celery worker."""

from __future__ import annotations

import csv
import io
import re
import time

import pytest
from django.core.cache.backends.redis import RedisCache
from django.test import Client

from classrooms.links import REPORT_KEY
from classrooms.models import Student
from classrooms.services import roster_import, student_link_revoke, student_link_token
from config import settings as configured
from tests.base import add_students, student_client
from tests.servers import celery_worker
from tests.smtp import smtp_server

ROSTER = (
    "name,email,student id\n"
    "Ada Lovelace,ada@uni.example,S1\n"
    '=HYPERLINK("http://evil.example"),evil@uni.example,S2\n'
    "Ben Okri,,S3\n"
    "Chloe Ng,chloe@uni.example,S4\n"
)


@pytest.fixture
def roster(classroom) -> list[Student]:
    result = roster_import(classroom=classroom, text=ROSTER)
    assert not result.problems
    return result.created


def link_of(student: Student) -> str:
    return f"http://testserver/s/{student_link_token(student)}/"


def test_the_sheet_has_a_card_per_student_with_a_qr_code_of_their_link_and_the_class_code(
    classroom, instructor_client, roster
):
    response = instructor_client.get(f"/classes/{classroom.pk}/links/")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    page = response.content.decode()
    cards = re.findall(r'<li class="link-card">(.*?)</li>', page, re.S)
    assert len(cards) == 4
    for student in roster:
        card = next(c for c in cards if student.display_name.replace('"', "&quot;") in c)
        assert link_of(student).removeprefix("http://") in card and classroom.join_code in card
        assert re.search(r'<img class="link-card-qr" src="data:image/svg\+xml;charset=utf-8,[^"]+"', card)
    qr_codes = re.findall(r'src="(data:image/svg\+xml;charset=utf-8,[^"]+)"', page)
    assert len(set(qr_codes)) == 4  # one code per link
    assert "Email each student their link" not in page  # this site sends no mail


def test_a_revoked_link_prints_no_qr_code(classroom, instructor_client, roster):
    student_link_revoke(student=roster[0])
    page = instructor_client.get(f"/classes/{classroom.pk}/links/").content.decode()
    assert page.count('class="link-card-qr"') == 3 and "Link revoked: issue a new one" in page


def test_the_csv_lists_each_link_and_writes_a_formula_as_text(classroom, instructor_client, roster):
    response = instructor_client.get(f"/classes/{classroom.pk}/links.csv")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.content.decode().lstrip("\ufeff"))))
    assert [row["name"] for row in rows] == [
        '\'=HYPERLINK("http://evil.example")',
        "Ada Lovelace",
        "Ben Okri",
        "Chloe Ng",
    ]
    by_number = {row["student id"]: row for row in rows}
    assert by_number["S1"]["link"] == link_of(roster[0]) and by_number["S1"]["class code"] == classroom.join_code
    assert by_number["S3"]["email"] == ""


def test_another_instructor_a_student_and_a_stranger_get_no_links(classroom, roster, other_instructor):
    otto = Client()
    otto.force_login(other_instructor)
    stranger, student = Client(), student_client(roster[0])
    for path in ("links/", "links.csv"):
        url = f"/classes/{classroom.pk}/{path}"
        assert otto.get(url).status_code == 404
        assert student.get(url).status_code == 302 and stranger.get(url).status_code == 302
    assert otto.post(f"/classes/{classroom.pk}/links/email/").status_code == 404


# Email, through a real SMTP server; tasks run in the test's process as in the embedded mode


@pytest.mark.usefixtures("eager_tasks")
def test_each_student_gets_their_own_link_by_email_and_the_page_reports_who_did_not(
    classroom, instructor_client, roster, settings, django_capture_on_commit_callbacks
):
    with smtp_server(settings) as inbox:
        inbox.refuse.add("chloe@uni.example")
        page = instructor_client.get(f"/classes/{classroom.pk}/links/").content.decode()
        assert "Email each student their link (3 with an address)" in page
        with django_capture_on_commit_callbacks(execute=True):
            response = instructor_client.post(f"/classes/{classroom.pk}/links/email/")
        assert response.status_code == 302
    assert sorted(m["To"] for m in inbox.messages) == ["ada@uni.example", "evil@uni.example"]
    (ada,) = inbox.to("ada@uni.example")
    body = inbox.body(ada)
    assert ada["Subject"] == "Your link for Negotiation 101" and "Hello Ada Lovelace" in body
    assert link_of(roster[0]) in body and "Negotiation 101" in body
    others = [link_of(s) for s in roster[1:]]
    assert not any(link in body for link in others) and body.count("/s/") == 1
    page = instructor_client.get(f"/classes/{classroom.pk}/links/").content.decode()
    assert "<strong>2</strong> sent, <strong>1</strong> failed" in page
    assert "Chloe Ng (chloe@uni.example): refused by the mail server: 550 5.1.1 No such mailbox here" in page
    assert "Without an email address, so not sent: Ben Okri." in page


@pytest.mark.usefixtures("eager_tasks")
def test_the_links_are_written_in_the_language_of_the_page_that_sent_them(
    classroom, instructor_client, roster, settings, django_capture_on_commit_callbacks
):
    """Parley keeps no language of a student's own: the messages, and the report of those that failed, are
    in the sending instructor's page's language."""
    instructor_client.cookies["django_language"] = "es"
    with smtp_server(settings) as inbox:
        inbox.refuse.add("chloe@uni.example")
        with django_capture_on_commit_callbacks(execute=True):
            instructor_client.post(f"/classes/{classroom.pk}/links/email/")
    (ada,) = inbox.to("ada@uni.example")
    body = inbox.body(ada)
    assert ada["Subject"] == "Tu enlace para Negotiation 101" and body.startswith("Hola, Ada Lovelace:")
    assert link_of(roster[0]) in body and "Es solo tuyo; no lo compartas." in body
    page = instructor_client.get(f"/classes/{classroom.pk}/links/").content.decode()
    assert "Chloe Ng (chloe@uni.example): rechazado por el servidor de correo: 550" in page


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_celery_worker_sends_the_links_and_reports_it(classroom, instructor_client, roster, settings):
    """As in production: the request queues the task on Redis, a worker process sends the mail and stores
    its report in the cache the web processes read (Redis, as configured; the test's own cache keeps its
    throttles' counts apart from other tests')."""
    configured_cache = configured.CACHES["default"]
    shared = RedisCache(configured_cache["LOCATION"], {"KEY_PREFIX": configured_cache["KEY_PREFIX"]})
    key = REPORT_KEY.format(classroom_id=classroom.pk)
    with (
        smtp_server(settings) as inbox,
        celery_worker(ready=True, EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(settings.EMAIL_PORT)),
    ):
        inbox.refuse.add("chloe@uni.example")
        response = instructor_client.post(f"/classes/{classroom.pk}/links/email/")
        assert response.status_code == 302
        sent = inbox.wait_for(2, timeout=30)
        deadline = time.monotonic() + 10  # the worker reports once the last message is sent or refused
        while (report := shared.get(key)) is None:
            assert time.monotonic() < deadline, "no report of the sending"
            time.sleep(0.05)  # polling what another process writes
    shared.delete(key)
    assert sorted(m["To"] for m in sent) == ["ada@uni.example", "evil@uni.example"]
    assert link_of(roster[0]) in inbox.body(inbox.to("ada@uni.example")[0])
    assert report["sent"] == 2 and report["without_email"] == ["Ben Okri"]
    (failed,) = report["failed"]
    assert failed["email"] == "chloe@uni.example" and failed["reason"].startswith("refused by the mail server: 550")


@pytest.mark.usefixtures("eager_tasks")
def test_a_mail_server_that_cannot_be_reached_is_reported_for_every_student(
    classroom, instructor_client, settings, django_capture_on_commit_callbacks
):
    add_students(classroom, "Dev")
    roster_import(classroom=classroom, text="name,email\nEmi,emi@uni.example\n")
    with smtp_server(settings):
        pass  # stopped: its port refuses connections
    with django_capture_on_commit_callbacks(execute=True):
        instructor_client.post(f"/classes/{classroom.pk}/links/email/")
    page = instructor_client.get(f"/classes/{classroom.pk}/links/").content.decode()
    assert "<strong>0</strong> sent, <strong>1</strong> failed" in page
    assert "Emi (emi@uni.example): could not be sent: [Errno 111] Connection refused" in page


def test_emailing_the_links_is_limited_per_class_and_not_offered_without_smtp(
    classroom, instructor_client, roster, settings, django_capture_on_commit_callbacks
):
    url = f"/classes/{classroom.pk}/links/email/"
    refused = instructor_client.post(url)
    assert refused.status_code == 400 and "This site sends no mail" in refused.content.decode()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    with django_capture_on_commit_callbacks(execute=False) as queued:
        answers = [instructor_client.post(url).status_code for _ in range(4)]
    assert answers == [302, 302, 302, 429] and len(queued) == 3  # nothing queued when refused
    page = instructor_client.post(url).content.decode()
    assert "Too many sendings of the students&#x27; links by email for this class." in page
