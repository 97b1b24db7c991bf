"""TEST FIXTURE (test-only, not a platform, not part of the engine): a small threaded HTTP(S)
server on 127.0.0.1 that answers like an OGC API - Features service (landing page,
/conformance, /collections, /collections/x, /collections/x/items, /collections/x/items/{id},
/api) and ECHOES every credential it receives, in every form a careless server might:

- in its JSON bodies (``echo``: the Authorization header, the named header, the raw query
  string and the decoded query value, the decoded user:password of a basic credential, the
  base64 of the token);
- in ``links[].href`` (the request URL with its query string as received, and again with the
  query value decoded; header credentials added as ``seen=``), also in the features' links;
- in response headers (``X-Echo-*`` and a ``Link`` header);
- in error bodies (404 for unknown paths and items, 400 for a bad ``limit``/``bbox``, 405 for
  writes) quoting the request line;
- in HTML pages (``f=html`` or ``Accept: text/html``), HTML-escaped.

JSON is written with ``/`` escaped as ``\\/`` (valid JSON, as PHP writes it), so JSON-escaped
forms reach the suite too. It exists for ``tests/test_secrets_selftest.py``: whatever the
server echoes must never reach an output file of oupcheck.
"""

from __future__ import annotations

import base64
import html
import json
import re
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote_plus, urlsplit

CONF = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"
FEATURES = [
    {"type": "Feature", "id": str(i), "geometry": {"type": "Point", "coordinates": [5.1 + i / 100, 52.09]},
     "properties": {"name": f"sensor {i}", "datetime": f"2024-05-0{i}T12:00:00Z"}}
    for i in range(1, 4)]
EXTENT = {"spatial": {"bbox": [[5.0, 52.0, 5.2, 52.2]],
                      "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"},
          "temporal": {"interval": [["2024-05-01T00:00:00Z", "2024-05-31T00:00:00Z"]]}}


class EchoServer:
    """``with EchoServer(header="X-City-Key", query="apikey") as srv: srv.url``"""

    def __init__(self, *, header: str = "X-City-Key", query: str = "apikey",
                 tls: ssl.SSLContext | None = None):
        self.header, self.query, self.tls = header, query, tls
        self.seen: list[dict[str, Any]] = []  # what the server was sent (for the test to assert)
        server = self

        class Handler(_Handler):
            echo_server = server

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def finish_request(self, request: socket.socket, client_address: Any) -> None:
                if server.tls is not None:  # the handshake in the request's thread
                    request.settimeout(10)
                    try:
                        request = server.tls.wrap_socket(request, server_side=True)
                    except (ssl.SSLError, OSError):
                        return
                super().finish_request(request, client_address)

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # scanners hang up mid-request; nothing to say about it

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "EchoServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _b64(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


class _Handler(BaseHTTPRequestHandler):
    echo_server: EchoServer
    protocol_version = "HTTP/1.1"
    server_version = "EchoFixture/1.0"

    def log_message(self, *a: object) -> None:
        pass

    # -- what was received, echoed back -----------------------------------------------------
    def _echo(self) -> dict[str, Any]:
        srv = self.echo_server
        parts = urlsplit(self.path)
        qs = parse_qs(parts.query, keep_blank_values=True)
        auth = self.headers.get("Authorization")
        echo: dict[str, Any] = {"request": f"{self.command} {self.path}",
                                "authorization": auth,
                                "header": self.headers.get(srv.header),
                                "query_raw": parts.query,
                                "query_value": (qs.get(srv.query) or [None])[0]}
        if auth and auth.startswith("Basic "):
            try:
                echo["basic_decoded"] = base64.b64decode(auth[6:]).decode()
            except ValueError:
                pass
        token = (auth[7:] if auth and auth.startswith("Bearer ") else None) \
            or echo["header"] or echo["query_value"]
        if token:
            echo["token_b64"] = _b64(token)
        srv.seen.append(echo)
        return echo

    def _href(self, path: str, decoded: bool = False) -> str:
        """``path`` on this server with the request's query string appended (as received, or
        with the credential's value decoded)."""
        parts = urlsplit(self.path)
        q = parts.query
        if decoded and q:
            value = (parse_qs(q).get(self.echo_server.query) or [None])[0]
            if value is not None:
                q = f"{self.echo_server.query}={value}"
        # the header credentials too, as a query parameter of every link
        for name in ("Authorization", self.echo_server.header):
            if self.headers.get(name):
                q = "&".join(p for p in (q, f"seen={quote_plus(self.headers[name])}") if p)
        host = self.headers.get("Host") or f"127.0.0.1:{self.echo_server.port}"
        scheme = "https" if self.echo_server.tls else "http"
        return f"{scheme}://{host}{path}" + (f"?{q}" if q else "")

    def _links(self, path: str, extra: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        return [{"href": self._href(path), "rel": "self", "type": "application/json",
                 "title": "this document"},
                {"href": self._href(path, decoded=True), "rel": "alternate",
                 "type": "application/json", "title": "this document, key decoded"},
                {"href": self._href(path) + ("&" if "?" in self._href(path) else "?") + "f=html",
                 "rel": "alternate", "type": "text/html", "title": "as HTML"},
                *(extra or [])]

    # -- answers --------------------------------------------------------------------------
    def _send(self, status: int, doc: Any, ctype: str = "application/json",
              echo: dict[str, Any] | None = None) -> None:
        echo = echo if echo is not None else self._echo()
        want_html = "f=html" in urlsplit(self.path).query or \
            (self.headers.get("Accept") or "").startswith("text/html")
        if want_html and status == 200:
            body = ("<!DOCTYPE html><html><head><title>echo</title></head><body><h1>echo</h1>"
                    f"<pre>{html.escape(json.dumps(doc, indent=1))}</pre>"
                    f"<a href=\"{html.escape(self._href(urlsplit(self.path).path))}\">self</a>"
                    "</body></html>").encode()
            ctype = "text/html; charset=utf-8"
        else:
            body = json.dumps(doc, ensure_ascii=False).replace("/", "\\/").encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Link", f'<{self._href(urlsplit(self.path).path)}>; rel="self"')
        for k in ("authorization", "header", "query_raw", "query_value", "basic_decoded",
                  "token_b64"):
            if echo.get(k):
                self.send_header(f"X-Echo-{k.replace('_', '-')}", str(echo[k]))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status: int, title: str) -> None:
        echo = self._echo()
        self._send(status, {"code": title, "description": f"{title}: {self.command} {self.path}",
                            "request_url": self._href(urlsplit(self.path).path),
                            "echo": echo}, "application/problem+json", echo)

    def do_GET(self) -> None:  # noqa: C901 - one route table
        parts = urlsplit(self.path)
        path = parts.path.rstrip("/") or "/"
        qs = parse_qs(parts.query)
        echo = self._echo()
        if path == "/":
            doc = {"title": "echo fixture", "description": f"you sent {echo['request']}",
                   "echo": echo,
                   "links": self._links("/", [
                       {"href": self._href("/api"), "rel": "service-desc",
                        "type": "application/vnd.oai.openapi+json;version=3.0"},
                       {"href": self._href("/conformance"), "rel": "conformance",
                        "type": "application/json"},
                       {"href": self._href("/collections"), "rel": "data",
                        "type": "application/json"}])}
            return self._send(200, doc, echo=echo)
        if path == "/conformance":
            return self._send(200, {"conformsTo": [CONF + c for c in ("core", "geojson", "oas30",
                                                                      "html")],
                                    "links": self._links("/conformance"), "echo": echo}, echo=echo)
        if path == "/api":
            return self._send(200, {"openapi": "3.0.3",
                                    "info": {"title": "echo", "version": "1.0",
                                             "description": f"you sent {echo['request']}"},
                                    "servers": [{"url": self._href("/")}],
                                    "paths": {"/collections/x/items": {"get": {
                                        "responses": {"200": {"description": "items"}}}}}},
                              "application/vnd.oai.openapi+json;version=3.0", echo)
        if path == "/collections":
            return self._send(200, {"collections": [self._collection()],
                                    "links": self._links("/collections"), "echo": echo},
                              echo=echo)
        if path == "/collections/x":
            return self._send(200, {**self._collection(), "echo": echo}, echo=echo)
        if path == "/collections/x/items":
            try:
                limit = int((qs.get("limit") or ["10"])[0])
                offset = int((qs.get("offset") or ["0"])[0])
                if not 1 <= limit <= 10000 or offset < 0:
                    raise ValueError
                if "bbox" in qs:
                    box = [float(v) for v in qs["bbox"][0].split(",")]
                    if len(box) not in (4, 6):
                        raise ValueError
            except ValueError:
                return self._error(400, "InvalidParameterValue")
            feats = [self._feature(f) for f in FEATURES[offset:offset + limit]]
            extra = []
            if offset + limit < len(FEATURES):
                host = self._href("/collections/x/items").split("?")[0]
                keep = [p for p in urlsplit(self._href("/")).query.split("&")
                        if p and not p.startswith("offset=")]
                extra.append({"href": host + "?" + "&".join(keep + [f"offset={offset + limit}"]),
                              "rel": "next", "type": "application/geo+json"})
            return self._send(200, {"type": "FeatureCollection", "features": feats,
                                    "numberMatched": len(FEATURES), "numberReturned": len(feats),
                                    "timeStamp": "2024-06-01T00:00:00Z",
                                    "links": self._links("/collections/x/items", extra),
                                    "echo": echo}, "application/geo+json", echo)
        m = re.fullmatch(r"/collections/x/items/([^/]+)", path)
        if m:
            feat = next((f for f in FEATURES if f["id"] == m.group(1)), None)
            if feat is None:
                return self._error(404, "NotFound")
            return self._send(200, self._feature(feat), "application/geo+json", echo)
        return self._error(404, "NotFound")

    do_HEAD = do_GET

    def do_POST(self) -> None:
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(min(n, 1 << 20))
        self._error(405, "MethodNotAllowed")

    do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_TRACE = do_POST

    def _collection(self) -> dict[str, Any]:
        return {"id": "x", "title": "echo collection", "extent": EXTENT,
                "itemType": "feature", "crs": ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"],
                "links": self._links("/collections/x", [
                    {"href": self._href("/collections/x/items"), "rel": "items",
                     "type": "application/geo+json"},
                    {"href": "https://creativecommons.org/publicdomain/zero/1.0/?"
                             + urlsplit(self._href("/")).query,
                     "rel": "license", "type": "text/html", "title": "CC0 1.0"}])}

    def _feature(self, f: dict[str, Any]) -> dict[str, Any]:
        return {**f, "properties": {**f["properties"], "seen_with": self.path},
                "links": self._links(f"/collections/x/items/{f['id']}")}
