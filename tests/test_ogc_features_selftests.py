"""Every check of ogc-api-features-1 FAILs on a target that breaks its requirement and PASSes
on one that keeps it. The targets are real pygeoapi behind the fault proxy (tests/support):
``repaired`` fixes pygeoapi's own deviations; each break fault spoils one behaviour.
Where the break is ``none``, the FAIL is pygeoapi's own deviation, unmodified."""

from __future__ import annotations

import pytest

from oupcheck.profile import load_profile

from .support import ogc_faults  # noqa: F401  (registers the faults)
from .support.split import late, trace_env

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
    "/req/core/fc-bbox-definition": ("bbox-500", "repaired"),
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


def _verdict(oup, fault_proxy, tmp_path, rid, fault, profile="ogc-api-features-1"):
    out = tmp_path / f"out-{fault}"
    target = _target(tmp_path, fault_proxy.url(fault), fault.startswith("auth-"))
    trace = tmp_path / f"after-judgement-{fault}.tsv"
    res = oup("run", "--profile", profile, "--target", target, "--out", out,
              "--only", OAF + rid, "--quiet",
              env={"OUPCHECK_SELFTEST_TOKEN": TOKEN, **trace_env(trace)})
    assert res.report is not None, res.describe()
    found = late(trace)  # probe, then judge: on the FAIL paths too
    assert not found, "\n".join(found[:10])
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


# -- judgements changed for issue 11 (no verdict without an observation; the standard's whole
# text): each case is a target the old check judged wrongly; "old" says what it gave.
# (requirement, fault, verdict now, a phrase of the message, the old judgement and why it was wrong)
CHANGED = [
    ("/req/core/fc-bbox-response", "extent-west-padded+bbox-empty", "FAIL", "left out",
     "PASS: the extent is padded westward, so its south-west quarter holds no feature and a "
     "server answering every bbox with nothing passed; now a quarter that separates is used"),
    ("/req/core/fc-bbox-response", "extent-west-padded", "PASS", "a quarter of its extent",
     "PASS on an empty box (nothing judged); now judged on a box holding features"),
    ("/req/core/fc-numberMatched", "next-forever", "INCONCLUSIVE", "no selection was counted",
     "PASS: paging never ends, every scan stopped at max_features_scan and nothing was compared"),
    ("/req/core/query-param-unknown", "repaired+unknown-param-free-form", "PASS", "",
     "FAIL: items ignore the unknown parameter, which pygeoapi's OpenAPI document allows with "
     "the free-form parameter vendorSpecificParameters (7.6)"),
    ("/req/core/query-param-unknown", "unknown-param-400-free-form-undeclared", "FAIL",
     "declares no free-form", "(kept) without the free-form declaration, ignoring is a FAIL"),
    ("/req/oas30/exceptions-codes", "errors-500-problem", "INCONCLUSIVE", "server errors",
     "PASS: every client error answered 500 with a problem+json body, and 500 is declared"),
    ("/req/core/http", "errors-500-problem", "FAIL", "not 404",
     "PASS: a missing collection answered 500 was never judged"),
    ("/req/core/fc-bbox-definition", "none", "PASS", "4 numbers", "FAIL: pygeoapi's HTTP 500 to a "
     "6-number bbox on collections with a 2D extent; the abstract test uses 4 numbers for them"),
    ("/req/core/fc-bbox-definition", "extent-3d", "FAIL", "6 numbers",
     "(kept for 3D) the same crash on a collection whose extent is 3D is a FAIL"),
    ("/req/core/query-param-invalid", "none", "FAIL", "latitude of 160",
     "PASS: pygeoapi answers 200 to bbox=0,160,1,161 (7.15.3: the server will return an error)"),
    ("/req/core/fc-time-definition", "repaired+drop-temporal-extent", "PASS", "fixed values",
     "NOT_APPLICABLE: datetime is part of Core, not optional"),
    ("/req/core/fc-time-definition", "drop-temporal-extent", "FAIL", "not accepted",
     "NOT_APPLICABLE: pygeoapi rejects valid instants outside its (hidden) extent"),
    ("/req/core/fc-response", "drop-temporal-extent", "INCONCLUSIVE", "could not be judged",
     "NOT_APPLICABLE: the selection rule is not optional; it just could not be exercised"),
    ("/req/core/fc-md-items", "collections-hide-one", "FAIL", "has no entry",
     "PASS: a collection declared in the API definition and served, but not listed"),
    ("/req/core/fc-md-items-links", "collections-no-geojson-items-link", "FAIL",
     "application/geo+json", "PASS: no items link for GeoJSON, an encoding the server declares"),
    ("/req/core/fc-limit-response-1", "openapi-limit-max-5", "FAIL", "more than the maximum",
     "PASS: B (the declared maximum) was not judged"),
    ("/req/core/fc-limit-definition", "raised-limit-minimum", "PASS", "",
     "FAIL: limit=1 below a declared minimum of 5 may be rejected "
     "(/per/core/fc-limit-default-minimum-maximum)"),
    ("/req/core/crs84", "items-no-geometry", "INCONCLUSIVE", "no geometry",
     "PASS: no coordinate was judged"),
    ("/req/core/fc-md-extent", "no-geometry-no-temporal-extent", "INCONCLUSIVE",
     "no feature could be compared", "PASS: no feature was compared with the extent"),
    ("/rec/core/fc-md-license", "license-top-level", "PASS", "",
     "judged nothing: the top-level licence link (which the recommendation permits) was not "
     "recorded as a judgement"),
    ("/req/core/api-definition-op", "openapi-204", "FAIL", "204",
     "PASS: any status below 400 counted; the abstract test asks for 200 with a document"),
    ("/req/core/f-op", "feature-203", "FAIL", "203",
     "PASS: any status below 400 counted; the abstract test asks for 200"),
    ("/req/html/content", "no-html", "INCONCLUSIVE", "judged nothing",
     "FAIL: a 406 is not a 200 text/html response; /req/html/definition judges it"),
]


@pytest.mark.slow
@pytest.mark.parametrize("rid,fault,verdict,phrase,old", CHANGED,
                         ids=[f"{c[0].split('/')[-1]}-{c[1]}" for c in CHANGED])
def test_changed_judgement(rid, fault, verdict, phrase, old, oup, fault_proxy, tmp_path):
    row, res = _verdict(oup, fault_proxy, tmp_path, rid, fault)
    assert row["verdict"] == verdict, f"{fault}: {row['verdict']}: {row['message']} (old: {old})"
    assert phrase in row["message"], row["message"]
    if verdict == "FAIL":
        assert row["evidence"] and row["evidence_summary"], "a FAIL must cite its exchanges"
    if verdict == "PASS":
        assert row["judged"], "a PASS says what it rests on"
    if verdict == "INCONCLUSIVE":
        assert row["decide"], "an undecided row says what would decide it"


@pytest.mark.slow
def test_paging_not_exercised_is_inconclusive(oup, fault_proxy, tmp_path):
    """fc-next-1 was NOT_APPLICABLE when no collection fills a page: paging is no optional
    feature of the server, the data just did not exercise it."""
    profile = tmp_path / "ogc-big-pages.yaml"
    profile.write_text("id: ogc-big-pages\nversion: 1.0.0\ntitle: self-test, pages larger than "
                       "any collection\nextends: [ogc-api-features-1]\nparameters:\n"
                       "  page_limit: 100\n", encoding="utf-8")
    row, _ = _verdict(oup, fault_proxy, tmp_path, "/rec/core/fc-next-1", "repaired",
                      profile=str(profile))
    assert row["verdict"] == "INCONCLUSIVE", row["message"]
    assert "could not be exercised" in row["message"] and row["decide"]


@pytest.mark.slow
def test_a_selection_read_once_and_failed_stays_undecided_for_every_check(oup, fault_proxy,
                                                                           tmp_path):
    """A whole run (not --only) against a server whose bbox selections answer 500: the
    quarter-box selection is read once, fails its precondition, and every later check that
    needs it (fc-bbox-response, fc-numberMatched) is handed the same undecided outcome with its
    evidence cited. Before, the second check raised a suite error (the cached outcome's
    evidence ids were cited as if they were exchanges)."""
    res = oup("run", "--profile", "ogc-api-features-1", "--target", fault_proxy.url("bbox-500"),
              "--out", tmp_path / "out", "--quiet")
    assert res.report is not None, res.describe()
    assert not [r for r in res.report["rows"] if r["verdict"] == "ERROR"], \
        [(r["requirement"], r["message"]) for r in res.report["rows"] if r["verdict"] == "ERROR"]
    assert res.row(OAF + "/req/core/fc-bbox-definition")["verdict"] == "FAIL"
    for rid in ("/req/core/fc-bbox-response", "/req/core/fc-numberMatched"):
        row = res.row(OAF + rid)
        assert row["verdict"] == "INCONCLUSIVE" and "precondition" in row["message"], row
        assert row["evidence"], row
