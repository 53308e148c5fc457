"""The security suite's throttles and oracles: log-in (ours and the admin's), sign-up, password reset and
joining by class code are throttled per account and per address, say when to try again, and the join page
tells an unknown class code from a closed class no more than a user needs (docs/operations.md, "Throttles").
"""

from __future__ import annotations

import re
import uuid
from io import StringIO

import pytest
from asgiref.sync import async_to_sync
from django.core import mail
from django.core.cache import caches
from django.core.management import call_command
from django.test import AsyncClient, Client

from classrooms import throttles
from classrooms.models import Student, User
from classrooms.services import classroom_set_open

PASSWORD = "a-long-password"  # tests.base's instructor
NOW = 1_000_000.0  # a frozen clock: window 277 of an hour ends 800 s later


@pytest.fixture
def frozen_clock(monkeypatch) -> None:
    monkeypatch.setattr(throttles, "_now", lambda: NOW)


def client_at(address: str) -> Client:
    return Client(REMOTE_ADDR=address)


def log_in(client: Client, email: str, password: str, path: str = "/login/"):
    return client.post(path, {"username": email, "password": password})


def retry_after(response) -> int:
    return int(response["Retry-After"])


# Log-ins (django-axes)


def test_forty_wrong_passwords_then_the_right_one_is_refused_with_the_default_limits(instructor):
    client = Client()
    answers = [log_in(client, instructor.email, f"guess-{i}").status_code for i in range(40)]
    assert answers[:9] == [200] * 9 and set(answers[9:]) == {429}  # the tenth failure locks the account
    response = log_in(client, instructor.email, PASSWORD)
    assert response.status_code == 429 and retry_after(response) == 15 * 60
    page = response.content.decode()
    assert "Too many failed log-ins for this account or from your network. Try again in 15 minutes" in page
    assert 'name="username"' in page  # the form is shown again, its error saying when
    assert "_auth_user_id" not in client.session


def test_a_locked_account_is_refused_from_every_address_and_another_account_is_not(instructor, other_instructor):
    for i in range(10):
        log_in(client_at(f"10.0.0.{i + 1}"), instructor.email.upper(), "wrong")
    assert log_in(client_at("10.0.1.1"), instructor.email, PASSWORD).status_code == 429
    assert log_in(client_at("10.0.1.1"), other_instructor.email, PASSWORD).status_code == 302


def test_an_administrator_unlocks_an_account_before_its_time(instructor, settings):
    settings.AXES_FAILURE_LIMIT = 2
    for i in range(2):
        log_in(client_at(f"10.0.2.{i}"), instructor.email, "wrong")
    assert log_in(client_at("10.0.2.9"), instructor.email, PASSWORD).status_code == 429
    call_command("axes_reset_username", instructor.email, stdout=StringIO())
    assert log_in(client_at("10.0.2.9"), instructor.email, PASSWORD).status_code == 302


def test_an_address_that_failed_too_often_is_refused_for_every_account(instructor, settings):
    settings.AXES_FAILURE_LIMIT = 3
    attacker = client_at("192.0.2.7")
    for i in range(3):
        log_in(attacker, f"someone{i}@example.com", "wrong")
    assert log_in(attacker, instructor.email, PASSWORD).status_code == 429
    assert log_in(client_at("192.0.2.8"), instructor.email, PASSWORD).status_code == 302


def test_the_admin_log_in_is_throttled_and_says_when_to_try_again(admin_user, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client = Client()
    for _ in range(3):
        log_in(client, admin_user.email, "wrong", "/admin/login/")
    response = log_in(client, admin_user.email, PASSWORD, "/admin/login/")
    assert response.status_code == 429 and retry_after(response) == 900
    assert re.search(r'class="errornote">\s*Too many failed log-ins', response.content.decode())
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db(transaction=True)
def test_under_asgi_the_locked_out_log_in_shows_the_form_again(instructor, settings):
    settings.AXES_FAILURE_LIMIT = 2
    client = AsyncClient()

    async def go():
        for _ in range(2):
            await client.post("/login/", {"username": instructor.email, "password": "wrong"})
        return await client.post("/login/", {"username": instructor.email, "password": PASSWORD})

    response = async_to_sync(go)()
    assert response.status_code == 429 and retry_after(response) == 900
    assert 'name="username"' in response.content.decode() and "Try again in 15 minutes" in response.content.decode()


# Sign-up, password reset, joining: the cache's fixed windows


def sign_up(client: Client, email: str):
    return client.post(
        "/signup/", {"email": email, "password": "tangerine-harbour-7", "password_again": "tangerine-harbour-7"}
    )


def test_sign_up_is_throttled_per_address_and_says_when_to_try_again(db, settings, frozen_clock):
    settings.INSTRUCTOR_EMAIL_DOMAINS = ["uni.example"]
    settings.THROTTLES = {**settings.THROTTLES, "signup": {"address": (2, 3600), "account": (5, 3600)}}
    assert [sign_up(Client(), f"n{i}@uni.example").status_code for i in range(2)] == [302, 302]
    response = sign_up(Client(), "n3@uni.example")
    assert response.status_code == 429 and retry_after(response) == 800
    assert "Too many sign-up attempts from your network. Try again in 14 minutes." in response.content.decode()
    assert User.objects.count() == 2
    assert sign_up(client_at("198.51.100.1"), "n3@uni.example").status_code == 302


def test_sign_up_is_throttled_per_email_address(db, settings, frozen_clock):
    settings.INSTRUCTOR_EMAIL_DOMAINS = ["uni.example"]
    settings.THROTTLES = {**settings.THROTTLES, "signup": {"address": (20, 3600), "account": (2, 3600)}}
    for i in range(2):
        client_at(f"10.1.0.{i}").post("/signup/", {"email": "Taken@uni.example", "password": "x"})
    response = sign_up(client_at("10.1.0.9"), "taken@uni.example")
    assert response.status_code == 429
    assert "Too many sign-up attempts for this email address." in response.content.decode()
    assert not User.objects.exists()


def test_password_reset_is_throttled_per_email_and_per_address_and_sends_nothing_then(
    instructor, settings, frozen_clock
):
    settings.THROTTLES = {**settings.THROTTLES, "password_reset": {"address": (3, 3600), "account": (2, 3600)}}
    for i in range(2):
        client_at(f"10.2.0.{i}").post("/password-reset/", {"email": instructor.email})
    response = client_at("10.2.0.9").post("/password-reset/", {"email": instructor.email.upper()})
    assert response.status_code == 429 and retry_after(response) == 800
    assert "Too many password reset requests for this email address. Try again in" in response.content.decode()
    nobody = client_at("10.2.1.1")
    answers = [nobody.post("/password-reset/", {"email": f"x{i}@uni.example"}).status_code for i in range(4)]
    assert answers == [302, 302, 302, 429]
    assert len(mail.outbox) == 2


def join(client: Client, code: str, name: str = "Zoe"):
    return client.post("/join", {"code": code, "display_name": name})


def test_joining_is_throttled_per_address(classroom, settings, frozen_clock):
    settings.THROTTLES = {**settings.THROTTLES, "join": {"address": (3, 60), "account": (100, 60)}}
    crowd = client_at("203.0.113.5")
    assert [join(crowd, classroom.join_code, f"Fake {i}").status_code for i in range(4)] == [302, 302, 302, 429]
    response = join(crowd, classroom.join_code, "Fake 5")
    assert response.status_code == 429 and retry_after(response) == 20  # 1,000,000 s is 40 s into its minute
    assert "Too many attempts to join a class from your network. Try again in 20 seconds." in response.content.decode()
    assert Student.objects.count() == 3
    assert join(client_at("203.0.113.6"), classroom.join_code, "Real").status_code == 302


def test_joining_is_throttled_per_class_code_whether_or_not_a_class_has_it(classroom, settings, frozen_clock):
    settings.THROTTLES = {**settings.THROTTLES, "join": {"address": (100, 60), "account": (2, 60)}}
    code = classroom.join_code
    for i, typed in enumerate([code.lower(), f"{code[:3]}-{code[3:]}"]):
        assert join(client_at(f"10.3.0.{i}"), typed, f"Fake {i}").status_code == 302
    refused = join(client_at("10.3.0.9"), code, "Fake 3")
    assert refused.status_code == 429
    assert "Too many attempts to join a class with this class code." in refused.content.decode()
    for i in range(2):
        join(client_at(f"10.3.1.{i}"), "ZZZZZZ")
    unknown = join(client_at("10.3.1.9"), "ZZZZZZ")
    assert unknown.status_code == 429 and "with this class code" in unknown.content.decode()
    assert Student.objects.count() == 2


def test_an_unknown_code_and_a_closed_class_get_the_same_answer(classroom):
    unknown = join(Client(), "ZZZZZZ")
    classroom_set_open(classroom=classroom, is_open=False)
    closed = join(Client(), classroom.join_code)

    def error(response) -> str:
        return re.search(r"<ul class=\"errorlist\"[^>]*>(.*?)</ul>", response.content.decode(), re.S).group(1)

    assert unknown.status_code == closed.status_code == 200
    assert error(unknown) == error(closed)
    assert not Student.objects.exists()


def test_sign_up_answers_a_taken_address_as_it_answers_a_new_one_and_tells_the_owner_by_mail(db, settings):
    settings.INSTRUCTOR_EMAIL_DOMAINS = ["uni.example"]
    owner = User.objects.create_user("taken@uni.example", PASSWORD)
    answers = {}
    for email in ("taken@uni.example", "new@uni.example"):
        client = Client()
        response = sign_up(client, email)
        page = client.get(response["Location"]).content.decode() if response.status_code == 302 else ""
        # Every page's language chooser carries a CSRF token, masked anew at each render: not the answer's.
        page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "TOKEN", page.replace(email, "EMAIL"))
        answers[email] = (response.status_code, response.get("Location"), page)
        assert "_auth_user_id" not in client.session
    assert answers["taken@uni.example"] == answers["new@uni.example"]
    assert (
        answers["new@uni.example"][0] == 302
        and "We sent a message to <strong>EMAIL</strong>" in answers["new@uni.example"][2]
    )
    taken, new = (next(m for m in mail.outbox if m.to == [email]) for email in ("taken@uni.example", "new@uni.example"))
    assert "already has an account" in taken.body and "/password-reset/" in taken.body
    assert "/account/verify/" in new.body
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD) and User.objects.count() == 2


def login_answer(response, email: str) -> tuple:
    errors = re.search(r'<div class="error" role="alert">(.*?)</div>', response.content.decode(), re.S)
    return response.status_code, response.get("Location"), errors and errors.group(1).replace(email, "EMAIL")


def test_logging_in_after_signing_up_tells_a_taken_address_from_a_new_one_no_more_than_a_wrong_password(db, settings):
    """Sign up with an address and a password of one's own, then log in with them: a new address has an
    unconfirmed account with that password, a taken one keeps its owner's. Both answer as a wrong password does."""
    settings.INSTRUCTOR_EMAIL_DOMAINS = ["uni.example"]
    User.objects.create_user("taken@uni.example", PASSWORD)  # signed up, not confirmed yet
    answers = {}
    for email in ("taken@uni.example", "new@uni.example"):
        sign_up(Client(), email)
        client = Client()
        answers[email] = login_answer(log_in(client, email, "tangerine-harbour-7"), email)
        assert "_auth_user_id" not in client.session
    wrong = login_answer(log_in(Client(), "nobody@uni.example", "tangerine-harbour-7"), "nobody@uni.example")
    assert answers["taken@uni.example"] == answers["new@uni.example"] == wrong
    assert wrong[0] == 200 and "open the link we sent" in wrong[2]


def test_sending_the_confirmation_link_again_is_throttled_per_account(db, settings, frozen_clock):
    settings.INSTRUCTOR_EMAIL_DOMAINS = ["uni.example"]
    client = Client()
    client.force_login(User.objects.create_user("victim@uni.example", PASSWORD))
    answers = [client.post("/account/verify/").status_code for _ in range(4)]
    assert answers == [302, 302, 302, 429]
    refused = client.post("/account/verify/")
    assert retry_after(refused) == 800 and "Try again in 14 minutes" in refused.content.decode()
    assert len(mail.outbox) == 3


def test_a_forged_personal_link_is_refused_before_any_database_work(db, django_assert_num_queries):
    """Not throttled, as guessing cannot succeed: the link is signed with SECRET_KEY (docs/operations.md)."""
    client = Client()
    with django_assert_num_queries(0):
        responses = [client.post(f"/s/{i}.{'0' * 16}:forged{i}/") for i in range(1, 50)]
    assert {response.status_code for response in responses} == {404}


# The client's address


@pytest.mark.parametrize(
    ("count", "forwarded", "address"),
    [
        (0, "203.0.113.9", "127.0.0.1"),  # no proxy trusted: the header is the client's to write
        (1, "", "127.0.0.1"),
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "10.9.9.9, 203.0.113.9", "203.0.113.9"),  # a spoofed entry on the left is ignored
        (2, "10.9.9.9, 203.0.113.9, 192.0.2.1", "203.0.113.9"),
        (1, "not-an-address", "127.0.0.1"),
    ],
)
def test_x_forwarded_for_is_believed_only_from_the_trusted_proxies(rf, settings, count, forwarded, address):
    settings.TRUSTED_PROXY_COUNT = count
    request = rf.post("/join", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert throttles.client_address(request) == address


def test_behind_a_trusted_proxy_each_client_is_counted_by_its_own_address(classroom, settings, frozen_clock):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.THROTTLES = {**settings.THROTTLES, "join": {"address": (1, 60), "account": (100, 60)}}
    proxy = Client(REMOTE_ADDR="127.0.0.1")
    first = proxy.post("/join", {"code": classroom.join_code, "display_name": "A"}, HTTP_X_FORWARDED_FOR="1.1.1.1")
    spoofed = proxy.post(
        "/join", {"code": classroom.join_code, "display_name": "B"}, HTTP_X_FORWARDED_FOR="9.9.9.9, 1.1.1.1"
    )
    other = proxy.post("/join", {"code": classroom.join_code, "display_name": "C"}, HTTP_X_FORWARDED_FOR="2.2.2.2")
    assert (first.status_code, spoofed.status_code, other.status_code) == (302, 429, 302)


@pytest.mark.redis
def test_on_redis_every_process_counts_into_the_same_window(settings, frozen_clock):
    prefix = f"parley.test.{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": settings.REDIS_URL,
                    "KEY_PREFIX": prefix}
    }  # fmt: skip
    settings.THROTTLES = {**settings.THROTTLES, "signup": {"address": (2, 3600), "account": (100, 3600)}}
    try:
        throttles.throttle_hit(action="signup", address="192.0.2.50", account="a@uni.example")
        caches.close_all()  # another connection, as another process has
        throttles.throttle_hit(action="signup", address="192.0.2.50", account="b@uni.example")
        with pytest.raises(throttles.Throttled) as refused:
            throttles.throttle_hit(action="signup", address="192.0.2.50", account="c@uni.example")
        assert refused.value.retry_after == 800
    finally:
        redis = caches["default"]._cache.get_client(write=True)
        for key in redis.scan_iter(f"{prefix}:*"):
            redis.delete(key)


# In the page's language


def test_a_throttled_join_says_so_in_the_students_language(classroom, settings, frozen_clock):
    settings.THROTTLES = {**settings.THROTTLES, "join": {"address": (1, 60), "account": (100, 60)}}
    crowd = Client(REMOTE_ADDR="203.0.113.7", HTTP_ACCEPT_LANGUAGE="de")
    assert join(crowd, classroom.join_code, "Fake 1").status_code == 302
    response = join(crowd, classroom.join_code, "Fake 2")
    assert response.status_code == 429
    page = response.content.decode()
    assert (
        "Zu viele Versuche, einer Klasse beizutreten, aus Ihrem Netzwerk. Versuchen Sie es in 20 Sekunden erneut."
        in page
    )
    spanish = Client(REMOTE_ADDR="203.0.113.7", HTTP_ACCEPT_LANGUAGE="es")
    page = join(spanish, classroom.join_code, "Fake 3").content.decode()
    assert "Demasiados intentos de unirse a una clase desde tu red. Vuelve a intentarlo dentro de 20 segundos." in page


def test_a_locked_log_in_says_so_in_the_pages_language(instructor):
    client = Client(HTTP_ACCEPT_LANGUAGE="es")
    for i in range(10):
        log_in(client, instructor.email, f"guess-{i}")
    page = log_in(client, instructor.email, PASSWORD).content.decode()
    assert "Demasiados inicios de sesión fallidos para esta cuenta o desde tu red." in page
    assert "dentro de 15 minutos" in page


def test_every_throttled_action_has_its_words_and_the_api_gives_their_template(settings, frozen_clock):
    """Per address and per account: each refusal a whole sentence whose template the pages translate."""
    from core.messages import Message
    from scenarios.messages import templates

    per = {"address": (0, 60), "account": (100, 60)}, {"address": (100, 60), "account": (0, 60)}
    for action in list(settings.THROTTLES):
        if action == "link_email_messages":  # spent, not hit: its refusal is throttle_spend's
            continue
        for scope, limits in zip(("address", "account"), per, strict=True):
            settings.THROTTLES = {**settings.THROTTLES, action: limits}
            with pytest.raises(throttles.Throttled) as refused:
                throttles.throttle_hit(action=action, address="198.51.100.1", account=f"someone {scope}")
            said = refused.value.message
            assert isinstance(said, Message) and said.startswith("Too many "), (action, scope)
            assert ("from your network" in said) == (scope == "address"), (action, scope, said)
            assert said.template in templates() and said.params["wait"].template in templates(), (action, scope)


def test_an_lti_login_past_its_limit_is_refused_with_when_to_try_again(settings, frozen_clock):
    settings.THROTTLES = {**settings.THROTTLES, "lti_login": {"address": (1, 60), "account": (100, 60)}}
    client = client_at("198.51.100.2")
    client.post("/lti/login/", {"iss": "https://lms.example"})
    refused = client.post("/lti/login/", {"iss": "https://lms.example"})
    assert refused.status_code == 429 and retry_after(refused) == 20
    assert "Too many log-ins from your learning platform from your network. Try again in 20 seconds." in (
        refused.content.decode()
    )


def test_the_studios_script_is_given_the_throttles_words_in_the_pages_language():
    from django.utils import translation

    from scenarios.messages import catalogue

    with translation.override("de"):
        words = catalogue()
    assert words["Too many analyses of a scenario from your account. Try again in %(wait)s."] == (
        "Zu viele Analysen eines Szenarios von Ihrem Konto. Versuchen Sie es in %(wait)s erneut."
    )
    assert words["%(seconds)s seconds"] == "%(seconds)s Sekunden"


def test_a_wait_of_hours_is_said_in_hours():
    from django.utils import translation

    from scenarios.messages import translated

    assert throttles.wait_text(89) == "89 seconds" and throttles.wait_text(90) == "2 minutes"
    assert throttles.wait_text(5399) == "90 minutes"
    assert throttles.wait_text(5400) == "2 hours"  # an hour and a half, rounded up as minutes are
    assert throttles.wait_text(86400) == "24 hours"  # a day's allowance, where it said "1440 minutes"
    assert throttles.wait_text(3600 * 24 + 1) == "25 hours"
    with translation.override("de"):
        assert translated(throttles.wait_text(86400)) == "24 Stunden"
    with translation.override("es"):
        assert translated(throttles.wait_text(86400)) == "24 horas"
