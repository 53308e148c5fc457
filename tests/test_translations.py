"""The interface's languages (docs/operations.md, "Languages"): every marked message is translated in each
language, the committed .mo files say what their .po files say, the translated templates hold no text
outside translation tags, and a page follows the browser's language or the chooser's while the API stays
in English."""

from __future__ import annotations

import gettext
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings
from django.utils import translation

from config.locale import LocaleMiddleware
from tests.base import student_client

ROOT = Path(settings.BASE_DIR)
LOCALE = ROOT / "locale"
LANGUAGES = [code for code, _ in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
DOMAINS = ["django", "djangojs"]
# What `make messages` reads (Makefile, MESSAGE_IGNORES): the project's code, not its tests or tools.
NOT_SCANNED = {".venv", "node_modules", "staticfiles", "tests", "bench", "artifacts", "parley.egg-info", "locale"}
SOURCES = {".py", ".html", ".txt", ".js"}
# The templates whose every word goes through the translation tags: the student's pages, the live room, the
# pages everyone sees, signing up and logging in, the instructor's classes, an exercise's page, transcripts and
# a scenario's page and the list, the studio's editor, the monitor, the class debrief, its slides and the rounds
# compared.
TRANSLATED_TEMPLATES = [
    "base.html",
    "home.html",
    "403.html",
    "404.html",
    "500.html",
    "includes/*.html",
    "student/*.html",
    "negotiations/_room.html",
    "surveys/survey.html",
    "registration/*.html",
    "classrooms/*.html",
    "negotiations/exercise.html",
    "negotiations/_pairs.html",
    "negotiations/confirm.html",
    "negotiations/student_merge.html",
    "negotiations/transcript.html",
    "negotiations/monitor.html",
    "scenarios/detail.html",
    "scenarios/list.html",
    "scenarios/studio.html",
    "reports/debrief.html",
    "reports/_contingent.html",
    "reports/_questions.html",
    "reports/presentation.html",
    "reports/rounds.html",
    "reports/_round_spread.html",
    "reports/_section_mark.html",
    "reports/course.html",
    "reports/course_new.html",
    "lti/*.html",
]
PLACEHOLDER = re.compile(r"%\(\w+\)s|%%")


def catalogue(path: Path) -> polib.POFile:
    return polib.pofile(str(path))


def test_each_language_has_both_catalogues():
    for lang in LANGUAGES:
        for domain in DOMAINS:
            assert (LOCALE / lang / "LC_MESSAGES" / f"{domain}.po").is_file(), f"{lang}: no {domain}.po"


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("domain", DOMAINS)
def test_the_committed_mo_says_what_its_po_says(lang, domain):
    """`make demo` serves the committed .mo files without GNU gettext: each must be compiled from its .po as
    it stands (`make compilemessages` after every change of a .po)."""
    po = catalogue(LOCALE / lang / "LC_MESSAGES" / f"{domain}.po")
    mo_path = LOCALE / lang / "LC_MESSAGES" / f"{domain}.mo"
    assert mo_path.is_file(), f"{mo_path.relative_to(ROOT)} is missing: run make compilemessages"
    with mo_path.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
    expected: dict = {}
    for entry in po.translated_entries():
        key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        if entry.msgid_plural:
            for n, text in entry.msgstr_plural.items():
                expected[(key, int(n))] = text
        else:
            expected[key] = entry.msgstr
    compiled = {k: v for k, v in compiled.items() if k != ""}  # the header
    stale = sorted(str(k) for k in expected.keys() ^ compiled.keys()) + sorted(
        str(k) for k in expected.keys() & compiled.keys() if expected[k] != compiled[k]
    )
    assert not stale, f"{mo_path.relative_to(ROOT)} is not compiled from its .po (make compilemessages): {stale[:5]}"


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> Path:
    """The catalogues as `make messages` would leave them now: the project's sources copied beside a copy of
    locale/, and makemessages run there (it writes beside the files it reads), so the repository is not
    touched."""
    if shutil.which("xgettext") is None or shutil.which("msgmerge") is None:
        reason = "needs GNU gettext (xgettext, msgmerge): apt-get install gettext"
        if os.environ.get("PARLEY_REQUIRE_SERVICES", "") in ("1", "true", "yes"):  # as tests/conftest.py
            pytest.fail(f"PARLEY_REQUIRE_SERVICES is set and this test {reason}", pytrace=False)
        pytest.skip(reason)
    work = tmp_path_factory.mktemp("messages")
    for entry in ROOT.iterdir():
        if entry.name in NOT_SCANNED or entry.name.startswith("."):
            continue
        if entry.is_dir():
            shutil.copytree(
                entry,
                work / entry.name,
                ignore=lambda _d, names: [
                    n for n in names if n == "__pycache__" or ("." in n and Path(n).suffix not in SOURCES)
                ],
            )
        elif entry.suffix in SOURCES:
            shutil.copy(entry, work / entry.name)
    shutil.copytree(LOCALE, work / "locale")
    with override_settings(LOCALE_PATHS=[work / "locale"]):
        mp = pytest.MonkeyPatch()
        mp.chdir(work)
        try:
            for domain in DOMAINS:
                call_command("makemessages", locale=LANGUAGES, domain=domain, no_obsolete=True, verbosity=0)
        finally:
            mp.undo()
    return work / "locale"


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("domain", DOMAINS)
def test_every_message_is_translated(extracted, lang, domain):
    """Fails on a marked message with no translation, or one left fuzzy after its English changed: the .po
    files must be brought up to date (make messages), translated, and compiled (make compilemessages)."""
    po = catalogue(extracted / lang / "LC_MESSAGES" / f"{domain}.po")
    problems = []
    for entry in po:
        if entry.obsolete:
            continue
        where = ", ".join(f"{path}:{line}" for path, line in entry.occurrences[:2])
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {entry.msgid!r} ({where})")
        elif not entry.translated():
            problems.append(f"untranslated: {entry.msgid!r} ({where})")
    assert not problems, f"locale/{lang}/LC_MESSAGES/{domain}.po:\n" + "\n".join(problems)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("domain", DOMAINS)
def test_translations_keep_their_placeholders(lang, domain):
    po = catalogue(LOCALE / lang / "LC_MESSAGES" / f"{domain}.po")
    problems = []
    for entry in po.translated_entries():
        if entry.msgid_plural:  # a form may leave the count out ("one field"), but adds no placeholder
            allowed = set(PLACEHOLDER.findall(entry.msgid + entry.msgid_plural))
            problems += [f"{entry.msgid!r} -> {text!r}" for text in entry.msgstr_plural.values()
                         if not set(PLACEHOLDER.findall(text)) <= allowed]  # fmt: skip
        elif sorted(PLACEHOLDER.findall(entry.msgstr)) != sorted(PLACEHOLDER.findall(entry.msgid)):
            problems.append(f"{entry.msgid!r} -> {entry.msgstr!r}")
    assert not problems, f"locale/{lang}/LC_MESSAGES/{domain}.po: placeholders changed:\n" + "\n".join(problems)


# ---- Text outside translation tags in the translated templates ---------------------------------------

TEXT_ATTRIBUTES = {"aria-label", "title", "placeholder", "alt", "data-region-name", "aria-roledescription"}
ALLOWED = {"Parley"}  # the product's name
WORD = re.compile(r"[^\W\d_]{2,}")
DROPPED = [
    re.compile(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", re.S),
    re.compile(r"{#.*?#}", re.S),
    re.compile(r"{%\s*blocktrans(?:late)?\b.*?{%\s*endblocktrans(?:late)?\s*%}", re.S),
    re.compile(r"{%\s*block main_attrs\s*%}.*?{%\s*endblock\s*%}", re.S),  # the <main> tag's attributes
]
TAG = re.compile(r"{%.*?%}|{{.*?}}", re.S)


class LiteralText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1
        for name, value in attrs:
            if name in TEXT_ATTRIBUTES and value and WORD.search(value):
                self.found.append(f'{name}="{value}"')
            shown = tag == "input" and dict(attrs).get("type") in ("submit", "button", "reset")
            if name == "value" and shown and value and WORD.search(value):
                self.found.append(f'value="{value}"')

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        text = " ".join(data.split())
        if not self.skip and text and any(word not in ALLOWED for word in WORD.findall(text)):
            self.found.append(text)


def literal_text(source: str) -> list[str]:
    for pattern in DROPPED:
        source = pattern.sub(" ", source)
    parser = LiteralText()
    parser.feed(TAG.sub(" ", source))
    parser.close()
    return parser.found


def translated_templates() -> list[Path]:
    base = ROOT / "templates"
    return sorted({path for pattern in TRANSLATED_TEMPLATES for path in base.glob(pattern)})


def test_the_check_finds_text_outside_the_tags():
    assert literal_text('<p>{% translate "Fine" %} Not fine</p>') == ["Not fine"]
    assert literal_text('<button aria-label="Close">{% translate "x" %}</button>') == ['aria-label="Close"']
    assert literal_text("{% blocktranslate %}Fine {{ name }}{% endblocktranslate %} · {{ n }} <b>Parley</b>") == []
    assert literal_text("{# a note #}{% comment %}Notes{% endcomment %}<script>let a = 'b c';</script>") == []
    assert literal_text('{% block main_attrs %} class="wide"{% endblock %}<p>Words</p>') == ["Words"]


@pytest.mark.parametrize("template", translated_templates(), ids=lambda p: str(p.relative_to(ROOT / "templates")))
def test_translated_templates_have_no_text_outside_translation_tags(template):
    found = literal_text(template.read_text())
    assert not found, f"{template.relative_to(ROOT)}: text outside translation tags: {found}"


# ---- The language a page is shown in ---------------------------------------------------------------


def test_the_browser_language_chooses_the_page_language(db):
    page = Client(headers={"accept-language": "de-DE,de;q=0.9,en;q=0.5"}).get("/join")
    html = page.content.decode()
    assert '<html lang="de">' in html
    assert "Einem Kurs beitreten" in html and "Kurscode" in html
    assert page["Content-Language"] == "de"


def test_an_unknown_language_falls_back_to_english(db):
    html = Client(headers={"accept-language": "fi"}).get("/join").content.decode()
    assert '<html lang="en">' in html and "Join a class" in html


def test_the_chooser_sets_the_language_and_returns_to_the_page(db):
    client = Client(headers={"accept-language": "de"})
    answer = client.post("/i18n/setlang/", {"language": "es", "next": "/join"})
    assert answer.status_code == 302 and answer["Location"] == "/join"
    html = client.get("/join").content.decode()
    assert '<html lang="es">' in html and "Unirse a una clase" in html
    # The chooser is a plain form (no script), with the current language selected.
    assert 'action="/i18n/setlang/"' in html and '<option value="es" lang="es" selected>' in html


def test_the_chooser_refuses_to_leave_the_site(db):
    answer = Client().post("/i18n/setlang/", {"language": "de", "next": "https://elsewhere.example/"})
    assert answer.status_code == 302 and answer["Location"] == "/"


def test_the_scripts_catalogue_follows_the_page(db):
    page = Client(headers={"accept-language": "de"}).get("/join").content.decode()
    assert '<script src="/jsi18n/?lang=de"></script>' in page  # before any script of the page's
    answer = Client(headers={"accept-language": "de"}).get("/jsi18n/?lang=de")
    assert "Angebot senden" in answer.content.decode() and "django.gettext" in answer.content.decode()
    assert answer["Cache-Control"] == "max-age=3600"


def test_the_student_page_in_german(started_pair):
    negotiation, students = started_pair
    client = student_client(next(iter(students.values())))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    html = client.get(f"/s/exercises/{negotiation.exercise_id}/").content.decode()
    assert '<html lang="de">' in html
    for text in ("Meine Punkte", "Mein Planungsbogen", "Verhandlung", "Angebot senden", "vertraulich"):
        assert text in html, text
    home = client.get("/s/").content.decode()
    assert "Meine Übungen" in home and "Paar 1" in home and "Begonnen am" in home


def test_the_api_answers_in_english_whatever_the_client_asks():
    """The API's JSON messages stay English (docs/api.md): the page's language is not chosen there."""
    middleware = LocaleMiddleware(lambda request: HttpResponse())
    try:
        for path, expected in (("/api/classes", "en"), ("/join", "de")):
            request = RequestFactory(headers={"accept-language": "de"}).get(path)
            middleware.process_request(request)
            assert (translation.get_language(), request.LANGUAGE_CODE) == (expected, expected), path
            assert translation.gettext("Class code") == ("Kurscode" if expected == "de" else "Class code")
    finally:
        translation.deactivate()


def test_the_survey_is_asked_in_the_page_language():
    from surveys.forms import SurveyForm

    with translation.override("de"):
        rows = SurveyForm().rows()
        assert rows[8]["item"].text == "Hat Ihr Gegenüber auf Ihre Anliegen gehört?"
        assert (rows[0]["item"].low, rows[0]["item"].high) == ("Überhaupt nicht zufrieden", "Völlig zufrieden")
        form = SurveyForm(data={})
        assert not form.is_valid()
        assert form.errors["item_1"] == [
            "Frage 1 hat keine Antwort: Wählen Sie eine Zahl von 1 (überhaupt nicht zufrieden) "
            "bis 7 (völlig zufrieden)."
        ]
    assert SurveyForm().rows()[8]["item"].text == "Did your counterpart listen to your concerns?"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_instructors_translated_pages_render_in_each_language(lang, started_pair, instructor):
    """Every translated instructor page renders in the language, with no English left in its headings
    (a translation whose placeholders did not fit would fall back to English)."""
    from django.test import Client as PageClient

    negotiation, _students = started_pair
    exercise = negotiation.exercise
    client = PageClient(headers={"accept-language": lang})
    client.force_login(instructor)
    pages = {
        "/dashboard/": {"es": "Tus clases", "de": "Ihre Kurse"},
        f"/classes/{exercise.classroom_id}/": {"es": "Subir una lista", "de": "Eine Liste hochladen"},
        f"/classes/{exercise.classroom_id}/links/": {"es": "Enlaces personales", "de": "Persönliche Links"},
        f"/classes/{exercise.classroom_id}/students/merge/": {"es": "Conservar", "de": "Behalten"},
        f"/classes/{exercise.classroom_id}/exercises/new/": {
            "es": "Tiempo límite (minutos)",
            "de": "Zeitlimit (Minuten)",
        },
        f"/exercises/{exercise.pk}/": {"es": "Terminar el ejercicio", "de": "Die Übung beenden"},
        f"/exercises/{exercise.pk}/pairs/{negotiation.number}/": {
            "es": "La negociación empezó",
            "de": "Die Verhandlung begann",
        },
        "/account/tokens/": {"es": "Crear token", "de": "Token anlegen"},
        f"/exercises/{exercise.pk}/monitor/": {"es": "Monitor en directo", "de": "Live-Monitor"},
        "/scenarios/used-car/": {"es": "Mayor ganancia conjunta", "de": "Höchster gemeinsamer Gewinn"},
        "/scenarios/": {"es": "Nuevo escenario", "de": "Neues Szenario"},
    }
    for path, wanted in pages.items():
        answer = client.get(path)
        html = answer.content.decode()
        assert answer.status_code == 200, path
        assert f'<html lang="{lang}">' in html and wanted[lang] in html, path
    anonymous = PageClient(headers={"accept-language": lang})
    for path, wanted in {"/login/": {"es": "¿Has olvidado tu contraseña?", "de": "Passwort vergessen?"},
                         "/signup/": {"es": "Crear cuenta", "de": "Konto anlegen"}}.items():  # fmt: skip
        assert wanted[lang] in anonymous.get(path).content.decode(), path
