from __future__ import annotations

from fractions import Fraction

import markdown as md
import nh3
from django import template
from django.utils.safestring import SafeString, mark_safe

from scenarios.labels import number_text, percent_text

register = template.Library()

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "blockquote", "code", "pre", "hr",
    "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "a",
}  # fmt: skip


def _converter() -> md.Markdown:
    """Markdown without its raw HTML: markup typed in a sheet (`<img ...>`) is shown as the text it is, as in
    every field that is not Markdown."""
    converter = md.Markdown(extensions=["tables", "sane_lists"], output_format="html")
    converter.preprocessors.deregister("html_block")
    converter.inlinePatterns.deregister("html")
    return converter


# The Markdown reader scans from every '[' to its match or the paragraph's end (Python-Markdown issue 798):
# its cost is about the brackets times the text's length, 100 s for 25,000 in 50,000 characters. Past this
# budget (0.3 s) a text's brackets are shown as typed, its links not read; a sheet has a few.
BRACKET_BUDGET = 2_000_000


@register.filter
def markdown(text: str) -> SafeString:
    """Scenario Markdown as HTML, sanitised as well: a document may come from any instructor."""
    text = text or ""
    if text.count("[") * len(text) > BRACKET_BUDGET:
        text = text.replace("[", "&#91;")  # an entity: no backslash typed before it makes it a bracket again
    html = _converter().convert(text)
    # Headings inside a sheet sit below the page's own h1/h2.
    html = html.replace("<h1", "<h3").replace("</h1>", "</h3>")
    return mark_safe(nh3.clean(html, tags=ALLOWED_TAGS, link_rel="noopener noreferrer"))  # noqa: S308


@register.filter
def number(value: Fraction | int | float | str | None) -> str:
    """A number as the page's locale writes it (scenarios/labels.py)."""
    if value is None:
        return "-"
    return number_text(value)


@register.filter
def percent(value: Fraction | int | float) -> str:
    """A chance from 0 to 1 as a percentage in the page's language: 0.25 -> "25%" (en), "25 %" (de, es)."""
    return percent_text(value)


@register.filter
def whole_percent(value: Fraction | int | float | None) -> str:
    """A share as a whole percentage in the page's language, halves away from zero: 0.125 -> "13%"."""
    return "-" if value is None else percent_text(value, places=0)


@register.filter
def versions_upto(latest: int) -> range:
    """Version numbers 1 to `latest`, for a choice between two versions."""
    return range(1, int(latest) + 1)
