"""Existing accounts: superusers and staff are verified instructors (only an administrator can have made
them so); every other account is not, because any of them may have come through the sign-up that was
open to anyone. Their owners confirm their address on their next sign-in (or an administrator verifies
them in the admin); nothing they own is touched."""

from django.db import migrations
from django.db.models import Q
from django.utils import timezone


def verify_administrators(apps, schema_editor):
    User = apps.get_model("classrooms", "User")
    User.objects.filter(Q(is_superuser=True) | Q(is_staff=True), verified_at__isnull=True).update(
        verified_at=timezone.now()
    )


class Migration(migrations.Migration):
    dependencies = [("classrooms", "0004_instructor_verification")]

    operations = [migrations.RunPython(verify_administrators, migrations.RunPython.noop)]
