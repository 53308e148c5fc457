"""Error pages a person can meet say what to do, in the site's own layout (DEBUG off, as in production)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.template.loader import render_to_string
from django.test import Client


@pytest.mark.django_db
def test_a_student_without_their_session_is_told_to_open_their_personal_link_again():
    response = Client().get("/s/exercises/1/")
    assert response.status_code == 404
    text = response.content.decode()
    assert "open your personal link again" in text and 'href="/join' in text
    assert 'class="topbar"' in text  # the site's own page, not the server's bare "Not Found"


def test_the_server_error_page_needs_no_request_nor_database():
    """Django renders 500.html without a context: the page must still come out whole."""
    text = render_to_string("500.html")
    assert "Something went wrong on the server" in text and 'class="topbar"' in text


@pytest.mark.django_db
def test_a_refused_page_says_so_in_the_sites_layout(rf):
    from django.contrib.auth.models import AnonymousUser
    from django.views.defaults import permission_denied

    request = rf.get("/")
    request.session, request.user = {}, AnonymousUser()  # as the middleware leaves them
    response = permission_denied(request, PermissionDenied())
    assert response.status_code == 403
    assert "You may not open this page" in response.content.decode()
