"""The fixed verdict set and the typed outcomes a check can raise.

Checks never choose a verdict by name: they return (PASS), raise
``CheckFailed`` (FAIL, with expected/actual and the exchanges that showed
it), ``Inconclusive`` (could not decide, with the reason) or ``NotApplicable``
(the target showed it lacks an optional feature). Transport trouble raises
``TransportError`` (ERROR); anything else is a suite defect (ERROR).
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Iterable

from .evidence import Exchange


class Verdict(str, Enum):
    PASS = "PASS"
    FAIL = "FAIL"
    NOT_APPLICABLE = "NOT_APPLICABLE"
    INCONCLUSIVE = "INCONCLUSIVE"
    ERROR = "ERROR"


# how results for one requirement combine: the first present wins
PRECEDENCE = [Verdict.FAIL, Verdict.ERROR, Verdict.INCONCLUSIVE, Verdict.PASS,
              Verdict.NOT_APPLICABLE]


def combine(verdicts: Iterable[Verdict]) -> Verdict | None:
    present = set(verdicts)
    for v in PRECEDENCE:
        if v in present:
            return v
    return None


def _ids(evidence: Iterable[Exchange | str] | Exchange | str | None) -> list[str]:
    if evidence is None:
        return []
    if isinstance(evidence, (Exchange, str)):
        evidence = [evidence]
    return [e.id if isinstance(e, Exchange) else str(e) for e in evidence]


class Outcome(Exception):
    verdict: Verdict

    def __init__(self, message: str, *, evidence: Any = None, requirement: str | None = None):
        self.message = message
        self.evidence = _ids(evidence)
        self.requirement = requirement
        super().__init__(message)


class CheckFailed(Outcome, AssertionError):
    verdict = Verdict.FAIL

    def __init__(self, message: str, *, expected: Any = None, actual: Any = None,
                 evidence: Any = None, requirement: str | None = None):
        self.expected = expected
        self.actual = actual
        super().__init__(message, evidence=evidence, requirement=requirement)


class Inconclusive(Outcome):
    verdict = Verdict.INCONCLUSIVE


class NotApplicable(Outcome):
    verdict = Verdict.NOT_APPLICABLE


def expect(condition: Any, message: str, *, expected: Any = None, actual: Any = None,
           evidence: Any = None, requirement: str | None = None) -> None:
    """Raise ``CheckFailed`` unless ``condition`` holds."""
    if not condition:
        raise CheckFailed(message, expected=expected, actual=actual, evidence=evidence,
                          requirement=requirement)


def short(value: Any, limit: int = 300) -> Any:
    """Bound a value for the report (expected/actual)."""
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
