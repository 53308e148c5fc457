from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from classrooms.access import current_student, forget_drafts_now


def student(request: HttpRequest) -> dict:
    # forget_drafts is read, and so spent, where base.html's <body> shows it, on a page the browser opens.
    return {
        "current_student": SimpleLazyObject(lambda: current_student(request)),
        "forget_drafts": SimpleLazyObject(lambda: forget_drafts_now(request)),
    }
