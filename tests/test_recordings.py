"""The judges on recordings of real platforms (issue 13): CI judges what pygeoapi, nginx,
Mosquitto, amqtt, django-ogc-sensorthings and Scorpio really answered without starting them. The recordings are in
tests/recordings/ (made by ``python -m tests.support.record``); each is judged again offline,
with every socket refused, and must give the recorded verdict and message on every row."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

RECORDINGS = Path(__file__).parent / "recordings"
NAMES = sorted(p.name for p in RECORDINGS.iterdir() if (p / "run-inputs.json").is_file())


def test_there_are_recordings_of_each_real_platform_with_real_failures():
    assert {"pygeoapi-ogc-api-features-1", "nginx-pygeoapi-security-baseline",
            "nginx-pygeoapi-nl-api-design-rules-2.1.0", "pygeoapi-lock-in",
            "mosquitto-open-protocols", "amqtt-open-protocols", "sensorthings-open-protocols",
            "sensorthings-load-sensorthings"} <= set(NAMES)
    failing = {name for name in NAMES if any(
        r["verdict"] == "FAIL" for r in json.loads(
            (RECORDINGS / name / "report.json").read_text("utf-8"))["rows"])}
    # the judges meet real defects too: pygeoapi's OGC and NL API Design Rules deviations,
    # the fuzz row's accepted malformed bbox behind nginx, amqtt's MQTT deviations,
    # django-ogc-sensorthings's HTTP 500 to $orderby=phenomenonTime under load
    assert {"pygeoapi-ogc-api-features-1", "nginx-pygeoapi-security-baseline",
            "amqtt-open-protocols", "sensorthings-load-sensorthings"} <= failing


@pytest.mark.parametrize("name", NAMES)
def test_recording_judged_again_gives_the_recorded_verdicts(name, oup, tmp_path):
    rec = RECORDINGS / name
    recorded = json.loads((rec / "report.json").read_text("utf-8"))
    res = oup("rejudge", rec, "--out", tmp_path / "again", timeout=300)
    assert res.report is not None, res.describe()
    before = {r["requirement"]: (r["verdict"], r["message"]) for r in recorded["rows"]}
    after = {r["requirement"]: (r["verdict"], r["message"]) for r in res.report["rows"]}
    assert before.keys() == after.keys()
    differ = {rid: (before[rid], after[rid]) for rid in before if before[rid] != after[rid]}
    assert not differ, json.dumps(differ, indent=1)[:3000]
    # the recording shows real judgements, not a run that decided nothing
    verdicts = [v for v, _ in before.values()]
    assert verdicts.count("PASS") >= 2
    assert res.report["summary"]["outcome"] == recorded["summary"]["outcome"]


def test_a_changed_threshold_flips_exactly_its_rows_in_rejudge_and_impact(oup, tmp_path):
    """A working group tightens two thresholds of security-baseline in a new version: the
    largest page that counts as capped (pygeoapi behind nginx answered 50 items to a huge
    limit) and the least HSTS max-age (nginx sends one year). Judged again from the recording,
    exactly those two rows flip, and impact says the same."""
    new = tmp_path / "security-next.yaml"
    new.write_text("id: security-baseline-next\nversion: 2.0.0\ntitle: next\n"
                   "description: tighter thresholds\nextends: [security-baseline]\n"
                   "parameters:\n  max_page_size: 10\n  hsts_min_max_age: 63072000\n",
                   encoding="utf-8")
    rec = RECORDINGS / "nginx-pygeoapi-security-baseline"
    res = oup("rejudge", rec, "--profile", new, "--out", tmp_path / "next", timeout=300)
    assert res.report is not None, res.describe()
    changes = json.loads((tmp_path / "next" / "changes.json").read_text())["changed"]
    flips = {c["requirement"]: (c["before"], c["after"]) for c in changes}
    assert flips == {"owasp-api:API4-page-size": ("PASS", "FAIL"),
                     "forum-std:hsts": ("PASS", "FAIL")}, flips
    assert "not capped" in res.row("owasp-api:API4-page-size")["message"]
    imp = oup("impact", "--profile", new, rec, "--out", tmp_path / "impact", timeout=300)
    assert imp.code == 0, imp.describe()
    doc = json.loads((tmp_path / "impact" / "impact.json").read_text())
    assert {(f["requirement"], f["before"], f["after"]) for f in doc["runs"][0]["flips"]} == \
        {("owasp-api:API4-page-size", "PASS", "FAIL"), ("forum-std:hsts", "PASS", "FAIL")}
