"""Benchmark: requests in flight (issue 13). Real pygeoapi behind a proxy that holds every
request 50 ms (a platform across a city's network), certified with a profile once per
in-flight setting; prints wall time, requests, the time spent waiting on the target, and
whether every row's verdict and message are the same as with one request at a time.
Not a timed test.

    .venv/bin/python bench/in_flight_bench.py [--profile ID] [--delay slow-50ms] [N ...]

``N ...`` are the in-flight settings to compare (default: 1 4 8); 1 is ``--polite``.
``--suite DIR`` runs the oupcheck source tree in DIR (e.g. a worktree of an older commit,
which knows no --in-flight: give it the setting 0 to run it without the option).
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


def certify(base: str, profile: str, n: int, out: Path, env: dict[str, str]) -> dict:
    argv = [sys.executable, "-m", "oupcheck.cli", "run", "--profile", profile, "--target",
            base, "--out", str(out), "--quiet"] + (["--in-flight", str(n)] if n else [])
    t0 = time.monotonic()
    res = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=out.parent)
    wall = time.monotonic() - t0
    report = out / "report.json"
    if not report.exists():
        raise SystemExit(f"no report (exit {res.returncode}): {res.stderr[-1500:]}")
    doc = json.loads(report.read_text("utf-8"))
    waited = 0.0
    with (out / "evidence.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            waited += (json.loads(line).get("elapsed_ms") or 0) / 1000
    rows = {r["requirement"]: (r["verdict"], r["message"]) for r in doc["rows"]}
    return {"n": n, "wall": wall, "requests": doc["run"]["requests"], "waited": waited,
            "rows": rows, "outcome": doc["summary"]["outcome"]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", default="ogc-api-features-1")
    ap.add_argument("--delay", default="slow-50ms", help="fault of tests/support/faultproxy.py")
    ap.add_argument("--suite", help="run the oupcheck source tree in this folder")
    ap.add_argument("-v", action="store_true", help="print the rows that differ")
    ap.add_argument("settings", nargs="*", type=int, default=[1, 4, 8])
    args = ap.parse_args()
    env = dict(os.environ)
    env.setdefault("OUPCHECK_DATA_DIR", str(ROOT.parent / "shared" / "data"))
    if args.suite:
        env["PYTHONPATH"] = str(Path(args.suite).resolve())
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = pygeoapi.server(Path(tmp) / "pygeoapi")
        proc.start()
        proxy = FaultProxy(url)
        try:
            base = proxy.start() + args.delay + "/"
            for n in args.settings:
                results.append(certify(base, args.profile, n, Path(tmp) / f"out-{n}", env))
        finally:
            proxy.stop()
            proc.stop()
    first = results[0]
    print(f"profile {args.profile}, every answer held {args.delay}; suite: "
          f"{args.suite or 'installed'}")
    print(f"{'in flight':>9} {'wall s':>7} {'requests':>8} {'waited s':>8}  outcome  "
          "rows as with the first setting")
    for r in results:
        diff = [k for k in first["rows"] if first["rows"][k] != r["rows"].get(k)]
        same = "identical" if not diff and r["rows"].keys() == first["rows"].keys() else \
            f"{len(diff)} differ: {', '.join(diff[:3])}"
        print(f"{r['n'] or 'default':>9} {r['wall']:7.1f} {r['requests']:8d} {r['waited']:8.1f}  "
              f"{r['outcome']}  {same}")
        for k in diff[:3] if "-v" in sys.argv else []:
            print(f"    {k}\n      {first['rows'][k]}\n      {r['rows'].get(k)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
