"""A few SVG drawing helpers for the presentation's slides (reports/slides.py) and the rounds compared
(reports/roundchart.py): every slide or chart is one self-contained SVG, so the page shows it and a download is
the same file.

Text is escaped here, once; callers pass plain strings. Sizes are in the viewBox's units: a slide is
WIDTH x HEIGHT, shown at about that many pixels on a 1280 x 720 screen.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from html import escape as html_escape

from django.utils import formats

WIDTH, HEIGHT = 1200, 620
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
INK, MUTED, LINE = "#1d2430", "#4a5365", "#c9d0db"
SIDES = ("#1f5fbf", "#b3501a")  # role A, role B: each at least 4.5:1 on white
MARK = "#1b6e3a"
OTHER = "#5f6b7d"  # a group that is neither role (the pairs without a MESO)
TEXT = 26  # the smallest text on a slide (at 1280 x 720: about 26 px)

# What XML 1.0 forbids in a document (control characters, lone surrogates, U+FFFE and U+FFFF): a name in a
# scenario may hold them, and a slide downloaded as a file that has one does not open.
SPACES = re.compile("[ \t\n\r]+")  # where a line may break: not at a no-break space, as str.split() would
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def escape(value: str) -> str:
    """Text as SVG markup: escaped, without the characters XML cannot hold."""
    return html_escape(NOT_XML.sub("", value))


def attrs(**values: object) -> str:
    return "".join(f' {k.rstrip("_").replace("_", "-")}="{escape(str(v))}"' for k, v in values.items() if v is not None)


def text(x: float, y: float, value: object, *, size: int = TEXT, fill: str = INK, **more: object) -> str:
    return f"<text{attrs(x=round(x, 1), y=round(y, 1), font_size=size, fill=fill, **more)}>{escape(str(value))}</text>"


def _title(title: str | None) -> str:
    return f"<title>{escape(title)}</title>" if title else ""


def rect(x: float, y: float, w: float, h: float, fill: str, title: str | None = None, **more: object) -> str:
    box = attrs(x=round(x, 1), y=round(y, 1), width=round(max(w, 0), 1), height=round(max(h, 0), 1))
    return f"<rect{box}{attrs(fill=fill, **more)}>{_title(title)}</rect>"


def line(x1: float, y1: float, x2: float, y2: float, stroke: str = LINE, width: float = 2, **more: object) -> str:
    ends = attrs(x1=round(x1, 1), y1=round(y1, 1), x2=round(x2, 1), y2=round(y2, 1))
    return f"<line{ends}{attrs(stroke=stroke, stroke_width=width, **more)}/>"


def circle(x: float, y: float, r: float, fill: str, title: str | None = None) -> str:
    centre = attrs(cx=round(x, 1), cy=round(y, 1), r=r)
    return f"<circle{centre}{attrs(fill=fill, stroke='#fff', stroke_width=2)}>{_title(title)}</circle>"


def picture(
    ident: str, title: str, description: str, body: Iterable[str], *, width: int, height: int, **more: object
) -> str:
    """An SVG image `width` x `height` on white, with a <title> and a <desc> (its text alternative) that a
    screen reader reads, their ids `ident`-title and `ident`-desc; `more` are the root's attributes."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img"'
        f' aria-labelledby="{ident}-title {ident}-desc"{attrs(**more)} font-family="{FONT}">'
        f'<title id="{ident}-title">{escape(title)}</title><desc id="{ident}-desc">{escape(description)}</desc>'
        f'<rect width="{width}" height="{height}" fill="#fff"/>{"".join(body)}</svg>'
    )


def document(key: str, title: str, description: str, body: Iterable[str]) -> str:
    """A slide: its title drawn at the top, `body` below, with <title> and <desc> for a screen reader
    (the description is the slide's text alternative)."""
    drawn = text(40, 62, title, size=fit(title, 44, bold=True), font_weight=700)
    return picture(
        f"slide-{key}",
        title,
        description,
        [drawn, *body],
        width=WIDTH,
        height=HEIGHT,
        data_slide_svg=key,
        class_="slide-svg",
    )


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high]."""
    if high <= low:
        high = low + 1
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    return [first + i * step for i in range(math.ceil((high - first) / step) + 1)]


def number(value: float) -> str:
    """A figure in the page's locale, grouped: "10,100" and "12.5" in English, "10.100" and "12,5" in German."""
    whole = float(value).is_integer()
    text = formats.number_format(round(value, 0 if whole else 1), decimal_pos=0 if whole else 1, force_grouping=True)
    return "0" if text == "-0" else text


def fit(value: str, size: int, *, bold: bool = False, width: float = WIDTH - 80) -> int:
    """The font size, at most `size` and at least TEXT, at which `value` fits on one line `width` units wide
    (a title or a subtitle in a longer language), by the same estimate of the glyphs' width as `wrap`."""
    per_glyph = 0.62 if bold else 0.56
    return max(TEXT, min(size, int(width / (max(len(value), 1) * per_glyph))))


def wrap(value: str, size: int, width: float, *, bold: bool = False) -> list[str]:
    """`value` broken into lines that fit `width` units at font `size` (an estimate of the glyphs'
    mean width, generous so that a line never runs off the slide)."""
    per_line = max(8, int(width / (size * (0.62 if bold else 0.56))))
    lines: list[str] = []
    for word in SPACES.split(value.strip()):
        if lines and len(lines[-1]) + 1 + len(word) <= per_line:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def paragraph(
    x: float, y: float, value: str, *, size: int = TEXT, width: float = WIDTH - 80, gap: float = 1.3, **more: object
) -> tuple[list[str], float]:
    """`value` wrapped to `width` from (x, y); the text elements and the y below the last line."""
    lines = wrap(value, size, width, bold=more.get("font_weight") == 700)
    out = [text(x, y + i * size * gap, line, size=size, **more) for i, line in enumerate(lines)]
    return out, y + len(lines) * size * gap


def legend(x: float, y: float, entries: Sequence[tuple[str, str]], heading: str = "") -> list[str]:
    """A colour key on one line from (x, y): `heading`, then a swatch and a label per entry; an entry
    that would run off the slide goes on the next line."""
    out = []
    start = x
    if heading:
        out.append(text(x, y, heading, fill=MUTED))
        x += 16 + TEXT * 0.54 * len(heading)
    for colour, label in entries:
        width = 36 + TEXT * 0.54 * len(label)  # the swatch, its gap and the label
        if x + width > WIDTH - 20 and x > start:
            x, y = start, y + 36
        out.append(rect(x, y - 22, 26, 26, colour))
        out.append(text(x + 36, y, label))
        x += width + 30
    return out
