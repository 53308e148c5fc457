from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import models


class Scenario(models.Model):
    """A scenario is its slug and its versions; the content lives in the versions.

    Who sees it (scenarios.access.visible_scenarios): a built-in scenario, or one imported by an
    administrator (no owner), every verified instructor; one published from the studio its owner, and
    every verified instructor once the owner shares it."""

    slug = models.SlugField(max_length=50, unique=True)
    builtin = models.BooleanField(default=False, help_text="Shipped with Parley and loaded by load_builtin_scenarios.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="scenarios",
        help_text="The instructor who published it from the studio; empty for built-in and imported ones.",
    )
    shared = models.BooleanField(
        default=False, help_text="An owned scenario other instructors of this instance may see and use."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug


class ScenarioVersion(models.Model):
    """One immutable version of a scenario document. A change makes a new version; exercises pin one."""

    scenario = models.ForeignKey(Scenario, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    document = models.TextField(help_text="The scenario document in YAML, exactly as it was submitted.")
    digest = models.CharField(max_length=64, help_text="SHA-256 of the document.")
    title = models.CharField(max_length=200)
    source = models.CharField(max_length=300, blank=True, help_text="Where the document came from.")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["scenario__slug", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["scenario", "number"], name="scenario_version_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.scenario.slug} v{self.number}"


class DocumentField(models.TextField):
    """A document as data, stored as its JSON text: PostgreSQL's JSON columns (jsonb) keep a mapping's keys
    in their own order, and a draft keeps the author's (what its YAML and the diff between versions show)."""

    def from_db_value(self, value: str | None, expression: object, connection: object) -> Any:
        return None if value is None else json.loads(value)

    def to_python(self, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value

    def get_prep_value(self, value: Any) -> str | None:
        return None if value is None else json.dumps(value, ensure_ascii=False)


class ScenarioDraft(models.Model):
    """A scenario being written in the studio: its owner's alone, saved as it is typed (valid or not), and
    published as a new version of `scenario` (made on the first publication)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scenario_drafts")
    document = DocumentField(help_text="The scenario document as data, as the studio edits it (JSON, in its order).")
    title = models.CharField(max_length=200, blank=True)
    revision = models.PositiveIntegerField(default=1, help_text="Raised by every save; a stale save is refused.")
    based_on = models.ForeignKey(
        ScenarioVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The version it was adapted from.",
    )  # fmt: skip
    scenario = models.ForeignKey(
        Scenario, null=True, blank=True, on_delete=models.SET_NULL, related_name="drafts",
        help_text="The scenario its publications are versions of.",
    )  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return self.title or f"draft {self.pk}"
