"""The security suite: forged identity, bad frames, markup in names and chat, CSRF on every form, and
session fixation through a personal link. (Cross-site handshakes: tests/test_two_processes.py and
tests/test_live_socket.py; the monitor socket: tests/test_monitor.py; check --deploy: tests/test_settings.py.)
"""

from __future__ import annotations

import html
import re

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from classrooms import services
from classrooms.services import student_link_token
from core.negotiation import Action
from negotiations import rounds
from negotiations.acting import negotiation_act
from negotiations.models import Event
from tests.base import add_students, seats_by_role, start_round, student_client
from tests.live import Live, run

PACKAGE = {"price": 9500, "handover": "three-weeks", "warranty": "none", "tyres": "included"}


@pytest.fixture
def pair(started_pair):
    negotiation, students = started_pair
    return negotiation, student_client(students["seller"]), student_client(students["buyer"])


# Identity comes from the session, never from the frame


IDENTITY_FIELDS = ["role", "seat", "student", "sender", "seq", "kind", "name", "negotiation", "user", "at"]


@pytest.mark.django_db(transaction=True)
def test_identity_fields_in_a_frame_are_refused_and_the_stored_event_carries_the_sessions_identity(pair):
    negotiation, seller, _ = pair
    buyer_seat = seats_by_role(negotiation)["buyer"]
    forged = {"role": "buyer", "seat": buyer_seat.pk, "student": buyer_seat.student_id, "sender": "specific.x!y",
              "seq": 1, "kind": "instructor", "name": "The instructor", "negotiation": negotiation.pk + 1,
              "user": 1, "at": "2000-01-01T00:00:00Z"}  # fmt: skip

    async def go():
        live = Live(f"/ws/negotiations/{negotiation.pk}/", seller)
        await live.connect()
        errors = []
        for name in IDENTITY_FIELDS:
            await live.send({"type": "chat", "client_msg_id": f"forged-{name}", "text": "I am someone else",
                             name: forged[name]})  # fmt: skip
            errors.append(await live.recv_type("error"))
        await live.send({"type": "chat", "client_msg_id": "plain", "text": "I am the seller"})
        ack = await live.recv_type("ack")
        await live.close()
        return errors, ack

    errors, ack = run(go())
    for name, error in zip(IDENTITY_FIELDS, errors, strict=True):
        assert error["code"] == "bad_frame" and name in error["message"], error
        assert error["client_msg_id"] == f"forged-{name}"
    stored = list(Event.objects.filter(negotiation=negotiation))
    assert [(e.type, e.role) for e in stored] == [("started", ""), ("chat", "seller")]
    assert stored[1].seat.student_id == seats_by_role(negotiation)["seller"].student_id
    assert ack["event"]["role"] == "seller"


@pytest.mark.django_db(transaction=True)
def test_a_student_of_another_pair_cannot_open_this_pairs_socket(exercise, classroom):
    first, second = start_round(exercise, classroom, 4)
    intruder = student_client(seats_by_role(second)["seller"].student)

    async def go():
        try:
            await Live(f"/ws/negotiations/{first.pk}/", intruder).connect()
        except ConnectionRefusedError as refused:
            return refused.args[0]
        return "connected"

    assert run(go()) == 4404
    assert Event.objects.filter(negotiation=first).count() == 1


# Bad frames: an error frame each, nothing stored (tests/test_live_socket.py has the first table)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ('{"type": "chat", "client_msg_id": "a", "text": Infinity}', "bad_json"),
        ('{"type": "offer", "client_msg_id": "a", "packages": [{"price": -Infinity}]}', "bad_json"),
        ('{"type": "accept", "client_msg_id": "a", "offer_seq": 1e400, "package": 0}', "bad_frame"),
        ('{"type": "offer", "client_msg_id": "a", "packages": [{"price": 1e308, "handover": "three-weeks", '
         '"warranty": "none", "tyres": "included"}]}', "bad_package"),
        ('{"type": "offer", "client_msg_id": "a", "packages": [{"price": 9500.5, "handover": "three-weeks", '
         '"warranty": "none", "tyres": "included"}]}', "bad_package"),
        ('{"type": "accept", "client_msg_id": "a", "offer_seq": 2.0, "package": 0}', "bad_frame"),
        ('{"type": "accept", "client_msg_id": "a", "offer_seq": 2, "package": true}', "bad_frame"),
        ('{"type": "accept", "client_msg_id": "a", "offer_seq": -1, "package": 0}', "bad_frame"),
        ('{"type": "offer", "client_msg_id": "a", "packages": {"price": 9500}}', "bad_frame"),
        ('{"type": "offer", "client_msg_id": "a", "packages": ["price=9500"]}', "bad_package"),
        ('{"type": "offer", "client_msg_id": "a", "packages": [null]}', "bad_package"),
        ('{"type": "chat", "client_msg_id": "a", "text": ["hi"]}', "bad_frame"),
        ('{"type": "chat", "client_msg_id": 7, "text": "hi"}', "bad_frame"),
        ('{"type": "chat", "client_msg_id": "' + "x" * 65 + '", "text": "hi"}', "bad_frame"),
        ('{"type": "chat", "client_msg_id": "a", "text": "   "}', "bad_frame"),
        ('{"type": ["chat"], "client_msg_id": "a", "text": "hi"}', "bad_frame"),
        ('{"type": "__class__", "client_msg_id": "a"}', "unknown_type"),
        ('{"type": "accept_all", "client_msg_id": "a"}', "unknown_type"),
        ("[]", "bad_frame"),
        ('"chat"', "bad_frame"),
        ("null", "bad_frame"),
        ("12", "bad_frame"),
        (" ", "bad_json"),
        ('{"type": "offer", "client_msg_id": "a", "packages": [' + '{"price": 9500, "handover": "three-weeks", '
         '"warranty": "none", "tyres": "included", "colour": "red"}]}', "bad_package"),
        ('{"type": "offer", "client_msg_id": "a", "packages": [{"price": 9500, "handover": "tomorrow", '
         '"warranty": "none", "tyres": "included"}]}', "bad_package"),
        ('{"type": "offer", "client_msg_id": "a", "packages": [{"price": 9500, "handover": ["three-weeks"], '
         '"warranty": "none", "tyres": "included"}]}', "bad_package"),
        ('{"type": "resume", "last_seq": "0"}', "bad_frame"),
        ('{"type": "chat", "client_msg_id": "a", "text": "' + "\u00e9" * 8200 + '"}', "too_large"),
    ],
)  # fmt: skip
def test_more_bad_frames_get_an_error_and_store_nothing(pair, frame, code):
    negotiation, seller, _ = pair

    async def go():
        live = Live(f"/ws/negotiations/{negotiation.pk}/", seller)
        await live.connect()
        await live.send(frame)
        error = await live.recv_type("error")
        await live.send({"type": "ping"})  # the socket is still there and answers
        pong = await live.recv_type("pong")
        await live.close()
        return error, pong

    error, pong = run(go())
    assert error["code"] == code, error
    assert error["message"] and pong["type"] == "pong"
    assert Event.objects.filter(negotiation=negotiation).count() == 1  # only "started"


@pytest.mark.django_db(transaction=True)
def test_a_binary_frame_gets_an_error_and_stores_nothing(pair):
    negotiation, seller, _ = pair

    async def go():
        live = Live(f"/ws/negotiations/{negotiation.pk}/", seller)
        await live.connect()
        await live.communicator.send_to(bytes_data=b'{"type": "chat", "client_msg_id": "a", "text": "hi"}')
        error = await live.recv_type("error")
        await live.close()
        return error

    assert run(go())["code"] == "bad_frame"
    assert Event.objects.filter(negotiation=negotiation).count() == 1


# Markup in names and chat is shown as text on every page


MARKUP = '<img src=x onerror="alert(1)"><script>alert(2)</script>'


def assert_shown_as_text(page: str, url: str, *, must_show: bool = True) -> None:
    assert "<script>alert(2)</script>" not in page, f"{url} inserts a script"
    assert "<img src=x" not in page and '<img src="x"' not in page, f"{url} inserts an image with onerror"
    if must_show:
        escaped = (html.escape(MARKUP, quote=False), html.escape(MARKUP), MARKUP.replace("<", "\\u003C"))
        assert any(form in page for form in escaped), f"{url} does not show the text at all"


@pytest.mark.django_db(transaction=True)
def test_names_class_names_and_chat_with_markup_render_as_text_on_every_page(
    instructor, instructor_client, used_car, settings
):
    classroom = services.classroom_create(owner=instructor, name=f"Class {MARKUP}", term=MARKUP)
    exercise = services.exercise_create(
        classroom=classroom, title=f"Exercise {MARKUP}", scenario_version=used_car, time_limit_minutes=20,
        created_by=instructor,
    )  # fmt: skip
    students = add_students(classroom, f"Seller {MARKUP.replace(',', ' ')}", f"Buyer {MARKUP.replace(',', ' ')}")
    rounds.exercise_pair(exercise=exercise, student_ids=[s.pk for s in students], seed=1)
    rounds.exercise_release(exercise=exercise)
    rounds.exercise_start(exercise=exercise)
    (negotiation,) = exercise.negotiations.all()
    seats = seats_by_role(negotiation)
    negotiation_act(negotiation_id=negotiation.pk, seat=seats["seller"], action=Action("chat", "c1", text=MARKUP))
    student = student_client(seats["seller"].student)

    during = {
        "dashboard": (instructor_client, "/dashboard/"),
        "class": (instructor_client, f"/classes/{classroom.pk}/"),
        "exercise": (instructor_client, f"/exercises/{exercise.pk}/"),
        "monitor": (instructor_client, f"/exercises/{exercise.pk}/monitor/"),
        "transcript": (instructor_client, f"/exercises/{exercise.pk}/pairs/{negotiation.number}/"),
        "student home": (student, "/s/"),
        "student welcome": (student, "/s/welcome/"),
        "role sheet and room": (student, f"/s/exercises/{exercise.pk}/"),
        "personal link": (Client(), f"/s/{student_link_token(seats['seller'].student)}/"),
    }
    shown = {name for name, (client, url) in during.items() if _check_page(client, url)}
    rounds.exercise_end(exercise=exercise)
    after = {
        "debrief": (instructor_client, f"/exercises/{exercise.pk}/debrief/"),
        "projector debrief": (instructor_client, f"/exercises/{exercise.pk}/debrief/?projector=1"),
        "transcript after": (instructor_client, f"/exercises/{exercise.pk}/pairs/{negotiation.number}/"),
        "student after": (student, f"/s/exercises/{exercise.pk}/"),
        "survey": (student, f"/s/exercises/{exercise.pk}/survey/"),
    }
    shown |= {name for name, (client, url) in after.items() if _check_page(client, url)}
    # Every page that names the class, the students or the chat showed it as text, and these at least did:
    assert {"class", "exercise", "monitor", "transcript", "student home", "personal link"} <= shown, shown


def _check_page(client: Client, url: str) -> bool:
    """Checks the page's markup; returns whether it showed the hostile text at all."""
    response = client.get(url)
    assert response.status_code in (200, 404), (url, response.status_code)  # 404: a page not built yet
    if response.status_code != 200:
        return False
    page = response.content.decode()
    assert_shown_as_text(page, url, must_show=False)
    return any(form in page for form in (html.escape(MARKUP, quote=False), html.escape(MARKUP))) or bool(
        re.search(r"Seller &lt;img|Class &lt;img|Exercise &lt;img", page)
    )


# CSRF on every form


def _patterns(resolver: URLResolver | None = None, prefix: str = ""):  # type: ignore[no-untyped-def]
    for entry in (resolver or get_resolver()).url_patterns:
        pattern = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, pattern)
        elif isinstance(entry, URLPattern):
            yield pattern


def _concrete(pattern: str) -> str:
    path = re.sub(r"<int:[^>]+>", "1", pattern)
    path = re.sub(r"<(?:slug|str|path):[^>]+>", "x", path)
    path = re.sub(r"<[^>]+>", "x", path)
    path = path.lstrip("^").rstrip("$").replace("\\Z", "").replace("\\", "")
    return "/" + path


LTI_CROSS_SITE = {"/lti/login/", "/lti/launch/"}


@pytest.mark.django_db
def test_every_post_without_its_csrf_token_is_refused(instructor, classroom, exercise):
    (student,) = add_students(classroom, "Sam")
    instructor_browser = Client(enforce_csrf_checks=True)
    instructor_browser.force_login(instructor)
    student_browser = Client(enforce_csrf_checks=True)
    token = student_link_token(student)
    page = student_browser.get(f"/s/{token}/").content.decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert student_browser.post(f"/s/{token}/", {"csrfmiddlewaretoken": csrf}).status_code == 302  # with it: fine
    anonymous = Client(enforce_csrf_checks=True)
    paths = sorted({_concrete(p) for p in _patterns()})
    assert len(paths) > 30, paths
    checked = []
    for path in paths:
        for who, browser in (("instructor", instructor_browser), ("student", student_browser), ("anyone", anonymous)):
            response = browser.post(path, {"name": "x", "text": "x", "code": "x"})
            if path.startswith("/api/"):
                # The API authenticates by bearer token only: a session cookie alone is not enough.
                assert response.status_code in (401, 403, 404, 405), (who, path, response.status_code)
                continue
            if path in LTI_CROSS_SITE:
                # A learning platform's page posts these (docs/lms.md): the state cookie, the signed token and
                # its nonce used once stand for the CSRF token. Without them: refused, nothing signed in.
                assert response.status_code in (400, 403), (who, path, response.status_code)
                continue
            assert response.status_code == 403, (who, path, response.status_code)
            checked.append(path)
    assert {"/classes/new/", "/s/x/", "/join", "/login/", "/exercises/1/monitor/end/", "/s/leave/"} <= set(checked)


# A personal link cannot fix a session


@pytest.mark.django_db
def test_a_personal_link_cycles_the_session_so_a_planted_session_key_is_worthless(classroom):
    (student,) = add_students(classroom, "Sam")
    planted = SessionStore()
    planted["planted"] = True
    planted.save()  # the attacker's own session, whose key they plant in the student's browser
    victim = Client()
    victim.cookies["sessionid"] = planted.session_key
    token = student_link_token(student)
    assert victim.get(f"/s/{token}/").status_code == 200
    assert victim.post(f"/s/{token}/").status_code == 302
    assert victim.cookies["sessionid"].value != planted.session_key
    assert victim.get("/s/").status_code == 200  # the student is signed in on the new key

    attacker = Client()
    attacker.cookies["sessionid"] = planted.session_key
    response = attacker.get("/s/")
    assert response.status_code == 302 and response["Location"].startswith("/join"), response
    assert not SessionStore(session_key=planted.session_key).get("parley_student")


@pytest.mark.django_db
def test_joining_with_the_class_code_cycles_the_session_too(classroom):
    planted = SessionStore()
    planted.save()
    victim = Client()
    victim.cookies["sessionid"] = planted.session_key
    response = victim.post("/join", {"code": classroom.join_code, "display_name": "Sam"})
    assert response.status_code == 302, response.content.decode()[:500]
    assert victim.cookies["sessionid"].value != planted.session_key
    attacker = Client()
    attacker.cookies["sessionid"] = planted.session_key
    assert attacker.get("/s/").status_code == 302
