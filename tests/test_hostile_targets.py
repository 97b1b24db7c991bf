"""Hostile targets (issue 12): every command that talks to a target, run against test servers
that misbehave in one way each (``tests/support/hostile.py``), ends within its bound, with
bounded memory, no traceback, no raw target bytes on the terminal, no stray file, a report
where the command writes one, and a reason that names the misbehaviour.

The whole matrix (every kind x every command) is ``bench/hostile_matrix.py``; CI runs every
kind against ``run ogc-api-features-1`` and ``export``, and a cross-section of the others.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from tests.support.hostile import DESCRIPTIONS, HostileServer, command_argv, run_measured

# ESC, NUL, BEL and the other C0 controls except tab and newline, and DEL
RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
MAX_RSS_MIB = 250
BUDGET_S = 20  # the slow target's run budget here: the run must end near it

# what the run's words must say about each misbehaviour (in the terminal, the report's rows
# and findings, or the export's manifest)
NAMES = {
    "refused": r"Connection refused",
    "reset": r"reset by peer",
    "accept-hang": r"no answer within the read timeout",
    "headers-hang": r"read timeout|exchange deadline",
    "drip": r"not complete within the exchange deadline",
    "http09": r"invalid HTTP response \(first bytes: \{",
    "garbage": r"invalid HTTP response \(first bytes: \\x1b\[31mGARBAGE",
    "tls-garbage": r"invalid HTTP response \(first bytes: \\x15",
    "lying-length": r"closed before the body was complete",
    "header-flood": r"more than 100 headers",
    "gzip-bomb": r"larger than the cap",
    "huge-body": r"larger than the cap",
    "non-utf8": r"not UTF-8",
    "invalid-json": r"not JSON",
    "deep-json": r"nested deeper than 200",
    "redirect-loop": r"redirect loop",
    "redirect-offsite": r"leaves the host",
    "paging-cycle": r"paging cycle|pagination-cycle|leads back to an earlier page",
    "endless-paging": r"bound reached|runaway",
    "wrong-types": r"is not of type|/\S* is (a string|a number|an array|an object|missing)",
    "slow-correct": r"run budget spent",
}
# commands that never meet a kind's misbehaviour (so there is nothing to name)
UNMET = {("slow-correct", "export"), ("paging-cycle", "discover"), ("endless-paging", "discover"),
         ("slow-correct", "discover"), ("slow-correct", "load"), ("wrong-types", "discover"),
         ("paging-cycle", "load"), ("endless-paging", "load"),
         ("paging-cycle", "run security-baseline")}  # it reads one page, never pages

CASES = [(k, c) for k in sorted(DESCRIPTIONS) for c in ("run ogc-api-features-1", "export")]
CASES += [(k, f"run {p}") for p in ("mim1-ngsi-ld", "mim2-data-models", "security-baseline",
                                    "nl-api-design-rules-2.1.0", "open-protocols", "lock-in")
          for k in ("drip", "garbage", "wrong-types", "redirect-loop")]
CASES += [(k, c) for c in ("discover", "load") for k in ("drip", "garbage", "accept-hang",
                                                          "wrong-types")]
# a target that serves data, so that the fuzzers run (old: they left a '.hypothesis' folder in
# the working directory)
CASES += [("paging-cycle", "run security-baseline")]


def _words(res: dict, folder: Path) -> str:
    """Everything the command said: the terminal, report rows and findings, the manifest."""
    parts = [res["out"], res["err"]]
    report = folder / "out" / "report.json"
    if report.exists():
        doc = json.loads(report.read_text("utf-8"))
        parts += [f"{r.get('message')} {r.get('actual')}" for r in doc["rows"]]
        parts += [f["message"] for f in doc.get("findings") or []]
    manifest = folder / "out" / "manifest.json"
    if manifest.exists():
        parts += [f["message"] for f in json.loads(manifest.read_text("utf-8"))["findings"]]
    return "\n".join(parts)


@pytest.mark.parametrize("kind,command", CASES, ids=[f"{k}-{c.replace(' ', '-')}"
                                                      for k, c in CASES])
def test_hostile_target(kind, command, tmp_path, shared_data):
    env = dict(os.environ, OUPCHECK_DATA_DIR=str(shared_data))
    bound = BUDGET_S + 60 if command.startswith("run") else 60
    with HostileServer(kind, slow_s=1) as srv:
        res = run_measured(command_argv(command, srv.url, tmp_path, BUDGET_S), cwd=tmp_path,
                           env=env, timeout=bound)
    text = res["out"] + res["err"]
    described = f"{kind} x {command}: exit {res['code']} in {res['wall_s']} s\n{text[-2000:]}"
    assert res["code"] is not None, f"no end within {bound} s: " + described
    assert "Traceback" not in text and "INTERNALERROR" not in text, described
    assert res["code"] in (0, 1, 3), described  # never a usage error, never a crash
    assert not RAW_CONTROL.search(text), f"raw control bytes on the terminal: {text[-500:]!r}"
    assert res["rss_kb"] < MAX_RSS_MIB * 1024, f"peak RSS {res['rss_kb'] // 1024} MiB"
    stray = sorted(p.name for p in tmp_path.iterdir()
                   if p.name not in ("target.yaml", "out", "discovered.yaml"))
    assert not stray, f"stray files beside the output: {stray}"
    if command.startswith(("run", "load")):
        assert (tmp_path / "out" / "report.json").is_file(), "no report: " + described
    if (kind, command) not in UNMET:
        assert re.search(NAMES[kind], _words(res, tmp_path)), \
            f"the misbehaviour is not named ({NAMES[kind]!r}): " + described
    if kind == "slow-correct" and command.startswith("run"):
        # bounded by the budget (plus the exchange in flight), and reported as slow
        assert res["wall_s"] < BUDGET_S + 30, described
        findings = json.loads((tmp_path / "out" / "report.json").read_text("utf-8"))["findings"]
        kinds = {f["kind"]: f["message"] for f in findings}
        assert "run-budget-spent" in kinds and "slow target: median answer 1." in \
            kinds.get("slow-target", ""), findings


OGC = "http://www.opengis.net/spec/ogcapi-features-1/1.0/"
# rows whose verdict the misbehaviour decides (the good side, on pygeoapi, is in
# tests/test_ogc_features_selftests.py)
DECIDED = {
    ("endless-paging", "run ogc-api-features-1"): {
        # "all features" cannot be said of a scan that stopped at its bound
        OGC + "req/core/fc-md-extent": ("INCONCLUSIVE", "max_features_scan"),
        OGC + "req/core/fc-numberMatched": ("INCONCLUSIVE", "bound reached")},
    ("paging-cycle", "run ogc-api-features-1"): {
        OGC + "rec/core/fc-next-3": ("FAIL", "paging cycle")},
    ("redirect-loop", "run ogc-api-features-1"): {
        OGC + "req/core/root-success": ("FAIL", "redirect loop")},
    ("wrong-types", "run mim1-ngsi-ld"): {
        "ngsi-ld:5.7.1/retrieve": ("FAIL", "/id is a number (5), not a URI string")},
}


@pytest.mark.parametrize("kind,command", sorted(DECIDED), ids=[f"{k}-{c.replace(' ', '-')}"
                                                               for k, c in sorted(DECIDED)])
def test_the_misbehaviour_decides_its_rows(kind, command, tmp_path, shared_data):
    env = dict(os.environ, OUPCHECK_DATA_DIR=str(shared_data))
    with HostileServer(kind) as srv:
        res = run_measured(command_argv(command, srv.url, tmp_path, 120), cwd=tmp_path,
                           env=env, timeout=180)
    rows = {r["requirement"]: r for r in json.loads(
        (tmp_path / "out" / "report.json").read_text("utf-8"))["rows"]}
    for rid, (verdict, said) in DECIDED[(kind, command)].items():
        assert rows[rid]["verdict"] == verdict and said in rows[rid]["message"], rows[rid]


def test_every_kind_has_a_name_to_look_for():
    assert set(NAMES) == set(DESCRIPTIONS)


def test_discover_finds_a_real_platform(pygeoapi_url, oup, tmp_path):
    """The good side of the discover cases: a real pygeoapi is found as OGC API - Features,
    with its declared classes, and nothing else is claimed of it."""
    out = tmp_path / "found.yaml"
    res = oup("discover", pygeoapi_url, "--out", out, timeout=60)
    assert res.code == 0, res.describe()
    text = out.read_text("utf-8")
    assert "kind: ogc-api-features" in text and "conf/core" in text, text
    assert "ngsi-ld" not in text and "sensorthings" not in text, text
