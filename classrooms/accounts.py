"""Instructor accounts: sign-up, the confirmation of an address, invitations, and who is a verified instructor.

A verified instructor proved that they read mail at their address (a signed link that expires after
INSTRUCTOR_LINK_HOURS) and the address is allowed: its domain is one of INSTRUCTOR_EMAIL_DOMAINS (exactly:
a subdomain such as students.uni.example is another domain), or an administrator invited it. An
administrator's own accounts (`createinstructor`, superusers, the admin's action) are verified when made.
Only a verified account sees confidential material or runs a class (docs/operations.md).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from classrooms.models import InstructorInvitation, User
from core.refusal import Refused

VERIFY_SALT = "parley.instructor-address"


def _domain(email: str) -> str:
    return email.rpartition("@")[2].strip().lower()


def instructor_address_allowed(*, email: str) -> bool:
    """May this address become a verified instructor once its owner confirms it?"""
    email = email.strip().lower()
    return (
        _domain(email) in settings.INSTRUCTOR_EMAIL_DOMAINS
        or InstructorInvitation.objects.filter(email__iexact=email).exists()
    )


def instructor_address_rule() -> str:
    """Who may sign up, in words, for the pages that refuse an address."""
    domains = settings.INSTRUCTOR_EMAIL_DOMAINS
    if not domains:
        return gettext("Instructor accounts on this site need an invitation from an administrator of this site.")
    listed = ", ".join(f"@{domain}" for domain in domains)
    return gettext(
        "Instructor accounts on this site are for addresses ending in %(domains)s, or need an invitation from an "
        "administrator of this site."
    ) % {"domains": listed}


def instructor_create(
    *, email: str, password: str | None, first_name: str = "", last_name: str = "", verified: bool = False
) -> User:
    """An account; unverified unless an administrator makes it (verified=True)."""
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise Refused(gettext("An account with this email address already exists."), "email")
    return User.objects.create_user(
        email,
        password,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        verified_at=timezone.now() if verified else None,
    )


def instructor_signup(
    *,
    email: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    verify_link: Callable[[str], str],
    login_link: str,
    reset_link: str,
) -> None:
    """Sign up an allowed address, and answer alike whether or not it has an account, so that sign-up tells
    nobody which addresses do: a new address gets an unverified account and the link that confirms it
    (`verify_link` makes it from the token); an address with an account gets a message saying so, how to
    log in or choose a new password, and, if it is not confirmed yet, the link that confirms it. The
    account is left as it was; nobody is signed in."""
    if not instructor_address_allowed(email=email):
        raise Refused(instructor_address_rule(), "email")
    existing = User.objects.filter(email__iexact=email.strip()).first()
    if existing is None:
        user = instructor_create(email=email, password=password, first_name=first_name, last_name=last_name)
        instructor_verification_send(user=user, link=verify_link(instructor_verification_token(user=user)))
        return
    confirm = ""
    if existing.is_active and not existing.is_verified_instructor:
        link = verify_link(instructor_verification_token(user=existing))
        confirm = gettext(
            "It is not confirmed yet: open this link to confirm the address is yours:\n\n%(link)s\n\n"
        ) % {"link": link}
    # In the language of the sign-up page: Parley keeps no language of an account's own.
    send_mail(
        gettext("Your Parley account"),
        gettext(
            "Someone, perhaps you, tried to create a Parley account for %(email)s, which already has an "
            "account. Nothing was changed.\n\n%(confirm)sLog in: %(login)s\n"
            "Forgot your password? Choose a new one: %(reset)s\n\n"
            "If it was not you, ignore this message.\n"
        )
        % {"email": existing.email, "confirm": confirm, "login": login_link, "reset": reset_link},
        None,
        [existing.email],
    )


def instructor_verification_token(*, user: User) -> str:
    """The signed token of the link that confirms the user's address; it names the address, so that it
    stops working if the address changes."""
    return signing.dumps({"user": user.pk, "email": user.email}, salt=VERIFY_SALT)


def instructor_verification_send(*, user: User, link: str) -> None:
    hours = settings.INSTRUCTOR_LINK_HOURS
    send_mail(
        gettext("Confirm your address for Parley"),
        gettext(
            "Open this link to confirm that %(email)s is yours and to start using Parley as an instructor:\n\n"
            "%(link)s\n\nThe link works for %(hours)s hours. If you did not sign up for Parley, ignore this message.\n"
        )
        % {"email": user.email, "link": link, "hours": hours},
        None,
        [user.email],
    )


def instructor_verification_user(*, token: str) -> User:
    """The account a confirmation link names, changing nothing. Refused when the link is forged, expired
    or for an address that changed."""
    hours = settings.INSTRUCTOR_LINK_HOURS
    try:
        data = signing.loads(token, salt=VERIFY_SALT, max_age=hours * 3600)
    except signing.SignatureExpired:
        raise Refused(
            gettext("This link is older than %(hours)s hours. Log in and ask for a new one on the page you are shown.")
            % {"hours": hours}
        ) from None
    except signing.BadSignature:
        raise Refused(
            gettext("This link is not valid: copy the whole link from the message, or ask for a new one.")
        ) from None
    user = User.objects.filter(pk=data.get("user"), email=data.get("email"), is_active=True).first()
    if user is None:
        raise Refused(gettext("This link is for an account that no longer exists or has changed its address."))
    return user


def instructor_verify(*, token: str) -> User:
    """Verify the account a link names, when its owner confirms (a POST: a scanner that only fetches the
    link verifies nothing). Refused as instructor_verification_user is, or when the address is not (or no
    longer) allowed; nothing changes then."""
    user = instructor_verification_user(token=token)
    if user.is_verified_instructor:
        return user
    if not instructor_address_allowed(email=user.email):
        raise Refused(
            gettext("Your address is confirmed, but it is not allowed: %(rule)s") % {"rule": instructor_address_rule()}
        )
    User.objects.filter(pk=user.pk).update(verified_at=timezone.now())
    user.refresh_from_db(fields=["verified_at"])
    return user


def instructor_mark_verified(*, user: User) -> None:
    """An administrator vouches for the account (the admin's action)."""
    if user.verified_at is None:
        user.verified_at = timezone.now()
        User.objects.filter(pk=user.pk).update(verified_at=user.verified_at)


class UnconfirmedAccountBackend:
    """Refuses a log-in with a password to an account whose address is not confirmed, as a wrong password is
    refused. Otherwise anyone could tell a taken address from a new one: sign up with it and a password of
    their own, then log in with that password, which works only where the sign-up made the account.

    It stands before Django's ModelBackend and runs the password hasher once, as ModelBackend does for the
    accounts it leaves to it, so that the answer takes the same time. Staff accounts are made by an
    administrator and are not refused."""

    def authenticate(self, request, username: str | None = None, password: str | None = None, **kwargs) -> None:
        if username is None or password is None:
            return None
        user = User.objects.filter(email=username).first()
        if user is None or not user.is_active or user.is_verified_instructor or user.is_staff:
            return None  # ModelBackend decides, hashing the password once
        user.check_password(password)
        raise PermissionDenied  # counted by django-axes as a failed log-in


class LoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": gettext_lazy(
            "Enter a correct email address and password. An account you signed up for works once you open the "
            "link we sent to its address (sign up again to have it sent again)."
        ),
    }
