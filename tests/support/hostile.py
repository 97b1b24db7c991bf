"""TEST-ONLY hostile HTTP servers on loopback: one misbehaviour each (issue 12).

No real platform can be told to drip its answer a byte a second, to answer garbage or to page
forever, so the hostile-target tests start one of these per misbehaviour. Each is a raw-socket
server (``http.server`` would refuse to misbehave): it reads a request head, then does what its
kind says. The kinds that answer valid HTTP serve a tiny OGC API - Features and NGSI-LD world
(``_world``) with one defect. Not a platform, not part of the engine.

    with HostileServer("drip") as srv:
        srv.url          # 'http://127.0.0.1:P/'
"""

from __future__ import annotations

import gzip
import json
import socket
import struct
import threading
import time
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

Handler = Callable[["Conn"], bool]  # True: keep the connection open for the next request
KINDS: dict[str, Handler] = {}
DESCRIPTIONS: dict[str, str] = {}


def kind(name: str, what: str):
    def reg(fn: Handler) -> Handler:
        KINDS[name] = fn
        DESCRIPTIONS[name] = what
        return fn
    return reg


class Conn:
    def __init__(self, server: "HostileServer", sock: socket.socket):
        self.server, self.sock = server, sock
        self.method = self.path = self.query = ""
        self.params: dict[str, str] = {}

    def read_request(self) -> bool:
        buf = b""
        self.sock.settimeout(10)
        while b"\r\n\r\n" not in buf:
            try:
                data = self.sock.recv(65536)
            except OSError:
                return False
            if not data or len(buf) > 1 << 20:
                return False
            buf += data
        head, _, rest = buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) < 2:
            return False
        self.method, target = parts[0], parts[1]
        headers = {k.strip().lower(): v.strip() for k, _, v in
                   (ln.partition(":") for ln in lines[1:])}
        length = int(headers.get("content-length") or 0)
        while len(rest) < length:
            data = self.sock.recv(65536)
            if not data:
                break
            rest += data
        split = urlsplit(target)
        self.path, self.query = split.path, split.query
        self.params = {k: v[0] for k, v in parse_qs(split.query).items()}
        return True

    def send(self, status: int, body: bytes = b"", ctype: str = "application/json",
             headers: dict[str, str] | None = None) -> None:
        head = [f"HTTP/1.1 {status} {'OK' if status < 300 else 'Other'}",
                f"Content-Type: {ctype}", f"Content-Length: {len(body)}"]
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") +
                          (b"" if self.method == "HEAD" else body))

    def send_json(self, doc: Any, status: int = 200, ctype: str = "application/json") -> bool:
        self.send(status, json.dumps(doc).encode(), ctype)
        return True

    def hang(self) -> bool:
        self.server.stopped.wait(600)
        return False


class HostileServer:
    def __init__(self, kind: str, **options: Any):
        if kind not in KINDS and kind != "refused":
            raise ValueError(f"unknown hostile kind {kind!r}")
        self.kind, self.options = kind, options
        self.stopped = threading.Event()
        self.requests = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        if kind == "refused":  # nothing listens on the port any more
            self.listener.close()
        if kind == "gzip-bomb":
            gzip_bomb()  # before the first request, not while the client waits

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def __enter__(self) -> "HostileServer":
        if self.kind != "refused":
            self.listener.settimeout(0.2)
            threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        if self.kind != "refused":
            self.listener.close()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                sock, _ = self.listener.accept()
            except (socket.timeout, OSError):
                continue
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        conn = Conn(self, sock)
        try:
            if self.kind == "accept-hang":
                conn.hang()
                return
            while not self.stopped.is_set() and conn.read_request():
                self.requests += 1
                if not KINDS[self.kind](conn):
                    break
        except OSError:
            pass
        finally:
            try:
                sock.close()
            except OSError:
                pass


# -- a tiny OGC API - Features and NGSI-LD world ---------------------------------------------

OGC_CLASSES = ["http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
               "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"]


def feature(n: int) -> dict[str, Any]:
    return {"type": "Feature", "id": str(n), "properties": {"name": f"lamp {n}"},
            "geometry": {"type": "Point", "coordinates": [4.5, 52.5]}}


def items_page(conn: Conn, *, total: int, next_offset: Callable[[int, int], int | None],
               claimed: int | None = None) -> dict[str, Any]:
    try:
        limit = min(int(conn.params.get("limit", "10") or 10), 100)  # the server's maximum
        offset = int(conn.params.get("offset", "0") or 0)
    except ValueError:
        return {"_status": 400, "code": "InvalidParameterValue", "description": "limit/offset"}
    feats = [feature(n) for n in range(offset, min(offset + limit, total))]
    doc: dict[str, Any] = {"type": "FeatureCollection", "features": feats,
                           "numberReturned": len(feats),
                           "numberMatched": total if claimed is None else claimed,
                           "links": [{"rel": "self", "type": "application/geo+json",
                                      "href": f"{conn.server.url}collections/c/items?"
                                              f"offset={offset}&limit={limit}"}]}
    if conn.server.options.get("no_total"):
        del doc["numberMatched"]  # nothing to tell a plausible end from an endless one
    nxt = next_offset(offset, limit)
    if nxt is not None:
        doc["links"].append({"rel": "next", "type": "application/geo+json",
                             "href": f"{conn.server.url}collections/c/items?offset={nxt}"
                                     f"&limit={limit}"})
    return doc


def world(conn: Conn, items: Callable[[Conn], dict[str, Any]] | None = None) -> bool:
    """Answer the request from the small, correct world (``items`` replaces the items pages)."""
    base, p = conn.server.url, conn.path.rstrip("/") or "/"
    if p == "/":
        return conn.send_json({"title": "hostile test server", "links": [
            {"rel": "self", "href": base, "type": "application/json"},
            {"rel": "conformance", "href": f"{base}conformance", "type": "application/json"},
            {"rel": "data", "href": f"{base}collections", "type": "application/json"}]})
    if p == "/conformance":
        return conn.send_json({"conformsTo": OGC_CLASSES})
    collection = {"id": "c", "title": "lamps", "itemType": "feature",
                  "extent": {"spatial": {"bbox": [[4.0, 52.0, 5.0, 53.0]]}},
                  "links": [{"rel": "items", "href": f"{base}collections/c/items",
                             "type": "application/geo+json"}]}
    if p == "/collections":
        return conn.send_json({"collections": [collection],
                               "links": [{"rel": "self", "href": f"{base}collections"}]})
    if p == "/collections/c":
        return conn.send_json(collection)
    if p == "/collections/c/items":
        doc = items(conn) if items else items_page(
            conn, total=3, next_offset=lambda o, n: o + n if o + n < 3 else None)
        if "_status" in doc:
            return conn.send_json(doc, status=doc.pop("_status"))
        return conn.send_json(doc, ctype="application/geo+json")
    if p.startswith("/collections/c/items/"):
        n = p.rsplit("/", 1)[1]
        if n.isdigit() and int(n) < 3:
            return conn.send_json(feature(int(n)), ctype="application/geo+json")
    if p == "/ngsi-ld/v1/entities":
        return conn.send_json([{"id": "urn:ngsi-ld:Lamp:1", "type": "Lamp",
                                "name": {"type": "Property", "value": "lamp 1"}}],
                              ctype="application/ld+json")
    return conn.send_json({"type": "https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound",
                           "title": "not found"}, status=404, ctype="application/problem+json")


# -- the kinds -------------------------------------------------------------------------------

@kind("reset", "accepts, reads the request, then resets the connection (TCP RST)")
def _(conn: Conn) -> bool:
    conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    return False


KINDS["accept-hang"] = lambda conn: conn.hang()
DESCRIPTIONS["accept-hang"] = "accepts the connection and never answers"
DESCRIPTIONS["refused"] = "nothing listens: every connection is refused"


@kind("headers-hang", "sends a status line and headers (Content-Length 4096), then nothing")
def _(conn: Conn) -> bool:
    conn.sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 4096\r\n\r\n{\"links\": [")
    return conn.hang()


@kind("drip", "a correct answer, sent one byte every 0.5 s")
def _(conn: Conn) -> bool:
    body = json.dumps({"links": [], "conformsTo": OGC_CLASSES}).encode()
    data = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
            + str(len(body)).encode() + b"\r\n\r\n" + body)
    for i in range(len(data)):
        if conn.server.stopped.is_set():
            return False
        conn.sock.sendall(data[i:i + 1])
        time.sleep(float(conn.server.options.get("drip_s", 0.5)))
    return False


@kind("http09", "answers with a body and no status line (HTTP/0.9), then closes")
def _(conn: Conn) -> bool:
    conn.sock.sendall(b'{"links": [], "title": "no status line"}\n')
    return False


@kind("garbage", "answers with bytes that are no HTTP: ESC, NUL, BEL, an OSC title change")
def _(conn: Conn) -> bool:
    conn.sock.sendall(b"\x1b[31mGARBAGE\x00\x07 \x1b]0;pwned\x07 tail\r\n\r\n")
    return False


@kind("tls-garbage", "speaks TLS on the HTTP port: answers a TLS alert record")
def _(conn: Conn) -> bool:
    conn.sock.sendall(b"\x15\x03\x03\x00\x02\x02\x46")  # alert(fatal, protocol_version... 70)
    return False


@kind("lying-length", "claims Content-Length 100000, sends 40 bytes and closes")
def _(conn: Conn) -> bool:
    conn.sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 100000\r\n\r\n" + b'{"links": [], "title": "short body"   }')
    return False


@kind("header-flood", "sends header lines without end (10 000 of them, then closes)")
def _(conn: Conn) -> bool:
    conn.sock.sendall(b"HTTP/1.1 200 OK\r\n")
    for i in range(10_000):
        if conn.server.stopped.is_set():
            break
        conn.sock.sendall(b"X-Flood-%d: %s\r\n" % (i, b"a" * 200))
    return False


_BOMB: list[bytes] = []


def gzip_bomb() -> bytes:
    """200 MB of spaces, gzip-compressed to about 200 KB (made once per process)."""
    if not _BOMB:
        _BOMB.append(gzip.compress(b" " * (200 * 10**6), 6))
    return _BOMB[0]


@kind("gzip-bomb", "200 JSON, Content-Encoding gzip: 200 KB on the wire, 200 MB inflated")
def _(conn: Conn) -> bool:
    conn.send(200, gzip_bomb(), headers={"Content-Encoding": "gzip"})
    return True


@kind("huge-body", "200 JSON whose body never ends (a string of 1 GB is streamed)")
def _(conn: Conn) -> bool:
    conn.sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 1073741840\r\n\r\n" + b'{"links": [], "x": "')
    chunk = b"a" * 65536
    for _ in range(1 << 14):
        if conn.server.stopped.is_set():
            return False
        conn.sock.sendall(chunk)
    return False


@kind("non-utf8", "200 application/json bodies in Latin-1 (a valid document, not UTF-8)")
def _(conn: Conn) -> bool:
    conn.send(200, '{"links": [], "title": "caf\u00e9 \u00e0 Gen\u00e8ve"}'.encode("latin-1"))
    return True


@kind("invalid-json", "200 application/json bodies that are not JSON (cut short)")
def _(conn: Conn) -> bool:
    conn.send(200, b'{"links": [{"rel": "self", "href": ')
    return True


@kind("deep-json", "200 JSON nested 100 000 levels deep")
def _(conn: Conn) -> bool:
    conn.send(200, b"[" * 100_000 + b"]" * 100_000)
    return True


@kind("redirect-loop", "every path answers 302 to itself with ?loop=1, and back")
def _(conn: Conn) -> bool:
    there = conn.path + ("" if "loop=1" in conn.query else "?loop=1")
    conn.send(302, b"", "text/plain", {"Location": there})
    return True


@kind("redirect-offsite", "every path answers 302 to another host")
def _(conn: Conn) -> bool:
    conn.send(302, b"", "text/plain", {"Location": f"http://elsewhere.invalid{conn.path}"})
    return True


@kind("paging-cycle", "a correct API whose second items page links back to the first")
def _(conn: Conn) -> bool:
    return world(conn, lambda c: items_page(c, total=300,
                                            next_offset=lambda o, n: n if o == 0 else 0))


@kind("endless-paging", "a correct API whose items claim 10^12 matches and page without end "
                        "(no_total=True: no numberMatched at all)")
def _(conn: Conn) -> bool:
    return world(conn, lambda c: items_page(c, total=10 ** 12, next_offset=lambda o, n: o + n))


@kind("wrong-types", "JSON of the right outline with the wrong types inside (strings where "
                     "the standards require objects, arrays or numbers)")
def _(conn: Conn) -> bool:
    p = conn.path.rstrip("/") or "/"
    if p.startswith("/ngsi-ld/") and conn.method in ("POST", "PATCH", "PUT", "DELETE"):
        # writes are accepted, so that what is read back afterwards is judged
        if conn.method == "POST" and p.endswith(("/entities", "/subscriptions")):
            conn.send(201, b"", "text/plain", {"Location": f"{p}/urn:ngsi-ld:X:1"})
        else:
            conn.send(204, b"", "text/plain")
        return True
    docs: dict[str, Any] = {
        "/": {"title": 5, "links": ["conformance", {"rel": 7, "href": ["x"]}]},
        "/conformance": {"conformsTo": [1, {"uri": "x"}]},
        "/collections": {"collections": ["c", {"id": 5, "links": "none", "extent": "world"}],
                         "links": "none"},
        "/collections/c": {"id": ["c"], "links": "none", "extent": {"spatial": "world"}},
        "/collections/c/items": {"type": "FeatureCollection", "features": [
            "lamp", {"type": "Feature", "id": {"n": 1}, "geometry": "POINT (4 52)",
                     "properties": "none"}], "links": "none", "numberMatched": "many",
            "numberReturned": "two", "timeStamp": 5},
        "/ngsi-ld/v1/entities": ["urn:ngsi-ld:Lamp:1", {"id": 5, "type": ["Lamp", 7],
                                                        "name": "lamp"}],
    }
    if p.startswith("/collections/c/items/"):
        doc: Any = {"type": "Feature", "id": [], "geometry": 5, "properties": "none",
                    "links": "none"}
    elif p.startswith("/ngsi-ld/v1/entities/"):
        doc = {"id": 5, "type": {}, "name": "lamp", "@context": 7}
    else:
        doc = docs.get(p, {"title": ["not", "found"], "links": "none", "type": 404})
    return conn.send_json(doc)


@kind("slow-correct", "the correct world, every answer after a delay (slow_s, default 5 s)")
def _(conn: Conn) -> bool:
    time.sleep(float(conn.server.options.get("slow_s", 5)))
    return world(conn)


# -- running a command against a hostile server ----------------------------------------------

# the target file's bounds for these runs: a CI pipeline pointed at a broken platform
LIMITS = {"connect_timeout": 1, "read_timeout": 2, "exchange_deadline": 4}


def target_file(url: str, folder: Path, kinds: tuple[str, ...] = ("ogc-api-features",
                                                                    "ngsi-ld")) -> Path:
    path = folder / "target.yaml"
    lines = ["name: hostile test server", "interfaces:"]
    for k in kinds:
        lines += [f"  - kind: {k}", f"    url: {url}"]
    lines += ["writes_allowed: true"]  # nothing is kept: the writes exercise the judges
    lines += ["limits:"] + [f"  {k}: {v}" for k, v in LIMITS.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


PROFILES = ["ogc-api-features-1", "mim1-ngsi-ld", "mim2-data-models", "security-baseline",
            "nl-api-design-rules-2.1.0", "open-protocols", "lock-in"]
COMMANDS: dict[str, list[str]] = {f"run {p}": ["run", "--profile", p] for p in PROFILES}
COMMANDS |= {"load": ["load", "--profile", "load-ogc-api-features", "--duration", "6"],
             "export": ["export"], "discover": ["discover"]}


def command_argv(command: str, url: str, folder: Path, budget_s: float = 60) -> list[str]:
    """The command line of ``command`` (a key of COMMANDS) against ``url``, writing into
    ``folder`` (a target file with LIMITS, and ``out``)."""
    base = COMMANDS[command]
    if base == ["discover"]:
        return ["discover", url, "--out", str(folder / "discovered.yaml")]
    target, out = str(target_file(url, folder)), str(folder / "out")
    if base == ["export"]:
        return ["export", "--target", target, "--out", out]
    if base[0] == "load":
        return [*base, "--target", target, "--out", out]
    return [*base, "--target", target, "--out", out, "--budget", str(budget_s)]


_WRAPPER = ("import json, resource, subprocess, sys; "
            "p = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
            "r = resource.getrusage(resource.RUSAGE_CHILDREN); "
            "print(json.dumps({'code': p.returncode, 'out': p.stdout, 'err': p.stderr, "
            "'rss_kb': r.ru_maxrss}))")


def run_measured(argv: list[str], *, cwd: Path, env: dict[str, str],
                 timeout: float) -> dict[str, Any]:
    """``python -m oupcheck.cli ARGV`` in a child process: exit code, stdout, stderr, wall
    time and the child's peak RSS (KiB). A run that does not end in ``timeout`` is killed and
    reported with ``code: None``."""
    import subprocess
    import sys
    t0 = time.monotonic()
    try:
        proc = subprocess.run([sys.executable, "-c", _WRAPPER, sys.executable, "-m",
                               "oupcheck.cli", *argv], capture_output=True, text=True,
                              timeout=timeout, env=env, cwd=cwd)
        res = json.loads(proc.stdout)
    except subprocess.TimeoutExpired:
        res = {"code": None, "out": "", "err": f"HUNG: killed after {timeout:g} s", "rss_kb": 0}
    res["wall_s"] = round(time.monotonic() - t0, 1)
    return res
