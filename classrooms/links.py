"""Handing students their personal links: the printable sheet (a card per student with a QR code), the CSV,
and each student's link sent by email (docs/operations.md, "Handing out personal links").

A personal link signs its student in on any device, so these are secrets: only the class's instructors
see them, the pages are never cached, and an email goes only to the student's own address, with only
their own link in it.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import segno
from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMessage, get_connection
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from classrooms.models import Classroom, Student
from classrooms.services import open_classroom, roster_namesake, student_link_token
from classrooms.throttles import Throttled, throttle_hit
from core.csvtext import csv_chunks

log = logging.getLogger(__name__)
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
REPORT_KEY = "parley:link-emails:{classroom_id}"
REPORT_SECONDS = 7 * 24 * 3600
CSV_COLUMNS = ["name", "email", "student id", "link", "class code"]
LINKS_PAGE = 100  # cards a page of the printable sheet: each QR code drawn costs milliseconds


@dataclass(frozen=True)
class LinkCard:
    student: Student
    link: str | None  # None: the link is revoked

    @property
    def short(self) -> str:
        """The link as printed under the QR code: without its scheme."""
        return (self.link or "").split("://", 1)[-1]

    @property
    def qr(self) -> str:
        """The link's QR code as an SVG data URI, for an <img> (the CSP allows data: images, and an image's
        SVG runs no script)."""
        return segno.make(self.link or "", error="m").svg_data_uri(scale=4, border=2)


def link_card(student: Student, base_url: str) -> LinkCard:
    """The student's card, with their absolute personal link (`base_url` is the site's)."""
    token = student_link_token(student)
    return LinkCard(
        student=student, link=base_url.rstrip("/") + reverse("student_link", args=[token]) if token else None
    )


def link_cards(classroom: Classroom, base_url: str) -> list[LinkCard]:
    return [link_card(student, base_url) for student in classroom.students.all()]


def link_cards_page(classroom: Classroom, base_url: str, number: str | int) -> Page:
    """A page of the printable sheet: LINKS_PAGE cards, whatever the class's size, so that drawing their
    QR codes (pure Python, holding the interpreter's lock from the process's sockets) takes a bounded
    time. Raises InvalidPage."""
    page = Paginator(classroom.students.all(), LINKS_PAGE).page(number)
    page.object_list = [link_card(student, base_url) for student in page.object_list]
    return page


def links_csv(classroom: Classroom, cards: list[LinkCard]) -> Iterator[str]:
    """The links as CSV; a name a spreadsheet would run as a formula is written as text."""
    rows = (
        {
            "name": card.student.display_name,
            "email": card.student.email,
            "student id": card.student.student_number,
            "link": card.link or "",
            "class code": classroom.join_code,
        }
        for card in cards
    )
    return csv_chunks(CSV_COLUMNS, rows)


# Email


def email_configured() -> bool:
    """Whether this site sends real mail (EMAIL_HOST set, or the SMTP backend chosen): only then is the
    button that emails the links shown."""
    return settings.EMAIL_BACKEND == SMTP_BACKEND


def link_emails_report(classroom: Classroom) -> dict[str, Any] | None:
    return cache.get(REPORT_KEY.format(classroom_id=classroom.pk))


def link_emails_count(classroom: Classroom) -> int:
    """How many messages emailing the class's links sends: a student with an address and a link each."""
    return classroom.students.exclude(email="").exclude(link_nonce="").count()


def link_emails_request(*, classroom: Classroom, base_url: str, language: str | None = None) -> None:
    """Queue the sending of every student's link to their address; the report says it is under way until
    the task replaces it. The caller has counted the request against the class's limit (the view). The
    messages are written in `language` (the sending instructor's page's: Parley keeps no language of a
    student's own), the current one by default."""
    report = {"state": "sending", "requested_at": timezone.now().isoformat()}
    cache.set(REPORT_KEY.format(classroom_id=classroom.pk), report, REPORT_SECONDS)
    language = language or translation.get_language()
    transaction.on_commit(lambda: send_link_emails.delay(classroom.pk, base_url, language))


# What sending one message may raise: the mail server's refusals, the network, and an address that cannot
# be written for mail (an IDNA error; refused on the way in since, but one may be stored from before).
SEND_ERRORS = (smtplib.SMTPException, OSError, ValueError)


def _reason(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, message = next(iter(exc.recipients.values()))
        return gettext("refused by the mail server: %(code)s %(message)s") % {
            "code": code,
            "message": message.decode(errors="replace"),
        }
    if isinstance(exc, smtplib.SMTPResponseException):
        return gettext("refused by the mail server: %(code)s %(message)s") % {
            "code": exc.smtp_code,
            "message": exc.smtp_error.decode(errors="replace"),
        }
    if isinstance(exc, ValueError):
        return gettext("could not be sent: the address cannot be written for mail (%(error)s)") % {"error": exc}
    return gettext("could not be sent: %(error)s") % {"error": exc}


def _message(classroom: Classroom, card: LinkCard, connection: Any) -> EmailMessage:
    """A student's message with their own link, in the active language."""
    body = gettext(
        "Hello %(name)s,\n\n"
        "This is your personal link for %(class)s on Parley:\n\n%(link)s\n\n"
        "It signs you in on any device, phone or laptop: open it at the start of each class. It is yours "
        "alone; do not share it. If you lose it, ask your instructor for it again.\n\n"
        "(The class code is %(code)s; you do not need it with this link.)\n"
    ) % {"name": card.student.display_name, "class": classroom.name, "link": card.link, "code": classroom.join_code}
    # A header is one line: a class name typed with a line break in it would make Django refuse the message.
    subject = " ".join((gettext("Your link for %(class)s") % {"class": classroom.name}).split())
    return EmailMessage(subject, body, to=[card.student.email], connection=connection)


def link_emails_deliver(*, classroom_id: int, base_url: str, language: str | None = None) -> dict[str, Any]:
    """Send each student with an address a message with their own link, one message each, in `language`
    (the current one by default); report how many were sent, which failed and why (in that language too),
    and who has no address (or a revoked link)."""
    with translation.override(language or translation.get_language()):
        return _link_emails_deliver(classroom_id=classroom_id, base_url=base_url)


def _link_emails_deliver(*, classroom_id: int, base_url: str) -> dict[str, Any]:
    classroom = Classroom.objects.get(pk=classroom_id)
    report: dict[str, Any] = {"state": "done", "sent": 0, "failed": [], "without_email": [], "revoked": []}
    cards = link_cards(classroom, base_url)
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except (smtplib.SMTPException, OSError) as exc:
        connection = None
        opened_error: Exception | None = exc
    else:
        opened_error = None
    try:
        for card in cards:
            name = card.student.display_name
            if not card.student.email:
                report["without_email"].append(name)
            elif card.link is None:
                report["revoked"].append(name)
            elif opened_error is not None:
                report["failed"].append({"name": name, "email": card.student.email, "reason": _reason(opened_error)})
            else:
                try:
                    _message(classroom, card, connection).send()
                except SEND_ERRORS as exc:
                    report["failed"].append({"name": name, "email": card.student.email, "reason": _reason(exc)})
                else:
                    report["sent"] += 1
    finally:
        if connection is not None:
            connection.close()
    report["finished_at"] = timezone.now().isoformat()
    cache.set(REPORT_KEY.format(classroom_id=classroom_id), report, REPORT_SECONDS)
    return report


@shared_task(name="classrooms.tasks.send_link_emails", ignore_result=True)
def send_link_emails(classroom_id: int, base_url: str, language: str | None = None) -> None:
    link_emails_deliver(classroom_id=classroom_id, base_url=base_url, language=language or settings.LANGUAGE_CODE)


# A student who joins by code says they are a roster student


def roster_link_send(*, code: str, display_name: str, base_url: str, address: str) -> None:
    """Someone on the join page says they are the roster student of this name: send that student's own link
    to the address on the roster, if there is one, the site sends mail, and none was sent today (and the
    visitor's address has not had ten sent this hour: settings.THROTTLES["roster_link"]). Whoever
    said it is shown no link and signed in as nobody, so a classmate cannot take the seat; the answer is the
    same whether or not such a student exists. An unknown code or a closed class is refused as joining is."""
    classroom = open_classroom(code)
    namesake = roster_namesake(classroom=classroom, display_name=display_name)
    if namesake is None or not namesake.email or not namesake.link_nonce or not email_configured():
        return
    try:  # a roster student's link once a day, and ten students' an hour for one visitor's address
        throttle_hit(action="roster_link", address=address, account=f"student {namesake.pk}")
    except Throttled:
        return
    send_roster_link.delay(namesake.pk, base_url, translation.get_language())


@shared_task(name="classrooms.tasks.send_roster_link", ignore_result=True)
def send_roster_link(student_id: int, base_url: str, language: str | None = None) -> None:
    """The roster student's own link, in the language of the page they asked for it on."""
    with translation.override(language or settings.LANGUAGE_CODE):
        _roster_link_deliver(student_id, base_url)


def _roster_link_deliver(student_id: int, base_url: str) -> None:
    student = Student.objects.select_related("classroom").filter(pk=student_id).first()
    if student is None or not student.email:
        return
    card = link_card(student, base_url)
    if card.link is None:
        return
    try:
        _message(student.classroom, card, None).send()
    except SEND_ERRORS as exc:
        # One line, not a traceback; and never an error on the join page (embedded, the task runs there),
        # which would tell whoever asked that the roster has an address for this name.
        with translation.override(settings.LANGUAGE_CODE):  # the site's log is in English
            log.warning("the link of roster student %s was not sent: %s", student.pk, _reason(exc))
