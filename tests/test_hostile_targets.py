"""Hostile targets, one test server each on loopback (issue 12, started here): every command
that talks to a target ends with exit 3, no traceback, one reason, and the target's bytes are
never written raw to the terminal."""

from __future__ import annotations

import re
import socket
import threading
from typing import Iterator

import pytest

# ESC, NUL, BEL and the other C0 controls except tab and newline, and DEL
RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
GARBAGE = b"\x1b[31mGARBAGE\x00\x07 \x1b]0;pwned\x07 tail\r\n\r\n"


@pytest.fixture
def garbage_port() -> Iterator[int]:
    """Answers every request with bytes that are no HTTP response: terminal escapes, NUL, BEL
    (an OSC title change among them), then closes."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                try:
                    conn.settimeout(2)
                    conn.recv(65536)
                    conn.sendall(GARBAGE)
                except OSError:
                    pass

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    yield listener.getsockname()[1]
    stop.set()
    t.join(2)
    listener.close()


COMMANDS = {
    "run": lambda url, out: ["run", "--profile", "ogc-api-features-1", "--target", url,
                             "--out", out],
    "export": lambda url, out: ["export", "--target", url, "--out", out],
    "load": lambda url, out: ["load", "--profile", "load-ogc-api-features", "--target", url,
                              "--out", out],
    "discover": lambda url, out: ["discover", url],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_garbage_bytes_never_reach_the_terminal_raw(command, garbage_port, oup, tmp_path):
    """Old: the final line of export and load printed ESC, NUL and BEL as they came."""
    url = f"http://127.0.0.1:{garbage_port}/"
    res = oup(*COMMANDS[command](url, tmp_path / "out"), timeout=180)
    assert res.code == 3, res.describe()
    text = res.stdout + res.stderr
    assert "Traceback" not in text, res.describe()
    assert not RAW_CONTROL.search(text), f"raw control bytes on the terminal: {text!r}"
    if command != "discover":
        assert "invalid HTTP response (first bytes: \\x1b[31mGARBAGE" in text, text


@pytest.fixture
def deep_json_url() -> Iterator[str]:
    """Answers every request 200 with JSON nested 100 000 levels deep (a valid document that
    breaks recursive parsers)."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    deep = b"[" * 100_000 + b"]" * 100_000

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server interface
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(deep)))
            self.end_headers()
            self.wfile.write(deep)

        do_POST = do_GET

        def log_message(self, *args):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/"
    srv.shutdown()
    srv.server_close()


@pytest.mark.parametrize("command", [["run", "--profile", "ogc-api-features-1"],
                                     ["run", "--profile", "mim1-ngsi-ld"], ["export"]],
                         ids=["ogc-api-features-1", "mim1-ngsi-ld", "export"])
def test_deep_json_is_judged_not_crashed_on(command, deep_json_url, oup, tmp_path):
    """Old: RecursionError: pytest INTERNALERROR without a report (run), a traceback (export),
    or ERROR rows reading 'suite error ... RecursionError'."""
    out = tmp_path / "out"
    res = oup(*command, "--target", deep_json_url, "--out", out, timeout=180)
    text = res.stdout + res.stderr
    assert "Traceback" not in text and "INTERNALERROR" not in text, res.describe()
    assert res.code in (1, 3), res.describe()
    if command[0] == "export":
        assert "nested deeper than" in text, text
        assert [p.name for p in tmp_path.iterdir()] == [], "stray files beside --out"
        return
    assert res.report is not None, res.describe()
    rows = res.report["rows"]
    assert not [r for r in rows if "RecursionError" in (r["message"] or "")], rows
    assert any("nested deeper than" in (r["message"] or "") for r in rows), \
        [r["message"] for r in rows][:5]
    assert not [r for r in rows if r["verdict"] == "PASS"], "a PASS on bodies nobody read"
