"""The fixed verdict set and the typed outcomes a check can raise.

Checks never choose a verdict by name: they return (PASS), raise
``CheckFailed`` (FAIL, with expected/actual and the exchanges that showed
it), ``Inconclusive`` (could not decide, with the reason) or ``NotApplicable``
(the target showed it lacks an optional feature). Transport trouble raises
``TransportError`` (ERROR); anything else is a suite defect (ERROR).
"""

from __future__ import annotations

import threading
from dataclasses import KW_ONLY, dataclass, field
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
    """Could not be decided. ``decide`` says what would decide it ("add two identities to
    the target file", "allow writes"): the report lists it next to undecided MUST rows."""
    verdict = Verdict.INCONCLUSIVE

    def __init__(self, message: str, *, evidence: Any = None, requirement: str | None = None,
                 decide: str | None = None):
        self.decide = decide
        super().__init__(message, evidence=evidence, requirement=requirement)


class NotApplicable(Outcome):
    verdict = Verdict.NOT_APPLICABLE


class Ledger:
    """What one running check judged: a PASS needs at least one judgement.

    Every ``expect`` counts as one judgement (``pre=True`` ones are preconditions and do not);
    ``judged(what, n)`` records that n items of a kind were judged (features, requests,
    generated inputs), n=0 included, so a PASS row can say what it rests on."""

    def __init__(self) -> None:
        self.assertions = 0
        self.items: dict[str, int] = {}

    @property
    def empty(self) -> bool:
        return self.assertions == 0 and not any(self.items.values())

    def describe(self) -> str:
        parts = [f"{n} {what}" for what, n in self.items.items()]
        if self.assertions:
            parts.append(f"{self.assertions} assertion{'s' if self.assertions != 1 else ''}")
        return ", ".join(parts) or "nothing"


_ledger: Ledger | None = None
_count_lock = threading.Lock()  # probes fanned out (EvidenceClient.fan_out) may count too


def begin_check() -> Ledger:
    """Start the ledger of the check that runs now (the plugin calls this)."""
    global _ledger
    _ledger = Ledger()
    return _ledger


def end_check() -> Ledger | None:
    global _ledger
    led, _ledger = _ledger, None
    return led


def judged(what: str, n: int = 1) -> None:
    """Record that the running check judged ``n`` items of ``what`` ("features", "requests")."""
    with _count_lock:
        if _ledger is not None:
            _ledger.items[what] = _ledger.items.get(what, 0) + int(n)


def expect(condition: Any, message: str, *, expected: Any = None, actual: Any = None,
           evidence: Any = None, requirement: str | None = None, pre: bool = False) -> None:
    """Raise ``CheckFailed`` unless ``condition`` holds; count one judgement.

    ``pre=True``: a precondition of the check (discovery that another row judges): when it
    does not hold the check is INCONCLUSIVE, not FAIL, and when it holds it is not counted
    as a judgement."""
    if pre:
        if not condition:
            raise Inconclusive(f"precondition not met: {message}", evidence=evidence)
        return
    with _count_lock:
        if _ledger is not None:
            _ledger.assertions += 1
    if not condition:
        raise CheckFailed(message, expected=expected, actual=actual, evidence=evidence,
                          requirement=requirement)


def short(value: Any, limit: int = 300) -> Any:
    """Bound a value for the report (expected/actual)."""
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class Judgement:
    """What a pure judge concluded from recorded exchanges, without I/O: the verdict, its
    message (for a PASS, what was seen), expected/actual, the evidence (exchanges), what would
    decide an undecided row, and what it judged (``counted``: (what, how many) for the
    ledger; ``assertions``: how many rules it applied). A check hands it to ``settle``."""

    verdict: Verdict
    message: str
    _: KW_ONLY
    evidence: Any = None
    expected: Any = None
    actual: Any = None
    decide: str | None = None
    counted: list[tuple[str, int]] = field(default_factory=list)
    assertions: int = 0


def tally(j: Judgement) -> None:
    """Count in the running check's ledger what a pure judge judged."""
    with _count_lock:
        if _ledger is not None:
            _ledger.assertions += j.assertions
    for what, n in j.counted:
        judged(what, n)


def settle(j: Judgement, observe: Any = None) -> None:
    """Make a pure judge's conclusion the check's outcome: count what it judged, then return
    (PASS, its message given to ``observe``) or raise the outcome of its verdict."""
    tally(j)
    if j.verdict is Verdict.PASS:
        if observe is not None and j.message:  # no message: the ledger says what was judged
            observe(j.message)
        return
    if j.verdict is Verdict.FAIL:
        raise CheckFailed(j.message, expected=j.expected, actual=j.actual, evidence=j.evidence)
    if j.verdict is Verdict.INCONCLUSIVE:
        raise Inconclusive(j.message, evidence=j.evidence, decide=j.decide)
    if j.verdict is Verdict.NOT_APPLICABLE:
        raise NotApplicable(j.message, evidence=j.evidence)
    raise ValueError(f"a judge cannot give {j.verdict.value}: ERROR is the suite's, not a "
                     "judgement")


def judgement(judge: Any, *args: Any, **kw: Any) -> Judgement:
    """Run a pure judge written with ``expect`` (and ``judged``) as rules over recorded
    exchanges, and return what it concluded: the outcome it raised (FAIL, INCONCLUSIVE,
    NOT_APPLICABLE) or PASS (its return value, if a string, is what was seen), with the
    judgements it made. The running check's ledger is left alone until ``settle``; an error in
    the judge itself is raised as it is (the suite's ERROR, never a verdict)."""
    global _ledger
    own = Ledger()
    with _count_lock:
        outer, _ledger = _ledger, own
    try:
        seen = judge(*args, **kw)
    except Outcome as out:
        return Judgement(out.verdict, out.message, evidence=out.evidence,
                         expected=getattr(out, "expected", None),
                         actual=getattr(out, "actual", None), decide=getattr(out, "decide", None),
                         counted=list(own.items.items()), assertions=own.assertions)
    finally:
        with _count_lock:
            _ledger = outer
    return Judgement(Verdict.PASS, seen if isinstance(seen, str) else "",
                     counted=list(own.items.items()), assertions=own.assertions)


def decide(judge: Any, *args: Any, observe: Any = None, **kw: Any) -> None:
    """Judge now, over what the probe recorded: ``settle(judgement(judge, ...))``."""
    settle(judgement(judge, *args, **kw), observe)
