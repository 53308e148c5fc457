from __future__ import annotations

import os

from django.core.management.base import BaseCommand
from django.urls import reverse
from django.utils import timezone

from classrooms import services
from classrooms.models import Classroom, User
from scenarios.services import builtin_scenarios_load

DEMO_EMAIL = "instructor@parley.example"
DEMO_PASSWORD = "parley-demo"  # noqa: S105  (printed for the demo; never used outside it)
DEMO_CLASS = "Demo class"
DEMO_STUDENTS = ["Ada Demo", "Ben Demo", "Chloe Demo", "Dev Demo", "Emi Demo"]


class Command(BaseCommand):
    help = "Prepare the demo: built-in scenarios, a demo instructor and a demo class with students. Safe to repeat."

    def handle(self, *args, **options) -> None:
        for result in builtin_scenarios_load():
            self.stdout.write(f"scenario {result.version.scenario.slug} v{result.version.number}")
        user, created = User.objects.get_or_create(
            email=DEMO_EMAIL, defaults={"first_name": "Demo", "last_name": "Instructor"}
        )
        if created or not user.check_password(DEMO_PASSWORD) or not user.is_superuser or user.verified_at is None:
            user.set_password(DEMO_PASSWORD)
            user.is_staff = user.is_superuser = True
            user.verified_at = user.verified_at or timezone.now()
            user.save()
        classroom = Classroom.objects.filter(owner=user, name=DEMO_CLASS).first()
        if classroom is None:
            classroom = services.classroom_create(owner=user, name=DEMO_CLASS, term="Demo term")
            csv = "name\n" + "\n".join(DEMO_STUDENTS) + "\n"
            services.roster_import(classroom=classroom, text=csv)
        host = os.environ.get("DEMO_URL", "http://127.0.0.1:8000")
        links = []
        for student in classroom.students.all()[:3]:
            if not student.link_nonce:
                services.student_link_reissue(student=student)
            path = reverse("student_link", args=[services.student_link_token(student)])
            links.append(f"  {student.display_name + ':':<12} {host}{path}")
        self.stdout.write(
            self.style.SUCCESS(
                f"\nParley demo ready at {host}/\n"
                f"  Instructor login: {DEMO_EMAIL}  password: {DEMO_PASSWORD}\n"
                f"  Demo class '{DEMO_CLASS}': join code {classroom.join_code} at {host}/join\n"
                "  Student links (open two in different browsers to play both sides):\n" + "\n".join(links) + "\n"
            )
        )
