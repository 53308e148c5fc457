from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from classrooms.access import current_student


def student(request: HttpRequest) -> dict:
    return {"current_student": SimpleLazyObject(lambda: current_student(request))}
