"""Autobahn (Daphne's websocket protocol) builds the arguments of its debug log lines on every
connection and every frame it sends, even with debug logging off: txaio drops the line, not the
formatting. Per handshake that was a pprint of the protocol's whole configuration and a dozen coloured
names, about 5 % of the CPU of a join (docs/benchmarks.md, "The join"). `format_lazily()` gives
autobahn formatting helpers that format only when a line is written.
"""

from __future__ import annotations

import pprint
from collections.abc import Callable
from typing import Any

HELPERS = ("pformat", "hltype", "hlval")


class Lazy:
    """A value formatted when it is shown (str, repr or a format string), not when it is made."""

    __slots__ = ("args", "call")

    def __init__(self, call: Callable[..., str], args: tuple[Any, ...]) -> None:
        self.call, self.args = call, args

    def __str__(self) -> str:
        return str(self.call(*self.args))

    __repr__ = __str__

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


def lazily(call: Callable[..., str]) -> Callable[..., Lazy]:
    def lazy(*args: Any) -> Lazy:
        return Lazy(call, args)

    lazy.formats = call  # type: ignore[attr-defined]
    return lazy


def format_lazily() -> None:
    """Autobahn's websocket modules format their debug arguments lazily (once per process)."""
    from autobahn.twisted import websocket as twisted_websocket
    from autobahn.websocket import protocol

    for module in (protocol, twisted_websocket):
        for name in HELPERS:
            helper = getattr(module, name, None)
            if helper is not None and not hasattr(helper, "formats"):
                setattr(module, name, lazily(helper))
    # The one use that is not a log argument: a str() that must stay a str.
    protocol.Timings.__str__ = lambda self: pprint.pformat(self._timings)  # type: ignore[method-assign]
