"""Load pillar self-tests against real servers on 127.0.0.1: nginx static (fast), the TEST-ONLY
slow target (tests/support/slow_target.py), bundled pygeoapi, Mosquitto, the NGSI-LD test
fixture. A few seconds of load each; no assertion on speed (bench/load_bench.py prints figures).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import psutil
import pytest

from oupcheck.platforms.base import free_port
from oupcheck.platforms.nginx import NginxStatic

from .support.cli import REPO_ROOT
from .support.recorder import Recorder
from .support.slow_target import SlowTarget

PROFILES = Path(__file__).parent / "profiles"
QUICK = str(PROFILES / "load-test-quick.yaml")
SLOW = str(PROFILES / "load-test-slow.yaml")
SLO = "EIPSCC-RS-ARCH-4/slo/ogc-api-features/"
SLO_ROWS = [SLO + k for k in ("latency-p95", "latency-p99", "error-rate", "throughput")]
CAPACITY = "EIPSCC-RS-ARCH-4"


@pytest.fixture(scope="module")
def nginx_static(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with NginxStatic(tmp_path_factory.mktemp("nginx-static")) as srv:
        yield srv.url


def verdicts(res) -> dict[str, str]:
    return {r["requirement"]: r["verdict"] for r in res.report["rows"]}


def test_slow_target_breaks_at_its_known_concurrency_with_evidence(oup, tmp_path):
    knee = 3
    with SlowTarget(knee=knee, slow_ms=300) as target:
        res = oup("load", "--profile", SLOW, "--target", target.url, "--out", tmp_path / "o",
                  "--quiet", timeout=120)
    assert res.code == 1, res.describe()
    load = res.report["load"]
    broke = load["steps"][load["breaking_step"]]
    assert abs(broke["users"] - (knee + 1)) <= 1, load["steps"]
    assert load["knee"]["users"] in (knee - 1, knee), load["knee"]
    v = verdicts(res)
    # every SLO row FAILs on the slow target (the error-rate row has its own target below)
    for rid in (SLO + "latency-p95", SLO + "latency-p99", SLO + "throughput", CAPACITY):
        assert v[rid] == "FAIL", (rid, res.row(rid)["message"])
    row = res.row(SLO + "latency-p95")
    assert row["expected"] == "p95 ≤ 150.0 ms at 5 users"
    assert "requests" in row["actual"] and "p95" in row["actual"]
    step_ev = row["evidence"][0]
    records = {json.loads(ln)["id"]: json.loads(ln)
               for ln in (tmp_path / "o" / "evidence.jsonl").read_text().splitlines()}
    assert records[step_ev]["kind"] == "load-step" and records[step_ev]["data"]["users"] == 5
    assert row["evidence_summary"][0]["id"] == step_ev
    html = (tmp_path / "o" / "report.html").read_text()
    assert html.count("<svg") == 2 and "Knee:" in html


def test_error_rate_row_fails_on_errors_and_cites_failing_requests(oup, tmp_path):
    with SlowTarget(knee=2, mode="error") as target:
        res = oup("load", "--profile", QUICK, "--target", target.url, "--out", tmp_path / "o",
                  "--quiet", timeout=120)
    assert res.code == 1, res.describe()
    row = res.row(SLO + "error-rate")
    assert row["verdict"] == "FAIL" and "error rate" in row["message"]
    step = res.report["load"]["steps"][-1]
    assert step["users"] == 4 and step["errors"] and "503" in step["errors"][0]["error"]


def test_credentials_of_the_target_file_reach_every_worker(oup, tmp_path):
    """A target that answers 401 without its bearer token: the load users send the
    target file's credential (read from the environment in each engine process)."""
    with SlowTarget(knee=100, token="s3cret") as target:
        spec = tmp_path / "t.yaml"
        spec.write_text(f"name: token target\ninterfaces: [{{kind: ogc-api-features, url: "
                        f"'{target.url}', credential: api}}]\ncredentials: [{{id: api, "
                        "scheme: bearer, token_env: OUPCHECK_TEST_TOKEN}]\n")
        res = oup("load", "--profile", QUICK, "--target", spec, "--out", tmp_path / "o",
                  "--workers", "2", "--quiet", timeout=120,
                  env={"OUPCHECK_TEST_TOKEN": "s3cret"})
        bare = oup("load", "--profile", QUICK, "--target", target.url, "--out",
                   tmp_path / "bare", "--quiet", timeout=120)
    assert res.code == 0, res.describe()
    assert res.row(SLO + "error-rate")["verdict"] == "PASS"
    assert all(s["failures"] == 0 and s["requests"] for s in res.report["load"]["steps"])
    assert "s3cret" not in (tmp_path / "o" / "report.json").read_text()
    row = bare.row(SLO + "error-rate")
    # nothing loadable without the credential: undecided (the suite and the network are fine)
    assert row["verdict"] == "INCONCLUSIVE" and "401" in row["message"], row


def test_nginx_static_passes_every_slo_row(oup, nginx_static, tmp_path):
    res = oup("load", "--profile", QUICK, "--target", nginx_static, "--out", tmp_path / "o",
              timeout=120)
    assert res.code == 0, res.describe()
    v = verdicts(res)
    assert all(v[r] == "PASS" for r in SLO_ROWS + [CAPACITY]), v
    assert "step 2/2: 4 users" in res.stderr     # progress lines
    load = res.report["load"]
    assert load["mode"] == "local" and [s["users"] for s in load["steps"]] == [2, 4]
    assert all(s["requests"] > 0 for s in load["steps"]) and load["timeline"]
    assert_weights_honoured(load)


def assert_weights_honoured(load):
    """The quick profile weighs items_bbox 4 to collections 1: the mix must show it."""
    n = {}
    for s in load["steps"]:
        for r in s["by_request"]:
            n[r["name"]] = n.get(r["name"], 0) + r["requests"]
    ratio = n["GET items?bbox"] / n["GET collections"]
    assert 2.5 < ratio < 6, n


def test_distributed_master_and_two_workers(oup, nginx_static, tmp_path):
    res = oup("load", "--profile", QUICK, "--target", nginx_static, "--out", tmp_path / "o",
              "--workers", "2", "--quiet", timeout=120)
    assert res.code == 0, res.describe()
    load = res.report["load"]
    assert load["mode"] == "distributed: 1 master, 2 worker(s)"
    assert len(load["workers"]) == 2 and all(w["requests"] > 0 for w in load["workers"])
    assert all(s["requests"] > 0 for s in load["steps"])
    assert max(p["users"] for p in load["timeline"]) == 4
    assert_weights_honoured(load)


def test_ctrl_c_leaves_no_process_and_no_report(nginx_static, tmp_path, shared_data):
    out = tmp_path / "o"
    proc = subprocess.Popen(
        [sys.executable, "-m", "oupcheck.cli", "load", "--profile", "load-ogc-api-features",
         "--target", nginx_static, "--out", str(out), "--workers", "2"],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=dict(os.environ, OUPCHECK_DATA_DIR=str(shared_data)), start_new_session=True)
    me = psutil.Process(proc.pid)
    deadline = time.monotonic() + 60
    family: list[psutil.Process] = []
    while time.monotonic() < deadline:    # master + 2 workers running
        family = me.children(recursive=True)
        if len(family) >= 3:
            break
        time.sleep(0.2)
    assert len(family) >= 3, [p.cmdline() for p in family]
    time.sleep(3)                          # the workers are loading
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    gone, alive = psutil.wait_procs(family, timeout=5)
    assert not alive, [p.cmdline() for p in alive]
    assert not out.exists() and not list(tmp_path.glob(".o.partial-*"))


def test_non_loopback_target_is_refused_without_allow_remote(oup, tmp_path):
    res = oup("load", "--profile", QUICK, "--target", "http://192.0.2.1/", "--out",
              tmp_path / "o", timeout=60)
    assert res.code == 2 and len(res.stderr_lines) == 1, res.describe()
    assert "--allow-remote" in res.stderr and not (tmp_path / "o").exists()


@pytest.mark.parametrize("args, needle", [
    (["--profile", "no-such-profile"], "unknown profile"),
    (["--profile", "ogc-api-features-1"], "has no 'load:' block"),
    (["--workers", "-1"], "--workers"),
    (["--duration", "0"], "--duration"),
    (["--target", "http://"], "has no host"),
])
def test_bad_input_is_one_line_exit_2_nothing_written(oup, tmp_path, args, needle):
    base = {"--profile": QUICK, "--target": "http://127.0.0.1:9/"}
    for i in range(0, len(args), 2):
        base[args[i]] = args[i + 1]
    argv = [x for kv in base.items() for x in kv]
    extra = [a for a in args if a not in base and a not in base.values()]
    res = oup("load", *argv, *extra, "--out", tmp_path / "o", timeout=60)
    assert res.code == 2 and len(res.stderr_lines) == 1 and needle in res.stderr, res.describe()
    assert not (tmp_path / "o").exists()


def test_dead_target_gives_error_rows_and_exit_3(oup, tmp_path):
    res = oup("load", "--profile", QUICK, "--target", f"http://127.0.0.1:{free_port()}/",
              "--out", tmp_path / "o", timeout=60)
    assert res.code == 3, res.describe()
    v = verdicts(res)
    assert all(v[r] == "ERROR" for r in SLO_ROWS + [CAPACITY]), v
    assert "unreachable" in res.row(SLO + "latency-p95")["message"]


def test_mqtt_user_records_publish_and_receive(oup, mosquitto_url, tmp_path):
    prof = tmp_path / "mqtt.yaml"
    prof.write_text(
        "id: load-test-mqtt\nversion: 1.0.0\ntitle: t\nextends: [load-mqtt]\nload:\n"
        "  scenario: mqtt\n  tasks: {publish: 1}\n  data: {qos: 1, payload_bytes: 32}\n"
        "  wait_s: [0.01, 0.02]\n  steps: {start_users: 2, step_users: 2, max_users: 4, "
        "step_duration_s: 2, settle_s: 0.5}\n  max_duration_s: 30\n"
        "  slos: [EIPSCC-RS-ARCH-4/slo/mqtt/latency-p95]\n")
    res = oup("load", "--profile", prof, "--target", mosquitto_url, "--out", tmp_path / "o",
              "--quiet", timeout=120)
    assert res.report is not None, res.describe()
    by = {r["name"]: r for s in res.report["load"]["steps"] for r in s["by_request"]}
    assert by["MQTT publish"]["requests"] > 0 and by["MQTT publish"]["failures"] == 0
    assert by["MQTT receive"]["requests"] > 0
    assert res.report["rows"][0]["verdict"] in ("PASS", "FAIL", "INCONCLUSIVE")
    assert res.row("EIPSCC-RS-ARCH-4/slo/mqtt/latency-p95")["coverage"] == "checked"


def test_ngsi_ld_mix_against_the_test_fixture_cleans_up(oup, shared_data, tmp_path):
    from .support.ngsi_fixture import ReferenceServer
    srv = ReferenceServer(shared_data)
    try:
        target = tmp_path / "t.yaml"
        target.write_text(f"name: fixture\ninterfaces: [{{kind: ngsi-ld, url: '{srv.url}sound/'}}]\n"
                          "writes_allowed: true\n")
        prof = tmp_path / "n.yaml"
        prof.write_text(
            "id: load-test-ngsi\nversion: 1.0.0\ntitle: t\nextends: [load-ngsi-ld]\nload:\n"
            "  scenario: ngsi-ld\n  tasks: {query_type: 2, query_attrs: 1, query_geo: 1, "
            "retrieve: 1, batch_upsert: 1}\n"
            "  data: {types: [AirQualityObserved], near: [5.12, 52.09], batch_size: 5}\n"
            "  steps: {start_users: 2, step_users: 2, max_users: 2, step_duration_s: 2, "
            "settle_s: 0.5}\n  max_duration_s: 30\n"
            "  slos: [EIPSCC-RS-ARCH-4/slo/ngsi-ld/error-rate]\n")
        res = oup("load", "--profile", prof, "--target", target, "--out", tmp_path / "o",
                  "--quiet", timeout=120)
        assert res.report is not None, res.describe()
        by = {r["name"]: r for s in res.report["load"]["steps"] for r in s["by_request"]}
        assert by["POST entityOperations/upsert"]["requests"] > 0
        assert all(r["failures"] == 0 for r in by.values()), by
        assert {"GET entities?type", "GET entities?georel=near"} <= set(by)
        ids = [json.loads(ln).get("request", {}).get("url", "")
               for ln in (tmp_path / "o" / "evidence.jsonl").read_text().splitlines()]
        assert any(u.endswith("entityOperations/delete") for u in ids)
        tenant = srv.tenant("sound")
        assert tenant is not None
        assert not [e for e in tenant.entities if "oupcheck-load" in e]
    finally:
        srv.stop()


def test_sensorthings_request_mix(oup, tmp_path):
    """No SensorThings server runs here: the mix is checked on a TEST-ONLY recording server."""
    prof = tmp_path / "s.yaml"
    prof.write_text(
        "id: load-test-sta\nversion: 1.0.0\ntitle: t\nextends: [load-sensorthings]\nload:\n"
        "  scenario: sensorthings\n  tasks: {things: 1, observations_latest: 1, "
        "observations_window: 1, ingest: 1}\n"
        "  data: {datastreams: [7, 'ds-a'], top: 5, window: ['2024-01-01T00:00:00Z', "
        "'2024-01-02T00:00:00Z']}\n"
        "  steps: {start_users: 1, step_users: 1, max_users: 1, step_duration_s: 1, "
        "settle_s: 0.2}\n  max_duration_s: 20\n"
        "  slos: [EIPSCC-RS-ARCH-4/slo/sensorthings/error-rate]\n")
    for writes in (False, True):
        with Recorder() as rec:
            target = tmp_path / f"t{writes}.yaml"
            target.write_text(f"name: rec\ninterfaces: [{{kind: sensorthings, url: '{rec.url}'}}]"
                              f"\nwrites_allowed: {str(writes).lower()}\n")
            res = oup("load", "--profile", prof, "--target", target, "--out",
                      tmp_path / f"o{writes}", "--quiet", timeout=60)
            assert res.report is not None, res.describe()
            seen = {(m, p) for m, p, _, _ in rec.requests}
            assert ("GET", "/Things") in seen
            assert {("GET", "/Datastreams(7)/Observations"),
                    ("GET", "/Datastreams('ds-a')/Observations")} & seen
            latest = next(q for m, p, q, _ in rec.requests if p.endswith(")/Observations")
                          and m == "GET")
            assert latest["$orderby"] == ["phenomenonTime desc"] and latest["$top"] == ["5"]
            window = next(q for m, p, q, _ in rec.requests if p == "/Observations"
                          and m == "GET")
            assert window["$filter"] == ["phenomenonTime ge 2024-01-01T00:00:00Z and "
                                         "phenomenonTime le 2024-01-02T00:00:00Z"]
            posts = [json.loads(b) for m, _, _, b in rec.requests if m == "POST"]
            assert bool(posts) is writes
            assert all("result" in b and "phenomenonTime" in b and "@iot.id" in b["Datastream"]
                       for b in posts)


def _load_on_real_sta(oup, tmp_path, profile_text):
    """A load profile (``profile_text(datastream id)``) against django-ogc-sensorthings 1.2
    (PyPI), seeded through its own API, writes allowed: (the result, the Datastream id)."""
    from tests.support import sensorthings_server as sensorthings

    from .support import sta
    proc, url = sensorthings.server(tmp_path / "sta")
    with proc:
        ds = sta.seed(url)
        prof = tmp_path / "s.yaml"
        prof.write_text(profile_text(ds))
        target = tmp_path / "t.yaml"
        target.write_text(f"name: sta\ninterfaces: [{{kind: sensorthings, url: '{url}'}}]\n"
                          "writes_allowed: true\n")
        res = oup("load", "--profile", prof, "--target", target, "--out", tmp_path / "o",
                  "--quiet", timeout=90)
    return res, ds


def test_sensorthings_mix_on_a_real_server(oup, tmp_path):
    """django-ogc-sensorthings 1.2 (PyPI) seeded through its own API. Its Django backend
    answers every $orderby=phenomenonTime with HTTP 500 (FieldError: there is no
    phenomenon_time column, only phenomenon_time_begin/_end): a real defect, which the
    error-rate row catches and cites; the rest of the mix, ingest included, gets through."""
    res, _ = _load_on_real_sta(oup, tmp_path, lambda ds: (
        "id: load-test-sta-real\nversion: 1.0.0\ntitle: t\nextends: [load-sensorthings]\n"
        "load:\n  scenario: sensorthings\n  tasks: {things: 1, observations_latest: 2, "
        "observations_window: 1, ingest: 1}\n"
        f"  data: {{datastreams: ['{ds}'], top: 5, window: ['2024-01-01T00:00:00Z', "
        "'2024-01-02T00:00:00Z']}\n"
        "  steps: {start_users: 2, step_users: 2, max_users: 2, step_duration_s: 3, "
        "settle_s: 0.5}\n  max_duration_s: 30\n"
        "  slos: [EIPSCC-RS-ARCH-4/slo/sensorthings/error-rate]\n"))
    assert res.report is not None, res.describe()
    step = res.report["load"]["steps"][0]
    by = {r["name"]: r for r in step["by_request"]}
    latest = by["GET Datastreams(id)/Observations latest"]
    assert latest["requests"] > 0 and latest["failures"] == latest["requests"], by
    assert step["errors"][0] == {"request": "GET Datastreams(id)/Observations latest",
                                 "error": "HTTP 500", "occurrences": latest["failures"]}
    for name in ("GET Things", "GET Observations?$filter"):
        assert by[name]["requests"] > 0 and by[name]["failures"] == 0, by
    ingest = by["POST Observations ingest"]
    assert ingest["requests"] > ingest["failures"], by   # SQLite may refuse a few under load
    row = res.row("EIPSCC-RS-ARCH-4/slo/sensorthings/error-rate")
    assert row["verdict"] == "FAIL", row


def test_run_with_load_puts_conformance_and_load_in_one_report(oup, pygeoapi_url, tmp_path):
    landing = "http://www.opengis.net/spec/ogcapi-features-1/1.0/req/core/root-success"
    res = oup("run", "--profile", "ogc-api-features-1", "--target", pygeoapi_url,
              "--only", landing, "--with-load", "--load-profile", QUICK, "--out",
              tmp_path / "o", "--quiet", timeout=180)
    assert res.report is not None, res.describe()
    v = verdicts(res)
    assert v[landing] == "PASS" and all(r in v for r in SLO_ROWS + [CAPACITY])
    load = res.report["load"]
    assert load["scenario"] == "ogc-api-features" and len(load["steps"]) == 2
    names = {r["name"] for s in load["steps"] for r in s["by_request"]}
    assert "GET items?bbox" in names
    assert sum(s["failures"] for s in load["steps"]) == 0, load["steps"]
    assert res.code in (0, 1) and (res.code == 1) == any(
        r["verdict"] == "FAIL" and r["level"] == "MUST" for r in res.report["rows"])


def test_a_load_run_is_judged_again_from_its_steps(oup, nginx_static, tmp_path):
    """oupcheck rejudge of a load run (issue 13): the recorded steps are held against the
    profile's SLOs again, without load or network. With the same profile every row is the
    same; a working group's stricter p95 SLO (a copy of the profile) flips exactly that row and
    the capacity row that rests on it, in rejudge and in impact."""
    res = oup("load", "--profile", QUICK, "--target", nginx_static, "--out", tmp_path / "o",
              timeout=120)
    assert res.code == 0, res.describe()
    again = oup("rejudge", tmp_path / "o", "--out", tmp_path / "again", timeout=60)
    assert again.report is not None, again.describe()
    rows = lambda doc: {r["requirement"]: (r["verdict"], r["message"]) for r in doc["rows"]}  # noqa: E731
    assert rows(again.report) == rows(res.report)
    assert again.report["load"]["knee"] == res.report["load"]["knee"]
    strict = tmp_path / "strict.yaml"
    strict.write_text(
        "id: load-test-strict\nversion: 2.0.0\ntitle: stricter\nextends: [load-test-quick]\n"
        "requirements:\n  - {id: EIPSCC-RS-ARCH-4/slo/ogc-api-features/latency-p95, standard: "
        "EIP-SCC RS, clause: '§1.6', level: MUST, statement: a p95 no server meets, "
        "thresholds: {metric: p95_ms, max: 0.001, at_users: 4}}\n", encoding="utf-8")
    tighter = oup("rejudge", tmp_path / "o", "--profile", strict, "--profile-path", PROFILES,
                  "--out", tmp_path / "strict", timeout=60)
    assert tighter.report is not None, tighter.describe()
    changes = json.loads((tmp_path / "strict" / "changes.json").read_text())["changed"]
    assert {c["requirement"]: (c["before"], c["after"]) for c in changes} == {
        SLO + "latency-p95": ("PASS", "FAIL"), CAPACITY: ("PASS", "FAIL")}, changes
    imp = oup("impact", "--profile", strict, "--profile-path", PROFILES, tmp_path / "o",
              "--out", tmp_path / "impact", timeout=60)
    assert imp.code == 0, imp.describe()
    flips = json.loads((tmp_path / "impact" / "impact.json").read_text())["runs"][0]["flips"]
    assert {f["requirement"] for f in flips} == {SLO + "latency-p95", CAPACITY}


def test_sensorthings_load_finds_the_services_own_datastreams(oup, tmp_path):
    """With no datastreams in the profile, the load discovers the service's own
    (GET Datastreams, recorded) before the first user starts: on django-ogc-sensorthings every
    observation the users ingest is linked to a Datastream that exists (its ids are UUIDs: an
    observation for the old profile's placeholder Datastream 1 is answered 422 there)."""
    res, ds = _load_on_real_sta(oup, tmp_path, lambda ds: (
        "id: load-test-sta-found\nversion: 1.0.0\ntitle: t\nextends: [load-sensorthings]\n"
        "load:\n  scenario: sensorthings\n  tasks: {things: 1, ingest: 1}\n"
        "  data: {top: 5, window: ['2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z']}\n"
        "  steps: {start_users: 1, step_users: 1, max_users: 1, step_duration_s: 2, "
        "settle_s: 0.2}\n  max_duration_s: 20\n"
        "  slos: [EIPSCC-RS-ARCH-4/slo/sensorthings/error-rate]\n"))
    assert res.report is not None, res.describe()
    recs = [json.loads(x) for x in (tmp_path / "o" / "evidence.jsonl").read_text().splitlines()]
    found = [r for r in recs if r.get("note") == "load: which Datastreams to read and write"]
    assert found and found[0]["response"]["status"] == 200, found
    assert ds in json.dumps(found[0]["response"]["body"]) or str(ds) in json.dumps(found)
    step = res.report["load"]["steps"][0]
    ingest = {r["name"]: r for r in step["by_request"]}["POST Observations ingest"]
    assert ingest["requests"] > 0 and ingest["failures"] == 0, step
