"""oupcheck certify against the real pygeoapi the tests start (issue 14): every profile of the
scheme that applies runs in its own process, and certification.json says which level is
reached, per pillar and why, with the first things to fix."""

from __future__ import annotations

import json

import pytest


@pytest.mark.slow
def test_certify_nl_gemeente_on_pygeoapi(oup, pygeoapi_url, tmp_path):
    target = tmp_path / "target.yaml"
    target.write_text(f"name: bundled pygeoapi\ninterfaces:\n"
                      f"  - {{kind: ogc-api-features, url: '{pygeoapi_url}'}}\n")
    waivers = tmp_path / "waivers.yaml"  # one failing row accepted for now, one long expired
    waivers.write_text("platform: bundled pygeoapi\nwaivers:\n"
                       "  - {requirement: 'nlgov-adr:/core/version-header', expected: FAIL,\n"
                       "     reason: the gateway adds it in 4.2, accepted_by: CIO office,\n"
                       "     expires: 2999-12-31}\n"
                       "  - {requirement: 'nlgov-adr:/core/uri-version', expected: FAIL,\n"
                       "     reason: was planned for 2020, accepted_by: CIO office,\n"
                       "     expires: 2020-12-31}\n")
    res = oup("certify", "--scheme", "nl-gemeente", "--target", target, "--out",
              tmp_path / "cert", "--waivers", waivers, timeout=600)
    doc = json.loads((tmp_path / "cert" / "certification.json").read_text("utf-8"))
    pillars = {p["pillar"]: p for p in doc["pillars"]}
    # pygeoapi serves no /v1 path nor API-Version headers (NL ADR MUST rows fail), answers
    # over plain HTTP (the TLS rows of the security baseline fail), and lets its data go
    assert pillars["api-design"]["outcome"] == "not-conformant"
    assert pillars["secure-connection"]["outcome"] == "not-conformant"
    assert pillars["lock-in"]["outcome"] == "conformant" and doc["lockin_risk"] is not None
    assert doc["standing"]["reached"] is None and res.code == 1, res.stdout + res.stderr
    assert "nl-gemeente 1.0.0: no level reached" in res.stdout
    assert 0 < len(doc["fixes"]) <= 5 and doc["fixes"][0]["pillar"] in ("api-design",
                                                                        "secure-connection")
    # every run's own report is kept beside it, and named
    for run in doc["runs"]:
        report = json.loads((tmp_path / "cert" / run["report"]).read_text("utf-8"))
        assert report["summary"]["outcome"] == run["outcome"]
    assert {r["profile"] for r in doc["runs"]} == {"nl-api-design-rules-2.1.0",
                                                  "security-baseline", "lock-in"}
    assert doc["profiles"]["lock-in"] == "1.1.0" and doc["scheme_version"] == "1.0.0"
    # the waived row is named, apart, and no longer among the fixes; the expired one FAILs
    assert [w["requirement"] for w in doc["waivers"]["waived"]] == [
        "nlgov-adr:/core/version-header"]
    assert [w["requirement"] for w in doc["waivers"]["expired"]] == [
        "nlgov-adr:/core/uri-version"]
    assert "WAIVED nlgov-adr:/core/version-header until 2999-12-31" in res.stdout
    assert "waiver expired on 2020-12-31: nlgov-adr:/core/uri-version FAILs again" in res.stdout
    fixes = {f["requirement"] for f in doc["fixes"]}
    assert "nlgov-adr:/core/version-header" not in fixes
    assert "nlgov-adr:/core/uri-version" in fixes or len(fixes) == 5


def test_certify_refuses_a_url_and_writes_nothing(oup, tmp_path):
    res = oup("certify", "--scheme", "oup-core", "--target", "http://127.0.0.1:9/",
              "--out", tmp_path / "cert")
    assert res.code == 2 and "oupcheck discover URL" in res.stderr
    assert len(res.stderr_lines) == 1 and not (tmp_path / "cert").exists()
    assert not list(tmp_path.glob(".cert.partial-*"))
    res = oup("certify", "--scheme", "oup-gold", "--target", "x.yaml", "--out", tmp_path / "c")
    assert res.code == 2 and "unknown scheme 'oup-gold'" in res.stderr
