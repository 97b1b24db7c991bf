"""Judging a finished run again from its evidence (``oupcheck rejudge``, ``oupcheck impact``),
against runs of the real pygeoapi the tests start."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from oupcheck.errors import NotRecorded
from oupcheck.evidence import unpack_body
from oupcheck.replay import NetworkGuard, Replay

from .support.split import late, trace_env

OGC = "http://www.opengis.net/spec/ogcapi-features-1/1.0/req/core/"
# every profile whose interface a pygeoapi serves (HTTP); open-protocols is judged again
# against Mosquitto and amqtt in tests/test_mqtt_selftests.py, mim1-ngsi-ld against the NGSI-LD
# fixture in tests/test_ngsi_ld_selftests.py
HTTP_PROFILES = ["ogc-api-features-1", "nl-api-design-rules-2.0.2", "nl-api-design-rules-2.1.0",
                 "security-baseline", "lock-in"]


def verdicts(report: dict) -> dict[str, str]:
    return {r["requirement"]: r["verdict"] for r in report["rows"]}


@pytest.fixture(scope="module")
def runs(pygeoapi_url, oup, tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("judged")
    out = {}
    for profile in HTTP_PROFILES:
        res = oup("run", "--profile", profile, "--target", pygeoapi_url, "--out",
                  base / profile, timeout=400,
                  env=trace_env(base / f"{profile}.after-judgement.tsv"))
        assert res.report is not None, res.describe()
        out[profile] = base / profile
    return out


@pytest.mark.parametrize("profile", HTTP_PROFILES)
def test_every_check_probes_first_and_judges_the_recorded_answers(profile, runs):
    """Probe, then judge: on the real pygeoapi no check sends a request after its first
    judgement (OUPCHECK_TRACE_SPLIT lists each such request), except the adaptive rows named
    in tests/support/split.py. The run did judge: the trace is not empty for want of checks."""
    found = late(runs[profile].parent / f"{profile}.after-judgement.tsv")
    assert not found, "\n".join(found[:20])
    report = json.loads((runs[profile] / "report.json").read_text("utf-8"))
    assert sum(r["verdict"] in ("PASS", "FAIL") for r in report["rows"]) >= 5


@pytest.mark.parametrize("profile", HTTP_PROFILES)
def test_rejudge_with_the_same_profile_gives_identical_verdicts(profile, runs, oup, tmp_path):
    run_dir = runs[profile]
    before = json.loads((run_dir / "report.json").read_text("utf-8"))
    res = oup("rejudge", run_dir, "--out", tmp_path / "again", timeout=200)
    assert res.report is not None, res.describe()
    after = verdicts(res.report)
    assert after == verdicts(before), res.stdout
    if profile == "lock-in":  # the round trip's second pygeoapi is answered from the recording
        assert after["lockin:round-trip"] == "PASS", res.row("lockin:round-trip")
    assert json.loads((tmp_path / "again" / "changes.json").read_text())["changed"] == []
    assert "0 row(s) changed" in res.stdout
    # the evidence of the run judged again is complete and self-contained
    assert (tmp_path / "again" / "run-inputs.json").is_file()
    assert res.report["summary"]["outcome"] == before["summary"]["outcome"]


def test_evidence_stores_full_bodies_compressed(runs):
    stored = 0
    for line in (runs["ogc-api-features-1"] / "evidence.jsonl").read_text().splitlines():
        resp = json.loads(line).get("response") or {}
        if resp.get("body_stored"):
            body = unpack_body(resp["body_stored"], 10**8)
            assert len(body) == resp["body_bytes"] or resp["body_capped"]
            stored += 1
    assert stored > 20


def test_another_profile_version_lists_the_rows_that_change(runs, oup, tmp_path):
    # a new version of the profile: a smaller scan bound and one requirement dropped
    new = tmp_path / "ogc-next.yaml"
    new.write_text("id: ogc-api-features-1-next\nversion: 1.1.0\ntitle: next\n"
                   "description: a tighter scan\nextends: [ogc-api-features-1]\n"
                   "parameters:\n  max_features_scan: 1\n"
                   f"remove: ['{OGC}fc-timeStamp']\n", encoding="utf-8")
    res = oup("rejudge", runs["ogc-api-features-1"], "--profile", new, "--out",
              tmp_path / "next", timeout=200)
    assert res.report is not None, res.describe()
    changes = json.loads((tmp_path / "next" / "changes.json").read_text())["changed"]
    by_id = {c["requirement"]: c for c in changes}
    assert by_id[OGC + "fc-timeStamp"]["after"] is None
    # rows derived from a scan that now stops at its bound are undecided, never a new verdict
    assert by_id[OGC + "fc-md-extent"]["after"] == "INCONCLUSIVE", changes
    # (a per-page row may flip either way: it now judges the one page the new bound reads)
    assert not [c for c in changes if c["after"] == "ERROR"], changes
    assert f"{len(changes)} row(s) changed" in res.stdout


def test_probes_the_run_never_made_are_inconclusive_not_recorded(pygeoapi_url, oup, tmp_path):
    res = oup("run", "--profile", "ogc-api-features-1", "--target", pygeoapi_url, "--out",
              tmp_path / "one", "--only", OGC + "root-success", timeout=200)
    assert res.row(OGC + "root-success")["verdict"] == "PASS", res.describe()
    again = oup("rejudge", tmp_path / "one", "--profile", "ogc-api-features-1", "--out",
                tmp_path / "all", timeout=200)
    assert again.report is not None, again.describe()
    assert again.row(OGC + "root-success")["verdict"] == "PASS"
    row = again.row(OGC + "fc-md-success")
    assert row["verdict"] == "INCONCLUSIVE" and "not recorded" in row["message"], row
    assert not [r for r in again.report["rows"] if r["verdict"] in ("FAIL", "ERROR")]


def test_bodies_cut_by_the_store_cap_give_inconclusive_never_another_verdict(
        pygeoapi_url, oup, tmp_path):
    target = tmp_path / "target.yaml"
    target.write_text("name: capped\ninterfaces:\n- kind: ogc-api-features\n  url: " + pygeoapi_url +
                      "\nlimits:\n  evidence_store_bytes: 3000\n", encoding="utf-8")
    res = oup("run", "--profile", "ogc-api-features-1", "--target", target, "--out",
              tmp_path / "cut", timeout=300)
    assert res.report is not None, res.describe()
    cut = [json.loads(line) for line in (tmp_path / "cut" / "evidence.jsonl").read_text()
           .splitlines()]
    assert any((r.get("response") or {}).get("body_stored_truncated") for r in cut)
    again = oup("rejudge", tmp_path / "cut", "--out", tmp_path / "again", timeout=200)
    assert again.report is not None, again.describe()
    before, after = verdicts(res.report), verdicts(again.report)
    changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
    assert changed, "the cap cut nothing a judge reads"
    assert all(v == "INCONCLUSIVE" for _, v in changed.values()), changed
    assert "evidence stores only" in json.dumps(again.report)


def test_impact_over_many_runs(runs, oup, tmp_path):
    new = tmp_path / "ogc-next.yaml"
    new.write_text("id: ogc-api-features-1-next\nversion: 1.1.0\ntitle: next\n"
                   "description: a tighter scan\nextends: [ogc-api-features-1]\n"
                   "parameters:\n  max_features_scan: 1\n", encoding="utf-8")
    res = oup("impact", "--profile", new, runs["ogc-api-features-1"],
              runs["ogc-api-features-1"], "--out", tmp_path / "impact", timeout=300)
    assert res.code == 0, res.describe()
    doc = json.loads((tmp_path / "impact" / "impact.json").read_text())
    assert len(doc["runs"]) == 2
    for r in doc["runs"]:
        assert r["outcome_before"] and r["outcome_after"]
        assert any(f["requirement"] == OGC + "fc-md-extent" for f in r["flips"])
    html = (tmp_path / "impact" / "impact.html").read_text()
    assert "fc-md-extent" in html and "<table>" in html
    assert "row(s) flip" in res.stdout


def test_rejudge_usage_errors_exit_2(oup, tmp_path):
    res = oup("rejudge", tmp_path / "nothing", "--out", tmp_path / "o")
    assert res.code == 2 and "oupcheck: error:" in res.stderr, res.describe()
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "report.json").write_text("{}")
    res = oup("rejudge", tmp_path / "half", "--out", tmp_path / "o")
    assert res.code == 2 and "run-inputs.json" in res.stderr, res.describe()


def test_the_guard_refuses_the_network(tmp_path):
    (tmp_path / "evidence.jsonl").write_text("")
    (tmp_path / "run-inputs.json").write_text("{}")
    replay = Replay(tmp_path, current_test=lambda: "t::x")
    with NetworkGuard(replay):
        s = socket.socket()
        with pytest.raises(NotRecorded) as exc:
            s.connect(("127.0.0.1", 9))
        assert isinstance(exc.value, OSError)  # client libraries handle it as a refused socket
        s.close()
    assert replay.refused["t::x"]
    s = socket.socket()  # restored afterwards
    s.close()


def test_judges_compare_the_targets_clock_with_the_recorded_time_not_the_judges(runs, oup,
                                                                               tmp_path):
    """fc-timeStamp judged again a day later must judge the time the exchange was made: with
    every recorded start moved a day back, the same bodies' timeStamp is a day off -> FAIL."""
    import shutil
    from datetime import datetime, timedelta
    src = runs["ogc-api-features-1"]
    before = json.loads((src / "report.json").read_text())
    assert {r["requirement"]: r for r in before["rows"]}[OGC + "fc-timeStamp"]["verdict"] == "PASS"
    shifted = tmp_path / "shifted"
    shutil.copytree(src, shifted)
    lines = []
    for line in (src / "evidence.jsonl").read_text().splitlines():
        rec = json.loads(line)
        if rec.get("started"):
            rec["started"] = (datetime.fromisoformat(rec["started"]) - timedelta(days=1)) \
                .isoformat(timespec="milliseconds")
        lines.append(json.dumps(rec))
    (shifted / "evidence.jsonl").write_text("\n".join(lines) + "\n")
    res = oup("rejudge", shifted, "--out", tmp_path / "again", timeout=200)
    row = res.row(OGC + "fc-timeStamp")
    assert row["verdict"] == "FAIL" and "generated" in row["message"], row
    # and unshifted, judged now (later than the run), it still PASSes
    res = oup("rejudge", src, "--out", tmp_path / "again2", timeout=200)
    assert res.row(OGC + "fc-timeStamp")["verdict"] == "PASS"


def test_the_after_judgement_trace_lists_a_request_sent_after_an_expect(tmp_path, monkeypatch):
    from oupcheck import evidence, verdicts
    trace = tmp_path / "trace.tsv"
    monkeypatch.setattr(evidence, "TRACE_SPLIT", str(trace))
    store = evidence.EvidenceStore()
    store.begin("m/test_x.py::test_x")

    def send(url):
        eid, seq = store.next_id()
        store.add(evidence.Exchange(id=eid, seq=seq, method="GET", url=url,
                                    request_headers={}, request_body=None, started=""))
    verdicts.begin_check()
    try:
        send("http://127.0.0.1/probe")  # before any judgement: not listed
        verdicts.expect(True, "judged")
        send("http://127.0.0.1/late")
    finally:
        verdicts.end_check()
    assert trace.read_text().splitlines() == ["m/test_x.py::test_x\tGET http://127.0.0.1/late\t"]
