from __future__ import annotations

from classrooms.models import ApiToken


def test_an_instructor_creates_a_token_sees_it_once_and_deletes_it(instructor_client, instructor):
    page = instructor_client.post("/account/tokens/", {"name": "grading\x00 script"}).content.decode()
    token = ApiToken.objects.get()
    assert token.name == "grading script" and 'id="new-token"' in page and "prl_" in page
    assert "prl_" not in instructor_client.get("/account/tokens/").content.decode().split("Starts with")[0]
    instructor_client.post("/account/tokens/", {"delete": "abc"})
    assert ApiToken.objects.exists()
    instructor_client.post("/account/tokens/", {"delete": str(token.pk)})
    assert not ApiToken.objects.exists()


def test_an_instructor_cannot_delete_another_instructors_token(instructor_client, other_instructor):
    from classrooms.services import api_token_create

    theirs, _ = api_token_create(user=other_instructor, name="theirs")
    instructor_client.post("/account/tokens/", {"delete": str(theirs.pk)})
    assert ApiToken.objects.filter(pk=theirs.pk).exists()
