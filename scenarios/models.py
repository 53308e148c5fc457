from __future__ import annotations

from django.conf import settings
from django.db import models


class Scenario(models.Model):
    """A scenario is its slug and its versions; the content lives in the versions."""

    slug = models.SlugField(max_length=50, unique=True)
    builtin = models.BooleanField(default=False, help_text="Shipped with Parley and loaded by load_builtin_scenarios.")
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
