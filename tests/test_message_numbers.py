"""A count or a limit in a message of the scenario check or the studio is a number, which each reader's
language writes its own way: "500,000" in English, "500.000" in German and Spanish (core.messages.Number)."""

from __future__ import annotations

import pytest
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


def test_every_count_of_the_check_and_the_throttles_is_a_number_whoever_forgot_to_say_so():
    """docs/api.md: a count or a limit is a JSON number. A plain whole number given to a message is one
    too: the summary's length, the range's values, a throttle's wait."""
    from classrooms.throttles import wait_text
    from core.scenario_document import validate_data
    from tests.scenario_docs import valid

    document = valid()
    document["summary"] = "x" * 50001
    with pytest.raises(DocumentError) as refused:
        validate_data(document)
    long = next(p.message for p in refused.value.problems if p.path == "summary")
    assert long.as_json()["params"] == {"count": 50001, "limit": 1000}  # a summary: 1,000 characters at most
    assert "50,001 characters" in long
    with translation.override("de"):
        assert "50.001" in translated(long)
    assert wait_text(40).as_json() == {"template": "%(seconds)s seconds", "params": {"seconds": 40}}
    assert msg("flag %(on)s", on=True).as_json()["params"] == {"on": "True"}  # a truth is not a count
