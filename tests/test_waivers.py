"""Waivers (issue 14): a FAIL a platform's waiver covers becomes WAIVED, shown apart, named on
the certification and never counted as a PASS; an expired waiver falls back to FAIL; a waiver
file with a mistake gets one line naming file, line and field. Judged on the recorded runs of
pygeoapi behind nginx (tests/recordings)."""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path

import pytest

from oupcheck.certification import assess
from oupcheck.errors import UsageError
from oupcheck.scheme import load_scheme
from oupcheck.waivers import load_waivers

from .support.recorded import nl_gemeente_runs

TODAY = date(2026, 12, 3)


def _runs() -> dict[str, list[dict]]:
    runs = nl_gemeente_runs()
    # the counterfactual of a secure connection without undecided rows, so that API design
    # alone decides the level
    sec = runs["secure-connection"][0]
    sec["summary"]["outcome"] = "conformant"
    for r in sec["rows"]:
        if r["verdict"] in ("INCONCLUSIVE", "FAIL", "ERROR"):
            r["verdict"] = "PASS"
    return runs


def _failing(runs) -> list[str]:
    return [r["requirement"] for r in runs["api-design"][0]["rows"]
            if r["level"] == "MUST" and r["verdict"] == "FAIL"]


def _file(tmp_path: Path, entries: list[tuple[str, str]], extra: str = "") -> Path:
    lines = ["platform: pygeoapi behind nginx", "waivers:"]
    for rid, expires in entries:
        lines += [f"  - requirement: '{rid}'", "    expected: FAIL",
                  "    reason: the gateway adds it in release 4.2",
                  "    accepted_by: J. de Vries, CIO office", f"    expires: {expires}"]
    path = tmp_path / "waivers.yaml"
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


def test_waived_fails_reach_the_level_with_waivers_and_are_named(tmp_path):
    runs = _runs()
    failing = _failing(runs)
    assert len(failing) == 4
    waivers = load_waivers(str(_file(tmp_path, [(rid, "2027-06-30") for rid in failing])))
    scheme = load_scheme("nl-gemeente")
    # as recorded, a MUST row of API design is undecided too (doc-openapi: its external $refs
    # were not fetched): waiving the FAILs leaves the pillar incomplete, never conformant
    a = assess(scheme, runs, waivers=waivers, today=TODAY)
    assert {p.pillar: p.outcome for p in a.pillars}["api-design"] == "incomplete"
    assert a.standing.reached is None and a.standing.levels[0].verdict == "undecided"
    # with that row decided, the waived FAILs are all that keeps API design from conformant
    for r in runs["api-design"][0]["rows"]:
        if r["level"] == "MUST" and r["verdict"] == "INCONCLUSIVE":
            r["verdict"] = "PASS"
    a = assess(scheme, runs, waivers=waivers, today=TODAY)
    pillars = {p.pillar: p.outcome for p in a.pillars}
    assert pillars["api-design"] == "conformant-with-waivers"  # never plain conformant
    assert a.standing.reached == "volledig" and a.standing.reached_with_waivers
    assert a.standing.levels[0].with_waivers == ["api-design"]
    assert [w["requirement"] for w in a.waivers["waived"]] == failing
    assert all(w["accepted_by"] and w["expires"] == "2027-06-30" for w in a.waivers["waived"])
    assert not a.fixes and not a.waivers["expired"]
    # the runs themselves are not changed: their FAIL rows stay FAIL
    assert _failing(runs) == failing


def test_an_expired_waiver_falls_back_to_fail(tmp_path):
    runs = _runs()
    failing = _failing(runs)
    entries = [(rid, "2027-06-30") for rid in failing[1:]] + [(failing[0], "2026-11-30")]
    a = assess(load_scheme("nl-gemeente"), runs, today=TODAY,
               waivers=load_waivers(str(_file(tmp_path, entries))))
    assert {p.pillar: p.outcome for p in a.pillars}["api-design"] == "not-conformant"
    assert a.standing.reached is None
    assert [w["requirement"] for w in a.waivers["expired"]] == [failing[0]]
    assert [f.requirement for f in a.fixes] == [failing[0]]


def test_a_waiver_for_a_row_that_passes_is_not_needed(tmp_path):
    runs = _runs()
    passing = next(r["requirement"] for r in runs["api-design"][0]["rows"]
                   if r["verdict"] == "PASS")
    a = assess(load_scheme("nl-gemeente"), copy.deepcopy(runs), today=TODAY,
               waivers=load_waivers(str(_file(tmp_path, [(passing, "2027-01-01")]))))
    assert a.waivers["not_needed"] == [{"requirement": passing, "expires": "2027-01-01"}]
    assert not a.waivers["waived"] and a.standing.reached is None


@pytest.mark.parametrize("mangle,field", [
    (lambda t: t.replace("    accepted_by: J. de Vries, CIO office\n", "", 1),
     "waivers[0].accepted_by"),
    (lambda t: t.replace("expires: 2027-06-30", "expires: next summer", 1), "waivers[0].expires"),
    (lambda t: t.replace("expected: FAIL", "expected: PASS", 1), "waivers[0].expected"),
    (lambda t: t + t.split("waivers:\n", 1)[1], "waivers[1].requirement"),
])
def test_a_malformed_waivers_file_names_file_line_and_field(tmp_path, mangle, field):
    path = _file(tmp_path, [("nlgov-adr:/core/version-header", "2027-06-30")])
    path.write_text(mangle(path.read_text()), encoding="utf-8")
    with pytest.raises(UsageError) as err:
        load_waivers(str(path))
    assert str(path) in str(err.value) and field in str(err.value), str(err.value)
    assert err.value.line
