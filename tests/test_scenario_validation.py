from __future__ import annotations

import pytest

from core.documents import DocumentError
from core.scenario_document import parse_scenario
from tests.scenario_docs import contingent, dump, valid


def refused(document: dict | str) -> list[str]:
    text = document if isinstance(document, str) else dump(document)
    with pytest.raises(DocumentError) as info:
        parse_scenario(text, source="lease.yaml")
    return [p.describe("lease.yaml") for p in info.value.problems]


def test_the_valid_document_is_accepted():
    validated = parse_scenario(dump(valid()))
    assert validated.scenario.slug == "bakery-lease"
    assert validated.scenario.role_keys == ("owner", "baker")
    assert [len(i.choices()) for i in validated.scenario.issues] == [5, 2, 2]
    # Its one warning, that the rent's zone spans the whole range, is tests/test_scenario_check.py's.
    assert [w.split(":")[0] for w in validated.warnings] == ["issues[0] (rent)"]


def test_it_refuses_an_unknown_key_naming_path_and_suggestion():
    doc = valid()
    doc["roles"][1]["batan"] = 3
    messages = refused(doc)
    assert any(m.startswith("lease.yaml: roles[1].batan: unknown key 'batan'; did you mean 'batna'?") for m in messages)


def test_it_refuses_an_unknown_top_level_key():
    doc = valid()
    doc["auther"] = "someone"
    assert any("auther: unknown key 'auther'" in m for m in refused(doc))


def test_it_refuses_a_role_missing_from_a_points_table():
    doc = valid()
    del doc["issues"][1]["options"][0]["points"]["baker"]
    assert refused(doc) == [
        "lease.yaml: issues[1].options[0].points: the points table has no entry for role 'baker' (line 36)"
    ]


def test_it_refuses_a_points_entry_for_a_role_that_does_not_exist():
    doc = valid()
    doc["issues"][2]["options"][1]["points"]["tenant"] = 4
    assert any("issues[2].options[1].points.tenant: 'tenant' is not a role" in m for m in refused(doc))


def test_it_refuses_a_role_missing_from_a_numeric_points_table():
    doc = valid()
    del doc["issues"][0]["points"]["owner"]
    assert any("issues[0].points: the points table has no entry for role 'owner'" in m for m in refused(doc))


def test_it_refuses_duplicate_yaml_keys_with_both_lines():
    text = dump(valid()).replace("title: The Bakery Lease\n", "title: The Bakery Lease\ntitle: Again\n")
    assert refused(text) == ["lease.yaml: title: duplicate key 'title' (the first is on line 2) (line 3)"]


def test_it_refuses_duplicate_option_keys():
    doc = valid()
    doc["issues"][1]["options"][1]["key"] = "one-year"
    assert any(
        "issues[1].options[1].key: duplicate option key 'one-year' (also at issues[1].options[0].key)" in m
        for m in refused(doc)
    )


def test_it_refuses_duplicate_role_and_issue_keys():
    doc = valid()
    doc["issues"][2]["key"] = "term"
    assert any("issues[2].key: duplicate issue key 'term'" in m for m in refused(doc))
    doc = valid()
    doc["roles"][1]["key"] = "owner"
    assert any("roles[1].key: duplicate role key 'owner'" in m for m in refused(doc))


def test_it_refuses_an_issue_without_options():
    doc = valid()
    del doc["issues"][2]["options"]
    assert any("issues[2]: an issue needs at least two options" in m for m in refused(doc))
    doc["issues"][2]["options"] = []
    assert any(
        "issues[2].options: an issue needs at least two options to choose between (got 0)" in m for m in refused(doc)
    )


def test_it_refuses_non_numeric_points():
    doc = valid()
    doc["issues"][2]["options"][0]["points"]["baker"] = "ten"
    messages = refused(doc)
    assert messages == ["lease.yaml: issues[2].options[0].points.baker: must be a number, got text 'ten' (line 51)"]


def test_it_refuses_booleans_infinities_and_huge_numbers_as_points():
    for bad, expected in ((True, "got true/false"), (float("inf"), "finite"), (1e12, "too large")):
        doc = valid()
        doc["roles"][0]["batna"] = bad
        assert any(m.startswith("lease.yaml: roles[0].batna:") and expected in m for m in refused(doc))


def test_it_refuses_a_range_whose_step_does_not_divide_it():
    doc = valid()
    doc["issues"][0]["step"] = 300
    assert refused(doc) == [
        "lease.yaml: issues[0].step: step 300 does not divide the range 1000 to 2000 into whole steps (line 22)"
    ]


def test_it_refuses_a_numeric_range_upside_down_or_with_a_bad_step():
    doc = valid()
    doc["issues"][0]["max"] = 500
    assert any("issues[0].max: max (500) is below min (1000)" in m for m in refused(doc))
    doc = valid()
    doc["issues"][0]["step"] = 0
    assert any("issues[0].step: step must be positive" in m for m in refused(doc))
    doc = valid()
    doc["issues"][0]["step"] = 0.25
    assert any("the range has 4,001 values; at most 2,001" in m for m in refused(doc))


def test_a_decimal_step_that_divides_the_range_is_exact():
    doc = valid()
    doc["issues"][0].update({"min": 0.1, "max": 0.7, "step": 0.1})
    issue = parse_scenario(dump(doc)).scenario.issues[0]
    assert [o.key for o in issue.choices()] == ["0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7"]


def test_it_refuses_more_than_two_roles():
    doc = valid()
    doc["roles"].append({"key": "bank", "name": "Bank", "batna": 0, "alternative": "x", "sheet": "y"})
    assert any("roles: a scenario has exactly 2 roles, this one has 3" in m for m in refused(doc))


def test_it_refuses_yaml_that_does_not_parse_with_its_line():
    text = dump(valid()).replace("summary: A baker rents a shop.", "summary: [A baker rents a shop.")
    (message,) = refused(text)
    assert message.startswith("lease.yaml: (document): the YAML does not parse:")
    assert "(line " in message


def test_it_refuses_an_empty_document_and_a_list_document():
    assert refused("") == ["lease.yaml: (document): the document is empty"]
    assert "must be a mapping" in refused("- a\n- b\n")[0]


def test_it_refuses_missing_required_keys_and_wrong_kinds():
    doc = valid()
    del doc["teaching_notes"]
    doc["roles"][0]["sheet"] = ["not", "text"]
    messages = refused(doc)
    assert any("(document): missing required key 'teaching_notes'" in m for m in messages)
    assert any("roles[0].sheet: must be text, got a list" in m for m in messages)


def test_it_reports_every_problem_at_once():
    doc = valid()
    doc["slug"] = "Not A Slug"
    doc["issues"][1]["options"][0]["points"]["baker"] = "x"
    doc["issues"][0]["step"] = 300
    assert len(refused(doc)) == 3


def test_it_warns_when_no_outcome_beats_both_batnas():
    doc = valid()
    doc["roles"][0]["batna"] = 79
    doc["roles"][1]["batna"] = 80
    validated = parse_scenario(dump(doc))
    (warning,) = validated.warnings
    assert "no outcome beats both BATNAs (owner 79, baker 80)" in warning


# Debrief questions


def test_debrief_questions_are_optional_and_each_may_name_the_figure_that_answers_it():
    assert parse_scenario(dump(valid())).scenario.debrief_questions == ()
    doc = valid()
    doc["debrief_questions"] = [
        {"question": "Who named the first rent, and where did it end?", "figure": "first-offers"},
        {"question": "What would you do differently?"},
    ]
    questions = parse_scenario(dump(doc)).scenario.debrief_questions
    assert [(q.question, q.figure) for q in questions] == [
        ("Who named the first rent, and where did it end?", "first-offers"),
        ("What would you do differently?", None),
    ]


def test_it_refuses_an_unknown_figure_naming_the_question_and_the_figures():
    doc = valid()
    doc["debrief_questions"] = [{"question": "Who opened?", "figure": "first-offer"}, {"question": ""}, "Why?"]
    messages = refused(doc)
    assert any(
        m.startswith(
            "lease.yaml: debrief_questions[0].figure: unknown figure 'first-offer'; did you mean 'first-offers'?"
            " figures: outcomes, value-created, best-deal, price, first-offers, meso, price-first, lose-lose,"
            " gave-got, partner-priorities, survey"
        )
        for m in messages
    ), messages
    assert any(m.startswith("lease.yaml: debrief_questions[1].question: must not be empty") for m in messages)
    assert any(
        m.startswith("lease.yaml: debrief_questions[2]: must be a mapping of keys (question, figure)") for m in messages
    )
    doc["debrief_questions"] = {"question": "Who opened?"}
    assert any("debrief_questions: must be a list of questions, got a mapping" in m for m in refused(doc))
    doc["debrief_questions"] = [{"question": f"Why {i}?"} for i in range(41)]
    assert any("debrief_questions: has 41 questions; the limit is 40" in m for m in refused(doc))


def test_a_scenario_carries_its_author_and_licence_as_text_and_both_are_optional():
    from core.scenario_document import parse_scenario
    from tests.scenario_docs import dump, valid

    document = {**valid(), "author": "Ines Moreau", "licence": "CC BY 4.0"}
    scenario = parse_scenario(dump(document)).scenario
    assert (scenario.author, scenario.licence) == ("Ines Moreau", "CC BY 4.0")
    assert parse_scenario(dump(valid())).scenario.licence == ""
    with pytest.raises(DocumentError) as refused:
        parse_scenario(dump({**valid(), "author": ["a list"], "licence": "x" * 201}))
    assert [(p.path, p.message) for p in refused.value.problems] == [
        ("author", "must be text, got a list"),
        ("licence", "is 201 characters long; the limit is 200"),
    ]


def test_a_required_key_without_a_value_is_refused_at_its_path():
    """`slug:` with nothing after it is YAML's null: a scenario with an empty slug or title was accepted, and
    an option's or a role list's null stopped the validation with an error rather than a problem."""
    for path in (
        ("slug",),
        ("title",),
        ("roles",),
        ("roles", 0, "name"),
        ("issues", 1, "key"),
        ("issues", 1, "options", 0, "label"),
        ("issues", 1, "options", 0, "points"),
    ):
        doc = valid()
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        parent[path[-1]] = None
        shown = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
        assert f"lease.yaml: {shown}: must not be empty" in " | ".join(refused(doc)), path
    batna = valid()
    batna["roles"][0]["batna"] = None
    assert [m for m in refused(batna) if "roles[0].batna" in m] == [
        "lease.yaml: roles[0].batna: must not be empty (line 8)"  # once: the number's check takes it as said
    ]


def test_a_contingent_issue_s_null_points_or_an_event_that_is_not_a_key_is_refused():
    doc = contingent()
    doc["issues"][1]["options"][0]["points"] = None
    assert any("issues[1].options[0].points: must not be empty" in m for m in refused(doc))
    for value in ([], {"a": 1}):
        doc = contingent()
        doc["issues"][1]["event"] = value
        assert any(f"issues[1].event: {value!r} is not an event of this scenario" in m for m in refused(doc))
