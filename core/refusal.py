"""The one error for a refused action, from the negotiation's rules to every app's services."""

from __future__ import annotations


class Refused(ValueError):
    """A well-formed action that is not allowed now; nothing was written.

    `message` says why, to a person. `field` names the input at fault, when there is one (a form's field,
    an API body's field or query parameter). `code` names the reason for a program: the live protocol's
    error frame carries it (docs/protocol.md).
    """

    def __init__(self, message: str, field: str | None = None, *, code: str = "refused") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code
