"""A hostile instructor against the personal links' pages: the mail they can make the site send, and what
a class's sheet costs the server."""

from __future__ import annotations

import pytest

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
