from __future__ import annotations

from django.test import Client

from classrooms.access import SESSION_STUDENT
from classrooms.models import Student
from classrooms.services import classroom_set_open, student_link_revoke, student_link_token
from tests.base import add_students, student_client


def join(client: Client, code: str, name: str = "Zoe", **extra):
    return client.post("/join", {"code": code, "display_name": name, **extra})


def test_a_student_joins_with_the_code_and_gets_a_personal_link(classroom):
    client = Client()
    response = join(client, classroom.join_code.lower(), email="zoe@uni.example")
    assert response.status_code == 302 and response["Location"] == "/s/welcome/"
    student = Student.objects.get()
    assert (student.display_name, student.email, student.joined_via) == ("Zoe", "zoe@uni.example", "code")
    page = client.get("/s/welcome/").content.decode()
    assert f"/s/{student_link_token(student)}/" in page


def test_the_code_forgives_spaces_dashes_and_case(classroom):
    code = classroom.join_code
    assert join(Client(), f" {code[:3].lower()}-{code[3:]} ").status_code == 302


def test_a_wrong_code_is_refused_next_to_the_code_field(classroom):
    response = join(Client(), "ZZZZZZ")
    assert response.status_code == 200
    assert "No class open to joining has this code" in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    assert not Student.objects.exists()


def test_a_closed_class_refuses_joining(classroom):
    classroom_set_open(classroom=classroom, is_open=False)
    response = join(Client(), classroom.join_code)
    assert "No class open to joining has this code" in response.content.decode()
    assert not Student.objects.exists()


def test_a_second_join_with_the_same_email_points_to_the_personal_link(classroom):
    join(Client(), classroom.join_code, email="zoe@uni.example")
    response = join(Client(), classroom.join_code, email="ZOE@uni.example")
    assert "Use your personal link" in response.content.decode()
    assert Student.objects.count() == 1


def test_a_name_is_required(classroom):
    response = join(Client(), classroom.join_code, name="   ")
    assert response.status_code == 200
    assert not Student.objects.exists()


def test_opening_a_personal_link_changes_nothing(classroom):
    (student,) = add_students(classroom, "Ada")
    client = Client()
    response = client.get(f"/s/{student_link_token(student)}/")
    assert response.status_code == 200
    assert "Continue as Ada" in response.content.decode()
    assert SESSION_STUDENT not in client.session
    student.refresh_from_db()
    assert student.last_seen_at is None


def test_posting_the_personal_link_signs_the_student_in(classroom):
    (student,) = add_students(classroom, "Ada")
    client = student_client(student)
    assert client.session[SESSION_STUDENT] == student.pk
    assert "My exercises" in client.get("/s/").content.decode()


def test_a_tampered_link_is_refused(classroom):
    (student,) = add_students(classroom, "Ada")
    token = student_link_token(student)
    forged = token.replace(f"{student.pk}.", f"{student.pk + 1}.", 1)
    assert Client().post(f"/s/{forged}/").status_code == 404


def test_revoking_a_link_signs_every_device_out_and_the_link_stops_working(classroom):
    (student,) = add_students(classroom, "Ada")
    token = student_link_token(student)
    client = student_client(student)
    student_link_revoke(student=student)
    assert client.get("/s/").status_code == 302  # back to /join
    assert Client().post(f"/s/{token}/").status_code == 404


def test_the_instructor_reissues_a_link_and_only_the_new_one_works(classroom, instructor_client):
    (student,) = add_students(classroom, "Ada")
    old = student_link_token(student)
    instructor_client.post(f"/classes/{classroom.pk}/students/{student.pk}/link/", {"action": "reissue"})
    student.refresh_from_db()
    new = student_link_token(student)
    assert new != old
    assert Client().post(f"/s/{old}/").status_code == 404
    assert Client().post(f"/s/{new}/").status_code == 302


def test_the_ping_marks_a_student_present(classroom):
    (student,) = add_students(classroom, "Ada")
    client = student_client(student)
    Student.objects.filter(pk=student.pk).update(last_seen_at=None)
    assert client.post("/s/ping/").status_code == 204
    student.refresh_from_db()
    assert student.last_seen_at is not None


def test_a_personal_link_opened_where_another_student_is_signed_in_says_who_is_signed_out(classroom):
    """A shared classroom computer: Ada is signed in, and Ben opens his link. The page says that continuing
    signs Ada out (the next page takes the tab's drafts with it, below); Ada's own link says nothing of the
    kind."""
    ada, ben = add_students(classroom, "Ada", "Ben")
    client = student_client(ada)
    page = client.get(f"/s/{student_link_token(ben)}/").content.decode()
    assert "Ada is signed in on this device. Continuing signs Ada out." in page
    own = client.get(f"/s/{student_link_token(ada)}/").content.decode()
    assert "signed in on this device" not in own
    german = client.get(f"/s/{student_link_token(ben)}/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Ada ist auf diesem Gerät angemeldet. Wenn Sie fortfahren, wird Ada abgemeldet." in german


def drafts_forgotten(page: str) -> bool:
    """The page tells static/js/forms.js to drop the tab's drafts as it loads."""
    return "<body data-forget-drafts>" in page


def test_joining_as_someone_else_takes_the_tab_drafts_with_it_once_the_join_succeeds(classroom):
    """Joining with a code signs the student on this device out, as another's personal link does: the next
    page drops the tab's drafts (the room's half-typed message, offer and unanswered chats), once. A wrong
    code, or the roster's question, signs nobody out, and the drafts stay."""
    ada, _ = add_students(classroom, "Ada", "Cy")
    client = student_client(ada)
    assert not drafts_forgotten(client.get("/s/").content.decode())
    for page in (client.get("/join"), join(client, "ZZZZZZ")):
        assert page.status_code == 200 and not drafts_forgotten(page.content.decode())
        assert "data-forget-drafts" not in page.content.decode().split('class="form narrow"')[1].split(">")[0]
    assert client.session[SESSION_STUDENT] == ada.pk
    asked = join(client, classroom.join_code, name="Cy").content.decode()  # the roster's Cy: the question
    assert "Your instructor put a student of this name" in asked
    assert (
        not drafts_forgotten(asked) and "data-forget-drafts" not in asked.split('class="form narrow"')[1].split(">")[0]
    )
    sent_link = join(client, classroom.join_code, name="Cy", roster_answer="yes").content.decode()
    assert not drafts_forgotten(sent_link) and client.session[SESSION_STUDENT] == ada.pk
    assert not drafts_forgotten(client.get("/s/").content.decode())
    assert join(client, classroom.join_code).status_code == 302
    # A page a script fetches (the notices' refresh) neither shows it nor spends it; the page opened does.
    fetched = client.get("/s/welcome/", headers={"Sec-Fetch-Dest": "empty"}).content.decode()
    assert not drafts_forgotten(fetched)
    assert drafts_forgotten(client.get("/s/welcome/", headers={"Sec-Fetch-Dest": "document"}).content.decode())
    assert not drafts_forgotten(client.get("/s/welcome/").content.decode())
    someone_else = join(client, classroom.join_code, name="Cy", roster_answer="no")  # not the roster's Cy
    assert someone_else.status_code == 302
    assert drafts_forgotten(client.get("/s/welcome/").content.decode())
    anonymous = Client()
    assert join(anonymous, classroom.join_code, name="Yan").status_code == 302
    assert not drafts_forgotten(anonymous.get("/s/welcome/").content.decode())


def test_a_personal_link_continued_as_someone_else_takes_the_tab_drafts_with_it(classroom):
    ada, ben = add_students(classroom, "Ada", "Ben")
    client = student_client(ada)
    assert client.post(f"/s/{student_link_token(ada)}/").status_code == 302  # Ada again: hers stay
    assert not drafts_forgotten(client.get("/s/").content.decode())
    assert client.post(f"/s/{student_link_token(ben)}/").status_code == 302
    assert drafts_forgotten(client.get("/s/").content.decode())
    assert not drafts_forgotten(client.get("/s/").content.decode())
