from __future__ import annotations

from django.contrib import admin
from django.db import models
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from lti.models import Course, Instructor, Platform, Score, ToolKey


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin):
    """A learning platform registered with Parley (docs/lms.md): what its administrator gave Parley."""

    list_display = ("name", "issuer", "client_id", "trusts_instructors", "is_active", "created_at")
    list_filter = ("is_active", "trusts_instructors")
    search_fields = ("name", "issuer", "client_id")
    readonly_fields = ("tool_urls",)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}  # a platform's URLs are HTTPS
    fieldsets = (
        (None, {"fields": ("name", "is_active", "trusts_instructors")}),
        (
            "What the platform gave Parley",
            {
                "fields": (
                    "issuer",
                    "client_id",
                    "deployment_ids",
                    "auth_login_url",
                    "auth_token_url",
                    "auth_audience",
                    "key_set_url",
                )
            },
        ),
        ("What to give the platform", {"fields": ("tool_urls",)}),
    )

    @admin.display(description="Parley's URLs")
    def tool_urls(self, obj: Platform) -> str:
        rows = [
            ("Login initiation (OIDC)", "lti_login"),
            ("Launch, redirect URI and deep linking", "lti_launch"),
            ("Public key set (JWKS)", "lti_jwks"),
        ]
        return format_html_join(
            mark_safe("<br>"), "{}: https://&lt;this site&gt;{}", ((label, reverse(name)) for label, name in rows)
        )


@admin.register(ToolKey)
class ToolKeyAdmin(admin.ModelAdmin):
    """Parley's own keys: made by `manage.py lti_keys`; the private key is never shown."""

    list_display = ("kid", "is_active", "created_at")
    fields = ("kid", "is_active", "created_at")
    readonly_fields = ("kid", "created_at")

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ("title", "platform", "context_id", "classroom", "roster_synced_at")
    list_filter = ("platform",)
    search_fields = ("title", "context_id")
    readonly_fields = ("platform", "context_id", "classroom", "deployment_id", "roster_synced_at", "roster_summary")
    fields = (*readonly_fields, "title", "memberships_url", "lineitems_url", "ags_scopes")
    formfield_overrides = PlatformAdmin.formfield_overrides


@admin.register(Score)
class ScoreAdmin(admin.ModelAdmin):
    list_display = ("exercise", "learner", "fraction", "status", "attempts", "last_error", "sent_at")
    list_filter = ("status",)
    readonly_fields = ("exercise", "learner", "fraction", "rule", "attempts", "sent_at", "last_error")
    fields = (*readonly_fields, "status", "next_attempt_at")


@admin.register(Instructor)
class InstructorAdmin(admin.ModelAdmin):
    """A platform's user id linked to a Parley account: an administrator links an existing account here when
    its platform does not vouch for its instructors (docs/lms.md, "Who a launch signs in")."""

    list_display = ("user", "platform", "platform_user_id")
    list_filter = ("platform",)
    search_fields = ("user__email", "platform_user_id")
    raw_id_fields = ("user",)
