from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from classrooms import accounts
from classrooms.models import InstructorInvitation, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "verified_at", "is_staff", "is_active")
    list_filter = ("verified_at", "is_staff", "is_superuser", "is_active")
    search_fields = ("email", "first_name", "last_name")
    actions = ["verify"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Name", {"fields": ("first_name", "last_name")}),
        ("Instructor", {"fields": ("verified_at",)}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    @admin.action(description="Verify the selected accounts as instructors")
    def verify(self, request, queryset) -> None:  # type: ignore[no-untyped-def]
        for user in queryset:
            accounts.instructor_mark_verified(user=user)
        self.message_user(request, f"{queryset.count()} account(s) verified.", messages.SUCCESS)


@admin.register(InstructorInvitation)
class InstructorInvitationAdmin(admin.ModelAdmin):
    """An address allowed to become a verified instructor although its domain is not listed."""

    list_display = ("email", "invited_by", "created_at")
    search_fields = ("email",)
    fields = ("email",)

    def save_model(self, request, obj, form, change) -> None:  # type: ignore[no-untyped-def]
        obj.email = obj.email.strip().lower()
        if not change:
            obj.invited_by = request.user
        super().save_model(request, obj, form, change)
