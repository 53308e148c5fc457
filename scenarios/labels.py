"""How pages write a scenario's numbers and terms for people: in the page's locale, grouped, with at most
two decimals, as the room's scripts write them (static/js/format.js); a term by its option's label, a
numeric term as its number and unit. Exports and the API keep the plain keys and numbers."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.utils import formats, translation

from core.spec import Issue

DECIMALS = 2


def number_text(value: Fraction | int | float | str, places: int = DECIMALS) -> str:
    """`10100` as "10,100" and `100/3` as "33.33" in English, to at most `places` decimals. Grouping is
    asked for here rather than with USE_THOUSAND_SEPARATOR, which would group every id a template writes
    into a link or an attribute."""
    # A float by its shortest decimal form (1.005, not the binary value just below it), as Intl.NumberFormat
    # reads a number; then halves away from zero, as it rounds.
    exact = Fraction(str(value)) if isinstance(value, float) else Fraction(value)
    step = Decimal(1).scaleb(-places)
    rounded = (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(step, rounding=ROUND_HALF_UP)
    plain = rounded.normalize() if rounded % 1 else rounded.quantize(Decimal(1))
    text = formats.number_format(plain, force_grouping=True)
    return "0" if text == "-0" else text


def percent_text(share: Fraction | int | float | str, places: int = DECIMALS) -> str:
    """A share of 1 as a percentage to at most `places` decimals, as the page's language writes one and
    as Intl.NumberFormat does in the scripts: 0.125 as "12.5%" in English, "12,5 %" in German and Spanish,
    where a no-break space holds the sign to its number (a plain one let a narrow column wrap "25 / %")."""
    number = number_text(Fraction(str(share)) * 100, places)
    if (translation.get_language() or "en").split("-")[0] == "en":
        return f"{number}%"
    return f"{number}\N{NO-BREAK SPACE}%"


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
