"""Parley as an LTI 1.3 tool: the platforms registered with it, its own signing keys, the nonces it
issued, and what links a platform's courses, people and resource links to Parley's classes, students,
instructors and exercises (docs/lms.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from classrooms.models import Classroom, Exercise, Student


class Platform(models.Model):
    """A learning platform (Canvas, Moodle, Blackboard...) registered by an administrator."""

    name = models.CharField(max_length=120)
    issuer = models.URLField(
        "issuer (iss)", max_length=255, help_text="The platform's issuer, exactly as its tokens name it."
    )
    client_id = models.CharField("client id", max_length=255, help_text="The client id the platform gave Parley.")
    deployment_ids = models.TextField(
        "deployment ids",
        help_text="One per line: the deployments of Parley on this platform whose launches are accepted.",
    )
    auth_login_url = models.URLField("OIDC authentication URL", max_length=500)
    auth_token_url = models.URLField("OAuth2 token URL", max_length=500)
    auth_audience = models.CharField(
        "token audience", max_length=500, blank=True, help_text="Empty: the token URL (as most platforms expect)."
    )
    key_set_url = models.URLField("key set URL (JWKS)", max_length=500)
    trusts_instructors = models.BooleanField(
        "vouches for its instructors",
        default=True,
        help_text="An Instructor launch from this platform signs in a verified Parley instructor. Off: the account "
        "made or linked by the launch waits for an administrator to verify it.",
    )
    is_active = models.BooleanField("active", default=True, help_text="Off: every launch from it is refused.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["issuer", "client_id"], name="lti_platform_issuer_client")]

    def __str__(self) -> str:
        return self.name

    def deployments(self) -> list[str]:
        return [line.strip() for line in self.deployment_ids.splitlines() if line.strip()]


class ToolKey(models.Model):
    """One of Parley's own RSA key pairs (made by `manage.py lti_keys`). The newest active one signs; every
    active one is published in the tool's key set, so that a platform verifies what an older key signed."""

    kid = models.CharField(max_length=64, unique=True)
    private_key = models.TextField(help_text="PEM; never shown.")
    public_key = models.TextField(help_text="PEM.")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.kid


class Nonce(models.Model):
    """A nonce Parley sent with an OIDC login; a launch may use it once, within NONCE_MINUTES."""

    value = models.CharField(max_length=100, unique=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.value


class Course(models.Model):
    """A platform's course (its LTI context), linked to one Parley class, with its services' URLs."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="courses")
    context_id = models.CharField(max_length=255)
    title = models.CharField(max_length=255, blank=True)
    classroom = models.OneToOneField(Classroom, on_delete=models.CASCADE, related_name="lti_course")
    deployment_id = models.CharField(max_length=255)
    memberships_url = models.URLField("names and roles URL", max_length=500, blank=True)
    lineitems_url = models.URLField("line items URL", max_length=500, blank=True)
    ags_scopes = models.JSONField(default=list, blank=True)
    roster_synced_at = models.DateTimeField(null=True, blank=True)
    roster_summary = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "platform course"
        ordering = ["platform", "title"]
        constraints = [models.UniqueConstraint(fields=["platform", "context_id"], name="lti_course_context")]

    def __str__(self) -> str:
        return f"{self.title or self.context_id} ({self.platform})"


class Learner(models.Model):
    """The platform's user id of a student of a linked course: the roster and the launches find them by it."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="learners")
    platform_user_id = models.CharField("user id on the platform", max_length=255)
    student = models.OneToOneField(Student, on_delete=models.CASCADE, related_name="lti_learner")
    in_course = models.BooleanField(default=True, help_text="Off: the platform's roster no longer lists them.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["course", "platform_user_id"], name="lti_learner_user")]

    def __str__(self) -> str:
        return f"{self.platform_user_id} ({self.student})"


class Instructor(models.Model):
    """The platform's user id of a Parley instructor: their launches from that platform sign them in."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="instructors")
    platform_user_id = models.CharField("user id on the platform", max_length=255)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lti_identities")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["platform", "platform_user_id"], name="lti_instructor_user")]

    def __str__(self) -> str:
        return f"{self.platform_user_id} ({self.user})"


class ResourceLink(models.Model):
    """A link placed in a course (by deep linking, or by hand); it opens one exercise once one is chosen."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="resource_links")
    resource_link_id = models.CharField(max_length=255)
    title = models.CharField(max_length=255, blank=True)
    exercise = models.ForeignKey(Exercise, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    lineitem_url = models.URLField("line item URL", max_length=500, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["course", "resource_link_id"], name="lti_resource_link")]

    def __str__(self) -> str:
        return self.title or self.resource_link_id


class Grading(models.Model):
    """How an exercise's results go to a course's gradebook (docs/lms.md, "Grades")."""

    class Rule(models.TextChoices):
        NONE = "none", _("No grade")
        PARTICIPATION = "participation", _("Participation")
        POINTS = "points", _("Own result")
        JOINT = "joint", _("Value created")

    exercise = models.OneToOneField(Exercise, on_delete=models.CASCADE, related_name="lti_grading")
    rule = models.CharField(max_length=16, choices=Rule.choices, default=Rule.NONE)
    lineitem_url = models.URLField("line item URL", max_length=500, blank=True)
    language = models.CharField(
        max_length=16,
        blank=True,
        help_text="The language of the page that set the rule: the grades' failures are written in it.",
    )

    def __str__(self) -> str:
        return f"{self.exercise}: {self.rule}"


class Score(models.Model):
    """One student's grade for one exercise, kept until the platform has taken it (an outbox): a failure is
    recorded, retried with growing waits, and shown to the instructor, and never drops the grade."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed (retrying)")

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="lti_scores")
    learner = models.ForeignKey(Learner, on_delete=models.CASCADE, related_name="scores")
    fraction = models.DecimalField(max_digits=7, decimal_places=6, help_text="From 0 to 1; scaled to the line item.")
    rule = models.CharField(max_length=16, choices=Grading.Rule.choices)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["exercise", "learner"]
        constraints = [models.UniqueConstraint(fields=["exercise", "learner"], name="lti_one_score")]

    def __str__(self) -> str:
        return f"{self.learner}: {self.fraction} ({self.status})"
