"""A student who joins by class code with the name of a roster student who has not yet used their link is
asked whether they are that student; yes never hands out that seat on the join page, no joins them as a
new student flagged for the instructor (docs/operations.md, "A roster student who joins by code")."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from classrooms.access import SESSION_STUDENT
from classrooms.models import Student
from classrooms.services import classroom_set_open, roster_import, student_link_token
from tests.base import student_client
from tests.smtp import smtp_server

QUESTION = "Are you Emeka Obi from the roster?"


@pytest.fixture
def emeka(classroom) -> Student:
    result = roster_import(classroom=classroom, text="name;email\nEmeka Obi;emeka.obi@uni.example\nAda Lovelace;\n")
    assert not result.problems
    return result.created[0]


def join(client: Client, code: str, name: str, **extra):
    return client.post("/join", {"code": code, "display_name": name, **extra})


def without_tokens(page: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)


def test_a_name_on_the_roster_is_asked_about_whatever_its_case_and_spaces(classroom, emeka):
    client = Client()
    response = join(client, classroom.join_code, "  emeka   OBI ")
    page = response.content.decode()
    assert response.status_code == 200 and QUESTION in page
    assert f'name="code" value="{classroom.join_code}"' in page and "/s/" not in page
    assert Student.objects.count() == 2 and SESSION_STUDENT not in client.session


@pytest.mark.usefixtures("eager_tasks")
def test_yes_shows_no_link_signs_nobody_in_and_mails_the_link_to_the_roster_address_once(classroom, emeka, settings):
    with smtp_server(settings) as inbox:
        answers = []
        for name in ("Emeka Obi", "emeka obi", "Ada Lovelace"):  # Ada is on the roster without an address
            client = Client()
            response = join(client, classroom.join_code, name, roster_answer="yes")
            answers.append(without_tokens(response.content.decode()))
            assert response.status_code == 200 and SESSION_STUDENT not in client.session
    assert answers[0] == answers[1] == answers[2]
    assert "open the personal link your instructor gave you" in answers[0] and "/s/" not in answers[0]
    (message,) = inbox.messages  # the second yes within the hour sends nothing more
    assert message["To"] == "emeka.obi@uni.example"
    assert f"/s/{student_link_token(emeka)}/" in inbox.body(message)
    assert Student.objects.count() == 2


def test_yes_for_a_name_not_on_the_roster_gets_the_same_answer(classroom, emeka):
    on_roster = join(Client(), classroom.join_code, "Emeka Obi", roster_answer="yes")
    not_on_roster = join(Client(), classroom.join_code, "Zoe Zed", roster_answer="yes")
    assert without_tokens(on_roster.content.decode()) == without_tokens(not_on_roster.content.decode())
    assert Student.objects.count() == 2


def test_no_joins_as_a_new_student_whom_the_instructor_sees_flagged(classroom, emeka, instructor_client):
    client = Client()
    response = join(client, classroom.join_code, "EMEKA OBI", roster_answer="no")
    assert response.status_code == 302 and response["Location"] == "/s/welcome/"
    newcomer = Student.objects.get(joined_via="code")
    assert newcomer.possible_duplicate_of == emeka and client.session[SESSION_STUDENT] == newcomer.pk
    page = instructor_client.get(f"/classes/{classroom.pk}/").content.decode()
    assert "Possibly the same person as Emeka Obi (roster), who has not used their link yet" in page


def test_a_roster_student_who_used_their_link_is_not_asked_about(classroom, emeka):
    student_client(emeka)
    response = join(Client(), classroom.join_code, "Emeka Obi")
    assert response.status_code == 302
    assert Student.objects.get(joined_via="code").possible_duplicate_of is None


def test_an_unknown_code_and_a_closed_class_answer_a_roster_name_as_any_other(classroom, emeka):
    classroom_set_open(classroom=classroom, is_open=False)
    for answer in ("", "yes", "no"):
        closed = join(Client(), classroom.join_code, "Emeka Obi", roster_answer=answer).content.decode()
        unknown = join(Client(), "ZZZZZZ", "Emeka Obi", roster_answer=answer).content.decode()
        assert QUESTION not in closed and "No class open to joining has this code" in closed
        assert "No class open to joining has this code" in unknown
    assert Student.objects.count() == 2


def test_the_api_lists_whom_a_student_may_duplicate(classroom, emeka, instructor):
    from tests.test_api import api_client

    join(Client(), classroom.join_code, "Emeka Obi", roster_answer="no")
    rows = api_client(instructor).get(f"/api/classes/{classroom.pk}/students").json()
    flags = {row["display_name"] + "/" + row["joined_via"]: row["possible_duplicate_of"] for row in rows}
    assert flags == {"Ada Lovelace/roster": None, "Emeka Obi/roster": None, "Emeka Obi/code": emeka.pk}
