"""A scenario document's texts in several languages (docs/scenarios.md, "Translations"): validated with the
path of each problem, and read by a student in their language, with the document's points."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings

from core.documents import DocumentError
from core.scenario_document import load_scenario_file, parse_scenario
from core.scenario_translations import in_language
from core.spec import LANGUAGES, Scenario
from tests.scenario_docs import dump, valid

BUILTIN = Path(settings.BASE_DIR) / "scenarios" / "builtin"


def german() -> dict:
    return {
        "title": "Der Ladenmietvertrag",
        "summary": "Ein Bäcker mietet einen Laden.",
        "situation": "Ein Bäcker will einen **Laden**; eine Eigentümerin hat einen.",
        "roles": {
            "owner": {"name": "Eigentümerin", "alternative": "Ein anderer Mieter.", "sheet": "Er gehört Ihnen."},
            "baker": {"name": "Bäcker", "alternative": "Ein Marktstand.", "sheet": "Sie backen."},
        },
        "issues": {
            "rent": {"name": "Monatsmiete", "unit": "Euro"},
            "term": {"name": "Laufzeit", "options": {"one-year": "Ein Jahr", "five-years": "Fünf Jahre"}},
            "repairs": {"name": "Reparaturen", "options": {"owner-pays": "Sie zahlt", "baker-pays": "Er zahlt"}},
        },
    }


def with_german(**changes) -> dict:
    doc = valid()
    doc["translations"] = {"de": {**german(), **changes}}
    return doc


def refused(document: dict) -> list[str]:
    with pytest.raises(DocumentError) as info:
        parse_scenario(dump(document), source="lease.yaml")
    return [p.describe("lease.yaml") for p in info.value.problems]


def test_the_languages_are_the_interfaces():
    assert list(LANGUAGES) == [code for code, _ in settings.LANGUAGES]


def test_a_translated_document_is_read_in_each_language_with_the_same_points():
    scenario = parse_scenario(dump(with_german())).scenario
    assert scenario.languages == ("en", "de")
    german_lease = in_language(scenario, "de-AT")
    assert german_lease.title == "Der Ladenmietvertrag"
    assert [r.name for r in german_lease.roles] == ["Eigentümerin", "Bäcker"]
    assert [i.name for i in german_lease.issues] == ["Monatsmiete", "Laufzeit", "Reparaturen"]
    assert [o.label for o in german_lease.issues[1].options] == ["Ein Jahr", "Fünf Jahre"]
    assert german_lease.issues[0].unit == "Euro"
    # Only the texts change: keys, points, BATNAs and ranges are the document's.
    for original, translated in zip(scenario.issues, german_lease.issues, strict=True):
        assert [(o.key, o.points) for o in original.options] == [(o.key, o.points) for o in translated.options]
        assert (original.minimum, original.maximum, original.linear) == (
            translated.minimum,
            translated.maximum,
            translated.linear,
        )
    assert [r.batna for r in german_lease.roles] == [r.batna for r in scenario.roles]
    # A language the document does not have falls back to the document's own.
    assert in_language(scenario, "es") is scenario and in_language(scenario, "en") is scenario


def test_an_unknown_language_is_refused_with_the_languages_there_are():
    doc = valid()
    doc["translations"] = {"fr": german(), "dee": german()}
    problems = refused(doc)
    assert "lease.yaml: translations.fr: unknown language 'fr'; languages: en, es, de" in problems[0]
    assert "translations.dee: unknown language 'dee'; did you mean 'de'?" in problems[1]


def test_the_documents_own_language_is_not_a_translation():
    doc = with_german()
    doc["language"] = "de"
    assert any("translations.de: 'de' is the document's own language" in p for p in refused(doc))
    doc["language"] = "klingon"
    assert any("language: unknown language 'klingon'" in p for p in refused(doc))


def test_unknown_keys_are_refused_with_their_paths():
    doc = with_german(titel="Falsch")
    doc["translations"]["de"]["roles"]["tenant"] = {"name": "x", "alternative": "y", "sheet": "z"}
    doc["translations"]["de"]["issues"]["term"]["options"]["ten-years"] = "Zehn Jahre"
    doc["translations"]["de"]["roles"]["owner"]["batna"] = 3
    problems = "\n".join(refused(doc))
    assert "translations.de.titel: unknown key 'titel'; did you mean 'title'?" in problems
    assert "translations.de.roles.tenant: 'tenant' is not a role of this scenario" in problems
    assert "translations.de.issues.term.options.ten-years: 'ten-years' is not an option here" in problems
    assert "translations.de.roles.owner.batna: unknown key 'batna'" in problems  # points are not translated


def test_missing_parts_are_refused_with_their_paths():
    doc = with_german()
    del doc["translations"]["de"]["situation"]
    del doc["translations"]["de"]["roles"]["baker"]
    del doc["translations"]["de"]["roles"]["owner"]["sheet"]
    del doc["translations"]["de"]["issues"]["term"]["options"]["five-years"]
    del doc["translations"]["de"]["issues"]["repairs"]["options"]
    problems = "\n".join(refused(doc))
    assert "translations.de: missing required key 'situation'" in problems
    assert "translations.de.roles: missing the texts of role 'baker'" in problems
    assert "translations.de.roles.owner: missing required key 'sheet'" in problems
    assert "translations.de.issues.term.options: missing the label of option 'five-years'" in problems
    assert "translations.de.issues.repairs: missing required key 'options'" in problems


def test_a_text_or_a_label_without_a_value_is_refused_not_shown_empty():
    doc = with_german()
    doc["translations"]["de"]["title"] = None
    doc["translations"]["de"]["roles"]["owner"]["sheet"] = None
    doc["translations"]["de"]["issues"]["term"]["options"]["five-years"] = None
    problems = "\n".join(refused(doc))
    assert "translations.de.title: must not be empty" in problems
    assert "translations.de.roles.owner.sheet: must not be empty" in problems
    assert "translations.de.issues.term.options.five-years: must not be empty" in problems


def test_debrief_questions_are_translated_one_for_one():
    doc = with_german()
    doc["debrief_questions"] = [{"question": "Who moved first?", "figure": "first-offers"}, {"question": "Why?"}]
    assert any("translations.de: missing required key 'debrief_questions'" in p for p in refused(doc))
    doc["translations"]["de"]["debrief_questions"] = ["Wer hat sich zuerst bewegt?"]
    assert any("must be a list of the 2 debrief questions" in p for p in refused(doc))
    doc["translations"]["de"]["debrief_questions"].append("Warum?")
    scenario = in_language(parse_scenario(dump(doc)).scenario, "de")
    assert [(q.question, q.figure) for q in scenario.debrief_questions] == [
        ("Wer hat sich zuerst bewegt?", "first-offers"),
        ("Warum?", None),
    ]


# The built-in scenarios translated into Spanish and German: each language's title and first role's name.
TRANSLATED = {
    "road-bike": {"es": ("La bicicleta de carretera", "Vendedora"), "de": ("Das Rennrad", "Verkäuferin")},
    "used-car": {"es": ("El coche de segunda mano", "Vendedora"), "de": ("Der Gebrauchtwagen", "Verkäuferin")},
    "orange-dispute": {
        "es": ("La disputa de las naranjas: la última cosecha de Lavessa", "Maison Aubrelle"),
        "de": ("Der Orangenstreit: Die letzte Lavessa-Ernte", "Maison Aubrelle"),
    },
    "job-offer": {"es": ("La oferta de empleo", "Candidata"), "de": ("Das Stellenangebot", "Bewerberin")},
    "supply-contract": {"es": ("El contrato de los tomates", "Productora"), "de": ("Der Tomatenvertrag", "Erzeugerin")},
    "business-sale": {"es": ("El tostadero de café", "Vendedora"), "de": ("Die Kaffeerösterei", "Verkäuferin")},
    "farm-expansion": {"es": ("La granja de al lado", "Agricultora"), "de": ("Der Hof nebenan", "Landwirtin")},
}


def numbers(text: str) -> Counter[str]:
    """Every number a text states, in any language's style: "€10,900" and "10.900 €" both state 10900."""
    return Counter(re.findall(r"\d+", re.sub(r"(?<=\d)[,.](?=\d{3}\b)", "", text)))


def texts(scenario: Scenario) -> dict[str, str]:
    found = {"situation": scenario.situation}
    for role in scenario.roles:
        found |= {f"{role.key}.sheet": role.sheet, f"{role.key}.alternative": role.alternative}
    for issue in scenario.issues:
        labels = [option.label for option in issue.choices()] if issue.kind != "numeric" else []
        found[issue.key] = " ".join([issue.description or "", *labels])
    return found


@pytest.mark.parametrize("slug", TRANSLATED)
def test_the_translated_builtins_state_the_same_numbers_and_points(slug):
    scenario = load_scenario_file(str(BUILTIN / f"{slug}.yaml")).scenario
    assert scenario.languages == ("en", "es", "de")
    english = texts(scenario)
    for language, (title, seller) in TRANSLATED[slug].items():
        translated = in_language(scenario, language)
        assert translated.title == title and translated.roles[0].name.startswith(seller)
        # A student acting on the translated words finds every price, table and total the English states.
        for part, text in texts(translated).items():
            assert numbers(text) == numbers(english[part]), (language, part)
        for role in translated.roles:
            assert f"**{role.batna} " in role.sheet.replace("Punkte", "points").replace("puntos", "points")
        assert [issue.linear for issue in translated.issues] == [issue.linear for issue in scenario.issues]


def test_a_student_reads_the_scenario_in_their_language_and_falls_back_to_the_documents(road_bike_pair):
    from django.conf import settings as conf

    from tests.base import student_client

    exercise, (ada, _ben) = road_bike_pair
    client = student_client(ada)
    client.cookies[conf.LANGUAGE_COOKIE_NAME] = "de"
    page = client.get(f"/s/exercises/{exercise.pk}/").content.decode()
    assert "Preis (700 bis 1.300 EUR)" in page
    assert "Ines Kovač" in page or "Rafael Dunne" in page
    assert "Ihre Alternative" in page and "Your alternative" not in page
    assert '"Preis"' in page  # the room's texts (#room-texts), over the snapshot's English
    client.cookies[conf.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(f"/s/exercises/{exercise.pk}/").content.decode()
    assert "Price (700 to 1,300 EUR)" in page and "Your alternative" in page


def test_the_instructor_sees_the_languages_a_scenario_has(builtin_scenarios, lease, instructor_client):
    page = instructor_client.get("/scenarios/road-bike/").content.decode()
    assert "Students read it in: English, Español, Deutsch" in page
    page = instructor_client.get("/scenarios/bakery-lease/").content.decode()
    assert "Written in English, without translations." in page
