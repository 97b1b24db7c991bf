"""Benchmark: export N generated features through OGC API - Features paging and print peak
RSS and items/s (memory must stay flat as N grows). Not a timed test.

    .venv/bin/python bench/export_bench.py [N ...]        (default: 100000 1000000)

The served collection is a BENCH FIXTURE: a small generator server in this script that makes
features on the fly by offset (no real server holds a million features here in reasonable
time); the exporter under test is oupcheck's own, run in a child process per N.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[1]


def make_server(total: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def do_GET(self):
            u = urlsplit(self.path)
            q = {k: v[-1] for k, v in parse_qs(u.query).items()}
            host = f"http://127.0.0.1:{self.server.server_address[1]}"
            if u.path.rstrip("/") == "/collections":
                body = {"collections": [{"id": "synthetic", "title": "generated features",
                                         "links": [{"rel": "license", "href":
                                                    "https://creativecommons.org/licenses/by/4.0/"}]}]}
            elif u.path == "/collections/synthetic/items":
                limit, offset = int(q.get("limit", 10)), int(q.get("offset", 0))
                n = max(0, min(limit, total - offset))
                feats = [{"type": "Feature", "id": f"f{i}",
                          "geometry": {"type": "Point", "coordinates": [4.9 + i % 1000 / 1e4,
                                                                        52.3 + i // 1000 / 1e5]},
                          "properties": {"sensor": f"s{i % 97}", "value": i % 1013,
                                         "observed": "2026-01-01T00:00:00Z"}}
                         for i in range(offset, offset + n)]
                links = []
                if offset + n < total:
                    links.append({"rel": "next", "type": "application/geo+json",
                                  "href": f"{host}/collections/synthetic/items?limit={limit}"
                                          f"&offset={offset + n}"})
                body = {"type": "FeatureCollection", "features": feats, "numberMatched": total,
                        "numberReturned": n, "links": links}
            else:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/geo+json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    return srv


CHILD = """
import json, resource, sys, time
from pathlib import Path
from oupcheck.export import export
from oupcheck.target import from_url
t0 = time.monotonic()
code, res, summary = export(from_url(sys.argv[1], "ogc-api-features"), Path(sys.argv[2]),
                            page_size=1000, formats=tuple(sys.argv[3].split(",")))
print(json.dumps({"code": code, "items": res.items if res else 0,
                  "seconds": time.monotonic() - t0,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(total: int, formats: str) -> dict:
    srv = make_server(total)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            out = subprocess.run([sys.executable, "-c", CHILD,
                                  f"http://127.0.0.1:{srv.server_address[1]}/",
                                  str(Path(tmp) / "export"), formats],
                                 cwd=ROOT, capture_output=True, text=True, check=True)
            return json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        srv.shutdown()
        srv.server_close()


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [100_000, 1_000_000]
    print(f"{'items':>9} {'formats':<18} {'seconds':>8} {'items/s':>9} {'peak RSS MB':>12}")
    for n in sizes:
        for formats in ("ndjson", "ndjson,geojson,csv"):
            r = run(n, formats)
            assert r["code"] == 0 and r["items"] == n, r
            print(f"{n:>9} {formats:<18} {r['seconds']:>8.1f} {n / r['seconds']:>9.0f} "
                  f"{r['peak_rss_mb']:>12.1f}", flush=True)


if __name__ == "__main__":
    main()
