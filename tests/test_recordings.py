"""The judges on recordings of real platforms (issue 13): CI judges what pygeoapi, nginx,
Mosquitto and amqtt really answered without starting them. The recordings are in
tests/recordings/ (made by ``python -m tests.support.record``); each is judged again offline,
with every socket refused, and must give the recorded verdict and message on every row."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

RECORDINGS = Path(__file__).parent / "recordings"
NAMES = sorted(p.name for p in RECORDINGS.iterdir() if (p / "run-inputs.json").is_file())
# rows whose probe is no exchange with the target, so judging again cannot replay it: the
# lock-in round trip imports the export into a second pygeoapi of the suite's own
NOT_REPLAYED = {"lockin:round-trip"}


def test_there_are_recordings_of_each_real_platform_with_real_failures():
    assert {"pygeoapi-ogc-api-features-1", "nginx-pygeoapi-security-baseline",
            "nginx-pygeoapi-nl-api-design-rules-2.1.0", "pygeoapi-lock-in",
            "mosquitto-open-protocols", "amqtt-open-protocols"} <= set(NAMES)
    failing = {name for name in NAMES if any(
        r["verdict"] == "FAIL" for r in json.loads(
            (RECORDINGS / name / "report.json").read_text("utf-8"))["rows"])}
    # the judges meet real defects too: pygeoapi's OGC and NL API Design Rules deviations,
    # the fuzz row's accepted malformed bbox behind nginx, amqtt's MQTT deviations
    assert {"pygeoapi-ogc-api-features-1", "nginx-pygeoapi-security-baseline",
            "amqtt-open-protocols"} <= failing


@pytest.mark.parametrize("name", NAMES)
def test_recording_judged_again_gives_the_recorded_verdicts(name, oup, tmp_path):
    rec = RECORDINGS / name
    recorded = json.loads((rec / "report.json").read_text("utf-8"))
    res = oup("rejudge", rec, "--out", tmp_path / "again", timeout=300)
    assert res.report is not None, res.describe()
    before = {r["requirement"]: (r["verdict"], r["message"]) for r in recorded["rows"]}
    after = {r["requirement"]: (r["verdict"], r["message"]) for r in res.report["rows"]}
    assert before.keys() == after.keys()
    for rid in NOT_REPLAYED & before.keys():
        assert after.pop(rid)[0] == "INCONCLUSIVE" and before.pop(rid)
    differ = {rid: (before[rid], after[rid]) for rid in before if before[rid] != after[rid]}
    assert not differ, json.dumps(differ, indent=1)[:3000]
    # the recording shows real judgements, not a run that decided nothing
    verdicts = [v for v, _ in before.values()]
    assert verdicts.count("PASS") >= 3
    if not NOT_REPLAYED & {r["requirement"] for r in recorded["rows"]}:
        assert res.report["summary"]["outcome"] == recorded["summary"]["outcome"]
