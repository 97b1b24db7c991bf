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


# -- NGSI-LD (profile mim1-ngsi-ld) and Smart Data Models (profile mim2-data-models) ----------

def _ngsi_target(tmp_path, url: str, writes: bool):
    import json
    path = tmp_path / f"ngsi-{writes}.json"
    path.write_text(json.dumps({
        "name": "blank NGSI-LD target", "interfaces": [{"kind": "ngsi-ld", "url": url}],
        "writes_allowed": writes,
        "claims": {"conformance_classes": ["ngsi-ld:core", "ngsi-ld:mqtt-notifications",
                                           "ngsi-ld:temporal"]}}))
    return path


@pytest.mark.parametrize("writes", [True, False])
@pytest.mark.parametrize("mode", sorted(MODES))
def test_ngsi_ld_nothing_passes(mode, writes, blank, oup, tmp_path):
    res = oup("run", "--profile", "mim1-ngsi-ld", "--target",
              _ngsi_target(tmp_path, blank.url(mode), writes), "--out", tmp_path / "out",
              "--quiet", timeout=180)
    rows = _no_pass(res, mode)
    assert res.code in (1, 3), res.describe()
    verdicts = {r["requirement"]: r["verdict"] for r in rows}
    # what a blank target visibly breaks, writes or not: refusals with the spec's status
    for rid in ("ngsi-ld:5.7.1/not-found", "ngsi-ld:5.7.2/query-needs-filter",
                "ngsi-ld:6.3.4/not-acceptable"):
        assert verdicts[rid] == "FAIL", f"{mode}: {rid} is {verdicts[rid]}"
    if writes:
        assert verdicts["ngsi-ld:5.6.1/create"] == "FAIL"
        # the temporal rows need a history the target never kept: undecided, not FAIL
        assert all(verdicts[r] == "INCONCLUSIVE" for r in verdicts if "temporal" in r)


@pytest.mark.parametrize("mode", sorted(MODES))
def test_mim2_nothing_passes(mode, blank, oup, tmp_path):
    res = oup("run", "--profile", "mim2-data-models", "--target",
              _ngsi_target(tmp_path, blank.url(mode), False), "--out", tmp_path / "out",
              "--quiet", timeout=120)
    rows = _no_pass(res, mode)
    # no EntityTypeList, nothing to sample: every row undecided with the reason (the NGSI-LD
    # API itself is mim1-ngsi-ld's to judge); the previous judgement FAILed all four on 404
    for r in rows:
        assert r["verdict"] == "INCONCLUSIVE", (mode, r["requirement"], r["verdict"])
        assert "no entities to sample" in r["message"] and "/types" in r["message"], r
