"""A count or a limit in a message of the scenario check or the studio is a number, which each reader's
language writes its own way: "500,000" in English, "500.000" in German and Spanish (core.messages.Number)."""

from __future__ import annotations

from django.utils import translation

from core.documents import MAX_DOCUMENT, DocumentError, load_yaml
from core.messages import Number, msg
from scenarios.messages import translated


def test_a_number_is_grouped_in_english_and_a_json_number_for_the_api():
    said = msg("at most %(limit)s", limit=Number(500000))
    assert said == "at most 500,000"
    assert said.as_json() == {"template": "at most %(limit)s", "params": {"limit": 500000}}


def test_a_page_in_german_or_spanish_writes_the_check_s_numbers_its_own_way():
    try:
        load_yaml("x" * (MAX_DOCUMENT + 1))
    except DocumentError as error:
        message = error.problems[0].message
    assert message == "the document has 500,001 characters; at most 500,000 are allowed"
    with translation.override("de"):
        assert "500.001" in translated(message) and "500.000" in translated(message)
    with translation.override("es"):
        assert "500.001" in translated(message) and "500.000" in translated(message)
    with translation.override("en"):
        assert translated(message) == "the document has 500,001 characters; at most 500,000 are allowed"
