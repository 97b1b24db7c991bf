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


# -- security-baseline and the NL API Design Rules ---------------------------------------------
# Directly (plain HTTP): no row PASSes. Behind the good nginx TLS front (published under /v2/):
# the TLS rows and the plain-HTTP redirect judge the front's transport, which really is good,
# and PASS; every row that judges what the API answers (headers, error bodies, CORS, TRACE,
# debug paths, old versions, limits, writes, malformed input) is undecided, because the API
# root answers 404, an empty {} or an empty text (the control those rows need).

SECURITY_TRANSPORT_ROWS = {
    "forum-std:https-redirect", "ncsc-tls:versions", "ncsc-tls:cipher-suites",
    "ncsc-tls:key-exchange", "ncsc-tls:compression", "ncsc-tls:secure-renegotiation",
    "ncsc-tls:client-renegotiation", "ncsc-tls:zero-rtt", "ncsc-tls:extended-master-secret",
    "ncsc-tls:cert-trust", "ncsc-tls:cert-validity", "ncsc-tls:cert-name", "ncsc-tls:cert-key",
    "ncsc-tls:cert-signature"}
ADR_TRANSPORT_ROWS = {"nlgov-adr:/core/transport/tls"}


def _undecided_say_why(rows: list[dict], mode: str) -> None:
    """Every undecided row says what would decide it; rows the profile marks not black-box
    testable are left out (the report gives them no 'decide' yet: an engine matter)."""
    for r in rows:
        if r["verdict"] in ("INCONCLUSIVE", "ERROR") and r["coverage"] != "not-testable":
            assert r["decide"], f"{mode}: {r['requirement']} is undecided without a 'decide'"


def _target_file(tmp_path, url: str, kind: str, **extra) -> str:
    import json
    path = tmp_path / f"target-{kind}.yaml"
    path.write_text(json.dumps({"name": "blank", "interfaces": [{"kind": kind, "url": url}],
                                **extra}), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("kind", ["http", "ngsi-ld"])
@pytest.mark.parametrize("mode", sorted(MODES))
def test_security_baseline_nothing_passes(mode, kind, blank, oup, tmp_path):
    res = oup("run", "--profile", "security-baseline", "--target",
              _target_file(tmp_path, blank.url(mode), kind, writes_allowed=True),
              "--out", tmp_path / "out", "--quiet", timeout=180)
    rows = _no_pass(res, mode)
    assert res.code in (1, 3), res.describe()
    verdicts = {r["requirement"]: r for r in rows}
    # plain HTTP is served (the target URL itself): visibly broken
    assert verdicts["forum-std:https-redirect"]["verdict"] == "FAIL"
    # the rows that judge what the API answers say that the root serves nothing
    for rid in ("oshp:x-content-type-options", "owasp-api:API8-no-stack-traces",
                "owasp-api:API8-trace-disabled", "owasp-api:API9-undocumented-paths",
                "owasp-api:API8-cors-credentials"):
        r = verdicts[rid]
        assert r["verdict"] == "INCONCLUSIVE" and "API root" in r["message"], (mode, rid, r)
    for rid in ("owasp-api:API2-unauthenticated-writes", "owasp-api:API4-page-size",
                "owasp-api:API8-malformed-input-no-5xx"):
        assert verdicts[rid]["verdict"] == "INCONCLUSIVE", (mode, kind, rid, verdicts[rid])


@pytest.mark.parametrize("mode", sorted(MODES))
def test_nl_api_design_rules_nothing_passes(mode, blank, oup, tmp_path):
    res = oup("run", "--profile", "nl-api-design-rules-2.1.0", "--target",
              _target_file(tmp_path, blank.url(mode), "http",
                           allowed_origins=["https://city.example"]),
              "--out", tmp_path / "out", "--quiet", timeout=120)
    assert res.report is not None, res.describe()
    rows = res.report["rows"]
    passed = [f"{r['requirement']}: {r['message']}" for r in rows if r["verdict"] == "PASS"]
    assert not passed, f"{mode}: rows PASS on a target that answers nothing useful: {passed}"
    assert all(r["evidence"] for r in rows if r["verdict"] == "FAIL")
    _undecided_say_why(rows, mode)
    assert res.code in (1, 3), res.describe()
    verdicts = {r["requirement"]: r["verdict"] for r in rows}
    assert verdicts["nlgov-adr:/core/doc-openapi"] == "FAIL"  # no OpenAPI 3 document
    for rid in ("nlgov-adr:/core/transport/security-headers", "nlgov-adr:/core/transport/cors",
                "nlgov-adr-linter:use-problem-schema"):
        assert verdicts[rid] == "INCONCLUSIVE", (mode, rid, verdicts[rid])


@pytest.fixture(scope="module")
def blank_fronts(blank, tmp_path_factory):
    """The good nginx TLS front (nginx.GOOD, published under /v2/) before each blank mode."""
    from oupcheck.platforms import certs, nginx
    work = tmp_path_factory.mktemp("blank-fronts")
    ca = certs.make_ca(work)
    fronts = {}
    try:
        for mode in sorted(MODES):
            spec = nginx.GOOD.replace(name=f"blank-{mode}", prefix="/v2/")
            fronts[mode] = nginx.NginxFront(spec, work, blank.url(mode), ca=ca).start()
        yield fronts, ca[0]
    finally:
        for f in fronts.values():
            f.stop()


@pytest.mark.parametrize("profile, transport", [
    ("security-baseline", SECURITY_TRANSPORT_ROWS),
    ("nl-api-design-rules-2.1.0", ADR_TRANSPORT_ROWS)], ids=["security", "adr-2.1.0"])
@pytest.mark.parametrize("mode", sorted(MODES))
def test_blank_behind_a_good_tls_front_passes_only_its_transport_rows(mode, profile, transport,
                                                                      blank_fronts, oup,
                                                                      tmp_path):
    fronts, ca_file = blank_fronts
    front = fronts[mode]
    res = oup("run", "--profile", profile, "--target",
              _target_file(tmp_path, front.url, "http", tls={"ca_file": str(ca_file)},
                           plain_http_url=front.http_url, writes_allowed=True,
                           allowed_origins=["https://city.example"]),
              "--out", tmp_path / "out", "--quiet", timeout=240)
    assert res.report is not None, res.describe()
    rows = {r["requirement"]: r for r in res.report["rows"]}
    passed = {rid for rid, r in rows.items() if r["verdict"] == "PASS"}
    assert passed <= transport, f"{mode}: rows beyond the front's transport PASS: " \
        f"{[(rid, rows[rid]['message']) for rid in sorted(passed - transport)]}"
    assert passed, f"{mode}: the good front's TLS should PASS its rows"
    assert res.code in (1, 3), res.describe()
    _undecided_say_why(list(rows.values()), mode)


# -- open-protocols (MQTT rows and the interface inventory) and lock-in ------------------------

def _open_target(tmp_path, name: str, interfaces: list[dict]) -> str:
    import json
    path = tmp_path / f"{name}.yaml"
    path.write_text(json.dumps({"name": name, "interfaces": interfaces}))
    return str(path)


@pytest.mark.parametrize("port", ["silent", "garbage"])
@pytest.mark.parametrize("mode", sorted(MODES))
def test_open_protocols_nothing_passes(mode, port, blank, oup, tmp_path):
    """The blank HTTP server as the OGC API, and an "MQTT broker" that accepts TCP and sends
    nothing, or bytes that are no MQTT: no MQTT row is judged, the inventory FAILs the
    interfaces that do not answer as their standard, the rest is INCONCLUSIVE with the reason."""
    from .support.mqtt_faults import DeadPort
    with DeadPort(port) as dead:
        target = _open_target(tmp_path, "blank", [
            {"kind": "ogc-api-features", "url": blank.url(mode)},
            {"kind": "mqtt", "url": dead.url}])
        res = oup("run", "--profile", "open-protocols", "--target", target,
                  "--out", tmp_path / "out", "--quiet", timeout=240)
    rows = _no_pass(res, f"{mode}/{port}")
    assert res.code in (1, 3), res.describe()
    by = {r["requirement"]: r for r in rows}
    # what it visibly breaks: neither interface answers as its standard
    inv = by["inventory:standard-interfaces"]
    assert inv["verdict"] == "FAIL", inv
    assert f"mqtt {dead.url}: NO" in str(inv["actual"]), inv["actual"]
    # no landing page, no collection: nothing to judge as description or catalogue (the old
    # judgements FAILed {} as "links no service-desc" and "none listed")
    for rid in ("inventory:machine-readable-description", "inventory:catalogue"):
        assert by[rid]["verdict"] == "INCONCLUSIVE", (rid, by[rid]["message"])
    mqtt = [r for rid, r in by.items() if rid.startswith("mqtt-")]
    assert mqtt and {r["verdict"] for r in mqtt} == {"INCONCLUSIVE"}, \
        {r["requirement"]: r["verdict"] for r in mqtt}
    assert all("cannot be judged" in r["message"] for r in mqtt), mqtt[0]["message"]


def test_open_protocols_garbage_mqtt_first(blank, oup, tmp_path):
    from .support.mqtt_faults import DeadPort
    with DeadPort("garbage") as dead:
        target = _open_target(tmp_path, "garbage-first", [
            {"kind": "mqtt", "url": dead.url},
            {"kind": "ogc-api-features", "url": blank.url("empty-json")}])
        res = oup("run", "--profile", "open-protocols", "--target", target,
                  "--out", tmp_path / "out", "--quiet", timeout=240)
    # the pre-flight (old: uncaught mqttwire.WireError, INTERNALERROR, no report) says in
    # one line that the port answers no MQTT; the run is incomplete, the report written
    _no_pass(res, "garbage-first")
    assert res.code == 3, res.describe()
    assert "Traceback" not in res.stderr and "INTERNALERROR" not in res.stderr, res.stderr
    assert "malformed packet" in res.stderr or "not MQTT" in res.stderr, res.stderr


@pytest.mark.parametrize("mode", sorted(MODES))
def test_lock_in_nothing_passes(mode, blank, oup, tmp_path):
    """lock-in against the blank server: no factor PASSes. Zero collections, zero items and a
    landing page without links are INCONCLUSIVE (the old judgements PASSed the licence factor
    over no collection, FAILed an export of nothing, and raised a suite error in open-formats)."""
    res = oup("run", "--profile", "lock-in", "--target", blank.url(mode),
              "--out", tmp_path / "out", "--quiet", timeout=240)
    rows = _no_pass(res, mode)
    assert res.code in (1, 3), res.describe()
    by = {r["requirement"]: r["verdict"] for r in rows}
    assert "ERROR" not in by.values(), by
    for rid in ("lockin:round-trip", "lockin:open-formats", "lockin:licence",
                "lockin:open-api-description", "lockin:open-event-channel"):
        assert by[rid] == "INCONCLUSIVE", (mode, rid, by[rid])
    # a collections list that answers 200 with a body that is no JSON is the one thing the
    # export itself can FAIL on; 404 and {} leave it undecided
    assert by["lockin:bulk-export"] == ("FAIL" if mode == "empty-text" else "INCONCLUSIVE"), by
