"""A reverse proxy that puts named faults in front of a real platform.

``http://127.0.0.1:P/<fault>/collections?x=1`` is forwarded to ``<upstream>/collections?x=1``;
the answer passes through the fault before it is returned. Every occurrence of the upstream
base URL in text bodies and in ``Location``/``Link`` headers is rewritten to
``http://127.0.0.1:P/<fault>``, so links the client follows stay on the same fault.

A fault has up to two hooks, both registered with decorators:

    @request_fault("ignore-limit")          # before forwarding
    def _(req):
        req.drop("limit", "offset")          # mutate req; or return a Response to answer directly

    @fault("drop-self-links")               # after forwarding (and after URL rewriting)
    def _(req, resp):
        data = resp.json()                   # None unless the body is JSON
        ...
        resp.set_json(data)                  # mutate resp (return None), or return a new Response

Both decorators may be used with the same name to give one fault both hooks. A direct
answer from a request hook is final: it is not forwarded and no response hook runs.

HEAD is sent upstream as GET and the body dropped after the fault ran, so the headers of a
HEAD (Content-Length included) are those of a GET through the same fault.

Standalone: ``python -m tests.support.faultproxy --upstream http://127.0.0.1:5077/ --port 8099``
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
import traceback
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
from requests.structures import CaseInsensitiveDict

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
              "trailer", "trailers", "transfer-encoding", "upgrade", "proxy-connection"}
# set by this proxy (length, server, date) or no longer true after requests decoded the body
RECOMPUTED = {"content-length", "content-encoding", "server", "date"}
URL_HEADERS = ("location", "content-location", "link")
TEXT_TYPES = ("json", "html", "yaml", "openapi", "xml", "text/", "javascript")
ITEMS_PATH = r"^/collections/[^/]+/items/?$"


# -- the objects a fault sees ------------------------------------------------------------------

@dataclass
class Request:
    """The client's request with the fault segment removed from the path."""
    method: str
    path: str                      # e.g. "/collections/x/items" (still percent-encoded)
    query: dict[str, list[str]]    # parse_qs(..., keep_blank_values=True); edit freely
    headers: CaseInsensitiveDict
    body: bytes
    fault: str
    base: str                      # the proxy base for this fault, "http://127.0.0.1:P/<fault>"
    raw_query: str = ""
    _parsed: dict[str, list[str]] = field(default_factory=dict, repr=False)

    def match(self, pattern: str) -> re.Match | None:
        return re.search(pattern, self.path)

    @property
    def is_items(self) -> bool:
        return self.match(ITEMS_PATH) is not None

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def drop(self, *names: str) -> None:
        for name in names:
            self.query.pop(name, None)

    @property
    def query_string(self) -> str:
        """The raw query if no hook changed it (keeps the client's encoding), else re-encoded."""
        if self.query == self._parsed:
            return self.raw_query
        return urlencode(self.query, doseq=True)


@dataclass
class Response:
    status: int
    headers: CaseInsensitiveDict = field(default_factory=CaseInsensitiveDict)
    body: bytes = b""

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "").lower()

    @property
    def is_text(self) -> bool:
        return any(t in self.content_type for t in TEXT_TYPES)

    def json(self) -> Any:
        """The parsed body, or None if it is not JSON."""
        if "json" not in self.content_type:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def set_json(self, obj: Any, content_type: str | None = None) -> None:
        self.body = json.dumps(obj, ensure_ascii=False).encode("utf-8")
        if content_type or "json" not in self.content_type:
            self.headers["Content-Type"] = content_type or "application/json"

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    @text.setter
    def text(self, value: str) -> None:
        self.body = value.encode("utf-8")

    @classmethod
    def from_json(cls, status: int, obj: Any, **headers: str) -> "Response":
        resp = cls(status, CaseInsensitiveDict(headers))
        resp.set_json(obj)
        return resp

    @classmethod
    def exception(cls, status: int, code: str, description: str) -> "Response":
        """An OGC API exception document."""
        return cls.from_json(status, {"code": code, "description": description})


RequestHook = Callable[[Request], "Response | None"]
ResponseHook = Callable[[Request, Response], "Response | None"]


@dataclass
class Fault:
    name: str
    request: RequestHook | None = None    # mutate req / return a Response to answer directly
    response: ResponseHook | None = None  # mutate resp / return a replacement
    doc: str = ""


FAULTS: dict[str, Fault] = {}


def _register(name: str, stage: str, fn: Callable, doc: str | None) -> None:
    f = FAULTS.setdefault(name, Fault(name))
    if getattr(f, stage) is not None:
        raise ValueError(f"fault {name!r} already has a {stage} hook")
    setattr(f, stage, fn)
    f.doc = f.doc or doc or (fn.__doc__ or "").strip()


def fault(name: str, doc: str | None = None) -> Callable[[ResponseHook], ResponseHook]:
    """Register ``fn(req, resp)`` as the response hook of fault ``name``."""
    def deco(fn: ResponseHook) -> ResponseHook:
        _register(name, "response", fn, doc)
        return fn
    return deco


def request_fault(name: str, doc: str | None = None) -> Callable[[RequestHook], RequestHook]:
    """Register ``fn(req)`` as the request hook of fault ``name``."""
    def deco(fn: RequestHook) -> RequestHook:
        _register(name, "request", fn, doc)
        return fn
    return deco


def links_of(data: Any) -> list[list]:
    """The link arrays of a JSON document: top level, collections[*], features[*]."""
    out = []
    if isinstance(data, dict):
        for key in ("collections", "features"):
            for member in data.get(key) or []:
                if isinstance(member, dict) and isinstance(member.get("links"), list):
                    out.append(member["links"])
        if isinstance(data.get("links"), list):
            out.insert(0, data["links"])
    return out


# -- the faults --------------------------------------------------------------------------------

FAULTS["none"] = Fault("none", doc="forward unchanged (URLs rewritten to stay on the proxy)")

ITEMS_PARAMS = {"f", "lang", "limit", "offset", "bbox", "bbox-crs", "datetime", "crs", "properties",
                "skipGeometry", "sortby", "filter", "filter-lang", "q", "resulttype"}
OTHER_PARAMS = {"f", "lang"}


@request_fault("slow-5s")
def _(req: Request) -> None:
    """Every request is forwarded after 5 s: a slow but correct platform."""
    import time
    time.sleep(5)


@request_fault("slow-50ms")
def _(req: Request) -> None:
    """Every request is forwarded after 50 ms: a platform across a city's network (the
    in-flight benchmark, bench/in_flight_bench.py)."""
    import time
    time.sleep(0.05)


@request_fault("unknown-param-400")
def _(req: Request) -> Response | None:
    """Repair: answer 400 to a query parameter the path does not know (pygeoapi ignores them)."""
    allowed = ITEMS_PARAMS if req.is_items else OTHER_PARAMS
    unknown = sorted(set(req.query) - allowed)
    if unknown:
        return Response.exception(400, "InvalidParameterValue",
                                  f"unknown parameter(s) {', '.join(unknown)} for {req.path}")
    return None


@request_fault("ignore-limit")
def _(req: Request) -> None:
    """Items requests are forwarded without limit and offset: always the default first page."""
    if req.is_items:
        req.drop("limit", "offset")


@fault("drop-self-links")
def _(req: Request, resp: Response) -> None:
    """Remove every rel=self link (top level, collections[*], features[*]) from JSON bodies."""
    data = resp.json()
    for links in links_of(data):
        links[:] = [ln for ln in links if not (isinstance(ln, dict) and ln.get("rel") == "self")]
    if data is not None:
        resp.set_json(data)


# -- the proxy ---------------------------------------------------------------------------------

class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def do_GET(self) -> None:
        self._handle()

    do_HEAD = do_OPTIONS = do_POST = do_TRACE = do_PUT = do_PATCH = do_DELETE = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.proxy.verbose:
            sys.stderr.write(f"faultproxy: {self.address_string()} {format % args}\n")

    def _handle(self) -> None:
        proxy = self.server.proxy
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        parts = urlsplit(self.path)
        name, _, rest = parts.path.lstrip("/").partition("/")
        if name not in proxy.faults:
            known = ", ".join(sorted(proxy.faults))
            self._send(Response.exception(404, "NotFound",
                                          f"unknown fault {name!r} (known: {known})"))
            return
        query = parse_qs(parts.query, keep_blank_values=True)
        req = Request(method=self.command, path="/" + rest, query=query,
                      headers=CaseInsensitiveDict(self.headers.items()), body=body, fault=name,
                      base=proxy.base_url + name, raw_query=parts.query,
                      _parsed={k: list(v) for k, v in query.items()})
        try:
            resp = proxy.process(proxy.faults[name], req)
        except Exception as exc:  # a broken fault must not kill the connection silently
            traceback.print_exc()
            resp = Response.exception(500, "FaultProxyError", f"{type(exc).__name__}: {exc}")
        self._send(resp)

    def _send(self, resp: Response) -> None:
        self.send_response(resp.status)
        for key, value in resp.headers.items():
            if key.lower() not in HOP_BY_HOP | RECOMPUTED:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(resp.body)))
        self.end_headers()
        if self.command != "HEAD" and resp.body:
            self.wfile.write(resp.body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    proxy: "FaultProxy"


class FaultProxy:
    def __init__(self, upstream: str, *, host: str = "127.0.0.1", port: int = 0,
                 faults: dict[str, Fault] | None = None, timeout: tuple[float, float] = (5, 60),
                 verbose: bool = False):
        self.upstream = upstream.rstrip("/")
        self.host, self.port = host, port
        self.faults = FAULTS if faults is None else faults
        self.timeout, self.verbose = timeout, verbose
        self.base_url = ""
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._local = threading.local()
        # the upstream base, not followed by more port digits or host characters
        self._upstream_re = re.compile(re.escape(self.upstream).encode() + rb"(?![\w.-])")

    # lifecycle

    def bind(self) -> str:
        self._server = _Server((self.host, self.port), _Handler)
        self._server.proxy = self
        self.port = self._server.server_address[1]
        self.base_url = f"http://{self.host}:{self.port}/"
        return self.base_url

    def start(self) -> str:
        """Serve in a background thread; return the base URL ``http://127.0.0.1:P/``."""
        self.bind()
        self._thread = threading.Thread(target=self._server.serve_forever, name="faultproxy",
                                        daemon=True)
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def url(self, fault: str) -> str:
        return f"{self.base_url}{fault}/"

    def __enter__(self) -> "FaultProxy":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # one exchange

    def process(self, flt: Fault, req: Request) -> Response:
        if flt.request is not None:
            direct = flt.request(req)
            if direct is not None:
                return direct
        resp = self.forward(req)
        self.rewrite(resp, req.base)
        if flt.response is not None:
            resp = flt.response(req, resp) or resp
        return resp

    def forward(self, req: Request) -> Response:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.headers.clear()  # send exactly the client's headers
        headers = {k: v for k, v in req.headers.items()
                   if k.lower() not in HOP_BY_HOP | {"host", "content-length", "accept-encoding"}}
        qs = req.query_string
        url = self.upstream + req.path + (f"?{qs}" if qs else "")
        method = "GET" if req.method == "HEAD" else req.method
        for attempt in (1, 2):
            try:
                r = session.request(method, url, headers=headers, data=req.body or None,
                                    allow_redirects=False, timeout=self.timeout)
                break
            except requests.ConnectionError as exc:
                # the upstream closed a kept-alive connection as this request went out (a
                # race of the proxy, not a behaviour of the platform): a GET is sent again on
                # a new connection, once
                session.close()
                if attempt == 2 or method != "GET":
                    return Response.exception(502, "BadGateway", f"upstream {url}: {exc}")
            except requests.RequestException as exc:
                return Response.exception(502, "BadGateway", f"upstream {url}: {exc}")
        return Response(r.status_code, CaseInsensitiveDict(r.headers), r.content)

    def rewrite(self, resp: Response, base: str) -> None:
        """Point every upstream URL at ``base`` (the proxy base of this fault)."""
        repl = base.encode()

        def sub(data: bytes) -> bytes:
            return self._upstream_re.sub(lambda _m: repl, data)

        for key in URL_HEADERS:
            if key in resp.headers:
                resp.headers[key] = sub(resp.headers[key].encode("latin-1")).decode("latin-1")
        if resp.is_text and resp.body:
            resp.body = sub(resp.body)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="faultproxy", description=__doc__.split("\n\n")[0])
    p.add_argument("--upstream", required=True, help="base URL of the real platform")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0: any free port")
    p.add_argument("--verbose", "-v", action="store_true", help="log every request")
    args = p.parse_args(argv)
    proxy = FaultProxy(args.upstream, host=args.host, port=args.port, verbose=args.verbose)
    base = proxy.bind()
    print(f"faultproxy: {base}<fault>/ -> {proxy.upstream}/", file=sys.stderr)
    for name, f in sorted(proxy.faults.items()):
        print(f"  {base}{name}/  {f.doc}", file=sys.stderr)
    try:
        proxy._server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        proxy._server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
