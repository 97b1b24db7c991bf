"""oupcheck certify against real platforms the test starts (issue 14): every profile of the
scheme that applies runs in its own process, and certification.json says which level is
reached, per pillar and why, with the first things to fix; the readable report, the signed
certificate and the waivers on top."""

from __future__ import annotations

import json

import pytest

OGC = "http://www.opengis.net/spec/ogcapi-features-1/1.0/req/core/"


@pytest.mark.slow
def test_certify_oup_core_on_the_bundled_platforms(oup, shared_data, tmp_path):
    """issue 14: oup-core on every bundled platform at once (oupcheck demo --scheme oup-core:
    real pygeoapi behind a real nginx TLS front, real Mosquitto with its AsyncAPI document,
    and the labelled NGSI-LD reference fixture seeded with the Smart Data Models examples that
    validate, in one target file), with the report looked at in a real browser and as PDF
    page images, signed and verified, with waivers."""
    from .support.readable import browser_problems, pdf_problems
    waivers = tmp_path / "waivers.yaml"  # one failing row accepted for now, one long expired
    waivers.write_text("platform: bundled platforms\nwaivers:\n"
                       f"  - {{requirement: '{OGC}fc-numberReturned', expected: FAIL,\n"
                       "     reason: pygeoapi 0.22 counts the page, accepted_by: CIO office,\n"
                       "     expires: 2999-12-31}\n"
                       f"  - {{requirement: '{OGC}query-param-unknown', expected: FAIL,\n"
                       "     reason: was planned for 2020, accepted_by: CIO office,\n"
                       "     expires: 2020-12-31}\n")
    res = oup("demo", "--scheme", "oup-core", "--out", tmp_path / "demo", "--waivers", waivers,
              "--data-dir", shared_data, timeout=900)
    out = tmp_path / "demo" / "oup-core" / "certification"
    pub = tmp_path / "demo" / "oup-core" / "keys" / "oupcheck-signing.pub"
    assert f"Verify: oupcheck verify {out} --key {pub}" in res.stdout, res.describe()
    doc = json.loads((out / "certification.json").read_text("utf-8"))
    pillars = {p["pillar"]: p for p in doc["pillars"]}
    print(res.stdout, json.dumps({p: v["outcome"] for p, v in pillars.items()}))
    runs = {r["report"].split("/")[1]: json.loads((out / r["report"]).read_text("utf-8"))
            for r in doc["runs"]}  # NN-pillar-profile: the run's folder
    rows = {k[3:] if not k[3:].startswith("security") else k: {
        row["requirement"]: row for row in v["rows"]} for k, v in runs.items()}
    # what pygeoapi, nginx, Mosquitto and the fixture really do:
    # - pygeoapi accepts unknown and invalid query parameters, and its numberReturned counts
    #   the limit, not the page (real OGC API Features MUST deviations): places fails;
    # - the NGSI-LD fixture is the reference, seeded with valid Smart Data Models entities;
    assert pillars["places"]["outcome"] == "not-conformant"
    assert rows["places-ogc-api-features-1"][f"{OGC}query-param-invalid"]["verdict"] == "FAIL"
    assert pillars["context-information"]["outcome"] == "conformant"
    assert pillars["data-models"]["outcome"] == "conformant"
    # - Mosquitto keeps its AsyncAPI document's promises, but the fixture publishes no API
    #   description (the inventory row names what would decide it): open protocols undecided;
    assert pillars["open-protocols"]["outcome"] == "incomplete"
    inv = rows["open-protocols-open-protocols"]["inventory:machine-readable-description"]
    assert inv["verdict"] == "INCONCLUSIVE" and "interfaces[].description" in inv["message"]
    # - the security baseline runs on both HTTP interfaces: behind nginx every TLS row PASSes
    #   and only the rows that need identities stay open; the fixture, on plain HTTP,
    #   accepts an unauthenticated write (it has no access control at all);
    assert pillars["security"]["outcome"] == "not-conformant"
    sec = [k for k in rows if k[3:].startswith("security")]
    assert len(sec) == 2
    assert {rows[k]["ncsc-tls:versions"]["verdict"] for k in sec} == {"PASS", "INCONCLUSIVE"}
    assert sorted(rows[k]["owasp-api:API2-unauthenticated-writes"]["verdict"] for k in sec) == [
        "FAIL", "PASS"]
    # NGSI-LD has no landing page: the header rows judge GET /ngsi-ld/v1/types, where the
    # fixture (Python's http.server) names its software version and sends no nosniff
    broker = next(k for k in sec if "/sound/" in runs[k]["run"]["target_url"])
    for rid in ("oshp:no-version-disclosure", "oshp:x-content-type-options"):
        assert rows[broker][rid]["verdict"] == "FAIL", rows[broker][rid]
    evidence = (out / "runs" / broker / "evidence.jsonl").read_text("utf-8")
    assert "/sound/ngsi-ld/v1/types" in evidence
    # - load is not allowed by the target file: capacity is not run, so volledig is out.
    assert pillars["lock-in"]["outcome"] == "conformant" and doc["lockin_risk"] is not None
    assert pillars["capacity"]["outcome"] == "not-run" and "allows_load" in pillars[
        "capacity"]["why"]
    assert doc["standing"]["reached"] is None and res.code == 1, res.stdout + res.stderr
    assert "oup-core 1.0.0: no level reached" in res.stdout
    assert {(r["pillar"], r["profile"]) for r in doc["runs"]} == {
        ("context-information", "mim1-ngsi-ld"), ("data-models", "mim2-data-models"),
        ("places", "ogc-api-features-1"), ("security", "security-baseline"),
        ("open-protocols", "open-protocols"), ("lock-in", "lock-in")}
    assert sum(r["pillar"] == "security" for r in doc["runs"]) == 2  # both HTTP interfaces
    for run in doc["runs"]:
        report = json.loads((out / run["report"]).read_text("utf-8"))
        assert report["summary"]["outcome"] == run["outcome"]
    # waivers: the waived row is named, apart, and out of the fixes; the expired one FAILs
    assert [w["requirement"] for w in doc["waivers"]["waived"]] == [f"{OGC}fc-numberReturned"]
    assert [w["requirement"] for w in doc["waivers"]["expired"]] == [
        f"{OGC}query-param-unknown"]
    assert f"WAIVED {OGC}fc-numberReturned until 2999-12-31" in res.stdout
    fixes = [f["requirement"] for f in doc["fixes"]]
    assert 0 < len(fixes) <= 5 and f"{OGC}fc-numberReturned" not in fixes
    # the readable report shows exactly what certification.json says, in a real browser and
    # on paper, with every anchor resolving and nothing wider than the page
    problems, facts = browser_problems(out)
    assert problems == [], problems
    assert facts["rows"] > 200
    html = (out / "certification.html").read_text("utf-8")
    assert html.count('class="row-PASS"') > 100 and "Evidence (" in html
    assert 'data-verdict="WAIVED"' in html
    problems, pages = pdf_problems(out, ["Overall: No level reached", "does not meet"],
                                   save_first=tmp_path / "page1.png")
    assert problems == [] and pages > 5, problems
    # the certificate: verified, and any changed byte is found
    ok = oup("verify", out, "--key", pub)
    assert ok.code == 0 and "VERIFIED: oup-core 1.0.0" in ok.stdout, ok.describe()
    cert = json.loads((out / "certificate.json").read_text("utf-8"))
    assert cert["waived"][0]["requirement"] == f"{OGC}fc-numberReturned"
    assert cert["pillars"] == {p: v["outcome"] for p, v in pillars.items()}
    evidence = sorted((out / "runs").rglob("evidence.jsonl"))[0]
    data = bytearray(evidence.read_bytes())
    data[len(data) // 3] ^= 1
    evidence.write_bytes(bytes(data))
    bad = oup("verify", out, "--key", pub)
    assert bad.code == 1 and evidence.relative_to(out).as_posix() + ": changed" in bad.stdout


def test_certify_refuses_a_url_and_writes_nothing(oup, tmp_path):
    res = oup("certify", "--scheme", "oup-core", "--target", "http://127.0.0.1:9/",
              "--out", tmp_path / "cert")
    assert res.code == 2 and "oupcheck discover URL" in res.stderr
    assert len(res.stderr_lines) == 1 and not (tmp_path / "cert").exists()
    assert not list(tmp_path.glob(".cert.partial-*"))
    res = oup("certify", "--scheme", "oup-gold", "--target", "x.yaml", "--out", tmp_path / "c")
    assert res.code == 2 and "unknown scheme 'oup-gold'" in res.stderr
