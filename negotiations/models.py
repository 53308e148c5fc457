from __future__ import annotations

from django.db import models


class Negotiation(models.Model):
    """One pair (or triad) of an exercise, negotiating over one scenario version."""

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        NEGOTIATING = "negotiating", "Negotiating"
        AGREED = "agreed", "Agreed"
        IMPASSE = "impasse", "Impasse"

    exercise = models.ForeignKey("classrooms.Exercise", on_delete=models.CASCADE, related_name="negotiations")
    number = models.PositiveIntegerField(help_text="The pair's number within its exercise.")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.WAITING)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["exercise", "number"]
        constraints = [models.UniqueConstraint(fields=["exercise", "number"], name="negotiation_number_unique")]

    def __str__(self) -> str:
        return f"Pair {self.number}"


class Seat(models.Model):
    """Who sits in a negotiation, in which role. A student has at most one seat per exercise."""

    class Kind(models.TextChoices):
        STUDENT = "student", "Student"
        OBSERVER = "observer", "Observer"
        BOT = "bot", "Bot"
        INSTRUCTOR = "instructor", "Instructor"

    negotiation = models.ForeignKey(Negotiation, on_delete=models.CASCADE, related_name="seats")
    exercise = models.ForeignKey("classrooms.Exercise", on_delete=models.CASCADE, related_name="seats")
    role_key = models.CharField(max_length=50)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    student = models.ForeignKey(
        "classrooms.Student", null=True, blank=True, on_delete=models.CASCADE, related_name="seats"
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
