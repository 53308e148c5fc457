"""The post-negotiation survey (the Subjective Value Inventory, core/survey.py): one response per
student seat, one stored answer per item."""

from __future__ import annotations

from django.db import models


class SurveyResponse(models.Model):
    """A student's answers for one exercise; answering again edits it (surveys.services.survey_save)."""

    exercise = models.ForeignKey("classrooms.Exercise", on_delete=models.CASCADE, related_name="survey_responses")
    seat = models.OneToOneField("negotiations.Seat", on_delete=models.CASCADE, related_name="survey_response")
    student = models.ForeignKey("classrooms.Student", on_delete=models.CASCADE, related_name="survey_responses")
    role_key = models.CharField(max_length=50, help_text="The respondent's role, copied from the seat.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["exercise", "seat__negotiation__number", "role_key"]
        constraints = [models.UniqueConstraint(fields=["exercise", "student"], name="one_survey_response")]

    def __str__(self) -> str:
        return f"Survey of {self.student} for {self.exercise}"

    def answer_map(self) -> dict[int, int]:
        return {a.item: a.value for a in self.answers.all()}


class SurveyAnswer(models.Model):
    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="answers")
    item = models.PositiveSmallIntegerField(help_text="The item's number, 1 to 16.")
    value = models.PositiveSmallIntegerField(help_text="The answer as given, 1 to 7 (before any reversal).")

    class Meta:
        ordering = ["response", "item"]
        constraints = [
            models.UniqueConstraint(fields=["response", "item"], name="one_answer_per_item"),
            models.CheckConstraint(condition=models.Q(item__gte=1, item__lte=16), name="survey_item_1_to_16"),
            models.CheckConstraint(condition=models.Q(value__gte=1, value__lte=7), name="survey_value_1_to_7"),
        ]

    def __str__(self) -> str:
        return f"Item {self.item}: {self.value}"


class SurveySkip(models.Model):
    """A student chose not to answer the survey of an exercise: their results are shown without it."""

    exercise = models.ForeignKey("classrooms.Exercise", on_delete=models.CASCADE, related_name="survey_skips")
    student = models.ForeignKey("classrooms.Student", on_delete=models.CASCADE, related_name="survey_skips")
    skipped_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["exercise", "student"], name="one_survey_skip")]

    def __str__(self) -> str:
        return f"{self.student} skipped the survey of {self.exercise}"
