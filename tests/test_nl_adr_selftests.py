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

from .support.cli import CliResult
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

    def run(self, version: str, name: str, only: str | None = None) -> CliResult:
        key = (version, name, None if name == "adr-good" else only)
        if key not in self.runs:
            front = self.front(name)
            target = self.dir / f"target-{name}.yaml"
            target.write_text(json.dumps({
                "name": f"nginx gateway {name} before pygeoapi",
                "interfaces": [{"kind": "http", "url": front.url}],
                "tls": {"ca_file": str(self.ca[0])}, "allowed_origins": [CITY]}))
            out = self.dir / f"out-{len(self.runs)}-{version}-{name}"
            argv = ["run", "--profile", f"nl-api-design-rules-{version}", "--target", target,
                    "--out", out, "--quiet"]
            if key[2]:
                argv += ["--only", key[2]]
            res = self.oup(*argv)
            assert res.report is not None, res.describe()
            self.runs[key] = res
        return self.runs[key]


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
