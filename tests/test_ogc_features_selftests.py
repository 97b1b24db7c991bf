"""Every check of ogc-api-features-1 FAILs on a target that breaks its requirement and PASSes
on one that keeps it. The targets are real pygeoapi behind the fault proxy (tests/support):
``repaired`` fixes pygeoapi's own deviations; each break fault spoils one behaviour.
Where the break is ``none``, the FAIL is pygeoapi's own deviation, unmodified."""

from __future__ import annotations

import pytest

from oupcheck.profile import load_profile

from .support import ogc_faults  # noqa: F401  (registers the faults)

OAF = "http://www.opengis.net/spec/ogcapi-features-1/1.0"

# requirement -> (fault that breaks it, fault that keeps it)
CASES = {
    "/req/core/root-op": ("root-405", "repaired"),
    "/req/core/root-success": ("landing-no-data-link", "repaired"),
    "/req/core/api-definition-op": ("openapi-404", "repaired"),
    "/req/core/api-definition-success": ("openapi-text-plain", "repaired"),
    "/req/core/conformance-op": ("conformance-404", "repaired"),
    "/req/core/conformance-success": ("conformance-no-core", "repaired"),
    "/req/core/http": ("collections-no-content-type", "repaired"),
    "/req/core/query-param-unknown": ("none", "repaired"),
    "/req/core/query-param-invalid": ("accept-invalid-values", "repaired"),
    "/req/core/crs84": ("items-coordinates-out-of-range", "repaired"),
    "/req/core/fc-md-op": ("collections-405", "repaired"),
    "/req/core/fc-md-success": ("collections-no-links", "repaired"),
    "/req/core/fc-md-links": ("collections-untyped-link", "repaired"),
    "/req/core/fc-md-items": ("collections-duplicate", "repaired"),
    "/req/core/fc-md-items-links": ("collections-no-items-links", "repaired"),
    "/req/core/fc-md-extent": ("extent-too-small", "repaired"),
    "/req/core/fc-md-extent-multi": ("extent-two-boxes-bad", "extent-two-boxes-good"),
    "/req/core/sfc-md-op": ("collection-404", "repaired"),
    "/req/core/sfc-md-success": ("collection-other-title", "repaired"),
    "/req/core/fc-op": ("items-404", "repaired"),
    "/req/core/fc-limit-definition": ("reject-small-limit", "repaired"),
    "/req/core/fc-limit-response-1": ("ignore-limit", "repaired"),
    "/req/core/fc-bbox-definition": ("none", "repaired"),
    "/req/core/fc-bbox-response": ("ignore-bbox", "repaired"),
    "/req/core/fc-time-definition": ("none", "repaired"),
    "/req/core/fc-time-response": ("ignore-datetime", "repaired"),
    "/req/core/fc-response": ("ignore-datetime", "repaired"),
    "/req/core/fc-links": ("drop-self-links", "repaired"),
    "/req/core/fc-rel-type": ("items-untyped-link", "repaired"),
    "/req/core/fc-timeStamp": ("items-old-timestamp", "repaired"),
    "/req/core/fc-numberMatched": ("items-number-matched-lies", "repaired"),
    "/req/core/fc-numberReturned": ("none", "repaired"),
    "/req/core/f-op": ("feature-404", "repaired"),
    "/req/core/f-success": ("feature-203", "repaired"),
    "/req/core/f-links": ("feature-no-collection-link", "repaired"),
    "/req/geojson/definition": ("none", "repaired"),
    "/req/geojson/content": ("feature-wrong-id", "repaired"),
    "/req/html/definition": ("no-html", "repaired"),
    "/req/html/content": ("none", "repaired"),
    "/req/oas30/oas-definition-1": ("service-desc-wrong-type", "repaired"),
    "/req/oas30/oas-definition-2": ("openapi-invalid", "repaired"),
    "/req/oas30/oas-impl": ("openapi-declares-missing-path", "repaired"),
    "/req/oas30/completeness": ("openapi-undeclared-404", "repaired"),
    "/req/oas30/exceptions-codes": ("openapi-undeclared-404", "repaired"),
    "/req/oas30/security": ("auth-undocumented", "auth-documented"),
    "/rec/core/root-links": ("drop-self-links", "repaired"),
    "/rec/core/api-definition-oas": ("openapi-invalid", "repaired"),
    "/rec/core/head": ("head-405", "repaired"),
    "/rec/core/etag": ("none", "repaired"),
    "/rec/core/cross-origin": ("no-cors", "repaired"),
    "/rec/core/link-header": ("none", "repaired"),
    "/rec/core/fc-md-license": ("collections-no-license", "repaired"),
    "/rec/core/fc-md-self-links": ("drop-self-links", "repaired"),
    "/rec/core/sfc-md-links": ("drop-self-links", "repaired"),
    "/rec/core/fc-next-1": ("items-no-next", "repaired"),
    "/rec/core/fc-next-2": ("items-next-to-first-page", "repaired"),
    "/rec/core/fc-next-3": ("items-next-stops-early", "repaired"),
}
TOKEN = "oupcheck-selftest-token-5f3a9c"  # planted secret: must never reach an output file


def test_every_testable_requirement_has_a_self_test():
    profile = load_profile("ogc-api-features-1")
    testable = {rid for rid, r in profile.requirements.items() if r.testable}
    assert testable == {OAF + k for k in CASES}


def _target(tmp_path, url, with_auth):
    if not with_auth:
        return url
    t = tmp_path / "target.yaml"
    t.write_text(f"name: proxied pygeoapi\ninterfaces:\n  - kind: ogc-api-features\n"
                 f"    url: {url}\n    credential: tok\ncredentials:\n"
                 f"  - {{id: tok, scheme: bearer, token_env: OUPCHECK_SELFTEST_TOKEN}}\n")
    return str(t)


def _verdict(oup, fault_proxy, tmp_path, rid, fault):
    out = tmp_path / f"out-{fault}"
    target = _target(tmp_path, fault_proxy.url(fault), fault.startswith("auth-"))
    res = oup("run", "--profile", "ogc-api-features-1", "--target", target, "--out", out,
              "--only", OAF + rid, "--quiet", env={"OUPCHECK_SELFTEST_TOKEN": TOKEN})
    assert res.report is not None, res.describe()
    if fault.startswith("auth-"):
        for f in out.iterdir():
            assert TOKEN not in f.read_text(), f"the token leaked into {f.name}"
    return res.row(OAF + rid), res


@pytest.mark.slow
@pytest.mark.parametrize("rid", sorted(CASES))
def test_check_fails_on_broken_target_and_passes_on_good_one(rid, oup, fault_proxy, tmp_path):
    broken, good = CASES[rid]
    row, res = _verdict(oup, fault_proxy, tmp_path, rid, broken)
    assert row["verdict"] == "FAIL", f"{broken}: {row['verdict']}: {row['message']}"
    assert row["evidence"] and row["evidence_summary"], "a FAIL must cite its exchanges"
    assert row["clause"] and row["statement"]
    row, res = _verdict(oup, fault_proxy, tmp_path, rid, good)
    assert row["verdict"] == "PASS", f"{good}: {row['verdict']}: {row['message']}"
