"""Errors the user must fix (exit 2) and errors of the target or the network."""

from __future__ import annotations


def printable(text: str, limit: int | None = None) -> str:
    """Target text for a terminal or a message: control characters (ESC, NUL, BEL, ...)
    escaped as \\xNN, never sent raw; cut at ``limit`` characters with an ellipsis."""
    out = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return out if limit is None or len(out) <= limit else out[: limit - 1] + "…"


class UsageError(Exception):
    """Bad input from the user: a profile, target file, URL or option.

    ``str()`` gives one line: ``where: field: what is wrong``.
    """

    def __init__(self, message: str, *, source: str | None = None, line: int | None = None,
                 field: str | None = None):
        self.message = message
        self.source = source
        self.line = line
        self.field = field
        super().__init__(self.one_line())

    def one_line(self) -> str:
        where = ""
        if self.source:
            where = self.source + (f":{self.line}" if self.line else "")
        parts = [p for p in (where, self.field, self.message) if p]
        return ": ".join(parts).replace("\n", " ")


class TransportError(Exception):
    """The target could not be reached or did not answer within the bounds."""

    def __init__(self, message: str, exchange_id: str | None = None):
        self.exchange_id = exchange_id
        super().__init__(message)


class NotRecorded(TransportError):
    """Judging a run again: the check needs an exchange the run never recorded (a probe a new
    profile version adds, or one rejudge cannot replay); the row is INCONCLUSIVE."""


class BudgetSpent(TransportError):
    """The run's time budget is spent: the request was not sent (the row is undecided, the
    target is not at fault)."""
