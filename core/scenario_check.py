"""The scenario check: what a valid scenario's points say it will fail to teach (docs/scenarios.md,
"Warned, not refused"). Each warning names the part of the document at fault by its path, as the
validation's problems do, and says what a class would meet.

- No outcome beats both BATNAs: every pair should end in impasse.
- An issue settled by the BATNAs: every outcome at or above both BATNAs has the same option on it, so
  there is nothing to negotiate on it, however the rest is traded.
- A numeric issue whose zone spans its whole range: with every other issue at the options that give
  the pair the most points together (the trade found), every value of the range is at or above both
  BATNAs, so
  walking away is never credible and claiming value on it has nothing to teach.
- A public text that tells who cares most about what: a sentence of the summary, the situation or an
  issue's description that names a role, an issue that weighs more in that role's points than in the
  other's (the trade the pair should discover), and a word of wanting ("needs", "cares", "matters",
  "priority", ...). Read in English, by words; a warning for the author to read the sentence again, not
  a proof.

All exact, on the scaled integers of core.analysis. Each warning is a core.messages.Message whose template
names the part at fault by its `path` parameter, the text's first words in English.
"""

from __future__ import annotations

import re

from core.analysis import ScoringTable, pareto_frontier
from core.messages import Message, msg
from core.spec import Issue, Scenario, format_number


def scenario_warnings(scenario: Scenario) -> list[Message]:
    table = ScoringTable.from_scenario(scenario)
    da, db = table.batna
    frontier = pareto_frontier(table)
    if not any(p.a > da and p.b > db for p in frontier):
        a, b = scenario.roles
        return [
            msg(
                "%(path)s: no outcome beats both BATNAs (%(a)s %(a_batna)s, %(b)s %(b_batna)s): every pair should end"
                " in impasse",
                path="roles",
                a=a.key,
                a_batna=format_number(a.batna),
                b=b.key,
                b_batna=format_number(b.batna),
            )
        ]
    warnings: list[Message] = []
    for index, issue in enumerate(scenario.issues):
        rest = ScoringTable(table.roles, table.batna, table.columns[:index] + table.columns[index + 1 :], table.scale)
        others = [(p.a, p.b) for p in pareto_frontier(rest)]
        column = table.columns[index]
        open_ = [
            key
            for key, (oa, ob) in zip(column.option_keys, column.points, strict=True)
            if any(a + oa >= da and b + ob >= db for a, b in others)
        ]
        if len(column.option_keys) > 1 and len(open_) == 1:
            warnings.append(
                msg(
                    "%(path)s (%(issue)s): every outcome at or above both BATNAs has %(option)s: the BATNAs settle"
                    " this issue, and there is nothing to negotiate on it",
                    path=f"issues[{index}]",
                    issue=issue.key,
                    option=_option(issue, open_[0]),
                )
            )
        if issue.kind == "numeric" and _distributive(column.points):
            best_a = best_b = 0
            for other in rest.columns:  # each other issue at its most points together (ties: the first)
                oa, ob = max(other.points, key=lambda p: p[0] + p[1])
                best_a, best_b = best_a + oa, best_b + ob
            values = [(best_a + oa >= da and best_b + ob >= db) for oa, ob in column.points]
            if all(values):
                low, high = issue.choices()[0].label, issue.choices()[-1].label
                warnings.append(
                    msg(
                        "%(path)s (%(issue)s): with every other issue at its most points for the pair together, every"
                        " value from %(low)s to %(high)s is at or above both BATNAs: walking away is never credible,"
                        " and claiming value on this issue has nothing to teach; raise a BATNA or narrow the range",
                        path=f"issues[{index}]",
                        issue=issue.key,
                        low=low,
                        high=high,
                    )
                )
    return warnings + text_warnings(scenario, table)


WANTING = re.compile(
    r"\b(needs?|wants?|cares?|caring|values?|matters?|mostly|priorit(?:y|ies)|important|interested|prefers?"
    r"|most of all|above all|only use)\b",
    re.IGNORECASE,
)
SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|\n\s*\n|\n\s*[-*#]")


def text_warnings(scenario: Scenario, table: ScoringTable) -> list[Message]:
    """Sentences of the public texts that tie a role to an issue it weighs more than its partner does."""
    weights = [_weights(table, side) for side in (0, 1)]
    leans: list[tuple[str, tuple[str, ...], int, int]] = []  # (role name, words of an issue, issue, side)
    for side, role in enumerate(scenario.roles):
        for index, issue in enumerate(scenario.issues):
            if weights[side][index] > weights[1 - side][index]:
                leans.append((role.name, _issue_words(issue), index, side))
    texts = [("summary", scenario.summary), ("situation", scenario.situation)]
    texts += [(f"issues[{i}].description", issue.description) for i, issue in enumerate(scenario.issues)]
    warnings: list[Message] = []
    for path, text in texts:
        told: set[tuple[int, int]] = set()
        for sentence in SENTENCE_END.split(text):
            plain_sentence = " ".join(sentence.split())
            if not WANTING.search(plain_sentence):
                continue
            for role_name, words, index, side in leans:
                role = scenario.roles[side]
                if (index, side) in told or not _names(plain_sentence, (role_name, role.key)):
                    continue
                if _names(plain_sentence, words):
                    told.add((index, side))
                    issue = scenario.issues[index]
                    warnings.append(
                        msg(
                            '%(path)s: "%(sentence)s" may tell the class that %(name)s (%(issue)s) weighs more for'
                            " %(role)s (%(role_key)s) than for the other side: that is the trade a pair should discover"
                            " by asking; move it to the role's confidential sheet",
                            path=path,
                            sentence=_clip(plain_sentence),
                            name=issue.name,
                            issue=issue.key,
                            role=role.name,
                            role_key=role.key,
                        )
                    )
    return warnings


def _weights(table: ScoringTable, side: int) -> list[float]:
    """Each issue's share of a role's points: the spread between its best and worst option, over the sum."""
    spreads = [max(p[side] for p in c.points) - min(p[side] for p in c.points) for c in table.columns]
    total = sum(spreads) or 1
    return [spread / total for spread in spreads]


def _issue_words(issue: Issue) -> tuple[str, ...]:
    """What names an issue in a text: its name, its key as words, its options' labels (numeric ones aside)."""
    words = [issue.name, issue.key.replace("-", " ").replace("_", " ")]
    if issue.kind == "options":
        words += [option.label for option in issue.options]
    return tuple(w for w in words if len(w.strip()) >= 3)


def _names(sentence: str, words: tuple[str, ...]) -> bool:
    return any(re.search(rf"\b{re.escape(w.strip())}\b", sentence, re.IGNORECASE) for w in words if w.strip())


def _clip(sentence: str, limit: int = 120) -> str:
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rstrip() + "…"


def _distributive(points: tuple[tuple[int, int], ...]) -> bool:
    """One side's points rise along the range while the other's fall: what one gains the other gives."""
    (a0, b0), (a1, b1) = points[0], points[-1]
    return (a1 - a0) * (b1 - b0) < 0


def _option(issue: Issue, key: str) -> str:
    for option in issue.choices():
        if option.key == key:
            return f"'{option.label}'"
    return f"'{key}'"
