from __future__ import annotations

from django.db import models
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _


class NegotiationQuerySet(models.QuerySet["Negotiation"]):
    def with_offers(self) -> NegotiationQuerySet:
        """Each pair's offers so far as `offers`, counted from its events in the same query."""
        offers = (
            Event.objects.filter(negotiation=OuterRef("pk"), type="offer")
            .order_by()
            .values("negotiation")
            .annotate(count=Count("pk"))
            .values("count")
        )
        return self.annotate(offers=Coalesce(Subquery(offers), 0))


class Negotiation(models.Model):
    """One pair (or triad) of an exercise, negotiating over one scenario version."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        NEGOTIATING = "negotiating", _("Negotiating")
        AGREED = "agreed", _("Agreed")
        IMPASSE = "impasse", _("Impasse")
        SETTLING = "settling", _("Post-settlement round")  # agreed, and looking for a package better for both

    exercise = models.ForeignKey("classrooms.Exercise", on_delete=models.CASCADE, related_name="negotiations")
    number = models.PositiveIntegerField(help_text="The pair's number within its exercise.")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.WAITING)
    created_at = models.DateTimeField(auto_now_add=True)
    # The live state, kept beside the events so that a rule can be checked under one row lock.
    last_seq = models.PositiveIntegerField(default=0, help_text="The sequence number of the latest event.")
    deadline = models.DateTimeField(null=True, blank=True)
    standing = models.JSONField(default=dict, blank=True, help_text="Each role's offer on the table.")
    agreement = models.JSONField(null=True, blank=True, help_text="The agreed package: issue key -> option key.")
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=20, blank=True)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    chat_characters = models.PositiveIntegerField(
        default=0, help_text="Characters of chat stored so far (a negotiation stores a bounded amount)."
    )

    objects = NegotiationQuerySet.as_manager()

    class Meta:
        ordering = ["exercise", "number"]
        constraints = [models.UniqueConstraint(fields=["exercise", "number"], name="negotiation_number_unique")]

    def __str__(self) -> str:
        return f"Pair {self.number}"


class Seat(models.Model):
    """Who sits in a negotiation, in which role. A student has at most one seat per exercise."""

    class Kind(models.TextChoices):
        STUDENT = "student", _("Student")
        OBSERVER = "observer", _("Observer")
        BOT = "bot", _("Bot")
        INSTRUCTOR = "instructor", _("Instructor")

    negotiation = models.ForeignKey(Negotiation, on_delete=models.CASCADE, related_name="seats")
    exercise = models.ForeignKey("classrooms.Exercise", on_delete=models.CASCADE, related_name="seats")
    role_key = models.CharField(max_length=50)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    student = models.ForeignKey(
        "classrooms.Student", null=True, blank=True, on_delete=models.CASCADE, related_name="seats"
    )
    sheet_opened_at = models.DateTimeField(
        null=True, blank=True, help_text="When the student first opened their role sheet (the monitor shows who has)."
    )
    bot_move_at = models.DateTimeField(
        null=True, blank=True, help_text="A bot seat the server plays: when its next move falls due (its claim)."
    )

    class Meta:
        ordering = ["negotiation", "role_key", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["exercise", "student"], name="one_seat_per_student_per_exercise"),
            models.CheckConstraint(
                condition=models.Q(kind__in=["student", "observer"], student__isnull=False)
                | models.Q(kind__in=["bot", "instructor"], student__isnull=True),
                name="seat_student_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} as {self.role_key}"


class Event(models.Model):
    """One step of a negotiation, stored before anyone is told of it. `seq` orders a negotiation's events."""

    negotiation = models.ForeignKey(Negotiation, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    type = models.CharField(max_length=20)
    role = models.CharField(max_length=50, blank=True, help_text="The acting role; empty for the system.")
    seat = models.ForeignKey(Seat, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    payload = models.JSONField(default=dict)
    client_msg_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001  (NULL: no id, not unique)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["negotiation", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["negotiation", "seq"], name="event_seq_unique"),
            models.UniqueConstraint(
                fields=["negotiation", "seat", "client_msg_id"],
                condition=models.Q(client_msg_id__isnull=False),
                name="event_client_msg_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.negotiation} #{self.seq} {self.type}"


class Broadcast(models.Model):
    """A message from the instructor to the whole class during an exercise."""

    exercise = models.ForeignKey("classrooms.Exercise", on_delete=models.CASCADE, related_name="broadcasts")
    text = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.text[:50]


class Settlement(models.Model):
    """An exercise's post-settlement round (Raiffa, 1985), opened by the instructor once pairs have agreed,
    while the exercise runs or after it has ended: its agreed pairs may replace their agreement with a
    package at least as good for both. It is over at `deadline`, when the instructor closes it (or the
    exercise ends), or once every pair has kept or improved."""

    exercise = models.OneToOneField("classrooms.Exercise", on_delete=models.CASCADE, related_name="settlement")
    opened_at = models.DateTimeField()
    deadline = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True, help_text="When its last pair left it.")

    def __str__(self) -> str:
        return f"Post-settlement round of {self.exercise}"


class Outcome(models.Model):
    """A finished pair's debrief metrics (docs/debrief.md), computed by a Celery task when it ends."""

    negotiation = models.OneToOneField(Negotiation, on_delete=models.CASCADE, related_name="outcome")
    data = models.JSONField()
    computed_from_seq = models.PositiveIntegerField(help_text="The last event the metrics were computed from.")
    computed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Outcome of {self.negotiation}"


class Debrief(models.Model):
    """The class debrief of an exercise, computed by a Celery task when the round ends."""

    exercise = models.OneToOneField("classrooms.Exercise", on_delete=models.CASCADE, related_name="debrief")
    data = models.JSONField()
    sources = models.JSONField(help_text="Negotiation id -> the last event seq it was computed from.")
    computed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Debrief of {self.exercise}"
