"""A hostile instructor against the personal links' pages: the mail they can make the site send, and what
a class's sheet costs the server."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from classrooms import links
from classrooms.models import Classroom
from classrooms.services import roster_import
from tests.smtp import smtp_server


@pytest.mark.usefixtures("eager_tasks")
def test_a_class_name_with_a_line_break_adds_no_header_and_each_student_still_gets_their_link(
    instructor, instructor_client, settings, django_capture_on_commit_callbacks
):
    name = "Negotiation\r\nBcc: everyone@elsewhere.example"
    instructor_client.post("/classes/new/", {"name": name, "term": ""})
    classroom = Classroom.objects.get(owner=instructor)
    roster_import(classroom=classroom, text="name,email\nEmi,emi@uni.example\n")
    with smtp_server(settings) as inbox, django_capture_on_commit_callbacks(execute=True):
        instructor_client.post(f"/classes/{classroom.pk}/links/email/")
    (message,) = inbox.messages
    assert message["Subject"] == "Your link for Negotiation Bcc: everyone@elsewhere.example"
    assert message["Bcc"] is None
    page = instructor_client.get(f"/classes/{classroom.pk}/links/").content.decode()
    assert "<strong>1</strong> sent." in page


def _roster_of(count: int, domain: str) -> str:
    return "name,email\n" + "".join(f"Person {i},person{i}@{domain}\n" for i in range(count))


def test_the_messages_an_instructor_can_send_in_a_day_are_counted_not_only_their_sendings(
    classroom, instructor, instructor_client, settings, django_capture_on_commit_callbacks
):
    """Rosters of any addresses, uploaded again and again, made one sending mail a class of any size: the
    site could mail tens of thousands of strangers a day for one instructor."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    default = settings.THROTTLES.get("link_email_messages")
    settings.THROTTLES = {**settings.THROTTLES, "link_email_messages": {"account": (5, 86400)}}
    roster_import(classroom=classroom, text=_roster_of(3, "uni.example"))
    second = Classroom.objects.create(owner=instructor, name="Second", join_code="SECOND")
    second.instructors.add(instructor)
    roster_import(classroom=second, text=_roster_of(3, "elsewhere.example"))
    with django_capture_on_commit_callbacks(execute=False) as queued:
        first = instructor_client.post(f"/classes/{classroom.pk}/links/email/")
        refused = instructor_client.post(f"/classes/{second.pk}/links/email/")
    assert first.status_code == 302 and len(queued) == 1  # 3 messages of the day's 5
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "would send 3 messages; your account may send 2 more before the day&#x27;s end" in refused.content.decode()
    # The refusal spent nothing: two messages of the day are left, and no more.
    smaller = Classroom.objects.create(owner=instructor, name="Third", join_code="THIRD")
    smaller.instructors.add(instructor)
    roster_import(classroom=smaller, text=_roster_of(2, "third.example"))
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert instructor_client.post(f"/classes/{smaller.pk}/links/email/").status_code == 302
        assert instructor_client.post(f"/classes/{smaller.pk}/links/email/").status_code == 429
    assert len(queued) == 1
    assert default == {"account": (1000, 86400)}  # as docs/operations.md says


def test_the_sheet_draws_a_page_of_qr_codes_a_request_however_large_the_class(
    classroom, instructor_client, monkeypatch
):
    """A QR code costs milliseconds of pure Python, during which the process's sockets wait for the
    interpreter's lock: the sheet of a class of thousands (a roster takes 2,000 at once, and may be
    uploaded again) slowed every socket of its process for up to a minute."""
    default = getattr(links, "LINKS_PAGE", None)
    monkeypatch.setattr(links, "LINKS_PAGE", 3, raising=False)
    drawn = []
    make = links.segno.make
    monkeypatch.setattr(links.segno, "make", lambda content, **kw: drawn.append(content) or make(content, **kw))
    roster_import(classroom=classroom, text=_roster_of(5, "uni.example"))
    first = instructor_client.get(f"/classes/{classroom.pk}/links/").content.decode()
    assert first.count('class="link-card-qr"') == 3 and len(drawn) == 3
    assert "Cards 1 to 3 of 5, page 1 of 2" in first and 'href="?page=2"' in first
    second = instructor_client.get(f"/classes/{classroom.pk}/links/?page=2").content.decode()
    assert second.count('class="link-card-qr"') == 2 and len(drawn) == 5
    assert "Person 3" in second and "Person 0" not in second
    assert instructor_client.get(f"/classes/{classroom.pk}/links/?page=3").status_code == 404
    assert default == 100  # as docs/operations.md says


@pytest.mark.usefixtures("eager_tasks")
def test_a_roster_link_the_mail_server_refuses_answers_the_join_page_as_any_other_name(classroom, settings):
    """The join page says the same whatever the roster holds: a mail server refusing the roster address
    made the yes of a name with an address a server error, so it told that the roster had one."""
    roster_import(classroom=classroom, text="name,email\nEmeka Obi,emeka@uni.example\nAda Lovelace,\n")
    with smtp_server(settings) as inbox:
        inbox.refuse.add("emeka@uni.example")
        answers = [
            Client().post("/join", {"code": classroom.join_code, "display_name": name, "roster_answer": "yes"})
            for name in ("Emeka Obi", "Ada Lovelace")
        ]
    assert [a.status_code for a in answers] == [200, 200] and not inbox.messages
    pages = [re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", a.content.decode()) for a in answers]
    assert pages[0] == pages[1]


@pytest.mark.usefixtures("eager_tasks")
def test_the_join_pages_yes_mails_a_roster_student_once_a_day_and_a_visitor_ten_students_an_hour(
    classroom, settings, monkeypatch
):
    """Anyone with the class code could have the site mail every roster student their link every hour."""
    roster_import(classroom=classroom, text=_roster_of(11, "uni.example"))
    clock = [1_800_000_000.0]  # a day's start, UTC
    monkeypatch.setattr("classrooms.throttles._now", lambda: clock[0])

    def yes(name: str) -> None:
        answer = Client().post("/join", {"code": classroom.join_code, "display_name": name, "roster_answer": "yes"})
        assert (
            answer.status_code == 200 and "open the personal link your instructor gave you" in answer.content.decode()
        )

    with smtp_server(settings) as inbox:
        for i in range(11):
            yes(f"Person {i}")
        assert len(inbox.messages) == 10  # one visitor's address: ten students an hour
        clock[0] += 2 * 3600
        yes("Person 0")
        assert len(inbox.messages) == 10  # Person 0 had theirs today
        clock[0] += 86400
        yes("Person 0")
        assert [m["To"] for m in inbox.messages].count("person0@uni.example") == 2


BAD_DOMAIN = "ada@\u00ad.example"  # a soft hyphen alone: a valid address to the validator, none to IDNA


def test_an_address_mail_cannot_be_sent_to_is_refused_on_the_way_in(classroom):
    result = roster_import(classroom=classroom, text=f"name,email\nAda,{BAD_DOMAIN}\n")
    assert result.problems == [f"line 2: '{BAD_DOMAIN}' is not a valid email address."]
    page = Client().post("/join", {"code": classroom.join_code, "display_name": "Ada", "email": BAD_DOMAIN})
    assert page.status_code == 200 and "Enter a valid email address." in page.content.decode()
    # Nor a host given by its address, which would have the site's mail server deliver to any machine.
    literal = roster_import(classroom=classroom, text="name,email\nAda,ada@[10.0.0.1]\n")
    assert literal.problems == ["line 2: 'ada@[10.0.0.1]' is not a valid email address."]
    assert not classroom.students.exists()


@pytest.mark.usefixtures("eager_tasks")
def test_a_stored_address_mail_cannot_be_sent_to_is_reported_and_the_others_still_get_their_links(
    classroom, instructor_client, settings, django_capture_on_commit_callbacks
):
    """One student's address (stored before it was refused) stopped the sending for the whole class: the
    task failed, the students after them got nothing and the report said 'sending' for a week."""
    roster_import(classroom=classroom, text="name,email\nAda,ada@uni.example\nBen,ben@uni.example\n")
    classroom.students.filter(display_name="Ada").update(email=BAD_DOMAIN)
    with smtp_server(settings) as inbox, django_capture_on_commit_callbacks(execute=True):
        instructor_client.post(f"/classes/{classroom.pk}/links/email/")
    assert [m["To"] for m in inbox.messages] == ["ben@uni.example"]
    page = instructor_client.get(f"/classes/{classroom.pk}/links/").content.decode()
    assert "<strong>1</strong> sent, <strong>1</strong> failed" in page
    assert f"Ada ({BAD_DOMAIN}): could not be sent: the address cannot be written for mail" in page
