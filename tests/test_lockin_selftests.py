"""lock-in profile: every factor FAILs on a target that breaks it and PASSes on one that keeps
it (real pygeoapi behind the fault proxy; Mosquitto for the event channel); the score is the
weighted share of factors at risk, with weights from the profile."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oupcheck.profile import load_profile

from .support import export_faults, lockin_faults, ogc_faults, sdm  # noqa: F401  (faults)
from .support.ngsi_fixture import ReferenceServer
from .support.split import late, trace_env

PROFILE = "lock-in"
L = "lockin:"
# requirement -> (broken target, good target); "+mqtt" adds a Mosquitto interface
CASES = {
    "bulk-export": ("fault:total-lies", "fault:none"),
    "round-trip": ("fault:duplicate-ids", "fault:none"),
    "open-formats": ("fault:proprietary-only", "fault:none"),
    "licence": ("fault:collections-no-license", "fault:none"),
    "open-api-description": ("fault:landing-no-description", "fault:none"),
    "standard-auth": ("fault:auth-required", "fault:auth-with-discovery"),
    # an NGSI-LD interface without subscriptions (the pygeoapi behind it answers 404 there);
    # naming no channel at all is INCONCLUSIVE (test_factor_is_inconclusive_without_observation)
    "open-event-channel": ("fault:none+ngsi-absent", "fault:none+mqtt"),
    "versioning": ("fault:none", "fault:api-version-header"),
    # an NGSI-LD interface (the reference fixture) seeded with vendor types / Smart Data Models
    "standard-data-models": ("fault:none+ngsi-vendor", "fault:none+ngsi-sdm"),
    # the base path's fault name is the version: /v2/ next to a live /v1/; /v5/ with no /v4/
    "deprecation": ("fault:v2", "fault:v5"),
}


@pytest.fixture(scope="module")
def ngsi(shared_data):
    server = ReferenceServer(shared_data)
    sdm.seed(server.url + "sound", [sdm.example(shared_data, m) for m in sdm.MODELS
                                    if m != "AirQualityObserved"])
    core = (shared_data / "ngsi-ld" / "ngsi-ld-core-context-v1.8.jsonld").resolve().as_uri()
    vendor = [{"id": f"urn:ngsi-ld:VendorSensor:{i}", "type": "https://vendor.example/ns#Sensor",
               "https://vendor.example/ns#reading": {"type": "Property", "value": i},
               "@context": core} for i in range(3)]
    sdm.seed(server.url + "accept-any", vendor)
    try:
        yield server
    finally:
        server.stop()


def _run(oup, fault_proxy, mosquitto_url, tmp_path: Path, key: str, *only: str, ngsi=None):
    fault, _, extra = key.removeprefix("fault:").partition("+")
    interfaces = [{"kind": "ogc-api-features", "url": fault_proxy.url(fault)}]
    if extra == "mqtt":
        interfaces.append({"kind": "mqtt", "url": mosquitto_url})
    elif extra == "ngsi-absent":
        interfaces.append({"kind": "ngsi-ld", "url": fault_proxy.url(fault)})
    elif extra.startswith("ngsi-"):
        tenant = "sound" if extra == "ngsi-sdm" else "accept-any"
        interfaces.append({"kind": "ngsi-ld", "url": ngsi.url + tenant + "/"})
    target = tmp_path / f"target-{fault}-{extra}.json.yaml"
    target.write_text(json.dumps({"name": f"pygeoapi via {key}", "interfaces": interfaces}))
    args = ["run", "--profile", PROFILE, "--target", target, "--out",
            tmp_path / f"out-{fault}-{extra}", "--quiet"]
    for rid in only:
        args += ["--only", rid]
    trace = tmp_path / ("after-judgement-" + f"out-{fault}-{extra}" + ".tsv")
    res = oup(*args, env=trace_env(trace))
    assert res.report is not None, res.describe()
    found = late(trace)  # probe, then judge: on the FAIL paths too
    assert not found, "\n".join(found[:10])
    return res


def test_every_factor_has_a_self_test_and_a_weight():
    p = load_profile(PROFILE)
    assert {L + k for k in CASES} == set(p.requirements)
    assert {f.requirement for f in p.score.factors} == set(p.requirements)


@pytest.mark.slow
@pytest.mark.parametrize("rid", sorted(CASES))
def test_factor_fails_on_broken_target_and_passes_on_good_one(rid, oup, fault_proxy,
                                                              mosquitto_url, request,
                                                              tmp_path):
    broken, good = CASES[rid]
    ngsi = request.getfixturevalue("ngsi") if "ngsi" in broken + good else None
    row = _run(oup, fault_proxy, mosquitto_url, tmp_path, broken, L + rid,
               ngsi=ngsi).row(L + rid)
    assert row["verdict"] == "FAIL", f"{broken}: {row['verdict']}: {row['message']}"
    assert row["statement"] and row["clause"]
    row = _run(oup, fault_proxy, mosquitto_url, tmp_path, good, L + rid, ngsi=ngsi).row(L + rid)
    assert row["verdict"] == "PASS", f"{good}: {row['verdict']}: {row['message']}"


@pytest.mark.slow
def test_score_of_bundled_pygeoapi_names_each_factor_and_its_advice(oup, fault_proxy,
                                                                    mosquitto_url,
                                                                    tmp_path):
    res = _run(oup, fault_proxy, mosquitto_url, tmp_path, "fault:none")
    sc = res.report["score"]
    verdicts = {f["requirement"]: f["verdict"] for f in sc["factors"]}
    # pygeoapi: complete export and round trip, open formats, licences, description; no
    # authentication, no NGSI-LD and no older version (not applicable), no visible version; the
    # target names no event channel (undecided: it counts unknown_counts_as of its weight)
    assert verdicts[L + "open-event-channel"] == "INCONCLUSIVE", verdicts
    assert verdicts[L + "versioning"] == "FAIL", verdicts
    na = {L + "standard-auth", L + "standard-data-models", L + "deprecation"}
    assert {r for r, v in verdicts.items() if v == "NOT_APPLICABLE"} == na, verdicts
    assert {r for r, v in verdicts.items() if v == "PASS"} == {
        L + "bulk-export", L + "round-trip", L + "open-formats", L + "licence",
        L + "open-api-description"}, verdicts
    prof = load_profile(PROFILE)
    weights = {f.requirement: f.weight for f in prof.score.factors}
    judged = sum(w for r, w in weights.items() if r not in na)
    expected = round(100 * (prof.score.unknown_counts_as * weights[L + "open-event-channel"]
                            + weights[L + "versioning"]) / judged, 1)
    assert sc["value"] == expected
    assert all(f["lowers_risk"] for f in sc["factors"])
    html = (tmp_path / "out-none-" / "report.html").read_text()
    assert "Lock-in risk score" in html and f"{expected} / 100" in html


# -- judgements that changed: an optional field absent, nothing observed, a description that
# is no description ------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("rid,key,now,before", [
    # numberMatched is optional: without it completeness is open, not broken (old: FAIL) ...
    ("bulk-export", "fault:no-number-matched", "INCONCLUSIVE", "FAIL"),
    # ... and the round trip judges what was exported all the same (old: INCONCLUSIVE)
    ("round-trip", "fault:no-number-matched", "PASS", "INCONCLUSIVE"),
    # linked documents that are {}: no OpenAPI, no conformsTo (old: PASS on any JSON object)
    ("open-api-description", "fault:descriptions-empty", "FAIL", "PASS"),
    # the target file names no event channel: nothing was probed (old: FAIL without evidence)
    ("open-event-channel", "fault:none", "INCONCLUSIVE", "FAIL"),
], ids=["bulk-export-no-total", "round-trip-no-total", "descriptions-empty",
        "no-channel-named"])
def test_changed_judgement(rid, key, now, before, oup, fault_proxy, mosquitto_url, tmp_path):
    row = _run(oup, fault_proxy, mosquitto_url, tmp_path, key, L + rid).row(L + rid)
    assert row["verdict"] == now != before, (row["verdict"], row["message"], row["actual"])
    if now == "FAIL":
        assert row["evidence"], row
    if now == "INCONCLUSIVE":
        assert row["decide"] and "judged nothing" not in row["message"], row
