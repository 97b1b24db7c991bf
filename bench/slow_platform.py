"""Benchmark: a slow but correct platform (real pygeoapi behind a proxy that holds every
request 5 s) certified with ogc-api-features-1; prints the wall time, the requests sent,
the outcome and the budget and pace findings. Not a timed test (issue 12).

    .venv/bin/python bench/slow_platform.py [--suite DIR] [--budget S] [-- extra run options]

``--suite DIR`` runs the oupcheck source tree in DIR (e.g. a git worktree of an older commit)
instead of the installed one, so before and after can be compared on the same platform.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from oupcheck.platforms import pygeoapi  # noqa: E402
from tests.support.faultproxy import FaultProxy  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--suite", help="run the oupcheck source tree in this folder")
    ap.add_argument("--budget", type=float, default=None)
    ap.add_argument("--fault", default="slow-5s")
    ap.add_argument("-v", action="store_true", help="print the FAIL and ERROR rows")
    ap.add_argument("extra", nargs="*")
    args = ap.parse_args()
    env = dict(os.environ)
    env.setdefault("OUPCHECK_DATA_DIR", str(ROOT.parent / "shared" / "data"))
    if args.suite:
        env["PYTHONPATH"] = str(Path(args.suite).resolve())
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = pygeoapi.server(Path(tmp) / "pygeoapi")
        proc.start()
        try:
            proxy = FaultProxy(url)
            base = proxy.start()
            argv = [sys.executable, "-m", "oupcheck.cli", "run", "--profile",
                    "ogc-api-features-1", "--target", f"{base}{args.fault}/", "--out",
                    str(Path(tmp) / "out"), "--quiet", *args.extra]
            if args.budget is not None:
                argv += ["--budget", str(args.budget)]
            t0 = time.monotonic()
            res = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=tmp)
            wall = time.monotonic() - t0
            report = Path(tmp) / "out" / "report.json"
            doc = json.loads(report.read_text("utf-8")) if report.exists() else None
        finally:
            proxy.stop()
            proc.stop()
    print(f"suite: {args.suite or 'installed'}  fault: {args.fault}  wall: {wall:.0f} s  "
          f"exit: {res.returncode}")
    if doc:
        counts: dict[str, int] = {}
        for r in doc["rows"]:
            counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
        print(f"requests: {doc['run']['requests']}  outcome: {doc['summary']['outcome']}  "
              f"rows: {counts}")
        for r in doc["rows"]:
            if r["verdict"] in ("FAIL", "ERROR") and "-v" in sys.argv:
                print(f"  {r['verdict']} {r['requirement']}: {r['message'][:160]}")
        for f in doc["findings"]:
            if f["kind"] in ("run-budget-spent", "slow-target"):
                print(f"  {f['message']}")
    else:
        print(res.stderr[-2000:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
