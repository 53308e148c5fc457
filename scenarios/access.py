"""Who may see confidential material: a scenario's role sheets, points, BATNAs and teaching notes, and every
page or answer that shows them (an exercise, its pairs, transcripts and debrief). Verified instructors only
(`User.is_verified_instructor`; classrooms.accounts says how an account becomes one)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse


def is_verified_instructor(user: object) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_verified_instructor", False))


def instructor_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page for verified instructors: a visitor who is not signed in goes to the login page, an account
    that is not verified to the page that says what to do (account_verify)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_verified_instructor(request.user):
            return redirect(reverse("account_verify") + "?" + urlencode({REDIRECT_FIELD_NAME: request.get_full_path()}))
        return view(request, *args, **kwargs)

    return wrapper
