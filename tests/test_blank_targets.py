"""A target that answers nothing useful must not PASS any row.

Each profile is run against the test-only blank server (tests/support/blank_server.py) in
each of its modes: 404 everywhere, 200 with ``{}`` everywhere, 200 with an empty text body.
Such a target shows no behaviour a requirement asks for, so every row must end FAIL (the
target breaks the requirement visibly, e.g. the landing page is missing), INCONCLUSIVE (the
check could not observe what it needs, with the reason) or ERROR, and never PASS: a PASS
needs an observation. Sections per family; each keeps its runs short (the server answers at
once).
"""

from __future__ import annotations

from typing import Iterator

import pytest

from .support.blank_server import MODES, BlankServer


@pytest.fixture(scope="module")
def blank() -> Iterator[BlankServer]:
    with BlankServer() as srv:
        yield srv


def _no_pass(res, mode: str) -> list[dict]:
    assert res.report is not None, res.describe()
    rows = res.report["rows"]
    passed = [f"{r['requirement']}: {r['message']}" for r in rows if r["verdict"] == "PASS"]
    assert not passed, f"{mode}: rows PASS on a target that answers nothing useful: {passed}"
    for r in rows:
        assert r["message"], f"{mode}: {r['requirement']} {r['verdict']} without a reason"
        if r["verdict"] == "FAIL":
            assert r["evidence"], f"{mode}: {r['requirement']} FAILs without evidence"
        if r["verdict"] in ("INCONCLUSIVE", "ERROR"):
            assert r["decide"], f"{mode}: {r['requirement']} is undecided without a 'decide'"
    return rows


# -- OGC API - Features (profile ogc-api-features-1) -------------------------------------------

@pytest.mark.parametrize("mode", sorted(MODES))
def test_ogc_features_nothing_passes(mode, blank, oup, tmp_path):
    res = oup("run", "--profile", "ogc-api-features-1", "--target", blank.url(mode),
              "--out", tmp_path / "out", "--quiet", timeout=120)
    rows = _no_pass(res, mode)
    assert res.code in (1, 3), res.describe()  # not conformant, or undecided: never conformant
    verdicts = {r["requirement"].rsplit("/1.0", 1)[-1]: r["verdict"] for r in rows}
    # what the blank target visibly breaks: its landing page, declaration and collections
    for rid in ("/req/core/root-op", "/req/core/root-success", "/req/core/fc-md-success"):
        assert verdicts[rid] == "FAIL", f"{mode}: {rid} is {verdicts[rid]}"
    # everything that rests on discovery names the row that judges it
    undecided = [r for r in rows if r["verdict"] == "INCONCLUSIVE"]
    assert undecided and all("precondition not met" in r["message"] or "judged nothing"
                             in r["message"] for r in undecided), \
        [r["message"] for r in undecided if "precondition not met" not in r["message"]][:3]
