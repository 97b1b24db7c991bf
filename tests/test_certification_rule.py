"""The certification rule, table-driven: which verdict combinations make a run conformant,
not conformant or incomplete, and the ledger rule (a PASS needs an observation)."""

from __future__ import annotations

import pytest

from oupcheck.report import EXIT_CONFORMANT, EXIT_NOT_CONFORMANT, EXIT_UNDECIDED, certify
from oupcheck.verdicts import Ledger, begin_check, end_check, expect, judged, Inconclusive, \
    CheckFailed
from oupcheck.plugin import unobserved
from oupcheck.mqttwire import WireError
from oupcheck.evidence import EvidenceStore, Exchange

C, N, I = "checked", "not-testable", "not-covered"

# (rows as (level, verdict, coverage)) -> (outcome, exit code, undecided count)
TABLE = [
    # every applicable MUST row passes
    ([("MUST", "PASS", C)], "conformant", 0),
    ([("MUST", "PASS", C), ("MUST", "NOT_APPLICABLE", C)], "conformant", 0),
    ([("MUST", "PASS", C), ("SHOULD", "FAIL", C)], "conformant", 0),
    ([("MUST", "PASS", C), ("SHOULD", "ERROR", C), ("MAY", "INCONCLUSIVE", C)], "conformant", 0),
    ([("MUST", "PASS", C), ("MUST", "INCONCLUSIVE", N)], "conformant", 0),
    # a MUST FAIL decides, whatever else is undecided
    ([("MUST", "FAIL", C)], "not-conformant", 0),
    ([("MUST", "FAIL", C), ("MUST", "INCONCLUSIVE", C)], "not-conformant", 1),
    ([("MUST", "FAIL", C), ("MUST", "ERROR", C), ("MUST", "PASS", C)], "not-conformant", 1),
    ([("MUST", "PASS", C), ("MUST", "FAIL", C), ("SHOULD", "PASS", C)], "not-conformant", 0),
    # undecided MUST rows make the run incomplete: never a green "conformant"
    ([("MUST", "PASS", C), ("MUST", "INCONCLUSIVE", C)], "incomplete", 1),
    ([("MUST", "PASS", C), ("MUST", "ERROR", C)], "incomplete", 1),
    ([("MUST", "PASS", C), ("MUST", "INCONCLUSIVE", I)], "incomplete", 1),
    ([("MUST", "INCONCLUSIVE", C), ("SHOULD", "PASS", C)], "incomplete", 1),
    # nothing applicable was judged: nothing is certified
    ([("MUST", "NOT_APPLICABLE", C)], "incomplete", 0),
    ([("SHOULD", "PASS", C)], "incomplete", 0),
    ([("MUST", "INCONCLUSIVE", N)], "incomplete", 0),
    ([], "incomplete", 0),
]
CODES = {"conformant": EXIT_CONFORMANT, "not-conformant": EXIT_NOT_CONFORMANT,
         "incomplete": EXIT_UNDECIDED}


@pytest.mark.parametrize("rows, outcome, n_undecided", TABLE,
                         ids=[" + ".join(f"{lv}:{v}{'' if cov == C else '/' + cov}"
                                         for lv, v, cov in rows) or "no rows"
                              for rows, _, _ in TABLE])
def test_rule(rows, outcome, n_undecided):
    rule = certify([(f"r{i}", lv, v, cov) for i, (lv, v, cov) in enumerate(rows)])
    assert (rule.outcome, rule.exit_code, len(rule.undecided)) == \
        (outcome, CODES[outcome], n_undecided), rule.reason


def test_unreachable_is_incomplete_and_says_why():
    rule = certify([("r", "MUST", "ERROR", C)], unreachable="connection refused")
    assert rule.outcome == "incomplete" and "unreachable" in rule.reason


def test_reason_names_levels():
    rule = certify([("a", "MUST", "PASS", C), ("b", "MUST", "INCONCLUSIVE", C)])
    assert "MUST" in rule.reason and "1 of 2" in rule.reason


def test_ledger_counts_expect_but_not_preconditions():
    led = begin_check()
    try:
        expect(True, "precondition", pre=True)
        assert led.empty
        expect(True, "judgement")
        judged("features", 0)
        assert not led.empty and led.assertions == 1 and led.items == {"features": 0}
    finally:
        end_check()


def test_failed_precondition_is_inconclusive_not_fail():
    with pytest.raises(Inconclusive) as exc:
        expect(False, "landing page 200", pre=True)
    assert not isinstance(exc.value, CheckFailed)


def test_pass_without_observation_or_with_refused_request_is_not_a_pass():
    store = EvidenceStore()
    empty = Ledger()
    assert "judged nothing" in unobserved(empty, [], store)
    zero = Ledger()
    zero.items["features"] = 0
    assert "0 features" in unobserved(zero, [], store)
    seen = Ledger()
    seen.assertions = 3
    assert unobserved(seen, [], store) is None
    store.add(Exchange(id="E00001", seq=1, method="GET", url="http://x/", request_headers={},
                       request_body=None, started="", error="not sent: target stopped answering"))
    assert "not sent" in unobserved(seen, ["E00001"], store)


def _excinfo(exc: BaseException) -> pytest.ExceptionInfo:
    try:
        raise exc
    except BaseException:  # noqa: BLE001 - the point is to capture any kind
        return pytest.ExceptionInfo.from_current()


# what a check raised -> the verdict: only the judgement FAILs a platform; the suite's own
# exceptions (and a library's, and a bare assert) are ERROR with "suite error"
RAISED = [
    (CheckFailed("wrong", expected="a", actual="b"), "FAIL"),
    (Inconclusive("could not tell"), "INCONCLUSIVE"),
    (AssertionError("a bare assert in the suite"), "ERROR"),
    (AttributeError("'str' object has no attribute 'get'"), "ERROR"),
    (KeyError("features"), "ERROR"),
    (ValueError("a library broke"), "ERROR"),
    (RecursionError("maximum recursion depth exceeded"), "ERROR"),
    # bytes from the server that break the MQTT packet format are the platform's fault
    (WireError("malformed packet from the server: variable byte integer longer than 4 bytes"),
     "FAIL"),
]


@pytest.mark.parametrize("exc, verdict", RAISED, ids=[type(e).__name__ for e, _ in RAISED])
def test_only_the_judgement_fails_a_platform(exc, verdict):
    from oupcheck.plugin import classify
    out = classify(_excinfo(exc))
    assert out["verdict"].value == verdict, out
    if verdict == "ERROR":
        assert out["message"].startswith("suite error") and out["decide"], out
