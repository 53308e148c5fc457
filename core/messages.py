"""Messages that the pure core writes for a person: the scenario check's problems and warnings, the studio's
refusals. A message is its English text, as ever (a `str`), that also keeps its template and parameters, so
that an adapter can say it in the reader's language (docs/operations.md, "Languages") without core knowing
of any translation machinery.

    msg("unknown key '%(key)s'; did you mean '%(close)s'?", key="tittle", close="title")

The template is English with named placeholders, as Django's catalogues write them (`%(name)s`, and `%%` for
a percent sign). `make messages` finds each template by this function's name (scenarios' makemessages is
told the keyword), so every call gives its template as a literal. A parameter is either what the author
typed, a key, a path or a number, kept as it is in every language, or itself a message (a word such as "a
list"), translated as its own template is.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Mapping
from typing import Any


class Number(int):
    """A count or a limit in a message: grouped in the English text ("500,000"), a JSON number in the API, and
    written as the reader's language writes numbers where a page says the message ("500.000" in German)."""

    def __str__(self) -> str:
        return f"{int(self):,}"


class Message(str):
    """The English text; `template` and `params` say it again in another language (`localised`)."""

    template: str
    params: Mapping[str, str | int | Number | Message]

    def __new__(cls, template: str, params: Mapping[str, str | int | Number | Message]) -> Message:
        # Every whole number is a count, a limit or a position: a Number, whoever forgot to say so.
        params = {
            k: Number(v) if isinstance(v, int) and not isinstance(v, bool | Number) else v for k, v in params.items()
        }
        text = super().__new__(cls, template % {key: str(value) for key, value in params.items()})
        text.template = template
        text.params = dict(params)
        return text

    def __reduce__(self) -> tuple[Any, ...]:
        return (Message, (self.template, dict(self.params)))

    def as_json(self) -> dict[str, Any]:
        """`template` and `params`, each parameter a string, a number (a Number) or a message as this same
        object (docs/api.md)."""
        return {"template": self.template, "params": {key: _param_json(value) for key, value in self.params.items()}}


def _param_json(value: str | int | Number | Message) -> Any:
    if isinstance(value, Message):
        return value.as_json()
    if isinstance(value, Number):
        return int(value)
    return str(value)


def msg(template: str, **params: str | int | Number | Message) -> Message:
    return Message(template, params)


def message_json(text: str) -> dict[str, Any]:
    """`template` and `params` of a message; plain text is a template without parameters."""
    if isinstance(text, Message):
        return text.as_json()
    return {"template": text.replace("%", "%%"), "params": {}}


def localised(text: str, translate: Callable[[str], str], number: Callable[[int], str] = str) -> str:
    """`text` in the language of `translate` (a gettext): a Message's template translated and its
    parameters put in, the messages among them translated the same way and its Numbers written by `number`;
    plain text as it is. A translation that does not fit its parameters gives the English text rather than
    fail."""
    if not isinstance(text, Message):
        return text

    def said(value: str | int | Number | Message) -> str:
        if isinstance(value, Message):
            return localised(value, translate, number)
        if isinstance(value, Number):
            return number(int(value))
        return str(value)

    params = {key: said(value) for key, value in text.params.items()}
    try:
        return translate(text.template) % params
    except (KeyError, ValueError, TypeError):
        return str(text)


def templates_in(source: str, name: str = "msg") -> set[str]:
    """The templates that the calls of `name` in a module's source give (its first argument, a literal)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.add(first.value)
    return found


def all_templates(sources: Iterable[str]) -> frozenset[str]:
    return frozenset(template for source in sources for template in templates_in(source))
