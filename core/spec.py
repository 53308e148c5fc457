"""The scenario's shape as dataclasses: roles, issues with their options or numeric range, and the
points of each; uncertain events, each role's forecast of them and the contingent issues that pay by
their outcome. Built from a document by core.scenario_document, which validates it. The format is
written down in docs/scenarios.md; keep the two together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction


def exact(value: int | float | Fraction) -> Fraction:
    """The number an author wrote, exactly: 0.1 is one tenth, not its binary neighbour."""
    if isinstance(value, float):
        return Fraction(repr(value))
    return Fraction(value)


def plain(value: Fraction) -> int | float:
    """A Fraction as JSON would want it: an int when whole."""
    if value.denominator == 1:
        return int(value)
    return float(value)


@dataclass(frozen=True)
class Outcome:
    key: str
    label: str


@dataclass(frozen=True)
class Event:
    """An uncertain event a contingent issue pays by: its outcomes and the stated chances of each (the
    instructor's draw at the debrief uses them; each role weighs the outcomes by its own forecast)."""

    key: str
    question: str
    outcomes: tuple[Outcome, ...]
    distribution: dict[str, Fraction]

    def outcome_keys(self) -> tuple[str, ...]:
        return tuple(o.key for o in self.outcomes)

    def label(self, key: str) -> str:
        return next((o.label for o in self.outcomes if o.key == key), key)


@dataclass(frozen=True)
class Role:
    key: str
    name: str
    batna: Fraction
    alternative: str
    sheet: str
    forecasts: dict[str, dict[str, Fraction]] = field(default_factory=dict)  # event -> outcome -> chance
    caution: Fraction = Fraction(0)  # 0 risk-neutral .. 1 weighs only the worst outcome


def certainty_equivalent(by_outcome: dict[str, Fraction], forecast: dict[str, Fraction], caution: Fraction) -> Fraction:
    """The points a role counts for a term paying `by_outcome`: its expectation under its own forecast,
    with `caution` of the weight moved to the worst outcome: (1 - c) * sum q_o * p_o + c * min p_o."""
    expected = sum((forecast[o] * p for o, p in by_outcome.items()), Fraction(0))
    return (1 - caution) * expected + caution * min(by_outcome.values())


@dataclass(frozen=True)
class Option:
    key: str
    label: str
    points: dict[str, Fraction]  # a contingent option: each role's certainty equivalent
    by_outcome: dict[str, dict[str, Fraction]] | None = None  # a contingent option: role -> outcome -> points

    def is_flat(self) -> bool:
        """Pays every role the same whatever the outcome (every option not contingent does)."""
        return self.by_outcome is None or all(len(set(p.values())) == 1 for p in self.by_outcome.values())


@dataclass(frozen=True)
class Linear:
    """Points at the bottom and the top of a numeric range; straight line between."""

    at_min: Fraction
    at_max: Fraction


@dataclass(frozen=True)
class Issue:
    key: str
    name: str
    description: str
    kind: str  # "options", "numeric" or "contingent"
    options: tuple[Option, ...] = ()
    minimum: Fraction = Fraction(0)
    maximum: Fraction = Fraction(0)
    step: Fraction = Fraction(1)
    unit: str = ""
    linear: dict[str, Linear] | None = None
    event: str = ""  # a contingent issue: the key of the event its options pay by

    def grid(self) -> list[Fraction]:
        count = int((self.maximum - self.minimum) / self.step)
        return [self.minimum + i * self.step for i in range(count + 1)]

    def points_at(self, role: str, value: Fraction) -> Fraction:
        assert self.linear is not None
        line = self.linear[role]
        if self.maximum == self.minimum:
            return line.at_min
        share = (value - self.minimum) / (self.maximum - self.minimum)
        return line.at_min + (line.at_max - line.at_min) * share

    def term_points(self, role: str, key: str) -> Fraction:
        """The points of one term of the issue to `role`: an option's key, or a numeric value as text."""
        if self.kind == "numeric":
            return self.points_at(role, Fraction(key))
        return next(option.points[role] for option in self.options if option.key == key)

    def realised_points(self, role: str, key: str, outcome: str) -> Fraction:
        """The points of one term to `role` once the issue's event has come out as `outcome` (a term
        of an issue that is not contingent pays the same whatever happens)."""
        if self.kind != "contingent":
            return self.term_points(role, key)
        option = next(option for option in self.options if option.key == key)
        assert option.by_outcome is not None
        return option.by_outcome[role][outcome]

    def choices(self) -> list[Option]:
        """Every option of the issue; a numeric issue as its grid, keyed by the value."""
        if self.kind != "numeric":
            return list(self.options)
        assert self.linear is not None
        return [
            Option(
                key=format_number(value),
                label=f"{format_number(value)} {self.unit}".strip(),
                points={role: self.points_at(role, value) for role in self.linear},
            )
            for value in self.grid()
        ]


def format_number(value: Fraction) -> str:
    if value.denominator == 1:
        return str(int(value))
    return repr(float(value))


# The debrief's figures a debrief question can name (docs/scenarios.md, "Debrief questions"); the
# debrief page shows each question beside its figure.
DEBRIEF_FIGURES = (
    "outcomes",
    "value-created",
    "best-deal",
    "price",
    "first-offers",
    "meso",
    "price-first",
    "lose-lose",
    "gave-got",
    "partner-priorities",
    "survey",
    "contingent",
    "settlement",
)


@dataclass(frozen=True)
class DebriefQuestion:
    question: str
    figure: str | None = None  # one of DEBRIEF_FIGURES


# The languages a scenario's texts may be written or translated in: the interface's (config/settings.py).
LANGUAGES = ("en", "es", "de")


@dataclass(frozen=True)
class RoleText:
    name: str
    alternative: str
    sheet: str


@dataclass(frozen=True)
class IssueText:
    name: str
    description: str
    unit: str | None  # None: the document's own unit
    options: dict[str, str]  # option key -> label


@dataclass(frozen=True)
class EventText:
    question: str
    outcomes: dict[str, str]  # outcome key -> label


@dataclass(frozen=True)
class Translation:
    """A scenario's texts in another language: everything a student reads, by the keys of the roles, issues,
    options and events, so that the points cannot differ from the document's (core.scenario_translations)."""

    title: str
    summary: str
    situation: str
    roles: dict[str, RoleText]
    issues: dict[str, IssueText]
    events: dict[str, EventText] = field(default_factory=dict)
    debrief_questions: tuple[str, ...] = ()
    teaching_notes: str = ""  # empty: the document's own


@dataclass(frozen=True)
class Scenario:
    slug: str
    title: str
    summary: str
    situation: str
    roles: tuple[Role, ...]
    issues: tuple[Issue, ...]
    teaching_notes: str
    debrief_questions: tuple[DebriefQuestion, ...] = ()
    events: tuple[Event, ...] = ()
    author: str = ""  # who wrote it, as they wish to be credited
    licence: str = ""  # the terms others may use it on, e.g. "CC BY 4.0"
    language: str = "en"  # the language the document is written in
    translations: dict[str, Translation] = field(default_factory=dict)  # language -> its texts

    @property
    def languages(self) -> tuple[str, ...]:
        """The document's language first, then those it is translated into."""
        return (self.language, *self.translations)

    def event(self, key: str) -> Event:
        for event in self.events:
            if event.key == key:
                return event
        raise KeyError(key)

    def contingent_issues(self) -> tuple[Issue, ...]:
        return tuple(issue for issue in self.issues if issue.kind == "contingent")

    def role(self, key: str) -> Role:
        for role in self.roles:
            if role.key == key:
                return role
        raise KeyError(key)

    @property
    def role_keys(self) -> tuple[str, ...]:
        return tuple(role.key for role in self.roles)
