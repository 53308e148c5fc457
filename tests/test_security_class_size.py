"""An anonymous visitor with a class's code, or a hostile instructor with rosters, cannot grow a class without
bound: every page, sheet and sending of the class costs the server by its size (docs/operations.md)."""

from __future__ import annotations

from django.test import Client

from classrooms import services
from classrooms.models import Student


def test_a_class_holds_at_most_its_limit_of_students_however_they_come(classroom, instructor_client, monkeypatch):
    default = getattr(services, "MAX_CLASS_STUDENTS", None)
    monkeypatch.setattr(services, "MAX_CLASS_STUDENTS", 3, raising=False)
    assert not services.roster_import(classroom=classroom, text="name\nAda\nBen\n").problems
    refused = services.roster_import(classroom=classroom, text="name\nChloe\nDev\n")
    assert refused.problems == [
        "The class would have 4 students with these 2: a class holds at most 3. Nothing was added."
    ]
    assert not refused.created and classroom.students.count() == 2
    joined = Client().post("/join", {"code": classroom.join_code, "display_name": "Chloe"})
    assert joined.status_code == 302
    full = Client().post("/join", {"code": classroom.join_code, "display_name": "Dev"})
    assert full.status_code == 200
    assert "This class is full: it has 3 students, the most a class can hold." in full.content.decode()
    roster = instructor_client.post(f"/classes/{classroom.pk}/roster/", {"text": "name\nEmi\n"})
    assert roster.status_code == 400 and "a class holds at most 3" in roster.content.decode()
    assert sorted(Student.objects.values_list("display_name", flat=True)) == ["Ada", "Ben", "Chloe"]
    assert default == 5000  # as docs/operations.md says
