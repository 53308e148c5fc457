"""Every write to instructors, classes, students and their links, rosters, exercises as records and API
tokens goes through these functions (the round that runs an exercise is negotiations.rounds).

Views, the API and management commands parse and check their input, then call one of these. A
refused action raises core.refusal.Refused with a message a person can act on (and the form field it
concerns, when there is one); nothing is written then.
"""

from __future__ import annotations

import csv
import hashlib
import io
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail.message import sanitize_address
from django.core.validators import EmailValidator, validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext, gettext_noop, pgettext_lazy

from classrooms.models import (
    JOIN_ALPHABET,
    JOIN_CODE_LENGTH,
    ApiToken,
    Classroom,
    CoInstructorInvitation,
    Exercise,
    Student,
    User,
)
from classrooms.signals import student_link_changed
from core.refusal import Refused
from scenarios.models import ScenarioVersion
from scenarios.services import version_spec

LINK_SALT = "parley.student-link"
PRESENCE_WINDOW = timedelta(seconds=60)
PRESENCE_WRITE_EVERY = timedelta(seconds=15)
ROSTER_MAX_ROWS = 2000
# Every page, sheet and sending of a class costs the server by its size; joining by code and rosters
# uploaded again and again would grow it without bound.
MAX_CLASS_STUDENTS = 5000
EMAIL_MAX = 254


# Classes (instructor accounts: classrooms.accounts)


def normalise_join_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def classroom_create(*, owner: User, name: str, term: str = "") -> Classroom:
    if not name.strip():
        raise Refused(gettext("Give the class a name."), "name")
    if len(name.strip()) > 120 or len(term.strip()) > 60:
        raise Refused(gettext("The name may have 120 characters and the term 60."), "name")
    for _ in range(20):
        try:
            with transaction.atomic():
                classroom = Classroom.objects.create(
                    owner=owner, name=name.strip(), term=term.strip(), join_code=new_join_code()
                )
                classroom.instructors.add(owner)
                return classroom
        except IntegrityError:
            continue  # the code was taken: draw another
    raise Refused(gettext("Could not find a free join code; try again."))


def classroom_set_open(*, classroom: Classroom, is_open: bool) -> None:
    Classroom.objects.filter(pk=classroom.pk).update(is_open=is_open)
    classroom.is_open = is_open


def verified_invitee(email: str) -> User:
    """The verified instructor with this address, to invite to co-teach a class or a course."""
    user = User.objects.filter(email__iexact=email.strip().lower(), is_active=True).first()
    if user is None or not user.is_verified_instructor:
        raise Refused(
            gettext(
                "No verified instructor has an account with that email address; ask them to sign up and confirm "
                "their address first."
            ),
            "email",
        )
    return user


def coinstructor_invite(*, classroom: Classroom, email: str, invited_by: User) -> CoInstructorInvitation:
    """Invite a verified instructor to co-teach the class; they see the invitation on their dashboard and
    get no access until they accept it (coinstructor_answer)."""
    already = gettext("%(email)s already runs this class.")
    return invitation_make(
        CoInstructorInvitation, "classroom", classroom, email=email, invited_by=invited_by, already=already
    )


def invitation_make(model, target: str, taught, *, email: str, invited_by: User, already: str):  # type: ignore[no-untyped-def]
    """An invitation to co-teach `taught` (`model`: a class's or a course's, whose `target` is what it is to),
    for a verified instructor who does not run it yet (`already`, the refusal's words, with `%(email)s`);
    inviting again gives the same invitation."""
    user = verified_invitee(email)
    if taught.instructors.filter(pk=user.pk).exists():
        raise Refused(already % {"email": user.email}, "email")
    invitation, _ = model.objects.get_or_create(**{target: taught}, user=user, defaults={"invited_by": invited_by})
    return invitation


def coinstructor_answer(*, user: User, invitation_id: int, accept: bool) -> Classroom:
    """The invited instructor accepts (and becomes an instructor of the class) or declines; either way the
    invitation is gone. Nobody else can answer it: the same refusal as for one that does not exist."""
    return invitation_answer(CoInstructorInvitation, "classroom", user=user, invitation_id=invitation_id, accept=accept)


def invitation_answer(model, target: str, *, user: User, invitation_id: int, accept: bool):  # type: ignore[no-untyped-def]
    """Answer an invitation to co-teach (`model`: a class's or a course's, whose `target` is what it is to):
    accepted, the user becomes one of its instructors; either way the invitation is gone."""
    with transaction.atomic():
        invitation = (
            model.objects.select_for_update().select_related(target).filter(pk=invitation_id, user=user).first()
        )
        if invitation is None or not user.is_verified_instructor:
            raise Refused(gettext("This invitation does not exist, or it is not yours."))
        if accept:
            getattr(invitation, target).instructors.add(user)
        invitation.delete()
    return getattr(invitation, target)


# Students, their links and their presence


NO_OPEN_CLASS = gettext_noop(
    "No class open to joining has this code. Check the code, and that the class is open, with your instructor."
)


class RosterQuestion(Refused):
    """The name is that of a roster student who has not used their link yet: the join page asks whether the
    student is them (`roster_name`, as the roster has it) before anyone joins."""

    def __init__(self, roster_name: str) -> None:
        super().__init__(
            gettext("Are you %(name)s from the roster?") % {"name": roster_name}, "display_name", code="roster_question"
        )
        self.roster_name = roster_name


def open_classroom(code: str) -> Classroom:
    classroom = Classroom.objects.filter(join_code=normalise_join_code(code)).first()
    if classroom is None or not classroom.is_open:
        # One answer for both, so that codes cannot be told apart by trying them.
        raise Refused(gettext(NO_OPEN_CLASS), "code")
    return classroom


def roster_namesake(*, classroom: Classroom, display_name: str) -> Student | None:
    """The roster student of this name (case and spaces aside) whose seat is not claimed yet: their personal
    link has never been used (a link used once marks the student seen)."""
    name = " ".join(display_name.split())
    if not name:
        return None
    return (
        classroom.students.filter(joined_via="roster", last_seen_at__isnull=True, display_name__iexact=name)
        .order_by("pk")
        .first()
    )


def student_join(
    *, code: str, display_name: str, email: str = "", student_number: str = "", not_on_roster: bool = False
) -> Student:
    """Join an open class by its code. A name that is a roster student's not yet claimed raises RosterQuestion,
    unless the student said they are someone else (`not_on_roster`): then they join as a new student, marked
    as possibly the same person as the roster student, for the instructor to look at."""
    classroom = open_classroom(code)
    namesake = roster_namesake(classroom=classroom, display_name=display_name)
    if namesake is not None and not not_on_roster:
        raise RosterQuestion(namesake.display_name)
    with transaction.atomic():
        held = _class_size_locked(classroom)
        if held >= MAX_CLASS_STUDENTS:
            raise Refused(
                gettext(
                    "This class is full: it has %(count)s students, the most a class can hold. Ask your instructor."
                )
                % {"count": number_format(held, force_grouping=True)},
                "code",
            )
        return _student_add(
            classroom=classroom,
            display_name=display_name,
            email=email,
            student_number=student_number,
            via="code",
            duplicate_of=namesake,
        )


def student_add(*, classroom: Classroom, display_name: str, email: str = "") -> Student:
    """A student added to the class by its instructor's tools (a learning platform's roster or launch), under
    the class's size limit, refused as a roster line would be (a taken email address, a name too long)."""
    with transaction.atomic():
        held = _class_size_locked(classroom)
        if held >= MAX_CLASS_STUDENTS:
            raise Refused(
                gettext("The class is full: it has %(count)s students, the most a class can hold.")
                % {"count": number_format(held, force_grouping=True)}
            )
        return _student_add(
            classroom=classroom, display_name=display_name, email=email, student_number="", via="roster"
        )


def _class_size_locked(classroom: Classroom) -> int:
    """The class's number of students, under its row lock (in the caller's transaction), so that students
    added at once are counted against MAX_CLASS_STUDENTS one after the other."""
    Classroom.objects.select_for_update().filter(pk=classroom.pk).first()
    return classroom.students.count()


def _student_add(
    *,
    classroom: Classroom,
    display_name: str,
    email: str,
    student_number: str,
    via: str,
    duplicate_of: Student | None = None,
) -> Student:
    name, email, number = display_name.strip(), email.strip().lower(), student_number.strip()
    if not name:
        raise Refused(gettext("Enter the name your classmates will see."), "display_name")
    if len(name) > 80:
        raise Refused(gettext("The name is longer than 80 characters."), "display_name")
    if len(email) > EMAIL_MAX:
        raise Refused(gettext("The email address is longer than %(max)s characters.") % {"max": EMAIL_MAX}, "email")
    if len(number) > 40:
        raise Refused(gettext("The student id is longer than 40 characters."), "student_number")
    if email and classroom.students.filter(email=email).exists():
        raise Refused(
            gettext(
                "A student with this email address is already in the class. Use your personal link, "
                "or ask your instructor to send it again."
            ),
            "email",
        )
    if number and classroom.students.filter(student_number=number).exists():
        raise Refused(gettext("A student with this student id is already in the class."), "student_number")
    return Student.objects.create(
        classroom=classroom,
        display_name=name,
        email=email,
        student_number=number,
        joined_via=via,
        link_nonce=secrets.token_hex(8),
        possible_duplicate_of=duplicate_of,
    )


def student_link_token(student: Student) -> str | None:
    if not student.link_nonce:
        return None
    return signing.Signer(salt=LINK_SALT).sign(f"{student.pk}.{student.link_nonce}")


def student_from_token(token: str) -> Student | None:
    """The student a personal link belongs to, or None when it is forged, revoked or re-issued."""
    try:
        pk, _, nonce = signing.Signer(salt=LINK_SALT).unsign(token).partition(".")
    except signing.BadSignature:
        return None
    if not pk.isdigit() or not nonce:
        return None
    student = Student.objects.select_related("classroom").filter(pk=int(pk)).first()
    if student is None or not student.link_nonce or not secrets.compare_digest(student.link_nonce, nonce):
        return None
    return student


def student_link_reissue(*, student: Student) -> None:
    """A new link; the old one, and every device signed in with it, stops working (open sockets too)."""
    student.link_nonce = secrets.token_hex(8)
    student.save(update_fields=["link_nonce"])
    student_link_changed.send(sender=Student, student_id=student.pk)


def student_link_revoke(*, student: Student) -> None:
    student.link_nonce = ""
    student.save(update_fields=["link_nonce"])
    student_link_changed.send(sender=Student, student_id=student.pk)


def student_seen(*, student: Student) -> None:
    now = timezone.now()
    if student.last_seen_at is None or now - student.last_seen_at > PRESENCE_WRITE_EVERY:
        Student.objects.filter(pk=student.pk).update(last_seen_at=now)
        student.last_seen_at = now


def is_connected(student: Student) -> bool:
    return student.last_seen_at is not None and timezone.now() - student.last_seen_at <= PRESENCE_WINDOW


# The roster


@dataclass
class RosterResult:
    created: list[Student] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "line 4: already in the class (...)"
    problems: list[str] = field(default_factory=list)  # "line 7: ..."; when any, nothing was stored
    separator: str = "comma"  # how the file was read: a key of SEPARATORS

    @property
    def separator_word(self) -> str:
        """The separator in the page's language, as "a %(separator)s-separated file" names it."""
        return str(SEPARATOR_WORDS[self.separator])


ROSTER_COLUMNS = {"name": "name", "email": "email", "student id": "student_number", "student_id": "student_number"}
SEPARATORS = {"comma": ",", "semicolon": ";", "tab": "\t"}
SEPARATOR_WORDS = {
    "comma": pgettext_lazy("a file separated by ...", "comma"),
    "semicolon": pgettext_lazy("a file separated by ...", "semicolon"),
    "tab": pgettext_lazy("a file separated by ...", "tab"),
}


def validate_mail_address(email: str) -> None:
    """Django's email validator without its host addresses (`a@[10.0.0.1]`: the site's mail server would
    deliver to any machine), and the domain written for mail (IDNA) too, which that validator does not try:
    an address it passes that cannot be written (a domain of a soft hyphen alone) failed every sending of
    the class's links."""
    validate_email(email)
    try:
        sanitize_address(email, "utf-8")
    except ValueError:
        writable = False
    else:
        writable = not email.rpartition("@")[2].startswith("[")
    if not writable:
        raise ValidationError(EmailValidator.message, code="invalid")


def roster_separator(text: str) -> str:
    """The separator that splits the header row into the most known column names (comma when none does
    better). The header decides, not the lines: a name may hold a comma, a line may be short."""
    first = text.split("\n", 1)[0].removesuffix("\r")

    def known(name: str) -> int:
        try:
            cells = next(csv.reader([first], delimiter=SEPARATORS[name]), [])
        except csv.Error:  # a CR inside the header: reading the rows names the line
            return 0
        return sum(cell.strip().lower() in ROSTER_COLUMNS for cell in cells)

    return max(SEPARATORS, key=known)  # max keeps the first of equals: comma


def _roster_rows(text: str, delimiter: str, result: RosterResult) -> list[tuple[int, list[str]]]:
    """Each row with the line it starts on; a row that cannot be read is a problem naming its line."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    rows = []
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return rows
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):
                problem = gettext(
                    "line %(line)s: the line could not be read as CSV (%(error)s): "
                    'a quote (") opens a field that never closes.'
                )
            else:
                problem = gettext("line %(line)s: the line could not be read as CSV (%(error)s).")
            result.problems.append(problem % {"line": line, "error": exc})
            return rows
        rows.append((line, row))


def roster_import(*, classroom: Classroom, text: str) -> RosterResult:
    """Create students from CSV with the columns name, email, student id (a header row is required).

    All or nothing: when any line has a problem, every problem is listed and no student is created.
    A line whose email or student id is already in the class is skipped and said so, so uploading a
    roster with emails or ids twice is harmless; a line with a name only is always a new student.
    """
    result = RosterResult()
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\n" not in text:  # lines ended by CR alone (a spreadsheet's CSV for old Macs); CR LF is read as it is
        text = text.replace("\r", "\n")
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        result.problems.append(
            gettext("line %(line)s: the file contains a NUL character; save it as CSV (UTF-8) and retry.")
            % {"line": line}
        )
        return result
    if not text.strip():
        result.problems.append(
            gettext("The file is empty: expected a header row (name, email, student id) and one line per student.")
        )
        return result
    separator = roster_separator(text)
    result.separator = separator
    rows = _roster_rows(text, SEPARATORS[separator], result)
    if result.problems:
        return result
    header = [h.strip().lower() for h in rows[0][1]]
    columns = {ROSTER_COLUMNS[h]: i for i, h in enumerate(header) if h in ROSTER_COLUMNS}
    unknown = [h for h in header if h and h not in ROSTER_COLUMNS]
    if "name" not in columns:
        result.problems.append(
            gettext("line 1: the header must name the columns name, email and student id (found: %(found)s).")
            % {"found": ", ".join(header) or gettext("nothing")}
        )
        return result
    if unknown:
        result.problems.append(
            gettext("line 1: unknown column(s) %(columns)s; expected name, email, student id.")
            % {"columns": ", ".join(unknown)}
        )
    body = rows[1:]
    if len(body) > ROSTER_MAX_ROWS:
        result.problems.append(
            gettext("The file has %(count)s students; at most %(max)s can be uploaded at once.")
            % {
                "count": number_format(len(body), force_grouping=True),
                "max": number_format(ROSTER_MAX_ROWS, force_grouping=True),
            }
        )
        return result
    existing_emails = set(classroom.students.exclude(email="").values_list("email", flat=True))
    existing_numbers = set(classroom.students.exclude(student_number="").values_list("student_number", flat=True))
    seen_emails: dict[str, int] = {}
    seen_numbers: dict[str, int] = {}
    pending = []
    for line, row in body:
        if not any(cell.strip() for cell in row):
            continue

        def cell(name: str, row: list[str] = row) -> str:
            index = columns.get(name)
            return row[index].strip() if index is not None and index < len(row) else ""

        name, email, number = " ".join(cell("name").split()), cell("email").lower(), cell("student_number")
        if len(row) > len(header):
            result.problems.append(
                gettext("line %(line)s: %(fields)s fields but the header has %(header)s.")
                % {"line": line, "fields": len(row), "header": len(header)}
            )
            continue
        if not name:
            result.problems.append(gettext("line %(line)s: the name is empty.") % {"line": line})
            continue
        if len(name) > 80:
            result.problems.append(gettext("line %(line)s: the name is longer than 80 characters.") % {"line": line})
            continue
        if len(email) > EMAIL_MAX:
            result.problems.append(
                gettext("line %(line)s: the email is longer than %(max)s characters.")
                % {"line": line, "max": EMAIL_MAX}
            )
            continue
        if email:
            try:
                validate_mail_address(email)
            except ValidationError:
                result.problems.append(
                    gettext("line %(line)s: '%(email)s' is not a valid email address.") % {"line": line, "email": email}
                )
                continue
        if len(number) > 40:
            result.problems.append(
                gettext("line %(line)s: the student id is longer than 40 characters.") % {"line": line}
            )
            continue
        if email and email in seen_emails:
            result.problems.append(
                gettext("line %(line)s: the email %(email)s is also on line %(other)s.")
                % {"line": line, "email": email, "other": seen_emails[email]}
            )
            continue
        if number and number in seen_numbers:
            result.problems.append(
                gettext("line %(line)s: the student id %(number)s is also on line %(other)s.")
                % {"line": line, "number": number, "other": seen_numbers[number]}
            )
            continue
        if email:
            seen_emails[email] = line
        if number:
            seen_numbers[number] = line
        if (email and email in existing_emails) or (number and number in existing_numbers):
            result.skipped.append(
                gettext("line %(line)s: %(name)s is already in the class.") % {"line": line, "name": name}
            )
            continue
        pending.append((name, email, number))
    if result.problems:
        return result
    with transaction.atomic():
        held = _class_size_locked(classroom)
        if held + len(pending) > MAX_CLASS_STUDENTS:
            result.problems.append(
                gettext(
                    "The class would have %(total)s students with these %(count)s: a class holds at most %(max)s. "
                    "Nothing was added."
                )
                % {
                    "total": number_format(held + len(pending), force_grouping=True),
                    "count": number_format(len(pending), force_grouping=True),
                    "max": number_format(MAX_CLASS_STUDENTS, force_grouping=True),
                }
            )
            return result
        for name, email, number in pending:
            result.created.append(
                _student_add(classroom=classroom, display_name=name, email=email, student_number=number, via="roster")
            )
    return result


# Exercises, as records (the round that runs them is negotiations.rounds)


def exercise_create(
    *,
    classroom: Classroom,
    title: str,
    scenario_version: ScenarioVersion,
    time_limit_minutes: int,
    instructions: str = "",
    pairing_rule: str = Exercise.PairingRule.RANDOM,
    odd_rule: str = Exercise.OddRule.TRIAD,
    created_by: User | None = None,
    series: Exercise | None = None,
    round_number: int = 1,
    rematch: str = "",
) -> Exercise:
    """An exercise; with `series` (its first round), a later round of it (negotiations/series.py)."""
    if not 1 <= time_limit_minutes <= 240:
        raise Refused(gettext("The time limit must be between 1 and 240 minutes."), "time_limit_minutes")
    if pairing_rule not in Exercise.PairingRule.values:
        raise Refused(gettext("Unknown pairing rule '%(rule)s'.") % {"rule": pairing_rule}, "pairing_rule")
    if odd_rule not in Exercise.OddRule.values:
        raise Refused(
            gettext("Unknown rule for an odd number of students '%(rule)s'.") % {"rule": odd_rule}, "odd_rule"
        )
    return Exercise.objects.create(
        classroom=classroom,
        title=(title.strip() or version_spec(scenario_version).title)[:120],
        scenario_version=scenario_version,
        time_limit_minutes=time_limit_minutes,
        instructions=instructions,
        pairing_rule=pairing_rule,
        odd_rule=odd_rule,
        created_by=created_by,
        series=series,
        round_number=round_number,
        rematch=rematch,
    )


# API tokens


def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for the instructor API; the clear token is returned once and never stored."""
    name = name.replace("\x00", "").strip()[:80]
    token = "prl_" + secrets.token_urlsafe(32)
    record = ApiToken.objects.create(
        user=user,
        name=name.strip() or "API token",
        digest=hashlib.sha256(token.encode()).hexdigest(),
        prefix=token[:12],
    )
    return record, token


def api_token_delete(*, user: User, token_id: int) -> bool:
    return ApiToken.objects.filter(user=user, pk=token_id).delete()[0] > 0


def api_token_user(token: str) -> User | None:
    digest = hashlib.sha256(token.encode()).hexdigest()
    record = ApiToken.objects.select_related("user").filter(digest=digest, user__is_active=True).first()
    if record is None or not record.user.is_verified_instructor:
        return None
    now = timezone.now()
    if record.last_used_at is None or now - record.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=record.pk).update(last_used_at=now)
    return record.user
