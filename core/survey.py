"""The post-negotiation survey: the Subjective Value Inventory (SVI) and its scoring.

The instrument is Curhan, Elfenbein & Xu (2006), "What do people value when they negotiate? Mapping the
domain of subjective value in negotiation", Journal of Personality and Social Psychology 91(3), 493-512.
Sixteen items answered on 1-7, in four subscales of four items: instrumental outcome (items 1-4), self
(5-8), process (9-12) and relationship (13-16). Items 3 and 5 are reverse-scored (8 - answer). A
subscale is the mean of its four items and the global score the mean of all sixteen, after reversal.

The wording below is the project's own, written to keep each item's meaning. No Django here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

CREDIT = (
    "Subjective Value Inventory: Curhan, J. R., Elfenbein, H. A., & Xu, H. (2006). What do people value when "
    "they negotiate? Mapping the domain of subjective value in negotiation. Journal of Personality and Social "
    "Psychology, 91(3), 493-512."
)
LOW, HIGH = 1, 7


def gettext_noop(text: str) -> str:
    """Marks an item's words for the message catalogues (`make messages`, docs/operations.md "Languages"):
    the survey's page shows them in the page's language; here, with no Django, they stay as written."""
    return text


REVERSED = frozenset({3, 5})


@dataclass(frozen=True)
class Subscale:
    key: str
    label: str
    items: tuple[int, ...]


SUBSCALES: tuple[Subscale, ...] = (
    Subscale("instrumental", "Instrumental outcome", (1, 2, 3, 4)),
    Subscale("self", "Self", (5, 6, 7, 8)),
    Subscale("process", "Process", (9, 10, 11, 12)),
    Subscale("relationship", "Relationship", (13, 14, 15, 16)),
)
SUBSCALE_KEYS: tuple[str, ...] = tuple(s.key for s in SUBSCALES)


@dataclass(frozen=True)
class Item:
    number: int
    text: str
    low: str  # what 1 means
    high: str  # what 7 means

    @property
    def reversed(self) -> bool:
        return self.number in REVERSED

    @property
    def subscale(self) -> str:
        return next(s.key for s in SUBSCALES if self.number in s.items)


ITEMS: tuple[Item, ...] = (
    Item(
        1,
        gettext_noop(
            "How satisfied are you with what you got: how well do the terms (or the lack of a deal) serve you?"
        ),
        gettext_noop("Not at all satisfied"),
        gettext_noop("Completely satisfied"),
    ),
    Item(
        2,
        gettext_noop("How satisfied are you with how your result compares with your counterpart's?"),
        gettext_noop("Not at all satisfied"),
        gettext_noop("Completely satisfied"),
    ),
    Item(
        3,
        gettext_noop("Do you feel that you gave away too much, or came out the loser, in this negotiation?"),
        gettext_noop("Not at all"),
        gettext_noop("Very much"),
    ),
    Item(
        4,
        gettext_noop("Do the terms rest on fair, objective standards (such as common practice, precedent or the law)?"),
        gettext_noop("Not at all"),
        gettext_noop("Completely"),
    ),
    Item(
        5,
        gettext_noop("Did you lose face in this negotiation: was your sense of pride hurt?"),
        gettext_noop("Not at all"),
        gettext_noop("Very much"),
    ),
    Item(
        6,
        gettext_noop("Did this negotiation leave you feeling more or less capable as a negotiator?"),
        gettext_noop("Much less"),
        gettext_noop("Much more"),
    ),
    Item(
        7,
        gettext_noop("Did you act in line with your own principles and values?"),
        gettext_noop("Not at all"),
        gettext_noop("Completely"),
    ),
    Item(
        8,
        gettext_noop("How did this negotiation affect the way you see yourself?"),
        gettext_noop("Much worse"),
        gettext_noop("Much better"),
    ),
    Item(
        9,
        gettext_noop("Did your counterpart listen to your concerns?"),
        gettext_noop("Not at all"),
        gettext_noop("Completely"),
    ),
    Item(
        10,
        gettext_noop("Was the way the two of you negotiated fair?"),
        gettext_noop("Not at all fair"),
        gettext_noop("Completely fair"),
    ),
    Item(
        11,
        gettext_noop(
            "How satisfied are you with how easy or hard it was to reach an agreement (or to end without one)?"
        ),
        gettext_noop("Not at all satisfied"),
        gettext_noop("Completely satisfied"),
    ),
    Item(
        12,
        gettext_noop("Did your counterpart take your wishes, views and needs into account?"),
        gettext_noop("Not at all"),
        gettext_noop("Completely"),
    ),
    Item(
        13,
        gettext_noop("Overall, what impression did your counterpart make on you?"),
        gettext_noop("Very negative"),
        gettext_noop("Very positive"),
    ),
    Item(
        14,
        gettext_noop("How satisfied are you with your relationship with your counterpart after this negotiation?"),
        gettext_noop("Not at all satisfied"),
        gettext_noop("Completely satisfied"),
    ),
    Item(
        15,
        gettext_noop("Did this negotiation lead you to trust your counterpart?"),
        gettext_noop("Not at all"),
        gettext_noop("Very much"),
    ),
    Item(
        16,
        gettext_noop("Did this negotiation lay a good foundation for working with your counterpart in the future?"),
        gettext_noop("Not at all"),
        gettext_noop("Completely"),
    ),
)
ITEM_NUMBERS: tuple[int, ...] = tuple(item.number for item in ITEMS)


class SurveyError(ValueError):
    """Answers that cannot be scored; `item` names the first item at fault (None: the set as a whole)."""

    def __init__(self, message: str, item: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.item = item


def check_answers(answers: Mapping[int, int]) -> None:
    """Refuse anything but one whole answer from 1 to 7 for each of the 16 items."""
    unknown = sorted(set(answers) - set(ITEM_NUMBERS))
    if unknown:
        raise SurveyError(f"There is no item {unknown[0]}: items are numbered 1 to {len(ITEMS)}.")
    for number in ITEM_NUMBERS:
        if number not in answers:
            raise SurveyError(f"Item {number} has no answer.", number)
        value = answers[number]
        if isinstance(value, bool) or not isinstance(value, int) or not LOW <= value <= HIGH:
            raise SurveyError(f"Item {number}'s answer must be a whole number from {LOW} to {HIGH}.", number)


def scored(number: int, answer: int) -> int:
    """An item's score: the answer, or 8 - answer for a reversed item."""
    return LOW + HIGH - answer if number in REVERSED else answer


@dataclass(frozen=True)
class Scores:
    subscales: dict[str, Fraction]  # subscale key -> mean of its items after reversal
    global_: Fraction  # mean of all 16 items after reversal

    def as_json(self) -> dict[str, float]:
        data = {key: float(value) for key, value in self.subscales.items()}
        data["global"] = float(self.global_)
        return data


def score(answers: Mapping[int, int]) -> Scores:
    """The four subscale means and the global mean of one complete set of answers (item number -> 1..7)."""
    check_answers(answers)
    values = {number: scored(number, answers[number]) for number in ITEM_NUMBERS}
    subscales = {s.key: Fraction(sum(values[n] for n in s.items), len(s.items)) for s in SUBSCALES}
    return Scores(subscales, Fraction(sum(values.values()), len(values)))


def mean(values: list[Fraction]) -> Fraction | None:
    return sum(values, Fraction(0)) / len(values) if values else None


def mean_scores(all_scores: list[Scores]) -> dict[str, float | None]:
    """Each subscale's and the global mean over respondents; None for nobody."""
    means: dict[str, float | None] = {}
    for key in SUBSCALE_KEYS:
        m = mean([s.subscales[key] for s in all_scores])
        means[key] = None if m is None else float(m)
    g = mean([s.global_ for s in all_scores])
    means["global"] = None if g is None else float(g)
    return means
