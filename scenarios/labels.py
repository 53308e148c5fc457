"""How pages write a scenario's numbers and terms for people: in the page's locale, grouped, with at most
two decimals, as the room's scripts write them (static/js/format.js); a term by its option's label, a
numeric term as its number and unit. Exports and the API keep the plain keys and numbers."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.utils import formats

from core.spec import Issue

DECIMALS = 2


def number_text(value: Fraction | int | float | str) -> str:
    """`10100` as "10,100" and `100/3` as "33.33" in English. Grouping is asked for here rather than with
    USE_THOUSAND_SEPARATOR, which would group every id a template writes into a link or an attribute."""
    exact = Fraction(value)
    # Halves away from zero, as Intl.NumberFormat rounds.
    step = Decimal(1).scaleb(-DECIMALS)
    rounded = (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(step, rounding=ROUND_HALF_UP)
    plain = rounded.normalize() if rounded % 1 else rounded.quantize(Decimal(1))
    text = formats.number_format(plain, force_grouping=True)
    return "0" if text == "-0" else text


def term_label(issue: Issue, key: str) -> str:
    """The label of the term `key` of `issue`: an option's label, or a numeric value with its unit."""
    if issue.kind == "numeric":
        return f"{number_text(key)} {issue.unit}".strip()
    for option in issue.options:
        if option.key == key:
            return option.label
    return key


def package_labels(issues: tuple[Issue, ...], package: dict[str, str]) -> list[tuple[str, str]]:
    """A package as (issue name, term label) in the scenario's order of issues."""
    return [(issue.name, term_label(issue, str(package[issue.key]))) for issue in issues if issue.key in package]
