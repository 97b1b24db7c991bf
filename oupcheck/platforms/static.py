"""A plain static file server on 127.0.0.1 (Python's http.server): publishes documents such
as the demo's AsyncAPI description next to a platform that cannot serve them itself."""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class _Quiet(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".yaml": "application/yaml"}

    def log_message(self, *args: object) -> None:
        pass


class StaticFiles:
    def __init__(self, directory: Path):
        handler = functools.partial(_Quiet, directory=str(directory))
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"

    def start(self) -> "StaticFiles":
        threading.Thread(target=self.server.serve_forever, daemon=True,
                         name="oupcheck-static").start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
