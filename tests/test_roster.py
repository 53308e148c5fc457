from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from classrooms.models import Student
from classrooms.services import roster_import


def test_a_roster_creates_students_with_links(classroom):
    result = roster_import(
        classroom=classroom, text="name,email,student id\nAda,ada@x.example,s1\nBen,,s2\nChloe,chloe@x.example,\n"
    )
    assert not result.problems
    assert [s.display_name for s in result.created] == ["Ada", "Ben", "Chloe"]
    assert all(s.link_nonce and s.joined_via == "roster" for s in result.created)


def test_bad_rows_are_reported_by_line_and_nothing_is_imported(classroom):
    text = (
        "name,email,student id\nAda,ada@x.example,s1\n,nobody@x.example,s2\nBen,not-an-email,s3\nCy,ada@x.example,s4\n"
    )
    result = roster_import(classroom=classroom, text=text)
    assert result.problems == [
        "line 3: the name is empty.",
        "line 4: 'not-an-email' is not a valid email address.",
        "line 5: the email ada@x.example is also on line 2.",
    ]
    assert not result.created
    assert not Student.objects.exists()


def test_a_roster_uploaded_twice_skips_who_is_already_there(classroom):
    text = "name,email\nAda,ada@x.example\n"
    roster_import(classroom=classroom, text=text)
    result = roster_import(classroom=classroom, text=text + "Ben,ben@x.example\n")
    assert [s.display_name for s in result.created] == ["Ben"]
    assert result.skipped == ["line 2: Ada is already in the class."]


def test_a_roster_without_a_name_column_says_so(classroom):
    result = roster_import(classroom=classroom, text="email\nada@x.example\n")
    assert result.problems[0].startswith("line 1: the header must name the columns name, email and student id")


def test_semicolons_and_a_byte_order_mark_are_understood(classroom):
    result = roster_import(classroom=classroom, text="\ufeffName;Email;Student ID\nAda;ada@x.example;7\n")
    assert not result.problems
    assert (result.created[0].email, result.created[0].student_number) == ("ada@x.example", "7")


def test_the_roster_page_reports_problems_and_imports_good_files(classroom, instructor_client):
    bad = SimpleUploadedFile("roster.csv", b"name,email\nAda,broken\n", content_type="text/csv")
    response = instructor_client.post(f"/classes/{classroom.pk}/roster/", {"file": bad})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was imported" in page and "line 2: &#x27;broken&#x27; is not a valid email address." in page
    good = SimpleUploadedFile("roster.csv", "name\nAda\nBjörn\n".encode(), content_type="text/csv")
    response = instructor_client.post(f"/classes/{classroom.pk}/roster/", {"file": good})
    assert response.status_code == 302
    assert sorted(Student.objects.values_list("display_name", flat=True)) == ["Ada", "Björn"]


def test_an_empty_upload_says_what_is_missing(classroom, instructor_client):
    response = instructor_client.post(f"/classes/{classroom.pk}/roster/", {})
    assert response.status_code == 400
    assert "Choose a CSV file or paste the roster." in response.content.decode()


def test_text_the_csv_reader_cannot_read_is_a_problem_naming_its_line_not_a_crash(classroom):
    result = roster_import(classroom=classroom, text="name\nAda\n" + "x" * 200_000 + "\n")
    assert result.problems and result.problems[0].startswith("line 3: the line could not be read as CSV")


def test_a_quote_that_never_closes_is_reported_at_the_line_it_opens(classroom):
    result = roster_import(classroom=classroom, text='name,email\nAda,"ada@x.example\nBen,ben@x.example\n')
    assert result.problems == [
        'line 2: the line could not be read as CSV (unexpected end of data): a quote (") opens a field that '
        "never closes."
    ]
    assert not Student.objects.exists()


@pytest.mark.parametrize(
    ("text", "separator", "names"),
    [
        ("name,email,student id\nEmeka Obi,emeka.obi@uni.example\nAda Lovelace,ada@uni.example,5\n", "comma",
         ["Ada Lovelace", "Emeka Obi"]),
        ("Name;Email;Student ID\nEmeka Obi;emeka.obi@uni.example\nAda Lovelace;ada@uni.example;5\n", "semicolon",
         ["Ada Lovelace", "Emeka Obi"]),
        ("name\temail\tstudent id\nEmeka Obi\temeka.obi@uni.example\nAda Lovelace\tada@uni.example\t5\n", "tab",
         ["Ada Lovelace", "Emeka Obi"]),
        ('name;email\n"Obi, Emeka";emeka.obi@uni.example\nAda Lovelace, Jr;ada@uni.example\n', "semicolon",
         ["Ada Lovelace, Jr", "Obi, Emeka"]),
    ],
)  # fmt: skip
def test_the_separator_is_read_from_the_header_whatever_the_lines_hold(classroom, text, separator, names):
    result = roster_import(classroom=classroom, text=text)
    assert not result.problems and result.separator == separator
    assert sorted(Student.objects.values_list("display_name", flat=True)) == names


def test_the_roster_page_says_how_the_file_was_read(classroom, instructor_client):
    upload = SimpleUploadedFile("roster.csv", b"name;email\nEmeka Obi;emeka.obi@uni.example\nAda\n")
    response = instructor_client.post(f"/classes/{classroom.pk}/roster/", {"file": upload}, follow=True)
    assert "2 students added from a semicolon-separated file." in response.content.decode()
    bad = SimpleUploadedFile("roster.csv", b"name\temail\nEmeka Obi\tbroken\n")
    page = instructor_client.post(f"/classes/{classroom.pk}/roster/", {"file": bad}).content.decode()
    assert "Read as a tab-separated file" in page and "line 2: &#x27;broken&#x27; is not a valid" in page


def test_the_roster_page_says_it_in_the_page_language(classroom, instructor_client):
    instructor_client.cookies["django_language"] = "es"
    upload = SimpleUploadedFile("roster.csv", b"name;email\nEmeka Obi;emeka.obi@uni.example\nAda\n")
    response = instructor_client.post(f"/classes/{classroom.pk}/roster/", {"file": upload}, follow=True)
    assert "2 estudiantes añadidos desde un archivo separado por puntos y comas." in response.content.decode()
    bad = SimpleUploadedFile("roster.csv", b"name\temail\nEmi Obi\tbroken\n\tx@uni.example\n")
    page = instructor_client.post(f"/classes/{classroom.pk}/roster/", {"file": bad}).content.decode()
    assert "Leído como archivo separado por tabuladores" in page
    assert "línea 2: «broken» no es una dirección de correo válida." in page
    assert "línea 3: el nombre está vacío." in page
    assert Student.objects.count() == 2  # the two of the good file; none of the bad one


def test_a_class_needs_a_name(instructor):
    from classrooms.services import classroom_create
    from core.refusal import Refused

    with pytest.raises(Refused, match="Give the class a name"):
        classroom_create(owner=instructor, name="   ")


def test_a_utf16_file_from_a_spreadsheet_is_read(classroom, instructor_client):
    upload = SimpleUploadedFile("roster.csv", "name,email\nZoë,zoe@x.example\n".encode("utf-16"))
    response = instructor_client.post(f"/classes/{classroom.pk}/roster/", {"file": upload})
    assert response.status_code == 302
    assert Student.objects.get().display_name == "Zoë"


def test_a_file_that_is_not_text_is_refused_with_advice(classroom, instructor_client):
    upload = SimpleUploadedFile("roster.csv", b"name,email\nA\x81b\x8d\x90,a@x.org\n")
    response = instructor_client.post(f"/classes/{classroom.pk}/roster/", {"file": upload})
    assert response.status_code == 400
    assert "Save the roster as &#x27;CSV UTF-8&#x27;" in response.content.decode()


def test_a_nul_character_is_reported_with_its_line(classroom):
    result = roster_import(classroom=classroom, text="name\nAda\nB\x00en\n")
    assert result.problems == ["line 3: the file contains a NUL character; save it as CSV (UTF-8) and retry."]
    assert not Student.objects.exists()


@pytest.mark.parametrize(
    "text",
    [
        "name;email\rAda Lovelace;ada@uni.example\rEmeka Obi;\r",  # a spreadsheet's CSV for old Macs: CR alone
        "name;email\r\nAda Lovelace;ada@uni.example\r\nEmeka Obi;\r\n",
        "name;email\nAda Lovelace;ada@uni.example\r\nEmeka Obi;\r",
    ],
)
def test_lines_may_end_with_a_carriage_return_alone_or_before_a_line_feed(classroom, text):
    result = roster_import(classroom=classroom, text=text)
    assert not result.problems and result.separator == "semicolon"
    assert sorted(Student.objects.values_list("display_name", flat=True)) == ["Ada Lovelace", "Emeka Obi"]


@pytest.mark.parametrize(
    "text",
    [
        "\x16s\xc2\xefy++\r\x83\U000139b1\x90\x17p",  # what the API's contract test sent
        "name,e\rmail\nAda,ada@uni.example\n",  # a CR alone inside the header of a file whose lines end with LF
    ],
)
def test_a_header_broken_by_a_carriage_return_is_a_problem_not_a_crash(classroom, text):
    result = roster_import(classroom=classroom, text=text)
    assert result.problems and not Student.objects.exists()
