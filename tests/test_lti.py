"""Parley as an LTI 1.3 tool, against a platform the tests run (tests/lti_platform.py): launches of
instructors and learners, deep linking, the roster, grades sent to the gradebook, and every refusal."""

from __future__ import annotations

import time
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.utils import translation
from jwcrypto.jwk import JWK

from classrooms.access import SESSION_STUDENT
from classrooms.models import Classroom, Student, User
from lti.models import Course, Grading, Learner, Nonce, ResourceLink, Score, ToolKey
from lti.models import Platform as Registration
from negotiations import rounds
from tests.base import agree, student_client
from tests.lti_platform import INSTRUCTOR, LEARNER, Member, Platform, rsa_key

PACKAGE = {"price": "9500", "handover": "five-weeks", "warranty": "one-month", "tyres": "included"}


@pytest.fixture
def platform(db):
    test_platform = Platform()
    yield test_platform
    test_platform.close()


@pytest.fixture
def registered(platform):
    """The platform registered in Parley, and Parley's key made and handed to the platform."""
    call_command("lti_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
    platform.register()
    platform.tool_keys = Client().get("/lti/jwks.json").json()
    return platform


def login(client: Client, platform: Platform, **params: str) -> tuple[str, str]:
    """The platform's third-party initiated login; returns the state and nonce the tool sent to its
    authentication URL."""
    query = {"iss": platform.issuer, "login_hint": "hint", "client_id": platform.client_id, **params}
    response = client.post("/lti/login/", query)
    assert response.status_code == 302, response.content
    target = urlsplit(response["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{platform.base}/auth"
    sent = parse_qs(target.query)
    assert sent["redirect_uri"] == ["http://testserver/lti/launch/"]
    assert sent["client_id"] == [platform.client_id]
    return sent["state"][0], sent["nonce"][0]


def launch(client: Client, platform: Platform, *, sub: str, roles: list[str], state: str | None = None, **claims):
    issued_state, nonce = login(client, platform)
    token = platform.id_token(nonce=nonce, sub=sub, roles=roles, **claims)
    return client.post("/lti/launch/", {"id_token": token, "state": state or issued_state})


def teach(client: Client, platform: Platform, sub: str = "teacher-1", email: str = "tara@uni.example", **claims):
    return launch(client, platform, sub=sub, roles=[INSTRUCTOR], email=email, name="Tara Teach", **claims)


def signed_in(client: Client) -> tuple[object, object]:
    session = client.session
    return session.get("_auth_user_id"), session.get(SESSION_STUDENT)


# Launches


def test_the_key_set_publishes_the_tools_public_keys_and_a_rotation_keeps_the_older_one(db):
    call_command("lti_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("lti_keys", "--rotate", stdout=open("/dev/null", "w"))  # noqa: SIM115
    keys = Client().get("/lti/jwks.json").json()["keys"]
    assert {key["kid"] for key in keys} == set(ToolKey.objects.values_list("kid", flat=True))
    assert len(keys) == 2
    assert all(key["kty"] == "RSA" and key["alg"] == "RS256" and "d" not in key and "p" not in key for key in keys)
    call_command("lti_keys", "--retire-older", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert len(Client().get("/lti/jwks.json").json()["keys"]) == 1


def test_an_instructor_launch_signs_in_a_verified_instructor_and_links_the_course_to_a_new_class(registered):
    registered.members = [Member("learner-1", "Lea Learner", "lea@uni.example")]
    client = Client()
    response = teach(client, registered)
    user = User.objects.get(email="tara@uni.example")
    course = Course.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/lti/classes/{course.classroom_id}/"
    assert user.is_verified_instructor  # the registration vouches for its instructors
    assert not user.has_usable_password()
    assert course.classroom.owner == user and course.classroom.name == "Negotiation 101"
    assert signed_in(client) == (str(user.pk), None)
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert b"Negotiation 101" in page.content and b"Test LMS" in page.content
    # The first launch brought the roster.
    assert list(course.classroom.students.values_list("display_name", flat=True)) == ["Lea Learner"]
    # A second launch finds the same account and class.
    assert teach(Client(), registered).status_code == 302
    assert User.objects.count() == 1 and Classroom.objects.count() == 1


def test_a_learner_launch_signs_the_student_into_their_class_as_their_personal_link_would(registered):
    teach(Client(), registered)
    client = Client()
    response = launch(client, registered, sub="learner-9", roles=[LEARNER], name="Sam Student", email="sam@uni.example")
    assert response.status_code == 302 and response["Location"] == "/s/"
    student = Student.objects.get(display_name="Sam Student")
    assert student.email == "sam@uni.example" and student.lti_learner.platform_user_id == "learner-9"
    assert signed_in(client) == (None, student.pk)
    assert b"Sam Student" in client.get("/s/").content
    # Again: the same student, never a second one.
    launch(Client(), registered, sub="learner-9", roles=[LEARNER], name="Sam S.", email="sam@uni.example")
    assert Student.objects.filter(classroom=student.classroom).count() == 1


def test_the_platforms_key_set_is_fetched_once_for_a_class_and_again_when_the_platform_rotates_its_key(registered):
    cache.clear()
    teach(Client(), registered)
    for i in range(3):
        launch(Client(), registered, sub=f"learner-{i}", roles=[LEARNER], name=f"L{i}")
    assert registered.jwks_requests == 1
    registered.rotate_key()
    assert launch(Client(), registered, sub="learner-9", roles=[LEARNER], name="L9")["Location"] == "/s/"
    assert registered.jwks_requests == 2


def test_a_learner_merged_into_the_student_kept_is_found_there_by_the_next_launch(registered):
    from negotiations.people import student_merge

    teach(Client(), registered)
    classroom = Course.objects.get().classroom
    launch(Client(), registered, sub="learner-1", roles=[LEARNER], name="Lea")  # no address: a student of its own
    from classrooms.services import student_join

    kept = student_join(code=classroom.join_code, display_name="Lea Learner")
    lea = Student.objects.get(display_name="Lea")
    student_merge(classroom=classroom, keep_id=kept.pk, duplicate_id=lea.pk)
    assert Learner.objects.get().student == kept
    client = Client()
    launch(client, registered, sub="learner-1", roles=[LEARNER], name="Lea")
    assert signed_in(client) == (None, kept.pk) and classroom.students.count() == 1


def test_a_learner_of_a_course_not_linked_yet_is_told_to_wait_for_the_instructor(registered):
    client = Client()
    response = launch(client, registered, sub="learner-1", roles=[LEARNER])
    assert response.status_code == 404
    assert b"your instructor opens it from the course" in response.content
    assert signed_in(client) == (None, None) and not Classroom.objects.exists()


def test_a_learner_whose_access_was_withdrawn_is_refused(registered):
    teach(Client(), registered)
    launch(Client(), registered, sub="learner-1", roles=[LEARNER], name="Lea")
    Student.objects.update(link_nonce="")  # the instructor revoked the student's link
    client = Client()
    response = launch(client, registered, sub="learner-1", roles=[LEARNER], name="Lea")
    assert response.status_code == 403 and b"withdrawn your access" in response.content
    assert signed_in(client) == (None, None)


def test_a_person_who_is_neither_instructor_nor_learner_is_refused(registered):
    teach(Client(), registered)
    response = launch(
        Client(), registered, sub="mentor-1", roles=["http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor"]
    )
    assert response.status_code == 403 and b"neither role" in response.content


def test_an_instructor_who_teaches_classes_links_the_course_to_one_of_them(registered, classroom, other_instructor):
    """The `classroom` fixture's owner (Ines) opens Parley from the course for the first time."""
    from classrooms.services import classroom_create

    registered.members = [Member("learner-1", "Lea Learner", "lea@uni.example")]
    theirs = classroom_create(owner=other_instructor, name="Otto's class")
    client = Client()
    response = teach(client, registered, email="ines@example.com")
    assert response.status_code == 302 and response["Location"] == "/lti/link-course/"
    page = client.get("/lti/link-course/")
    assert page.status_code == 200 and b"Negotiation 101" in page.content and b"Otto" not in page.content
    assert not Course.objects.exists()
    # Another instructor's class, or nothing: refused, nothing linked.
    assert client.post("/lti/link-course/", {"classroom": str(theirs.pk)}).status_code == 400
    assert client.post("/lti/link-course/", {}).status_code == 400
    response = client.post("/lti/link-course/", {"classroom": str(classroom.pk)})
    assert response.status_code == 302 and response["Location"] == f"/lti/classes/{classroom.pk}/"
    assert Course.objects.get().classroom == classroom
    assert list(classroom.students.values_list("display_name", flat=True)) == ["Lea Learner"]
    assert client.get("/lti/link-course/").status_code == 404  # answered once
    # The course is linked: later launches go straight to it, and another course's first launch no longer
    # offers the linked class.
    assert teach(Client(), registered, email="ines@example.com")["Location"] == f"/lti/classes/{classroom.pk}/"
    second = teach(Client(), registered, email="ines@example.com", context_id="course-2")
    assert second["Location"] == f"/lti/classes/{Course.objects.get(context_id='course-2').classroom_id}/"
    assert Classroom.objects.filter(owner__email="ines@example.com").count() == 2


def test_a_first_deep_link_launch_links_the_course_first_then_offers_the_exercises(registered, classroom, exercise):
    client = Client()
    assert (
        teach(client, registered, email="ines@example.com", message_type="LtiDeepLinkingRequest")["Location"]
        == "/lti/link-course/"
    )
    response = client.post("/lti/link-course/", {"classroom": "new"})
    assert response["Location"] == "/lti/deep-link/"
    course = Course.objects.get()
    assert course.classroom != classroom and course.classroom.name == "Negotiation 101"
    assert client.get("/lti/deep-link/").status_code == 200


def test_a_platform_that_does_not_vouch_for_its_instructors_leaves_them_unverified(platform):
    call_command("lti_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
    platform.register(trusts_instructors=False)
    client = Client()
    response = teach(client, platform)
    assert response.status_code == 302 and response["Location"] == "/account/verify/"
    assert not User.objects.get(email="tara@uni.example").is_verified_instructor
    assert not Course.objects.exists()  # no class until an administrator verifies the account
    # Nor may it sign in an account of that address made otherwise.
    User.objects.create_user("olga@uni.example", "a-long-password")
    refused = teach(Client(), platform, sub="teacher-2", email="olga@uni.example")
    assert refused.status_code == 403 and b"not trusted" in refused.content


# Refusals: each a clear page, nobody signed in


REFUSALS = {
    "bad signature": ({"signing_key": rsa_key()[0]}, 403, b"signature does not verify"),
    "wrong audience": ({"aud": "another-tool"}, 403, b"meant for another tool"),
    "expired token": ({"expires_in": -60}, 403, b"has expired"),
    "unknown issuer": ({"iss": "https://unknown.example"}, 403, b"unknown issuer"),
    "unknown deployment": ({"deployment_id": "deployment-9"}, 403, b"unknown deployment id"),
    "wrong state": ({"state": "state-forged"}, 403, b"state does not match"),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_a_launch_is_refused(registered, case):
    claims, status, words = REFUSALS[case]
    client = Client()
    response = launch(client, registered, sub="teacher-1", roles=[INSTRUCTOR], email="tara@uni.example", **claims)
    assert response.status_code == status
    assert words in response.content and b"Traceback" not in response.content
    assert signed_in(client) == (None, None)
    assert not User.objects.exists() and not Classroom.objects.exists()


def test_a_replayed_launch_is_refused(registered):
    client = Client()
    state, nonce = login(client, registered)
    token = registered.id_token(nonce=nonce, sub="teacher-1", roles=[INSTRUCTOR], email="tara@uni.example")
    assert client.post("/lti/launch/", {"id_token": token, "state": state}).status_code == 302
    replayer = Client()  # the same browser's state cookie, without the session the launch signed in
    replayer.cookies[f"lti1p3-{state}"] = client.cookies[f"lti1p3-{state}"].value
    replay = replayer.post("/lti/launch/", {"id_token": token, "state": state})
    assert replay.status_code == 403 and b"used already" in replay.content
    assert signed_in(replayer) == (None, None)
    # A nonce Parley never issued is refused the same way.
    state, _ = login(client, registered)
    forged = registered.id_token(nonce="made-up", sub="teacher-1", roles=[INSTRUCTOR], email="tara@uni.example")
    assert client.post("/lti/launch/", {"id_token": forged, "state": state}).status_code == 403
    assert Nonce.objects.filter(used_at__isnull=False).count() == 1


def test_a_malformed_launch_is_refused_with_a_clear_page(registered):
    client = Client()
    state, _ = login(client, registered)
    body = jwt.utils.base64url_encode(b"[1, 2]").decode()
    for token in ("", "not-a-jwt", f"eyJhbGciOiJSUzI1NiJ9.{body}.c2ln"):
        response = client.post("/lti/launch/", {"id_token": token, "state": state})
        assert response.status_code in (400, 403) and b"Traceback" not in response.content
        assert b"Open Parley again from the course" in response.content
    assert signed_in(client) == (None, None)


CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
MISSING = {
    "sub": (400, "its user id is missing"),
    CLAIM + "roles": (400, "its roles are missing"),
    CLAIM + "context": (400, "names no course"),
    CLAIM + "deployment_id": (400, "its deployment id is missing"),
    CLAIM + "message_type": (400, "does not handle this kind of launch"),
    CLAIM + "version": (400, "its version is missing"),
    CLAIM + "resource_link": (400, "its resource link id is missing"),
    "iss": (400, "its issuer is missing"),
    "nonce": (403, "used already, or it is too old"),
    "exp": (403, "no expiry or issue time"),
    "iat": (403, "no expiry or issue time"),
    "email": (400, "sent no email address"),
}


def without(platform: Platform, token: str, claim: str) -> str:
    """The token signed again by the platform without one of its claims."""
    body = jwt.decode(token, options={"verify_signature": False})
    del body[claim]
    return jwt.encode(body, platform.private_key, algorithm="RS256", headers={"kid": platform.kid})


@pytest.mark.parametrize("claim", MISSING, ids=lambda claim: claim.removeprefix(CLAIM))
def test_a_launch_missing_a_claim_is_refused_in_words_and_signs_nobody_in(registered, claim):
    status, words = MISSING[claim]
    client = Client()
    state, nonce = login(client, registered)
    token = registered.id_token(nonce=nonce, sub="teacher-1", roles=[INSTRUCTOR], email="tara@uni.example")
    response = client.post("/lti/launch/", {"id_token": without(registered, token, claim), "state": state})
    assert response.status_code == status
    assert words in response.content.decode() and "Traceback" not in response.content.decode()
    assert signed_in(client) == (None, None)
    assert not User.objects.exists() and not Classroom.objects.exists()


def test_a_refused_launch_says_why_in_the_pages_language(registered):
    client = Client(headers={"accept-language": "es"})
    state, nonce = login(client, registered)
    token = registered.id_token(nonce=nonce, sub="learner-1", roles=[LEARNER])
    response = client.post("/lti/launch/", {"id_token": without(registered, token, CLAIM + "roles"), "state": state})
    assert response.status_code == 400
    assert "faltan sus roles" in response.content.decode() and "Roles Claim" not in response.content.decode()


def test_an_administrators_account_is_never_signed_in_from_a_platform(registered):
    User.objects.create_superuser("tara@uni.example", "a-long-password")
    client = Client()
    response = teach(client, registered)
    assert response.status_code == 403 and b"administrator" in response.content
    assert signed_in(client) == (None, None)


def test_a_login_from_an_unknown_platform_is_refused(registered):
    response = Client().post("/lti/login/", {"iss": "https://unknown.example", "login_hint": "x", "client_id": "c"})
    assert response.status_code == 400 and b"No active platform" in response.content
    assert not Nonce.objects.exists()


@pytest.mark.parametrize("missing", ["iss", "login_hint"])
def test_a_login_missing_a_parameter_says_which_in_the_pages_language(registered, missing):
    query = {"iss": registered.issuer, "login_hint": "hint", "client_id": registered.client_id}
    del query[missing]
    english = Client().post("/lti/login/", query)
    assert english.status_code == 400
    assert {"iss": b"its issuer is missing", "login_hint": b"its login hint is missing"}[missing] in english.content
    german = Client(headers={"accept-language": "de"}).post("/lti/login/", query)
    assert german.status_code == 400
    said = {"iss": "der Aussteller fehlt", "login_hint": "der Login-Hint fehlt"}[missing]
    assert b"Could not find" not in german.content and said.encode() in german.content
    assert not Nonce.objects.exists()


def test_a_launch_of_one_platform_cannot_reach_another_platforms_class(registered):
    other = Platform(name="Other LMS")
    try:
        other.register()
        other.tool_keys = registered.tool_keys
        teach(Client(), registered)
        teach(Client(), other, sub="teacher-1", email="otto@other.example")  # the same course and user ids
        first, second = Course.objects.order_by("pk")
        assert first.classroom_id != second.classroom_id
        launch(Client(), other, sub="learner-1", roles=[LEARNER], name="Olly")
        launch(Client(), registered, sub="learner-1", roles=[LEARNER], name="Lea")
        assert list(first.classroom.students.values_list("display_name", flat=True)) == ["Lea"]
        assert list(second.classroom.students.values_list("display_name", flat=True)) == ["Olly"]
        # The other platform's instructor does not see the first course's page; nor does its student.
        otto = Client()
        otto.force_login(User.objects.get(email="otto@other.example"))
        assert otto.get(f"/lti/classes/{first.classroom_id}/").status_code == 404
        assert otto.post(f"/lti/classes/{first.classroom_id}/roster/").status_code == 404
        olly = student_client(Student.objects.get(display_name="Olly"))
        assert olly.get(f"/lti/classes/{first.classroom_id}/").status_code == 302  # to the instructors' log-in
    finally:
        other.close()


# Deep linking


def test_an_instructor_places_an_exercise_by_deep_linking_and_a_learner_opens_it(registered, used_car):
    client = Client()
    teach(client, registered)
    classroom = Course.objects.get().classroom
    from classrooms.services import exercise_create

    exercise = exercise_create(classroom=classroom, title="Car sale", scenario_version=used_car, time_limit_minutes=20)
    response = teach(client, registered, message_type="LtiDeepLinkingRequest")
    assert response.status_code == 302 and response["Location"] == "/lti/deep-link/"
    picker = client.get("/lti/deep-link/")
    assert picker.status_code == 200 and b"Car sale" in picker.content
    assert client.post("/lti/deep-link/", {"exercise": "999999"}).status_code == 400
    answer = client.post("/lti/deep-link/", {"exercise": str(exercise.pk)})
    assert answer.status_code == 200
    assert f"form-action 'self' {registered.base}" in answer["Content-Security-Policy"]
    assert f'action="{registered.base}/deep-link-return"'.encode() in answer.content
    token = answer.content.decode().split('name="JWT" value="')[1].split('"')[0]
    (key,) = registered.tool_keys["keys"]
    body = jwt.decode(token, JWK(**key).export_to_pem(), algorithms=["RS256"], audience=registered.issuer)
    assert body["iss"] == registered.client_id
    assert body["https://purl.imsglobal.org/spec/lti/claim/message_type"] == "LtiDeepLinkingResponse"
    assert body["https://purl.imsglobal.org/spec/lti-dl/claim/data"] == "platform-data-42"
    (item,) = body["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]
    assert item["url"] == "http://testserver/lti/launch/" and item["custom"] == {"parley_exercise": str(exercise.pk)}
    assert item["lineItem"]["scoreMaximum"] == 100
    assert client.get("/lti/deep-link/").status_code == 404  # answered once
    # A learner deep-links nothing; a learner's launch of the placed link reaches the exercise once seated.
    refused = launch(Client(), registered, sub="learner-1", roles=[LEARNER], message_type="LtiDeepLinkingRequest")
    assert refused.status_code == 403
    learner = Client()
    custom = {"parley_exercise": str(exercise.pk)}
    assert launch(learner, registered, sub="learner-1", roles=[LEARNER], name="Lea", custom=custom)["Location"] == "/s/"
    assert ResourceLink.objects.get().exercise == exercise
    lea = Student.objects.get(display_name="Lea")
    rounds.exercise_pair(exercise=exercise, student_ids=[lea.pk], seed=1)
    rounds.exercise_release(exercise=exercise)
    again = launch(learner, registered, sub="learner-1", roles=[LEARNER], name="Lea", custom=custom)
    assert again["Location"] == f"/s/exercises/{exercise.pk}/"
    # Another instructor's exercise cannot be placed by naming its id in a link.
    other = exercise_create(
        classroom=Classroom.objects.create(owner=User.objects.get(), name="Elsewhere", join_code="ZZZZZZ"),
        title="Not theirs",
        scenario_version=used_car,
        time_limit_minutes=20,
    )
    launch(
        Client(),
        registered,
        sub="learner-2",
        roles=[LEARNER],
        resource_link_id="link-2",
        custom={"parley_exercise": str(other.pk)},
    )
    assert ResourceLink.objects.get(resource_link_id="link-2").exercise is None


# The roster


def test_the_roster_comes_from_the_platform_without_duplicates_and_keeps_those_who_left(registered):
    client = Client()
    teach(client, registered)
    classroom = Course.objects.get().classroom
    from classrooms.services import roster_import

    roster_import(classroom=classroom, text="name,email\nMia Roster,mia@uni.example\n")
    registered.members = [
        Member("teacher-1", "Tara Teach", "tara@uni.example", roles=[INSTRUCTOR]),
        Member("learner-1", "Lea Learner", "lea@uni.example"),
        Member("learner-2", "Mia M.", "MIA@uni.example"),  # the roster's Mia, matched by her address
        Member("learner-3", "Noa Gone", "noa@uni.example", status="Inactive"),
        Member("learner-4", "Ola", ""),
    ]
    response = client.post(f"/lti/classes/{classroom.pk}/roster/", follow=True)
    assert b"2 added, 1 matched by email address, 0 already linked, 0 no longer in the course" in response.content
    names = sorted(classroom.students.values_list("display_name", flat=True))
    assert names == ["Lea Learner", "Mia Roster", "Ola"]
    assert Learner.objects.get(platform_user_id="learner-2").student.display_name == "Mia Roster"
    # Again, with Lea gone from the course: nobody added twice, Lea kept in the class.
    registered.members = [m for m in registered.members if m.user_id != "learner-1"]
    response = client.post(f"/lti/classes/{classroom.pk}/roster/", follow=True)
    assert (
        b"0 added, 0 matched by email address, 2 already linked, 1 no longer in the course (kept)" in response.content
    )
    assert classroom.students.count() == 3
    assert not Learner.objects.get(platform_user_id="learner-1").in_course
    # Every page was read (the tool kept the next page's address as the platform wrote it).
    assert registered.token_requests[-1]["scope"].endswith("contextmembership.readonly")


def test_a_roster_the_platform_will_not_give_is_said_so(registered):
    client = Client()
    teach(client, registered)
    classroom = Course.objects.get().classroom
    registered.tool_keys = {"keys": []}  # the platform no longer knows Parley's key: its token is refused
    response = client.post(f"/lti/classes/{classroom.pk}/roster/", follow=True)
    assert b"The roster could not be read: the platform answered 401" in response.content


# Grades


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("eager_tasks")
def test_grades_go_to_the_gradebook_by_the_rule_the_instructor_picked_and_a_failure_is_kept(registered, used_car):
    from classrooms.services import exercise_create

    registered.members = [Member(f"learner-{i}", f"Student {i}", f"s{i}@uni.example") for i in range(4)]
    client = Client()
    teach(client, registered)
    classroom = Course.objects.get().classroom
    exercise = exercise_create(classroom=classroom, title="Car sale", scenario_version=used_car, time_limit_minutes=20)
    students = list(classroom.students.order_by("pk"))
    assert len(students) == 4
    rounds.exercise_pair(exercise=exercise, student_ids=[s.pk for s in students], seed=1)
    rounds.exercise_release(exercise=exercise)
    rounds.exercise_start(exercise=exercise)
    agreed, impasse = exercise.negotiations.order_by("number")
    agree(agreed, PACKAGE)
    assert (
        client.post(f"/lti/classes/{classroom.pk}/exercises/{exercise.pk}/grading/", {"rule": "points"}).status_code
        == 302
    )
    registered.fail_scores = 1  # the gradebook is down for the first score
    rounds.exercise_end(exercise=exercise)  # the debrief, computed eagerly, sends the grades

    scores = {s.learner.student.display_name: s for s in Score.objects.select_related("learner__student")}
    assert len(scores) == 4
    failed = [s for s in scores.values() if s.status == Score.Status.FAILED]
    assert len(failed) == 1 and "503" in failed[0].last_error and failed[0].next_attempt_at is not None
    assert len(registered.scores) == 3
    (lineitem,) = registered.lineitems.values()
    assert lineitem["resourceId"] == f"parley-exercise-{exercise.pk}" and lineitem["scoreMaximum"] == 100
    posted = {score["userId"]: score for score in registered.scores}
    for score in Score.objects.select_related("learner"):
        impasse_seat = score.learner.student.seats.get().negotiation_id == impasse.pk
        if impasse_seat:
            assert score.fraction == 0  # an impasse gains nothing over the BATNA
        else:
            assert 0 < score.fraction <= 1
        if score.learner.platform_user_id in posted:
            sent = posted[score.learner.platform_user_id]
            assert Decimal(str(sent["scoreGiven"])) == (score.fraction * 100).quantize(Decimal("0.01"))
            assert sent["scoreMaximum"] == 100 and sent["gradingProgress"] == "FullyGraded"
    page = client.get(f"/lti/classes/{classroom.pk}/")
    assert b"gradebook unavailable" in page.content  # the instructor sees the failure and its reason
    # Sent again: the kept grade reaches the gradebook; nothing was lost.
    client.post(f"/lti/classes/{classroom.pk}/exercises/{exercise.pk}/send/")
    assert len({score["userId"] for score in registered.scores}) == 4
    assert not Score.objects.exclude(status=Score.Status.SENT).exists()
    # Another rule: every grade changes and is sent again; participation gives full marks to all four.
    client.post(f"/lti/classes/{classroom.pk}/exercises/{exercise.pk}/grading/", {"rule": "participation"})
    assert set(Score.objects.values_list("fraction", flat=True)) == {Decimal(1)}
    assert [s["scoreGiven"] for s in registered.scores[-4:]] == [100.0] * 4
    assert Grading.objects.get().lineitem_url == lineitem["id"]
    # No grade: the grades not sent yet (here all four, refused by the gradebook) are withdrawn.
    registered.fail_scores = 4
    client.post(f"/lti/classes/{classroom.pk}/exercises/{exercise.pk}/grading/", {"rule": "joint"})
    assert Score.objects.filter(status=Score.Status.FAILED).count() == 4
    client.post(f"/lti/classes/{classroom.pk}/exercises/{exercise.pk}/grading/", {"rule": "none"})
    assert not Score.objects.exists()
    # Another instructor cannot change the rule or send grades.
    other = Client()
    other.force_login(User.objects.create_user("otto@x.example", "a-long-password", verified_at=classroom.created_at))
    assert (
        other.post(f"/lti/classes/{classroom.pk}/exercises/{exercise.pk}/grading/", {"rule": "none"}).status_code == 404
    )
    assert other.post(f"/lti/classes/{classroom.pk}/exercises/{exercise.pk}/send/").status_code == 404


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("eager_tasks")
def test_a_grade_failure_recorded_away_from_a_page_is_in_the_language_of_the_page_that_chose_the_rule(
    registered, used_car
):
    from classrooms.services import exercise_create
    from lti import grades

    registered.members = [Member(f"learner-{i}", f"Student {i}", f"s{i}@uni.example") for i in range(2)]
    client = Client(headers={"accept-language": "de"})
    teach(client, registered)
    classroom = Course.objects.get().classroom
    exercise = exercise_create(classroom=classroom, title="Car sale", scenario_version=used_car, time_limit_minutes=20)
    rounds.exercise_pair(exercise=exercise, student_ids=[s.pk for s in classroom.students.all()], seed=1)
    rounds.exercise_release(exercise=exercise)
    rounds.exercise_start(exercise=exercise)
    agree(exercise.negotiations.get(), PACKAGE)
    client.post(f"/lti/classes/{classroom.pk}/exercises/{exercise.pk}/grading/", {"rule": "participation"})
    registered.fail_scores = 2
    with translation.override("en"):  # away from any page, as in a worker
        rounds.exercise_end(exercise=exercise)  # the debrief's signal sends the grades
    reasons = list(Score.objects.values_list("last_error", flat=True))
    assert len(reasons) == 2 and all(reason.startswith("die Plattform antwortete 503") for reason in reasons)
    Score.objects.update(next_attempt_at=None)
    registered.fail_scores = 2
    with translation.override("en"):
        grades.sweep_scores()  # the workers' sweep
    reasons = list(Score.objects.values_list("last_error", flat=True))
    assert len(reasons) == 2 and all(reason.startswith("die Plattform antwortete 503") for reason in reasons)
    assert Score.objects.filter(attempts=2).count() == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("eager_tasks")
def test_grades_go_to_the_column_the_deep_link_made_scaled_to_its_maximum_and_the_sweep_retries(registered, used_car):
    from classrooms.services import exercise_create
    from lti import grades

    client = Client()
    teach(client, registered)
    classroom = Course.objects.get().classroom
    exercise = exercise_create(classroom=classroom, title="Car sale", scenario_version=used_car, time_limit_minutes=20)
    column = registered.lineitem_add("Car sale", 20)
    custom = {"parley_exercise": str(exercise.pk)}
    for i in range(2):
        launch(Client(), registered, sub=f"learner-{i}", roles=[LEARNER], name=f"L{i}", custom=custom, lineitem=column)
    students = list(classroom.students.order_by("pk"))
    rounds.exercise_pair(exercise=exercise, student_ids=[s.pk for s in students], seed=1)
    rounds.exercise_release(exercise=exercise)
    rounds.exercise_start(exercise=exercise)
    agree(exercise.negotiations.get(), PACKAGE)
    client.post(f"/lti/classes/{classroom.pk}/exercises/{exercise.pk}/grading/", {"rule": "joint"})
    registered.fail_scores = 1
    rounds.exercise_end(exercise=exercise)
    assert len(registered.lineitems) == 1  # no column made: the deep link's is used
    (sent,) = registered.scores
    failed = Score.objects.get(status=Score.Status.FAILED)
    assert sent["lineitem"] == column and sent["scoreMaximum"] == 20
    assert Decimal(str(sent["scoreGiven"])) == (Score.objects.get(status="sent").fraction * 20).quantize(
        Decimal("0.01")
    )
    # The workers' sweep sends again only what is due.
    assert grades.sweep_scores() == []
    Score.objects.filter(pk=failed.pk).update(next_attempt_at=failed.updated_at)
    assert grades.sweep_scores() == [exercise.pk]
    assert len(registered.scores) == 2 and not Score.objects.exclude(status=Score.Status.SENT).exists()
    # Both sides of a pair get the same grade for the value they created together.
    assert registered.scores[0]["scoreGiven"] == registered.scores[1]["scoreGiven"] > 0


def test_the_admin_registers_a_platform_and_never_shows_a_private_key(registered, admin_client):
    assert admin_client.get("/admin/lti/platform/add/").status_code == 200
    page = admin_client.get(f"/admin/lti/platform/{Registration.objects.get().pk}/change/")
    assert page.status_code == 200 and b"/lti/jwks.json" in page.content
    key = ToolKey.objects.get()
    shown = admin_client.get(f"/admin/lti/toolkey/{key.pk}/change/").content.decode()
    assert key.kid in shown and "PRIVATE KEY" not in shown and key.private_key.splitlines()[1] not in shown


def test_the_workers_know_the_grades_tasks_and_sweep_for_them():
    import config.celery
    from lti import grades

    assert "lti.grades" in config.celery.app.conf.imports
    assert grades.sweep_scores.name == config.celery.SWEEP_SCORES == config.celery.ScoreSweep.task
    assert grades.publish_scores.name == "lti.tasks.publish_scores"
    assert config.celery.ScoreSweep in config.celery.app.steps["worker"]


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_celery_worker_sends_the_grades_once_the_debrief_is_stored(registered, used_car):
    """As in production: the round's end queues the class debrief on Redis; a worker process computes it,
    and the debrief's signal queues the grades, which a worker posts to the platform's gradebook."""
    from classrooms.services import exercise_create
    from tests.servers import celery_worker

    registered.members = [Member(f"learner-{i}", f"Student {i}", f"s{i}@uni.example") for i in range(2)]
    client = Client()
    teach(client, registered)
    classroom = Course.objects.get().classroom
    exercise = exercise_create(classroom=classroom, title="Car sale", scenario_version=used_car, time_limit_minutes=20)
    rounds.exercise_pair(exercise=exercise, student_ids=list(classroom.students.values_list("pk", flat=True)), seed=1)
    rounds.exercise_release(exercise=exercise)
    rounds.exercise_start(exercise=exercise)
    client.post(f"/lti/classes/{classroom.pk}/exercises/{exercise.pk}/grading/", {"rule": "participation"})
    with celery_worker(ready=True):
        rounds.exercise_end(exercise=exercise)
        scores = registered.wait_for_scores(2, timeout=30)
        deadline = time.monotonic() + 10  # the worker records each grade as sent once the platform took it
        while Score.objects.exclude(status=Score.Status.SENT).exists() or Score.objects.count() < 2:
            assert time.monotonic() < deadline, list(Score.objects.values_list("status", "last_error"))
            time.sleep(0.05)  # polling what another process writes
    assert sorted(score["userId"] for score in scores) == ["learner-0", "learner-1"]
    assert {score["scoreGiven"] for score in scores} == {100.0}
