"""The course's roster from the platform (Names and Role Provisioning Services) into the linked class.

Each active learner is found by their platform user id, else by their email address among the class's
students not yet linked, else added; nobody is added twice. A learner the platform no longer lists (or
lists as inactive) is marked as having left the course, never deleted: their results stay in the class.
"""

from __future__ import annotations

import re
from typing import Any

import requests
from django.utils import timezone
from django.utils.translation import gettext as _
from pylti1p3.exception import LtiException, LtiServiceException
from pylti1p3.service_connector import ServiceConnector

from classrooms.services import MAX_CLASS_STUDENTS
from core.refusal import Refused
from lti.launch import email_of, learner_student, person_name, role_of
from lti.models import Course, Learner
from lti.tool import NoToolKey, TimedSession, registration_for

NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
NRPS_ACCEPT = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
MAX_PAGES = 100
NEXT_LINK = re.compile(r'<([^>]*)>\s*;\s*rel="?next"?', re.IGNORECASE)


class PlatformError(Exception):
    """A platform's service did not answer as it should: the message says which and how."""


def service_failure(exc: Exception) -> str:
    """A platform's failure in one line, for the instructor's page."""
    if isinstance(exc, LtiServiceException):
        return _("the platform answered %(status)s: %(text)s") % {
            "status": exc.response.status_code,
            "text": exc.response.text[:200],
        }
    if isinstance(exc, requests.RequestException):
        return _("the platform could not be reached (%(error)s)") % {"error": type(exc).__name__}
    return str(exc)[:300]


def members(course: Course) -> list[dict[str, Any]]:
    """Every member the platform lists for the course, page after page (at most MAX_PAGES pages and
    MAX_CLASS_STUDENTS learners' worth of members)."""
    if not course.memberships_url:
        raise PlatformError(
            _("The platform has not offered its roster service for this course (Names and Role Provisioning).")
        )
    connector = ServiceConnector(registration_for(course.platform, signing=True), TimedSession())
    url: str | None = course.memberships_url
    found: list[dict[str, Any]] = []
    for _page in range(MAX_PAGES):
        if url is None:
            return found
        response = connector.make_service_request([NRPS_SCOPE], url, accept=NRPS_ACCEPT, case_insensitive_headers=True)
        body = response["body"]
        page = body.get("members") if isinstance(body, dict) else None
        if not isinstance(page, list):
            raise PlatformError(_("The platform's roster is not a list of members."))
        found.extend(member for member in page if isinstance(member, dict))
        if len(found) > 2 * MAX_CLASS_STUDENTS:
            raise PlatformError(_("The platform's roster has more members than a class can hold."))
        # The next page's address as written (pylti1p3 lowers its case, which breaks case-sensitive URLs).
        match = NEXT_LINK.search(str(response["headers"].get("link", "")))
        url = match.group(1) if match else None
    raise PlatformError(_("The platform's roster has more than %(pages)s pages.") % {"pages": MAX_PAGES})


def roster_sync(*, course: Course) -> str:
    """Bring the course's learners into its class; returns (and stores) a summary of what changed."""
    try:
        listed = members(course)
    except (LtiException, LtiServiceException, requests.RequestException, NoToolKey, ValueError) as exc:
        raise PlatformError(_("The roster could not be read: %(why)s.") % {"why": service_failure(exc)}) from exc
    counts = {"created": 0, "matched": 0, "linked": 0}
    problems: list[str] = []
    active: set[str] = set()
    for member in listed:
        user_id = member.get("user_id")
        if role_of(member.get("roles")) != "learner" or not isinstance(user_id, str) or not 0 < len(user_id) <= 255:
            continue
        if member.get("status", "Active") != "Active":
            continue
        active.add(user_id)
        try:
            _student, how = learner_student(
                course=course, user_id=user_id, email=email_of(member), name=person_name(member)
            )
        except Refused as exc:
            problems.append(f"{person_name(member)}: {exc.message}")
            continue
        counts[how] += 1
    left = (
        Learner.objects.filter(course=course, in_course=True)
        .exclude(platform_user_id__in=active)
        .update(in_course=False)
    )
    summary = _(
        "%(created)s added, %(matched)s matched by email address, %(linked)s already linked, "
        "%(left)s no longer in the course (kept)."
    ) % {**counts, "left": left}
    if problems:
        summary += " " + _("Not added: %(list)s") % {"list": "; ".join(problems[:5])}
    course.roster_synced_at = timezone.now()
    course.roster_summary = summary[:500]
    course.save(update_fields=["roster_synced_at", "roster_summary"])
    return summary
