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
