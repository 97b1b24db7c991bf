"""A certification judged from the runs of real platforms (issue 14): the recordings in
tests/recordings/ (real pygeoapi, nginx before it, Scorpio, django-ogc-sensorthings) give
each pillar of a scheme its outcome, the lock-in risk and the load knee, and from them the level
reached and the first things to fix; no server is started."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from oupcheck.certification import assess
from oupcheck.scheme import load_scheme

from .support.recorded import nl_gemeente_runs as _nl_runs, report


def test_nl_gemeente_on_pygeoapi_behind_nginx():
    """pygeoapi behind the demo's nginx front: the NL API Design Rules fail (MUST rows the
    recording shows), the security baseline is undecided, lock-in holds with risk 10.5: no
    level, and the fixes are the failing MUST rows of the API design pillar, in profile order."""
    runs = _nl_runs()
    a = assess(load_scheme("nl-gemeente"), runs)
    assert {p.pillar: p.outcome for p in a.pillars} == {
        "api-design": "not-conformant", "secure-connection": "incomplete",
        "lock-in": "conformant"}
    assert a.lockin_risk == 10.5 and a.knee_users is None
    assert a.standing.reached is None
    basis, full = a.standing.levels
    assert basis.verdict == "not-reached" and "a MUST requirement is not met" in basis.reasons[0]
    assert full.reasons[0] == "the level below (basis) is not reached"
    failing = [r["requirement"] for r in runs["api-design"][0]["rows"]
               if r["level"] == "MUST" and r["verdict"] == "FAIL"]
    assert failing and [f.requirement for f in a.fixes] == failing[:5]
    assert all(f.pillar == "api-design" and f.what for f in a.fixes)


def test_the_same_runs_reach_volledig_when_their_musts_hold():
    """The counterfactual: had the API design and security runs been conformant, the lock-in
    risk of 10.5 (at most 25) gives volledig; at a risk of 40 only basis (at most 50)."""
    runs = copy.deepcopy(_nl_runs())
    for pid in ("api-design", "secure-connection"):
        runs[pid][0]["summary"]["outcome"] = "conformant"
        for r in runs[pid][0]["rows"]:
            r["verdict"] = "PASS" if r["verdict"] == "FAIL" else r["verdict"]
    scheme = load_scheme("nl-gemeente")
    a = assess(scheme, runs)
    assert a.standing.reached == "volledig" and not a.fixes
    runs["lock-in"][0]["score"]["value"] = 40
    a = assess(scheme, runs)
    assert a.standing.reached == "basis"
    assert a.standing.levels[1].reasons == ["lock-in risk 40 is above 25"]


def test_oup_core_on_scorpio_pygeoapi_and_sensorthings():
    """oup-core over the real platforms recorded: Scorpio for context information (its three
    deviations fail MUST rows), pygeoapi for places (OGC MUST rows fail) and lock-in, the
    SensorThings load run for capacity (no step met every SLO: no knee); data models and
    security not run. Basis is not reached, and the fixes start with the basis pillars."""
    runs = {"context-information": [report("scorpio-mim1-ngsi-ld")],
            "places": [report("pygeoapi-ogc-api-features-1")],
            "lock-in": [report("pygeoapi-lock-in")],
            "capacity": [report("sensorthings-load-sensorthings")]}
    a = assess(load_scheme("oup-core"), runs)
    outcomes = {p.pillar: p.outcome for p in a.pillars}
    assert outcomes["context-information"] == "not-conformant"
    assert outcomes["places"] == "not-conformant"
    assert outcomes["data-models"] == outcomes["security"] == "not-run"
    assert a.knee_users is None and a.standing.reached is None
    basis = a.standing.levels[0]
    assert any("Shared data models" in r and "not run" in r for r in basis.reasons)
    assert len(a.fixes) == 5
    assert [f.pillar for f in a.fixes][:3] == ["context-information"] * 3
    assert {f.requirement for f in a.fixes[:3]} == {
        "ngsi-ld:5.6.2/update-attrs", "ngsi-ld:5.6.18/replace-entity",
        "ngsi-ld:6.3.4/unsupported-media-type"}
    assert all(f.pillar == "places" for f in a.fixes[3:])


def _cert_folder(folder: Path, runs: dict[str, list[dict]], name: str) -> Path:
    """A certify --out folder made from recorded runs (certification.json and runs/)."""
    a = assess(load_scheme("nl-gemeente"), runs)
    (folder / "runs").mkdir(parents=True)
    done = []
    for pid, reports in runs.items():
        for n, r in enumerate(reports):
            (folder / "runs" / f"{pid}-{n}.json").write_text(json.dumps(r))
            done.append({"pillar": pid, "profile": r["run"]["profile"],
                         "report": f"runs/{pid}-{n}.json", "outcome": r["summary"]["outcome"]})
    (folder / "certification.json").write_text(json.dumps(
        {"target": name, "runs": done, **a.model_dump(mode="json")}))
    return folder


def test_compare_two_certifications_pillar_by_pillar(tmp_path):
    from oupcheck.compare import compare
    fixed = copy.deepcopy(_nl_runs())
    for r in fixed["api-design"][0]["rows"]:
        r["verdict"] = "PASS" if r["verdict"] == "FAIL" else r["verdict"]
    fixed["api-design"][0]["summary"]["outcome"] = "conformant"
    a = _cert_folder(tmp_path / "a", _nl_runs(), "supplier A")
    b = _cert_folder(tmp_path / "b", fixed, "supplier B")
    doc = compare([a, b])
    assert [s["name"] for s in doc["suppliers"]] == ["supplier A", "supplier B"]
    assert [s["outcome"] for s in doc["suppliers"]] == ["no level", "no level"]
    pillars = {p["pillar"]: p for p in doc["pillars"]}
    assert pillars["api-design"]["outcomes"] == ["not-conformant", "conformant"]
    assert pillars["api-design"]["differs"] and not pillars["lock-in"]["differs"]
    changed = {r["requirement"] for r in doc["rows"] if r["differs"]}
    failing = {r["requirement"] for r in _nl_runs()["api-design"][0]["rows"]
               if r["verdict"] == "FAIL"}
    assert changed == failing and all(r["pillar"] for r in doc["rows"])
