"""The scenario's shape as dataclasses: roles, issues with their options or numeric range, and the
points of each. Built from a document by core.scenario_document, which validates it. The format is
written down in docs/scenarios.md; keep the two together.
"""

from __future__ import annotations

from dataclasses import dataclass
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
class Role:
    key: str
    name: str
    batna: Fraction
    alternative: str
    sheet: str


@dataclass(frozen=True)
class Option:
    key: str
    label: str
    points: dict[str, Fraction]


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
    kind: str  # "options" or "numeric"
    options: tuple[Option, ...] = ()
    minimum: Fraction = Fraction(0)
    maximum: Fraction = Fraction(0)
    step: Fraction = Fraction(1)
    unit: str = ""
    linear: dict[str, Linear] | None = None

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

    def choices(self) -> list[Option]:
        """Every option of the issue; a numeric issue as its grid, keyed by the value."""
        if self.kind == "options":
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
)


@dataclass(frozen=True)
class DebriefQuestion:
    question: str
    figure: str | None = None  # one of DEBRIEF_FIGURES


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

    def role(self, key: str) -> Role:
        for role in self.roles:
            if role.key == key:
                return role
        raise KeyError(key)

    @property
    def role_keys(self) -> tuple[str, ...]:
        return tuple(role.key for role in self.roles)
