"""TEST-ONLY slow target for the load self-tests: a tiny threaded HTTP server answering the
OGC API - Features paths of the load scenario with fixed documents, fast while at most
``knee`` requests are in flight and ``slow_ms`` slow (or HTTP 503 with ``mode='error'``) for
every request that arrives above that. Not a platform, not part of the engine.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from oupcheck.platforms.nginx import STATIC_OGC

ROUTES = [(re.compile(r"^/$"), "landing.json"), (re.compile(r"^/collections$"), "collections.json"),
          (re.compile(r"^/collections/[^/]+$"), "collection.json"),
          (re.compile(r"^/collections/[^/]+/items$"), "items.json"),
          (re.compile(r"^/collections/[^/]+/items/[^/]+$"), "item.json")]


class SlowTarget:
    def __init__(self, knee: int, slow_ms: float = 300, fast_ms: float = 2, mode: str = "slow",
                 token: str | None = None):
        self.knee, self.slow_ms, self.fast_ms, self.mode = knee, slow_ms, fast_ms, mode
        self.token = token  # set: every request without "Authorization: Bearer <token>" gets 401
        self.in_flight = 0
        self.lock = threading.Lock()
        target = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *a: object) -> None:
                pass

            def do_GET(self) -> None:
                with target.lock:
                    target.in_flight += 1
                    over = target.in_flight > target.knee
                try:
                    path = urlsplit(self.path).path
                    name = next((f for rx, f in ROUTES if rx.match(path)), None)
                    status, body = (200, json.dumps(STATIC_OGC[name]).encode()) if name else \
                        (404, b"{}")
                    if over and target.mode == "error":
                        status, body = 503, b'{"title": "overloaded"}'
                    if target.token and self.headers.get("Authorization") != \
                            f"Bearer {target.token}":
                        status, body = 401, b'{"title": "unauthorised"}'
                    time.sleep((target.slow_ms if over and target.mode == "slow"
                                else target.fast_ms) / 1000)
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                finally:
                    with target.lock:
                        target.in_flight -= 1

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: object, client_address: object) -> None:
                pass  # clients that hang up when the load stops

        self.srv = Server(("127.0.0.1", 0), Handler)
        self.srv.daemon_threads = True
        self.srv.request_queue_size = 256
        self.thread = threading.Thread(target=self.srv.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.srv.server_address[1]}/"

    def __enter__(self) -> "SlowTarget":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.srv.shutdown()
        self.srv.server_close()
