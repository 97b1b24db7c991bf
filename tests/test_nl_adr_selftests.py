"""nl-api-design-rules (2.0.2 and 2.1.0) against real targets: nginx as an API gateway before
real pygeoapi, publishing a bundled OpenAPI document. ``adr-good`` applies every technical rule
(major version in the path, API-Version header, openapi.json with CORS, 404 on trailing
slashes, problem details, security headers, a CORS allowlist, TLS per NCSC); each variant
breaks one rule. pygeoapi's own answers are untouched behind the gateway."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import requests

from oupcheck.platforms import certs, nginx
from oupcheck.profile import load_profile

from .support import security_faults  # noqa: F401  (registers the faults)
from .support.cli import CliResult
from .support.split import late, trace_env
from .support.ogc_faults import _stub_external_refs

CITY = "https://city.example"
VERSION = "1.2.0"
ADR_GOOD = nginx.GOOD.replace(
    name="adr-good", prefix="/v1/", api_version=VERSION, trailing_slash_404=True,
    cors_allowlist=(CITY,), problem_errors=True,
    headers={**nginx.SECURITY_HEADERS, "Cache-Control": "no-store"})


def _drop(method: str) -> Callable[[dict], None]:
    def mutate(doc: dict) -> None:
        for item in doc["paths"].values():
            item.pop(method, None)
    return mutate


def _set(**kw: Any) -> Callable[[dict], None]:
    def mutate(doc: dict) -> None:
        for dotted, value in kw.items():
            node = doc
            *parents, last = dotted.split("__")
            for p in parents:
                node = node[p]
            if value is None:
                node.pop(last, None)
            else:
                node[last] = value
    return mutate


def _add_path(path: str, method: str = "get") -> Callable[[dict], None]:
    def mutate(doc: dict) -> None:
        doc["paths"].setdefault(path, {})[method] = {"responses": {"200": {"description": "ok"}}}
    return mutate


# variant -> (front changes, OpenAPI mutation)
VARIANTS: dict[str, tuple[dict, Callable[[dict], None] | None]] = {
    "adr-good": ({}, None),
    "adr-slash-served": ({"trailing_slash_404": False}, None),
    "adr-purge-method": ({}, _add_path("/collections", "purge")),
    "adr-options-method": ({}, _add_path("/collections", "options")),
    "adr-swagger-2": ({}, _set(openapi="2.0")),
    "adr-openapi-no-cors": ({"openapi_cors": False}, None),
    "adr-unversioned": ({"prefix": "/api/"}, None),
    "adr-not-semver": ({"api_version": "1.2"}, _set(info__version="1.2")),
    "adr-no-version-header": ({"api_version": None}, None),
    "adr-other-version-header": ({"api_version": "1.3.0"}, None),
    "adr-no-cache-control": ({"headers": dict(nginx.SECURITY_HEADERS)}, None),
    "adr-cors-any": ({"cors_allowlist": None}, None),
    "adr-no-contact": ({}, _set(info__contact=None)),
    "adr-camel-path": ({}, _add_path("/cityObjects")),
    "adr-plain-errors": ({"problem_errors": False}, None),
    "adr-weak-tls": ({"protocols": nginx.WEAK.protocols, "ciphers": nginx.WEAK.ciphers,
                      "key_kind": "rsa-3072"}, None),
    # the document's shortest concrete path is one the API does not serve
    "adr-phantom-path": ({}, _add_path("/a")),
}

# (profile version, rule) -> (variant that breaks it, variant that keeps it)
A, L = "nlgov-adr:", "nlgov-adr-linter:"
CASES = {
    ("2.0.2", A + "/core/no-trailing-slash"): ("adr-slash-served", "adr-good"),
    ("2.0.2", A + "/core/http-methods"): ("adr-purge-method", "adr-good"),
    ("2.0.2", A + "/core/doc-openapi"): ("adr-swagger-2", "adr-good"),
    ("2.0.2", A + "/core/publish-openapi"): ("adr-openapi-no-cors", "adr-good"),
    ("2.0.2", A + "/core/uri-version"): ("adr-unversioned", "adr-good"),
    ("2.0.2", A + "/core/semver"): ("adr-not-semver", "adr-good"),
    ("2.0.2", A + "/core/version-header"): ("adr-no-version-header", "adr-good"),
    ("2.0.2", A + "/core/transport-security"): ("adr-weak-tls", "adr-good"),
    ("2.1.0", A + "/core/no-trailing-slash"): ("adr-slash-served", "adr-good"),
    ("2.1.0", A + "/core/http-methods"): ("adr-options-method", "adr-good"),
    ("2.1.0", A + "/core/doc-openapi"): ("adr-swagger-2", "adr-good"),
    ("2.1.0", A + "/core/doc-openapi-contact"): ("adr-no-contact", "adr-good"),
    ("2.1.0", A + "/core/publish-openapi"): ("adr-openapi-no-cors", "adr-good"),
    ("2.1.0", A + "/core/uri-version"): ("adr-unversioned", "adr-good"),
    ("2.1.0", A + "/core/semver"): ("adr-not-semver", "adr-good"),
    ("2.1.0", A + "/core/version-header"): ("adr-other-version-header", "adr-good"),
    ("2.1.0", A + "/core/transport/tls"): ("adr-weak-tls", "adr-good"),
    ("2.1.0", A + "/core/transport/security-headers"): ("adr-no-cache-control", "adr-good"),
    ("2.1.0", A + "/core/transport/cors"): ("adr-cors-any", "adr-good"),
    ("2.1.0", L + "paths-kebab-case"): ("adr-camel-path", "adr-good"),
    ("2.1.0", L + "use-problem-schema"): ("adr-plain-errors", "adr-good"),
}


def bundle(oas: dict, url: str, mutate: Callable[[dict], None] | None) -> dict:
    """The gateway's published document: pygeoapi's own, self-contained, with the gateway's
    server URL, API version and contact, and only the five methods ADR 2.1.0 allows."""
    doc = _stub_external_refs(copy.deepcopy(oas))
    doc["servers"] = [{"url": url.rstrip("/")}]
    doc["info"]["version"] = VERSION
    doc["info"]["contact"] = {"name": "Team Stedelijke Data", "url": "https://example.org/issues",
                              "email": "api@example.org"}
    for drop in ("options", "head", "trace"):
        _drop(drop)(doc)
    if mutate:
        mutate(doc)
    return doc


class Gateway:
    def __init__(self, workdir: Path, upstream: str, oup):
        self.dir, self.upstream, self.oup = workdir, upstream, oup
        self.ca = certs.make_ca(workdir)
        self.oas = requests.get(upstream + "openapi?f=json", timeout=30).json()
        self.fronts: dict[str, nginx.NginxFront] = {}
        self.runs: dict[tuple, CliResult] = {}

    def front(self, name: str) -> nginx.NginxFront:
        if name not in self.fronts:
            changes, mutate = VARIANTS[name]
            oas_file = self.dir / f"openapi-{name}.json"
            f = ADR_GOOD.replace(name=name, openapi_file=str(oas_file), **changes)
            front = nginx.NginxFront(f, self.dir, self.upstream, ca=self.ca)
            oas_file.write_text(json.dumps(bundle(self.oas, front.url, mutate)), encoding="utf-8")
            self.fronts[name] = front.start()
        return self.fronts[name]

    def stop(self) -> None:
        for f in self.fronts.values():
            f.stop()

    def run(self, version: str, name: str, only: str | None = None,
            scan: Callable[[dict], None] | None = None) -> CliResult:
        """``scan``: judge TLS from the adr-good run's recorded scan, changed by ``scan``."""
        key = (version, name, None if name == "adr-good" else only, scan)
        if key not in self.runs:
            front = self.front(name)
            target = self.dir / f"target-{name}-{len(self.runs)}.yaml"
            tls: dict[str, Any] = {"ca_file": str(self.ca[0])}
            if scan is not None:
                recorded = copy.deepcopy(self.recorded_scan(version))
                scan(recorded["scan_result"])
                tls["scan_file"] = str(self.dir / f"scan-{len(self.runs)}.json")
                Path(tls["scan_file"]).write_text(
                    json.dumps({"server_scan_results": [recorded]}), encoding="utf-8")
            target.write_text(json.dumps({
                "name": f"nginx gateway {name} before pygeoapi",
                "interfaces": [{"kind": "http", "url": front.url}],
                "tls": tls, "allowed_origins": [CITY]}))
            out = self.dir / f"out-{len(self.runs)}-{version}-{name}"
            argv = ["run", "--profile", f"nl-api-design-rules-{version}", "--target", target,
                    "--out", out, "--quiet"]
            if key[2]:
                argv += ["--only", key[2]]
            trace = self.dir / f"after-judgement-{len(self.runs)}.tsv"
            res = self.oup(*argv, env=trace_env(trace))
            assert res.report is not None, res.describe()
            found = late(trace)  # probe, then judge: on the FAIL paths too
            assert not found, "\n".join(found[:10])
            self.runs[key] = res
        return self.runs[key]

    def recorded_scan(self, version: str) -> dict:
        res = self.run(version, "adr-good")
        out = Path(res.args[res.args.index("--out") + 1])
        for line in (out / "evidence.jsonl").read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            if rec.get("kind") == "tls-scan":
                return rec["data"]
        raise AssertionError("the adr-good run recorded no TLS scan")


@pytest.fixture(scope="module")
def gateway(tmp_path_factory, pygeoapi_url, oup) -> Iterator[Gateway]:
    gw = Gateway(tmp_path_factory.mktemp("adr"), pygeoapi_url, oup)
    try:
        yield gw
    finally:
        gw.stop()


@pytest.mark.parametrize("version", ["2.0.2", "2.1.0"])
def test_every_technical_rule_has_a_self_test(version):
    profile = load_profile(f"nl-api-design-rules-{version}")
    testable = {rid for rid, r in profile.requirements.items() if r.testable}
    assert testable == {rid for v, rid in CASES if v == version}
    untestable = [r for r in profile.requirements.values() if not r.testable]
    assert untestable and all(r.reason for r in untestable)


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(CASES), ids=lambda c: f"{c[0]}{c[1].split(':', 1)[1]}")
def test_rule_fails_on_broken_gateway_and_passes_on_good_one(case, gateway):
    version, rid = case
    broken, good = CASES[case]
    row = gateway.run(version, broken, rid).row(rid)
    assert row["verdict"] == "FAIL", f"{broken}: {row['verdict']}: {row['message']}"
    assert row["evidence"] and row["clause"] and row["statement"]
    row = gateway.run(version, good, rid).row(rid)
    assert row["verdict"] == "PASS", f"{good}: {row['verdict']}: {row['message']}"


@pytest.mark.slow
@pytest.mark.parametrize("version", ["2.0.2", "2.1.0"])
def test_good_gateway_meets_every_technical_rule(version, gateway):
    res = gateway.run(version, "adr-good")
    checked = [r for r in res.report["rows"] if r["coverage"] == "checked"]
    assert checked and all(r["verdict"] == "PASS" for r in checked), \
        [(r["requirement"], r["verdict"], r["message"]) for r in checked if r["verdict"] != "PASS"]
    assert res.code == 0


# -- judgements that changed (issue 11): each test fails on the old judgement -----------------

def _insecure_renegotiation(sr: dict) -> None:
    sr["session_renegotiation"]["result"]["supports_secure_renegotiation"] = False


def _dhe_2048(sr: dict) -> None:
    """A DHE suite that v2.1 rates sufficient, with a 2048-bit group (phase-out in v2.1)."""
    sr["tls_1_2_cipher_suites"]["result"]["accepted_cipher_suites"].append({
        "cipher_suite": {"name": "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", "is_anonymous": False,
                         "key_size": 256, "openssl_name": "DHE-RSA-AES256-GCM-SHA384"},
        "ephemeral_key": {"type_name": "DH", "size": 2048}})


def _unlimited_client_renegotiation(sr: dict) -> None:
    sr["session_renegotiation"]["result"].update(
        is_vulnerable_to_client_renegotiation_dos=True, client_renegotiations_success_count=11)


@pytest.mark.slow
def test_tls_rule_judges_every_option_and_key_size_ncsc_rates(gateway):
    """/core/transport/tls "Supporting any protocols, algorithms, key sizes, options or
    ciphers that are deemed insufficient or phased out by NCSC will lead to failure". Old: only
    versions, suites, EC groups, compression, 0-RTT and the leaf were judged, so insecure
    renegotiation (insufficient, v2.1 table 12) and a 2048-bit DH group (phase-out, v2.1 table
    10) PASSed. New: FAIL. Client-initiated renegotiation is sufficient in v2.1 (table 13):
    still PASS."""
    rid = A + "/core/transport/tls"
    for mutate, what in ((_insecure_renegotiation, "insecure renegotiation"),
                         (_dhe_2048, "DH-2048")):
        row = gateway.run("2.1.0", "adr-good", rid, scan=mutate).row(rid)
        assert row["verdict"] == "FAIL" and what in row["actual"], row
    row = gateway.run("2.1.0", "adr-good", rid, scan=_unlimited_client_renegotiation).row(rid)
    assert row["verdict"] == "PASS", row


@pytest.mark.slow
def test_trailing_slash_404_counts_only_when_the_resource_itself_is_served(gateway):
    """The OpenAPI document's shortest path (/a) is not served: /a/ answers 404 as /a does.
    Old: PASS (404 to the slash); new: INCONCLUSIVE (the control, /a itself, is not 2xx)."""
    rid = A + "/core/no-trailing-slash"
    row = gateway.run("2.1.0", "adr-phantom-path", rid).row(rid)
    assert row["verdict"] == "INCONCLUSIVE" and "/a itself" in row["message"], row


def test_problem_details_row_does_not_pass_a_server_error(fault_proxy, oup, tmp_path):
    """An unknown resource answered 500 application/problem+json: old PASS (an error in
    problem format), new INCONCLUSIVE (a 5xx is not the answer to a client error)."""
    rid = L + "use-problem-schema"
    res = oup("run", "--profile", "nl-api-design-rules-2.1.0", "--target",
              fault_proxy.url("problem-500-on-unknown"), "--out", tmp_path / "o", "--quiet",
              "--only", rid)
    row = res.row(rid)
    assert row["verdict"] == "INCONCLUSIVE" and "HTTP 500" in row["message"], row
