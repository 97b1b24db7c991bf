"""mim1-ngsi-ld against a real NGSI-LD broker, Scorpio 5.0.3 built from its public source
(issue 13). CI has no build (see ../shared/targets.md): there the recording
tests/recordings/scorpio-mim1-ngsi-ld is judged offline by tests/test_recordings.py, and this
live test is skipped. With OUPCHECK_SCORPIO_JAR set (a development session) it runs the broker
and checks that its behaviour is still the one recorded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .support.scorpio import Scorpio, jar, target_file

RECORDED = Path(__file__).parent / "recordings" / "scorpio-mim1-ngsi-ld" / "report.json"
# the deviations Scorpio 5.0.3 shows (each checked against the clause in the closing note of
# issue 13): 5.6.2 an attribute that does not exist is ignored silently (204, not 207 with
# notUpdated); 5.6.18 replace keeps only id and type, losing the attributes it was given;
# 6.3.4 a text/csv body is answered 400 InvalidRequest, not 415
SCORPIO_FAILS = {"ngsi-ld:5.6.2/update-attrs", "ngsi-ld:5.6.18/replace-entity",
                 "ngsi-ld:6.3.4/unsupported-media-type"}
# in about 4 of 9 runs Scorpio's history keeps only the created instance: the two updates sent
# 13 and 25 ms after the create never reach it (still missing 30 s later), and the three
# temporal rows FAIL (recorded in scorpio-mim1-ngsi-ld-lost-updates); in the other runs the
# history shows all three instances after 4.6 to 5.6 s, within temporal_wait_s (10 s)
TEMPORAL = {"ngsi-ld:5.7.3/temporal-retrieve", "ngsi-ld:5.7.3/temporal-timerel",
            "ngsi-ld:5.7.4/temporal-query"}
LOST = RECORDED.parent.parent / "scorpio-mim1-ngsi-ld-lost-updates" / "report.json"


def test_the_recording_shows_scorpios_deviations_and_passes_the_rest():
    rows = json.loads(RECORDED.read_text("utf-8"))["rows"]
    assert len(rows) == 38
    assert {r["requirement"] for r in rows if r["verdict"] == "FAIL"} == SCORPIO_FAILS
    assert {r["verdict"] for r in rows if r["requirement"] not in SCORPIO_FAILS} == {"PASS"}


def test_the_lost_updates_recording_fails_the_temporal_rows_on_the_missing_instances():
    rows = {r["requirement"]: r for r in json.loads(LOST.read_text("utf-8"))["rows"]}
    assert {k for k, r in rows.items() if r["verdict"] == "FAIL"} == SCORPIO_FAILS | TEMPORAL
    assert "does not hold every observed instance" in \
        rows["ngsi-ld:5.7.3/temporal-retrieve"]["message"]


@pytest.mark.slow
@pytest.mark.skipif(jar() is None, reason="no Scorpio build here: set OUPCHECK_SCORPIO_JAR to "
                    "its quarkus-run.jar (../shared/targets.md); CI judges the recording")
def test_scorpio_live_as_recorded(oup, mosquitto_url, tmp_path):
    with Scorpio(tmp_path / "scorpio", jar()) as scorpio:  # type: ignore[arg-type]
        target = target_file(tmp_path / "target.yaml", scorpio.url, mosquitto_url)
        res = oup("run", "--profile", "mim1-ngsi-ld", "--target", target, "--out",
                  tmp_path / "out", "--quiet", timeout=400)
    assert res.report is not None, res.describe()
    fails = {r["requirement"] for r in res.report["rows"] if r["verdict"] == "FAIL"}
    assert fails in (SCORPIO_FAILS, SCORPIO_FAILS | TEMPORAL), [(r["requirement"], r["verdict"], r["message"])
                                    for r in res.report["rows"] if r["verdict"] != "PASS"]
    assert not res.report["findings"] or all(f["kind"] != "clean-up-incomplete"
                                              for f in res.report["findings"])
