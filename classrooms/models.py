from __future__ import annotations

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra) -> User:
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("verified_at", timezone.now())
        return self._create(email, password, **extra)


class User(AbstractUser):
    """An instructor's account: signs in with email and password. Students have no account.

    Only a verified account sees confidential material or runs a class (docs/operations.md, "Who may see
    a confidential sheet"): its owner opened the link sent to the address, and the address is allowed (its
    domain is in INSTRUCTOR_EMAIL_DOMAINS, or an administrator invited it); or an administrator made it.
    """

    username = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True)
    verified_at = models.DateTimeField(
        "verified instructor since",
        null=True,
        blank=True,
        help_text="Empty: the account sees no confidential material and runs no class until it is verified.",
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()  # type: ignore[misc]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    @property
    def is_verified_instructor(self) -> bool:
        return self.is_active and (self.verified_at is not None or self.is_superuser)


class InstructorInvitation(models.Model):
    """An administrator allows one address outside INSTRUCTOR_EMAIL_DOMAINS to become a verified instructor
    (once its owner confirms it). Deleting the invitation withdraws it; an account verified stays verified."""

    email = models.EmailField("email address", unique=True)
    invited_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email


class Course(models.Model):
    """A course groups several classes (its sections) that run the same scenarios, to compare them side by
    side. Its instructors are its owner and co-instructors, as a class's are; a class is in one course at
    most, and only its own instructors put it in one (classrooms/courses.py)."""

    name = models.CharField(max_length=120)
    term = models.CharField(max_length=60, blank=True)
    owner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="owned_courses")
    instructors = models.ManyToManyField(User, related_name="courses", help_text="The owner and co-instructors.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.term})" if self.term else self.name


# Join codes avoid characters that look alike on a projector: no I, L, O, 0 or 1.
JOIN_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 6


class Classroom(models.Model):
    name = models.CharField(max_length=120)
    term = models.CharField(max_length=60, blank=True)
    join_code = models.CharField(max_length=12, unique=True)
    is_open = models.BooleanField("open to joining", default=True)
    owner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="owned_classrooms")
    instructors = models.ManyToManyField(User, related_name="classrooms", help_text="The owner and co-instructors.")
    course = models.ForeignKey(
        Course,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sections",
        help_text="The course this class is a section of, if any.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.term})" if self.term else self.name


class CoInstructorInvitation(models.Model):
    """A class's instructor asked a verified instructor to co-teach it; they get no access until they accept."""

    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="coinstructor_invitations")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="coinstructor_invitations")
    invited_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["classroom", "user"], name="one_coinstructor_invitation")]

    def __str__(self) -> str:
        return f"{self.user} invited to {self.classroom}"


class CourseInvitation(models.Model):
    """A course's instructor asked a verified instructor to co-teach it; they get no access until they accept."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="invitations")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="course_invitations")
    invited_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["course", "user"], name="one_course_invitation")]

    def __str__(self) -> str:
        return f"{self.user} invited to {self.course}"


class Student(models.Model):
    """A student of one class. No password: a personal link (a signed token) signs them in."""

    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="students")
    display_name = models.CharField(max_length=80)
    email = models.EmailField(blank=True)
    student_number = models.CharField("student id", max_length=40, blank=True)
    # The current link's secret part; a new one re-issues the link, empty revokes it.
    link_nonce = models.CharField(max_length=32, blank=True)
    joined_via = models.CharField(max_length=10, choices=[("code", "join code"), ("roster", "roster")])
    last_seen_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when this student joined by code with the name of a roster student who had not yet used their
    # link, and said they were not that student: perhaps they were (docs/operations.md).
    possible_duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="possible_duplicates",
        help_text="The roster student of the same name this student said they were not, when they joined.",
    )

    class Meta:
        ordering = ["display_name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["classroom", "email"], condition=~models.Q(email=""), name="student_email_unique_in_class"
            ),
            models.UniqueConstraint(
                fields=["classroom", "student_number"],
                condition=~models.Q(student_number=""),
                name="student_number_unique_in_class",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name


class Exercise(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        RELEASED = "released", _("Roles released")
        LIVE = "live", _("Live")
        ENDED = "ended", _("Ended")

    class PairingRule(models.TextChoices):
        RANDOM = "random", _("Random")
        BALANCED = "balanced", _("Balanced (alternate roles, new partners)")

    class OddRule(models.TextChoices):
        TRIAD = "triad", _("Triad: the extra student observes one side")
        BOT = "bot", _("Bot counterpart (disclosed to the student)")
        INSTRUCTOR = "instructor", _("The instructor takes the seat")

    class Rematch(models.TextChoices):
        """How a round after the first is paired from the round before it (core.pairing.plan_next_round)."""

        REMATCH = "rematch", _("New partners: nobody meets the same partner twice while that can be avoided")
        SWITCH = "switch", _("Switch roles: each pair stays together, each taking the other role")
        KEEP = "keep", _("Keep pairs and roles")

    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="exercises")
    title = models.CharField(max_length=120)
    scenario_version = models.ForeignKey("scenarios.ScenarioVersion", on_delete=models.PROTECT, related_name="+")
    time_limit_minutes = models.PositiveSmallIntegerField(default=30)
    instructions = models.TextField(blank=True)
    pairing_rule = models.CharField(max_length=10, choices=PairingRule.choices, default=PairingRule.RANDOM)
    odd_rule = models.CharField("odd number of students", max_length=10, choices=OddRule.choices, default=OddRule.TRIAD)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    deadline = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True, help_text="Set while the round is paused.")
    ended_at = models.DateTimeField(null=True, blank=True)
    debrief_sent_at = models.DateTimeField(
        null=True, blank=True, help_text="When the class debrief was last sent to a worker (sent again while missing)."
    )
    # Rounds: an exercise may be followed by another round (negotiations/series.py). Every round after the
    # first names the series' first round and its own number; the first round has no series.
    series = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="later_rounds",
        help_text="The first round of the series this round belongs to; empty for a first round.",
    )
    round_number = models.PositiveSmallIntegerField(default=1, help_text="1 for a first round.")
    rematch = models.CharField(
        max_length=10,
        choices=Rematch.choices,
        blank=True,
        help_text="How this round was paired from the round before it; empty for a first round.",
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["series", "round_number"], name="one_exercise_per_round_of_a_series"),
            models.CheckConstraint(
                condition=models.Q(series__isnull=True, round_number=1, rematch="")
                | models.Q(series__isnull=False, round_number__gt=1) & ~models.Q(rematch=""),
                name="round_after_the_first_has_a_series",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class PlanningSheet(models.Model):
    """A student's preparation for one exercise, kept for the debrief."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="planning_sheets")
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="planning_sheets")
    batna = models.DecimalField("my BATNA (points)", max_digits=12, decimal_places=2, null=True, blank=True)
    reservation_value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    target = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    priorities = models.JSONField(default=list, blank=True, help_text="Issue keys, most important first.")
    partner_priorities = models.JSONField(
        default=list, blank=True, help_text="Issue keys, most important to the partner first, as the student guesses."
    )
    notes = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["exercise", "student"], name="one_planning_sheet")]

    def __str__(self) -> str:
        return f"Planning sheet of {self.student} for {self.exercise}"


class EventResolution(models.Model):
    """How an uncertain event of an exercise's scenario came out, for the debrief's realised points: drawn
    by the server from the scenario's stated chances, or set by an instructor (classrooms/resolutions.py)."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="resolutions")
    event = models.CharField(max_length=50, help_text="The event's key in the scenario.")
    outcome = models.CharField(max_length=50, help_text="The key of the outcome that came true.")
    drawn = models.BooleanField(help_text="Drawn by the server (final), rather than set by an instructor.")
    resolved_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    resolved_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["exercise", "event"], name="one_resolution_per_event")]

    def __str__(self) -> str:
        return f"{self.event}: {self.outcome} ({self.exercise})"


class ApiToken(models.Model):
    """A bearer token for the instructor API. Only its SHA-256 is stored; the token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80)
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12, help_text="The token's first characters, to tell tokens apart.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
