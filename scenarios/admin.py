from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext

from core.documents import DocumentError
from core.scenario_document import parse_scenario
from scenarios.messages import described, translated
from scenarios.models import Scenario, ScenarioVersion
from scenarios.services import scenario_version_create


class VersionInline(admin.TabularInline):
    model = ScenarioVersion
    fields = ("number", "title", "source", "created_at", "created_by")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Scenario)
class ScenarioAdmin(admin.ModelAdmin):
    list_display = ("slug", "title", "latest_version", "builtin", "created_at")
    search_fields = ("slug", "versions__title")
    readonly_fields = ("slug", "builtin", "created_at")
    inlines = [VersionInline]

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).prefetch_related("versions")

    @admin.display(description="title")
    def title(self, obj: Scenario) -> str:
        versions = sorted(obj.versions.all(), key=lambda v: v.number)
        return versions[-1].title if versions else ""

    @admin.display(description="latest version")
    def latest_version(self, obj: Scenario) -> int:
        return max((v.number for v in obj.versions.all()), default=0)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a scenario is made by adding its first version


class VersionAddForm(forms.ModelForm):
    class Meta:
        model = ScenarioVersion
        fields = ("document",)
        widgets = {"document": forms.Textarea(attrs={"rows": 40, "cols": 100, "spellcheck": "false"})}

    def clean_document(self) -> str:
        document = self.cleaned_data["document"]
        try:
            self.validated = parse_scenario(document)
        except DocumentError as exc:
            raise forms.ValidationError([described(p) for p in exc.problems]) from None
        return document


@admin.register(ScenarioVersion)
class ScenarioVersionAdmin(admin.ModelAdmin):
    list_display = ("scenario", "number", "title", "source", "created_at", "created_by")
    list_filter = ("scenario",)
    readonly_fields = ("scenario", "number", "title", "digest", "source", "created_at", "created_by", "document")
    form = VersionAddForm

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return self.readonly_fields if obj else ()

    def get_fields(self, request: HttpRequest, obj=None):
        return self.readonly_fields if obj else ("document",)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # versions are immutable: add a new one instead

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: ScenarioVersion, form, change: bool) -> None:
        document = form.cleaned_data["document"]
        result = scenario_version_create(document=document, source="admin", created_by=request.user)
        for warning in result.warnings:
            messages.warning(request, gettext("Warning: %(warning)s") % {"warning": translated(warning)})
        if not result.created:
            messages.info(
                request,
                gettext("The document is identical to version %(number)s; nothing was added.")
                % {"number": result.version.number},
            )
        # Hand the stored version back to the admin so that its redirect and log name the real row.
        obj.pk = result.version.pk
        obj.__dict__.update({k: v for k, v in result.version.__dict__.items() if k != "_state"})
        obj._state.adding = False
