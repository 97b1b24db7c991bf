"""TEST FIXTURE (test-only, not a platform): an HTTP server that answers nothing useful.

Every path under ``http://127.0.0.1:P/<mode>/`` gets the same answer, whatever the method,
the query or the headers:

==============  ==============================================================================
``not-found``   404, ``text/plain``, body ``not found``
``empty-json``  200, ``application/json``, body ``{}``
``empty-text``  200, ``text/plain``, empty body
==============  ==============================================================================

An unknown mode is a 404 too. The server is plain HTTP/1.1 (``BaseHTTPRequestHandler`` sends
``Date`` and ``Server``) and keeps connections alive. It exists for
``tests/test_blank_targets.py``: a profile run against it must not PASS any row.

    with BlankServer() as srv:
        srv.url("empty-json")      # 'http://127.0.0.1:P/empty-json/'
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODES: dict[str, tuple[int, str, bytes]] = {
    "not-found": (404, "text/plain; charset=utf-8", b"not found"),
    "empty-json": (200, "application/json", b"{}"),
    "empty-text": (200, "text/plain; charset=utf-8", b""),
}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        mode = self.path.lstrip("/").split("/", 1)[0].split("?", 1)[0]
        status, ctype, body = MODES.get(mode, MODES["not-found"])
        self.server.seen.append((self.command, self.path))  # type: ignore[attr-defined]
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_TRACE = _answer

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


class BlankServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.host, self.port = host, port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def seen(self) -> list[tuple[str, str]]:
        """(method, path) of every request received."""
        return self._server.seen if self._server else []  # type: ignore[attr-defined]

    def start(self) -> str:
        self._server = ThreadingHTTPServer((self.host, self.port), _Handler)
        self._server.daemon_threads = True
        self._server.seen = []  # type: ignore[attr-defined]
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="blank-server",
                                        daemon=True)
        self._thread.start()
        return f"http://{self.host}:{self.port}/"

    def url(self, mode: str) -> str:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r} (known: {', '.join(MODES)})")
        return f"http://{self.host}:{self.port}/{mode}/"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def __enter__(self) -> "BlankServer":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
