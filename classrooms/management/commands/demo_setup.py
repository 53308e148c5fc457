from __future__ import annotations

import os

from django.core.management.base import BaseCommand

from classrooms.models import User
from scenarios.services import builtin_scenarios_load

DEMO_EMAIL = "instructor@parley.example"
DEMO_PASSWORD = "parley-demo"  # noqa: S105  (printed for the demo; never used outside it)


class Command(BaseCommand):
    help = "Prepare the demo: built-in scenarios and a demo instructor whose login is printed. Safe to repeat."

    def handle(self, *args, **options) -> None:
        for result in builtin_scenarios_load():
            self.stdout.write(f"scenario {result.version.scenario.slug} v{result.version.number}")
        user, created = User.objects.get_or_create(
            email=DEMO_EMAIL, defaults={"first_name": "Demo", "last_name": "Instructor", "is_staff": True}
        )
        if created or not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
            user.is_staff = user.is_superuser = True
            user.save()
        host = os.environ.get("DEMO_URL", "http://127.0.0.1:8000")
        self.stdout.write(
            self.style.SUCCESS(
                f"\nParley demo ready at {host}/\n"
                f"  Instructor login: {DEMO_EMAIL}  password: {DEMO_PASSWORD}\n"
                f"  Scenarios:        {host}/scenarios/\n"
                f"  Admin:            {host}/admin/\n"
            )
        )
