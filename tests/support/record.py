"""Record real platforms for the judges' offline tests (issue 13).

    .venv/bin/python -m tests.support.record [NAME ...]

starts each real platform on 127.0.0.1 (pygeoapi, nginx before it, Mosquitto, amqtt,
django-ogc-sensorthings, Scorpio), runs its profile with one request at a time
(``--polite``: the evidence ids are then in a fixed order), and keeps the run in
``tests/recordings/NAME/``:

- ``evidence.jsonl.gz``: every exchange with its full body (``body_stored``); the 64 KiB
  excerpt and the curl line are left out where the full body is kept (replay derives the
  excerpt from the body);
- ``run-inputs.json``: what the run was asked;
- ``report.json``: the run's rows (requirement, level, verdict, message) and outcome, what
  ``oupcheck rejudge`` compares with.

``tests/test_recordings.py`` judges every recording again, without any network, and asserts
the recorded verdicts and messages. Re-record after a change of what a check asks the target
(a new probe shows as an INCONCLUSIVE "not recorded" row there).
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RECORDINGS = ROOT / "tests" / "recordings"

# name -> (how the platform is started, the profile)
PLAN = {
    "pygeoapi-ogc-api-features-1": ("demo", "ogc-api-features-1"),
    "nginx-pygeoapi-security-baseline": ("demo", "security-baseline"),
    "nginx-pygeoapi-nl-api-design-rules-2.1.0": ("demo", "nl-api-design-rules-2.1.0"),
    "pygeoapi-lock-in": ("pygeoapi", "lock-in"),
    "mosquitto-open-protocols": ("demo", "open-protocols"),
    "amqtt-open-protocols": ("amqtt", "open-protocols"),
    # django-ogc-sensorthings seeded through its own API: the inventory, and a short load run
    # on the Datastream it discovers (writes not allowed: nothing is created)
    "sensorthings-open-protocols": ("sensorthings", "open-protocols"),
    "sensorthings-load-sensorthings": ("sensorthings", "load-sensorthings"),
    # needs a Scorpio build (OUPCHECK_SCORPIO_JAR, see tests/support/scorpio.py)
    "scorpio-mim1-ngsi-ld": ("scorpio", "mim1-ngsi-ld"),
    # a run in which Scorpio's history lost the two updates sent right after the create (it
    # does so in about 4 of 9 runs here): re-record until the temporal rows show it
    "scorpio-mim1-ngsi-ld-lost-updates": ("scorpio", "mim1-ngsi-ld"),
}


def _oupcheck(*args: str, env: dict[str, str]) -> None:
    res = subprocess.run([sys.executable, "-m", "oupcheck.cli", *args], env=env,
                         capture_output=True, text=True, timeout=900)
    if res.returncode not in (0, 1, 3):
        raise SystemExit(f"oupcheck {' '.join(args)}: exit {res.returncode}\n{res.stderr[-2000:]}")


def record(name: str, env: dict[str, str], work: Path) -> Path:
    how, profile = PLAN[name]
    if how == "demo":
        _oupcheck("demo", "--profile", profile, "--polite", "--out", str(work / name), env=env)
        run = work / name / profile / "report"
    elif how == "scorpio":
        run = _record_scorpio(work / name, profile, env)
    elif how == "sensorthings":
        run = _record_sensorthings(work / name, profile, env)
    else:
        if how == "amqtt":
            from tests.support import amqtt_broker as platform
        else:
            from oupcheck.platforms import pygeoapi as platform  # type: ignore[no-redef]
        proc, url = platform.server(work / f"{name}-platform")
        proc.start()
        try:
            run = work / name / "report"
            run.parent.mkdir(parents=True, exist_ok=True)
            _oupcheck("run", "--profile", profile, "--target", url, "--polite", "--quiet",
                      "--out", str(run), env=env)
        finally:
            proc.stop()
    return keep(run, RECORDINGS / name)


def _record_scorpio(work: Path, profile: str, env: dict[str, str]) -> Path:
    """Scorpio with its notifications over HTTP (the suite's receiver) and MQTT (Mosquitto)."""
    from oupcheck.platforms import mosquitto
    from tests.support.scorpio import Scorpio, jar, target_file
    if jar() is None:
        raise SystemExit("scorpio-mim1-ngsi-ld: set OUPCHECK_SCORPIO_JAR to a Scorpio build "
                         "(quarkus-run.jar, see ../shared/targets.md)")
    work.mkdir(parents=True, exist_ok=True)
    broker, mqtt_url = mosquitto.server(work / "mosquitto")
    with broker, Scorpio(work / "scorpio", jar()) as scorpio:  # type: ignore[arg-type]
        target = target_file(work / "target.yaml", scorpio.url, mqtt_url)
        run = work / "report"
        _oupcheck("run", "--profile", profile, "--target", str(target), "--polite", "--quiet",
                  "--out", str(run), env=env)
    return run


def _record_sensorthings(work: Path, profile: str, env: dict[str, str]) -> Path:
    from tests.support import sensorthings_server, sta
    work.mkdir(parents=True, exist_ok=True)
    proc, url = sensorthings_server.server(work / "sta")
    with proc:
        sta.seed(url)
        target = work / "target.yaml"
        target.write_text(f"name: django-ogc-sensorthings\ninterfaces:\n"
                          f"  - {{kind: sensorthings, url: '{url}'}}\n", encoding="utf-8")
        run = work / "report"
        if profile.startswith("load-"):  # bounded: its steps are shortened to fit
            _oupcheck("load", "--profile", profile, "--target", str(target), "--duration", "24",
                      "--quiet", "--out", str(run), env=env)
        else:
            _oupcheck("run", "--profile", profile, "--target", str(target), "--polite",
                      "--quiet", "--out", str(run), env=env)
    return run


def keep(run: Path, dest: Path) -> Path:
    """The parts of a run folder that judging it again needs, made small."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    shutil.copy(run / "run-inputs.json", dest / "run-inputs.json")
    with (run / "evidence.jsonl").open(encoding="utf-8") as src, \
            gzip.open(dest / "evidence.jsonl.gz", "wt", encoding="utf-8", compresslevel=9) as out:
        for line in src:
            rec = json.loads(line)
            resp = rec.get("response") or {}
            if resp.get("body_stored"):
                resp["body"] = None
                rec.pop("curl", None)
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
    doc = json.loads((run / "report.json").read_text("utf-8"))
    slim = {"run": {k: doc["run"].get(k) for k in ("profile", "profile_version", "target_url",
                                                    "started", "requests", "in_flight",
                                                    "unreachable")},
            "summary": {k: doc["summary"][k] for k in ("outcome", "exit_code")},
            "rows": [{k: r.get(k) for k in ("requirement", "level", "verdict", "message")}
                     for r in doc["rows"]]}
    if doc.get("load") is not None:  # a load run is judged again from its recorded steps
        slim["load"] = doc["load"]
    if doc.get("score") is not None:  # the lock-in risk a certification reads
        slim["score"] = doc["score"]
    (dest / "report.json").write_text(json.dumps(slim, ensure_ascii=False, indent=1) + "\n",
                                      encoding="utf-8")
    return dest


def main(argv: list[str]) -> int:
    names = argv or list(PLAN)
    unknown = [n for n in names if n not in PLAN]
    if unknown:
        raise SystemExit(f"unknown recording {unknown[0]!r} (known: {', '.join(PLAN)})")
    env = dict(os.environ)
    env.setdefault("OUPCHECK_DATA_DIR", str(ROOT.parent / "shared" / "data"))
    env["OUPCHECK_LOOPBACK_ONLY"] = "1"  # as in the tests that judge the recordings again
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            dest = record(name, env, Path(tmp))
            size = sum(p.stat().st_size for p in dest.iterdir())
            print(f"{name}: {size // 1024} KiB in {dest.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
