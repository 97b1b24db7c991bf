"""Benchmark of the load generator (prints figures; not a timed test).

    .venv/bin/python bench/load_bench.py [--duration S] [--users N] [--workers W]

(a) nginx static (Debian): oupcheck's generator (``oupcheck load``, one step at N users, W
    local workers, no think time) against wrk (-c N) on the same URL for the same time;
    prints both rates and generator/wrk.
(b) bundled pygeoapi: the capacity knee of the step search with the load-ogc-api-features
    mix (users raised until an SLO breaks), against wrk on the mix's dominant request (most
    requests in the knee step) at the knee's concurrency; prints both rates and their ratio.
Both run on this machine beside the servers they load: read the ratio, not the absolute rates.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from oupcheck.platforms import pygeoapi  # noqa: E402
from oupcheck.platforms.nginx import NginxStatic  # noqa: E402


def wrk(url: str, connections: int, seconds: float, threads: int = 2) -> float:
    exe = shutil.which("wrk")
    if not exe:
        raise SystemExit("wrk is not installed (apt-get install -y wrk)")
    out = subprocess.run([exe, f"-t{min(threads, connections)}", f"-c{connections}",
                          f"-d{int(seconds)}s", url], capture_output=True, text=True,
                         check=True).stdout
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def oupcheck_load(profile: Path, url: str, out: Path, workers: int) -> dict:
    proc = subprocess.run([sys.executable, "-m", "oupcheck.cli", "load", "--profile",
                           str(profile), "--target", url, "--out", str(out), "--workers",
                           str(workers), "--quiet"], cwd=ROOT, capture_output=True, text=True)
    report = out / "report.json"
    if not report.is_file():
        raise SystemExit(f"oupcheck load failed ({proc.returncode}): {proc.stderr[-800:]}")
    return json.loads(report.read_text())["load"]


def profile(work: Path, name: str, tasks: str, steps: str, extra: str = "") -> Path:
    p = work / f"{name}.yaml"
    p.write_text(f"id: {name}\nversion: 1.0.0\ntitle: bench\nextends: [load-ogc-api-features]\n"
                 f"{extra}load:\n  scenario: ogc-api-features\n  tasks: {tasks}\n"
                 f"  steps: {steps}\n  max_duration_s: 600\n"
                 "  slos: [EIPSCC-RS-ARCH-4/slo/ogc-api-features/latency-p95, "
                 "EIPSCC-RS-ARCH-4/slo/ogc-api-features/latency-p99, "
                 "EIPSCC-RS-ARCH-4/slo/ogc-api-features/error-rate, "
                 "EIPSCC-RS-ARCH-4/slo/ogc-api-features/throughput]\n"
                 "  capacity: EIPSCC-RS-ARCH-4\n")
    return p


def bench_static(work: Path, seconds: float, users: int, workers: int) -> None:
    with NginxStatic(work, worker_processes=1) as srv:
        prof = profile(work, "bench-static", "{collections: 1}",
                       f"{{start_users: {users}, step_users: 1, max_users: {users}, "
                       f"step_duration_s: {seconds}, settle_s: 1}}",
                       extra="requirements:\n" + "".join(
                           f"  - {{id: EIPSCC-RS-ARCH-4/slo/ogc-api-features/{k}, standard: "
                           f"EIP-SCC RS, clause: x, level: MUST, statement: bench, thresholds: "
                           f"{{metric: {m}, {b}, at_users: {users}}}}}\n"
                           for k, m, b in (("latency-p95", "p95_ms", "max: 1000"),
                                           ("latency-p99", "p99_ms", "max: 2000"),
                                           ("error-rate", "error_rate", "max: 0.01"),
                                           ("throughput", "throughput_rps", "min: 1"))))
        load = oupcheck_load(prof, srv.url, work / "out-static", workers)
        gen = load["steps"][0]["rps"]
        ref = wrk(srv.url + "collections", users, seconds)
    print(f"(a) nginx static GET /collections, {users} connections, {seconds:g} s, "
          f"{workers} locust worker(s): oupcheck generator {gen:.0f} req/s, wrk {ref:.0f} req/s, "
          f"generator/wrk = {gen / ref:.2f}", flush=True)


def bench_pygeoapi(work: Path, seconds: float, workers: int, max_users: int,
                   step_users: int) -> None:
    proc, url = pygeoapi.server(work / "pygeoapi")
    with proc:
        prof = profile(work, "bench-pygeoapi",
                       "{landing: 1, collections: 2, collection: 1, items_bbox: 6, "
                       "items_datetime: 3, items_paging: 2, item: 2}",
                       f"{{start_users: {step_users}, step_users: {step_users}, "
                       f"max_users: {max_users}, "
                       f"step_duration_s: {seconds}, settle_s: 1}}")
        load = oupcheck_load(prof, url, work / "out-pygeoapi", workers)
        kn = load["knee"]
        if not kn:
            print(f"(b) pygeoapi: no step met the SLOs ({load.get('stopped')})")
            return
        step = load["steps"][kn["step"]]
        # the dominant request of the mix: the one with most requests in the knee step
        top = step["by_request"][0]
        dominant, share = top["name"], top["requests"] / max(step["requests"], 1)
        import requests
        cs = requests.get(url + "collections", headers={"Accept": "application/json"},
                          timeout=10).json()["collections"]
        c = cs[0]
        x0, y0, x1, y1 = c["extent"]["spatial"]["bbox"][0]
        w, h = (x1 - x0) / 4, (y1 - y0) / 4
        bbox = f"{x0 + w * 1.5:.5f},{y0 + h * 1.5:.5f},{x0 + w * 2.5:.5f},{y0 + h * 2.5:.5f}"
        items = f"{url}collections/{c['id']}/items?limit=10"
        urls = {"landing": url, "collections": url + "collections",
                "collection": f"{url}collections/{c['id']}", "items?bbox": f"{items}&bbox={bbox}",
                "items (page 1)": items, "items (next page)": f"{items}&offset=10"}
        wurl = urls.get(dominant.split(" ", 1)[-1], f"{items}&bbox={bbox}")
        print("    knee step by request: " + ", ".join(
            f"{r['name']} {r['requests']}" for r in step["by_request"]), flush=True)
        ref = wrk(wurl, kn["users"], seconds)
    print(f"(b) bundled pygeoapi, load-ogc-api-features mix: knee {kn['rps']:.1f} req/s at "
          f"{kn['users']} users (p95 {kn['p95_ms']} ms; search ended: {load['stopped']}); "
          f"wrk on the dominant request ({dominant}, {100 * share:.0f}% of the knee step; {wurl}) "
          f"at {kn['users']} connections: "
          f"{ref:.1f} req/s; knee/wrk = {kn['rps'] / ref:.2f}", flush=True)
    for s in load["steps"]:
        print(f"    step {s['users']:>3} users: {s['rps']:8.1f} req/s  p95 {s['p95_ms']} ms  "
              f"p99 {s['p99_ms']} ms  failed {s['failures']}  {'hold' if s['ok'] else 'break'}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=float, default=10)
    ap.add_argument("--users", type=int, default=32)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--knee-max-users", type=int, default=300,
                    help="(b): raise users up to this many until an SLO breaks")
    ap.add_argument("--knee-step", type=int, default=30, help="(b): users added per step")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="oupcheck-load-bench-") as tmp:
        bench_static(Path(tmp), a.duration, a.users, a.workers)
        bench_pygeoapi(Path(tmp), a.duration, a.workers, a.knee_max_users, a.knee_step)


if __name__ == "__main__":
    main()
