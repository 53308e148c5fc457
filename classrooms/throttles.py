"""Throttles: how often one address, or one account, may try to log in, sign up, reset a password or join
a class (docs/operations.md, "Throttles").

Log-ins, on the login page and the admin's, are counted by django-axes (the `AXES_*` settings), which
calls `client_address`, `login_account` and `login_lockout_response` below. Sign-up, password reset and
joining by class code count attempts with `throttle_hit` in fixed windows on the cache: Redis in
production, shared by every process; the local-memory cache in the embedded mode's one process.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import math
import time
from collections.abc import Callable
from typing import Any

from asgiref.sync import sync_to_async
from axes.helpers import get_cool_off, get_lockout_response
from axes.middleware import AxesMiddleware
from django.conf import settings
from django.core import checks
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse

from core.messages import Message, msg
from core.refusal import Refused
from scenarios.messages import translated

# What each refusal says, by action and by what was counted (the address, or the account: an email address,
# a class code, a class, an instructor, an issuer), each a whole sentence so that it translates as one
# (core.messages; the pages say it in their language, the API in English with its template and params).
TOO_MANY: dict[tuple[str, str], Callable[[Message], Message]] = {
    ("join", "address"): lambda wait: msg(
        "Too many attempts to join a class from your network. Try again in %(wait)s.", wait=wait
    ),
    ("join", "account"): lambda wait: msg(
        "Too many attempts to join a class with this class code. Try again in %(wait)s.", wait=wait
    ),
    ("signup", "address"): lambda wait: msg(
        "Too many sign-up attempts from your network. Try again in %(wait)s.", wait=wait
    ),
    ("signup", "account"): lambda wait: msg(
        "Too many sign-up attempts for this email address. Try again in %(wait)s.", wait=wait
    ),
    ("password_reset", "address"): lambda wait: msg(
        "Too many password reset requests from your network. Try again in %(wait)s.", wait=wait
    ),
    ("password_reset", "account"): lambda wait: msg(
        "Too many password reset requests for this email address. Try again in %(wait)s.", wait=wait
    ),
    ("confirmation", "address"): lambda wait: msg(
        "Too many requests for a confirmation link from your network. Try again in %(wait)s.", wait=wait
    ),
    ("confirmation", "account"): lambda wait: msg(
        "Too many requests for a confirmation link for this email address. Try again in %(wait)s.", wait=wait
    ),
    ("link_email", "address"): lambda wait: msg(
        "Too many sendings of the students' links by email from your network. Try again in %(wait)s.", wait=wait
    ),
    ("link_email", "account"): lambda wait: msg(
        "Too many sendings of the students' links by email for this class. Try again in %(wait)s.", wait=wait
    ),
    ("link_email_instructor", "address"): lambda wait: msg(
        "Too many sendings of the students' links by email from your network. Try again in %(wait)s.", wait=wait
    ),
    ("link_email_instructor", "account"): lambda wait: msg(
        "Too many sendings of the students' links by email from your account. Try again in %(wait)s.", wait=wait
    ),
    # never shown: the join page answers alike whether a link was sent or not
    ("roster_link", "address"): lambda wait: msg(
        "Too many roster students' links sent from the join page from your network. Try again in %(wait)s.",
        wait=wait,
    ),
    ("roster_link", "account"): lambda wait: msg(
        "Too many roster students' links sent from the join page for this student. Try again in %(wait)s.",
        wait=wait,
    ),
    ("studio_analysis", "address"): lambda wait: msg(
        "Too many analyses of a scenario from your network. Try again in %(wait)s.", wait=wait
    ),
    ("studio_analysis", "account"): lambda wait: msg(
        "Too many analyses of a scenario from your account. Try again in %(wait)s.", wait=wait
    ),
    ("studio_tournament", "address"): lambda wait: msg(
        "Too many bot tournaments from your network. Try again in %(wait)s.", wait=wait
    ),
    ("studio_tournament", "account"): lambda wait: msg(
        "Too many bot tournaments from your account. Try again in %(wait)s.", wait=wait
    ),
    ("lti_login", "address"): lambda wait: msg(
        "Too many log-ins from your learning platform from your network. Try again in %(wait)s.", wait=wait
    ),
    ("lti_login", "account"): lambda wait: msg(
        "Too many log-ins from this learning platform. Try again in %(wait)s.", wait=wait
    ),
}


class Throttled(Refused):
    """Too many attempts: `retry_after` is the number of seconds until the next one is counted afresh."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, code="throttled")
        self.retry_after = retry_after


def client_address(request: HttpRequest) -> str:
    """The client's address: the connection's peer, or, when `TRUSTED_PROXY_COUNT` proxies in front of
    Parley each append the address they saw to X-Forwarded-For, the entry the outermost of them added.
    Entries further left are the client's to write, so they are never believed."""
    peer = request.META.get("REMOTE_ADDR") or "unknown"
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return peer
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < count:
        return peer
    try:
        return str(ipaddress.ip_address(forwarded[-count]))
    except ValueError:
        return peer


@checks.register(checks.Tags.security, deploy=True)
def proxy_address_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Behind the proxy that BEHIND_TLS_PROXY trusts, an untrusted X-Forwarded-For makes every client the
    proxy's one address, and one client's throttle everyone's."""
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None) and settings.TRUSTED_PROXY_COUNT <= 0:
        return [
            checks.Warning(
                "BEHIND_TLS_PROXY trusts a reverse proxy, but TRUSTED_PROXY_COUNT is 0: every client behind "
                "it seems to come from the proxy's address, so the throttles count them all as one.",
                hint="Set TRUSTED_PROXY_COUNT=1 behind the README's nginx (docs/operations.md, 'Throttles').",
                id="parley.W001",
            )
        ]
    return []


def wait_text(seconds: int) -> Message:
    if seconds == 1:
        return msg("1 second")
    if seconds < 90:
        return msg("%(seconds)s seconds", seconds=seconds)
    if seconds < 90 * 60:
        return msg("%(minutes)s minutes", minutes=math.ceil(seconds / 60))
    return msg("%(hours)s hours", hours=math.ceil(seconds / 3600))


def _now() -> float:
    return time.time()


def _count(key: str, limit_seconds: int, now: float, amount: int = 1) -> tuple[int, int]:
    """Count `amount` (one attempt, by default) in the current fixed window of `limit_seconds`; the count
    so far and the seconds until the window ends."""
    cache = caches[settings.THROTTLE_CACHE]
    window = int(now // limit_seconds)
    name = _window_name(key, limit_seconds, now)
    if cache.add(name, amount, timeout=limit_seconds + 1):
        count = amount
    else:
        try:
            count = cache.incr(name, amount)
        except ValueError:  # expired between the two calls
            cache.add(name, amount, timeout=limit_seconds + 1)
            count = amount
    return count, max(1, math.ceil((window + 1) * limit_seconds - now))


def _window_name(key: str, limit_seconds: int, now: float) -> str:
    return f"throttle:{key}:{int(now // limit_seconds)}"


def _key(action: str, scope: str, value: str) -> str:
    return f"{action}:{scope}:{hashlib.sha256(value.encode()).hexdigest()[:32]}"


def throttle_hit(*, action: str, address: str, account: str) -> None:
    """Count an attempt at `action` (a key of settings.THROTTLES) from `address` for `account` (an email
    address, or a class code); raise Throttled, saying when to try again, when either is past its limit.

    The account is counted whether or not it exists, so a refusal tells nothing about it."""
    limits = settings.THROTTLES[action]
    now = _now()
    refusals: list[tuple[int, str]] = []
    for scope, value in (("address", address), ("account", account.strip().lower())):
        count, seconds = limits[scope]
        seen, retry_after = _count(_key(action, scope, value), seconds, now)
        if seen > count:
            refusals.append((retry_after, scope))
    if refusals:
        retry_after, scope = max(refusals)
        raise Throttled(TOO_MANY[action, scope](wait_text(retry_after)), retry_after=retry_after)


def throttle_spend(*, action: str, account: str, amount: int) -> None:
    """Spend `amount` of `account`'s allowance at `action` (settings.THROTTLES[action]["account"]: so many
    `what`s a window), or raise Throttled, spending nothing, when it would go past it."""
    limit, seconds = settings.THROTTLES[action]["account"]
    if amount <= 0:
        return
    now, key = _now(), _key(action, "account", account.strip().lower())
    spent, retry_after = _count(key, seconds, now, amount)
    if spent > limit:
        with contextlib.suppress(ValueError):  # gone: the window ended meanwhile, with nothing to give back
            caches[settings.THROTTLE_CACHE].decr(_window_name(key, seconds, now), amount)
        left = max(limit - (spent - amount), 0)
        wait = wait_text(retry_after)
        if amount == 1:
            said = msg(
                "This would send 1 message; your account may send %(left)s more before the day's end (UTC), in "
                "%(wait)s.",
                left=left,
                wait=wait,
            )
        else:
            said = msg(
                "This would send %(amount)s messages; your account may send %(left)s more before the day's end "
                "(UTC), in %(wait)s.",
                amount=amount,
                left=left,
                wait=wait,
            )
        raise Throttled(said, retry_after=retry_after)


def throttle_form(request: HttpRequest, form: Any, *, action: str, account: str) -> Throttled | None:
    """Count a form's submission at `action`; when it is refused, the form carries the refusal as its error
    (the page then answers with `throttled_status`)."""
    try:
        throttle_hit(action=action, address=client_address(request), account=account)
    except Throttled as refusal:
        form.add_error(None, translated(refusal.message))
        return refusal
    return None


def throttled_status(response: HttpResponse, refusal: Throttled | None) -> HttpResponse:
    """A form page that shows a throttle's refusal answers 429 with Retry-After, for programs and proxies."""
    if refusal is None:
        return response
    response.status_code = 429
    response["Retry-After"] = str(refusal.retry_after)
    return response


# Log-ins: django-axes


def login_account(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """The account a log-in is for, as the user model stores it (emails are lower case)."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    return str(username).strip().lower()


def login_lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """The log-in form again (ours, or the admin's), its error saying when to try again; 429 with Retry-After.

    Every attempt during the lockout starts the wait again (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT),
    so the wait is the whole cool-off from now."""
    cool_off = get_cool_off(request)
    seconds = int(cool_off.total_seconds()) if cool_off else 0
    message = translated(
        msg(
            "Too many failed log-ins for this account or from your network. Try again in %(wait)s; each attempt "
            "before then starts the wait again.",
            wait=wait_text(seconds),
        )
    )
    form = (getattr(original_response, "context_data", None) or {}).get("form")
    if form is not None:
        form.errors.clear()
        form.add_error(None, message)
        original_response.content = original_response.rendered_content
        response: HttpResponse = original_response
    else:
        response = HttpResponse(message, content_type="text/plain; charset=utf-8")
    response.status_code = settings.AXES_HTTP_RESPONSE_CODE
    response["Retry-After"] = str(seconds)
    return response


class LoginLockoutMiddleware(AxesMiddleware):
    """AxesMiddleware, with the lockout response given the page's own response under ASGI too (django-axes
    8.3.1 passes the credentials in its place there), so that the form can be shown again."""

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        response = await self.get_response(request)
        if settings.AXES_ENABLED and getattr(request, "axes_locked_out", None):
            credentials = getattr(request, "axes_credentials", None)
            response = await sync_to_async(get_lockout_response, thread_sensitive=True)(request, response, credentials)
        return response
