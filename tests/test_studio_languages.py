"""The scenario check's problems and warnings and the studio's refusals in the page's language
(docs/operations.md, "Languages"): the API answers in English with each message's template and parameters
(docs/api.md, "Messages to translate"), the studio's page carries the translations of every template, and
the two together say the message in German or Spanish, with paths, keys and values as typed. The pages that
translate on the server (the admin's new version, the Markdown preview) do so too."""

from __future__ import annotations

import ast
import json
import pickle
import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from core.documents import DocumentError
from core.messages import Message, localised, msg, templates_in
from core.scenario_document import parse_scenario
from core.studio import analyse_draft
from scenarios import studio
from scenarios.admin import VersionAddForm
from scenarios.messages import SOURCES, catalogue, templates, translated
from tests.scenario_docs import dump, valid

PLACEHOLDER = re.compile(r"%\(\w+\)s|%%")
LOCALE = Path(settings.BASE_DIR) / "locale"


def rebuilt(given: dict) -> Message:
    """A message as the API gives it (`template`, `params`), as core made it."""
    params = {k: rebuilt(v) if isinstance(v, dict) else v for k, v in given["params"].items()}
    return Message(given["template"], params)


def page_json(page: str, element: str) -> dict:
    opening = f'<script id="{element}" type="application/json">'
    start = page.index(opening) + len(opening)
    return json.loads(page[start : page.index("</script>", start)])


def said(given: dict, translations: dict[str, str]) -> str:
    """What the studio's script shows (static/js/studio_doc.js, localise): the template's translation from the
    page, the parameters put in."""
    return localised(rebuilt(given), lambda template: translations.get(template, template))


@pytest.fixture
def page(instructor):
    def client(language: str) -> Client:
        made = Client(headers={"accept-language": language})
        made.force_login(instructor)
        return made

    return client


EXPECTED = {
    "de": {
        "problem": "muss eine Zahl sein, gefunden: der Text 'zehn'",
        "warning": "issues[0] (rent): Stehen alle anderen Verhandlungspunkte bei den meisten gemeinsamen Punkten "
        "des Paares, erreicht jeder Wert von 1000 EUR bis 2000 EUR beide BATNAs",
        "stale": "Dieser Entwurf wurde inzwischen anderswo gespeichert (Revision 2, nicht 1): Laden Sie ihn neu und "
        "nehmen Sie die Änderung noch einmal vor.",
        "publish": "Der Entwurf hat zuerst 1 Problem zu beheben; das erste: roles[0].batna: muss eine Zahl sein, "
        "gefunden: der Text 'zehn'",
        "unknown": "unbekannter Schlüssel 'batan'; meinten Sie 'batna'?",
    },
    "es": {
        "problem": "debe ser un número, recibido: el texto 'zehn'",
        "warning": "issues[0] (rent): con cada una de las demás cuestiones en su máximo de puntos para la pareja, "
        "todos los valores de 1000 EUR a 2000 EUR alcanzan ambas BATNA",
        "stale": "Este borrador se ha guardado en otro sitio desde entonces (revisión 2, no 1): recárgalo y vuelve "
        "a hacer el cambio.",
        "publish": "El borrador tiene 1 problema que corregir antes; el primero: roles[0].batna: debe ser un número, "
        "recibido: el texto 'zehn'",
        "unknown": "clave desconocida 'batan'; ¿querías decir 'batna'?",
    },
}


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["de", "es"])
def test_a_problem_a_warning_and_a_refusal_in_the_studio_pages_language(page, instructor, language):
    client = page(language)
    draft = studio.draft_create(owner=instructor, document=valid())
    html = client.get(f"/scenarios/drafts/{draft.pk}/").content.decode()
    assert f'<html lang="{language}">' in html
    translations = page_json(html, "check-messages")
    expected = EXPECTED[language]

    def post(url: str, body: dict, method: str = "post"):
        return getattr(client, method)(url, body, content_type="application/json")

    # A problem beside its field: the API's English, with the template the page translates.
    typo = valid()
    typo["roles"][0]["batna"] = "zehn"
    typo["roles"][1]["batan"] = typo["roles"][1].pop("batna")
    answer = post("/api/scenario-analysis", {"document": typo}).json()
    problems = {p["path"]: p for p in answer["problems"]}
    number = problems["roles[0].batna"]
    assert number["message"] == "must be a number, got text 'zehn'"  # the API stays English
    assert said(number, translations) == expected["problem"]
    assert said(problems["roles[1].batan"], translations) == expected["unknown"]
    for problem in answer["problems"]:
        assert str(rebuilt(problem)) == problem["message"]

    # A warning, its path kept for the link to its field.
    good = post("/api/scenario-analysis", {"document": valid()}).json()
    [warning] = good["warning_details"]
    assert good["warnings"] == [warning["message"]] and warning["params"]["path"] == "issues[0]"
    assert said(warning, translations).startswith(expected["warning"])

    # The studio's refusals: a stale save, a publication with problems.
    url = f"/api/scenario-drafts/{draft.pk}"
    assert post(url, {"document": typo, "revision": 1}, "put").status_code == 200
    stale = post(url, {"document": valid(), "revision": 1}, "put")
    assert stale.status_code == 400 and stale.json()["detail"].startswith("This draft was saved elsewhere")
    assert said(stale.json(), translations) == expected["stale"]
    typo["roles"][1]["batna"] = typo["roles"][1].pop("batan")
    assert post(url, {"document": typo, "revision": 2}, "put").status_code == 200
    refused = post(f"{url}/publish", {})
    assert refused.status_code == 400 and refused.json()["detail"].startswith("The draft has 1 problem")
    assert said(refused.json(), translations) == expected["publish"]


@pytest.mark.django_db
def test_an_english_page_carries_no_translations_and_the_list_carries_them_for_its_imports(page):
    assert page("en").get("/scenarios/").content.decode().count('id="check-messages"') == 1
    assert page_json(page("en").get("/scenarios/").content.decode(), "check-messages") == {}
    german = page_json(page("de").get("/scenarios/").content.decode(), "check-messages")
    assert german["the YAML does not parse: %(reason)s"] == "das YAML lässt sich nicht lesen: %(reason)s"


def test_the_english_text_is_the_template_with_its_parameters():
    got = msg("must be a number, got %(kind)s", kind=msg("text %(value)s", value="'ten'"))
    assert got == "must be a number, got text 'ten'" and isinstance(got, str)
    assert got.as_json() == {
        "template": "must be a number, got %(kind)s",
        "params": {"kind": {"template": "text %(value)s", "params": {"value": "'ten'"}}},
    }
    kept = pickle.loads(pickle.dumps(got))  # noqa: S301 (our own bytes) as a cache keeps it
    assert kept == got and kept.as_json() == got.as_json()
    with translation.override("de"):
        assert translated(got) == "muss eine Zahl sein, gefunden: der Text 'ten'"
        assert translated("plain text") == "plain text"
    # A translation that does not fit its parameters gives the English rather than fail.
    assert localised(got, lambda template: "%(other)s") == "must be a number, got text 'ten'"


def test_the_admins_new_version_names_the_problems_in_the_pages_language():
    document = dump({**valid(), "roles": "nobody"})
    with translation.override("de"):
        form = VersionAddForm(data={"document": document})
        assert not form.is_valid()
        [error] = form.errors["document"]
    assert error.startswith("roles: muss eine Liste von Rollen sein, gefunden: der Text 'nobody' (Zeile ")


@pytest.mark.django_db
def test_the_preview_refuses_a_long_text_in_the_pages_language(page):
    answer = page("de").post("/scenarios/drafts/preview/", {"text": "x" * 50_001})
    assert answer.status_code == 400
    assert answer.json()["detail"] == "Der Text hat 50.001 Zeichen; erlaubt sind höchstens 50.000."


def test_the_import_and_the_analysis_give_the_same_problems():
    """The studio analyses data, the import YAML: the same messages, templates and all."""
    document = {**valid(), "issues": [{"key": "Bad Key", "name": "x"}]}
    with pytest.raises(DocumentError) as refused:
        parse_scenario(dump(document))
    analysed = analyse_draft(document)["problems"]
    assert [(p["path"], p["template"], p["params"]) for p in analysed] == [
        (p.path, p.message.template, p.message.as_json()["params"]) for p in refused.value.problems
    ]


# ---- The catalogue: every template found, translated, its placeholders kept ------------------------------


def test_every_message_gives_its_template_as_a_literal():
    """`make messages` reads the template at the call (the keyword `msg`): a template built at run time would
    never be extracted, and the page would carry no translation of it."""
    found = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "msg":
                first = node.args[0] if node.args else None
                if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                    found.append(f"{path.name}:{node.lineno}")
    assert not found, f"msg() without a literal template: {found}"
    assert templates_in('msg("a %(b)s", b=1)\nother("c")') == {"a %(b)s"}
    assert len(templates()) > 100  # the check's problems and warnings, the studio's refusals


@pytest.mark.parametrize("language", ["es", "de"])
def test_every_template_is_translated_with_its_placeholders(language):
    po = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    entries = {e.msgid: e for e in po if not e.obsolete}
    problems = []
    for template in sorted(templates()):
        entry = entries.get(template)
        if entry is None or not entry.translated() or "fuzzy" in entry.flags:
            problems.append(f"not translated: {template!r}")
        elif sorted(PLACEHOLDER.findall(entry.msgstr)) != sorted(PLACEHOLDER.findall(template)):
            problems.append(f"placeholders changed: {template!r} -> {entry.msgstr!r}")
    assert not problems, f"locale/{language}/LC_MESSAGES/django.po:\n" + "\n".join(problems)
    with translation.override(language):
        served = catalogue()
    # Served to the page: all but those written the same in the language ("%(path)s: %(problem)s").
    same = {t for t in templates() if entries[t].msgstr == t}
    assert set(served) == templates() - same and len(same) < 6
