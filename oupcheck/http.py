"""The one HTTP client every probe uses: bounded, recorded, redacted.

- connect and read timeouts, a total deadline per response and a body cap;
- redirects followed only on the target's own origin, never off it;
- every exchange recorded in the ``EvidenceStore`` with a curl line;
- after repeated transport failures the client stops calling a dead target
  (later probes fail fast with ``TransportError`` -> ERROR rows).
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from datetime import datetime, timezone
from typing import Any, Callable, Generic, Sequence, TypeVar
from urllib.parse import urljoin, urlsplit

import requests

from . import __version__
from .errors import BudgetSpent, TransportError, printable
from .evidence import EvidenceStore, Exchange, Redactor, curl_line
from .target import Credential, Limits

T = TypeVar("T")
DEFAULT_IN_FLIGHT = 4  # requests in flight at once by default; --polite makes it 1

USER_AGENT = f"oupcheck/{__version__} (+conformance suite)"
BREAKER_AFTER = 3  # consecutive transport failures before the target is declared dead


class BodyUnusable(Exception):
    """The body cannot be judged (too large, not JSON); the check is inconclusive or fails."""

    def __init__(self, message: str, exchange: Exchange, *, limit: bool = False):
        self.exchange = exchange
        self.limit = limit  # a bound of the suite was reached, not a defect of the body
        super().__init__(message)


MAX_JSON_DEPTH = 200  # far beyond any standard document; keeps every later walk shallow
CAPPED_HEAD = 1 << 20  # bytes kept of a body over limits.max_body_bytes
MAX_YAML_NODES = 1_000_000  # aliases let a small YAML text stand for a huge (or endless) tree


class Unparsable(ValueError):
    """Target bytes that are no document the suite will judge. ``limit``: a bound of the
    suite (depth, aliases) was reached, not a syntax error of the target."""

    def __init__(self, message: str, *, limit: bool = False):
        self.limit = limit
        super().__init__(message)


def parse_json(data: bytes) -> Any:
    """JSON from a target, guarded: UTF-8 (RFC 8259 8.1), and no deeper than MAX_JSON_DEPTH
    (RFC 8259 9 lets a parser limit nesting) whatever the parser's own stack allows."""
    try:
        doc = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise Unparsable(f"body is not UTF-8 (RFC 8259 section 8.1: JSON exchanged between "
                         f"systems is UTF-8): byte 0x{exc.object[exc.start]:02x} at offset "
                         f"{exc.start}") from None
    except json.JSONDecodeError as exc:
        raise Unparsable(f"body is not JSON: {exc}") from None
    except RecursionError:
        doc = None  # nested deeper than the parser's stack: past the depth limit
    if doc is None and data.strip() != b"null" or _deeper_than(doc, MAX_JSON_DEPTH):
        raise Unparsable(f"JSON nested deeper than {MAX_JSON_DEPTH} levels: the suite does not "
                         "judge it (RFC 8259 section 9 lets a parser limit nesting)", limit=True)
    return doc


def parse_yaml(data: bytes) -> Any:
    """YAML from a target (an OpenAPI or AsyncAPI document), guarded as parse_json is: its
    tree, with every alias expanded, has at most MAX_YAML_NODES nodes and no cycle (a 'billion
    laughs' text, or an anchor that holds an alias to itself, is refused, not walked)."""
    import yaml
    try:
        doc = yaml.safe_load(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise Unparsable(f"body is not UTF-8: byte 0x{exc.object[exc.start]:02x} at offset "
                         f"{exc.start}") from None
    except yaml.YAMLError as exc:
        raise Unparsable(f"body is not YAML: {' '.join(str(exc).split())[:200]}") from None
    except RecursionError:
        raise Unparsable(f"YAML nested deeper than {MAX_JSON_DEPTH} levels: the suite does "
                         "not judge it", limit=True) from None
    _expanded_size(doc, MAX_YAML_NODES)
    if _deeper_than(doc, MAX_JSON_DEPTH):
        raise Unparsable(f"YAML nested deeper than {MAX_JSON_DEPTH} levels: the suite does not "
                         "judge it", limit=True)
    return doc


def _expanded_size(doc: Any, cap: int) -> int:
    """Nodes of the tree with shared (aliased) nodes counted at every use; Unparsable over
    ``cap`` or on a cycle. Iterative, each distinct node visited once."""
    size: dict[int, int] = {}
    active: set[int] = set()
    stack: list[tuple[Any, bool]] = [(doc, False)]
    while stack:
        node, leaving = stack.pop()
        if not isinstance(node, (dict, list)):
            continue
        kids = [k for k in (node.values() if isinstance(node, dict) else node)]
        if leaving:
            active.discard(id(node))
            size[id(node)] = 1 + sum(size.get(id(k), 1) for k in kids)
            if size[id(node)] > cap:
                raise Unparsable(f"YAML whose aliases expand past {cap} nodes: the suite does "
                                 "not expand it", limit=True)
            continue
        if id(node) in size:
            continue
        if id(node) in active:
            raise Unparsable("YAML with a cycle (an alias inside its own anchor): the suite "
                             "does not walk it", limit=True)
        active.add(id(node))
        stack.append((node, True))
        stack.extend((k, False) for k in kids if isinstance(k, (dict, list)))
    return size.get(id(doc), 1)


def json_type(value: Any) -> str:
    """How a JSON value reads in a message: 'a string ("x")', 'missing', 'an array'."""
    if value is None:
        return "missing (or null)"
    kind = {bool: "a boolean", int: "a number", float: "a number", str: "a string",
            list: "an array", dict: "an object"}.get(type(value), type(value).__name__)
    return f"{kind} ({printable(json.dumps(value)[:40])})" if not isinstance(
        value, (dict, list)) else kind


def json_at(doc: Any, *path: str | int) -> Any:
    """The value at ``path`` in a parsed document, or None where a member is missing or of
    another type than the path needs (a target's JSON may have any shape)."""
    for step in path:
        if isinstance(step, int) and isinstance(doc, list) and -len(doc) <= step < len(doc):
            doc = doc[step]
        elif isinstance(step, str) and isinstance(doc, dict):
            doc = doc.get(step)
        else:
            return None
    return doc


def _deeper_than(doc: Any, limit: int) -> bool:
    """Is the parsed document nested deeper than ``limit``? (iterative, no recursion; a node
    shared through a YAML alias is visited once)"""
    level, seen = [doc], set()
    for _ in range(limit + 1):
        nxt = []
        for node in level:
            if id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node, dict):
                nxt.extend(v for v in node.values() if isinstance(v, (dict, list)))
            elif isinstance(node, list):
                nxt.extend(v for v in node if isinstance(v, (dict, list)))
        if not nxt:
            return False
        level = nxt
    return True


class _Watch:
    """The hard deadline of one exchange. A timer shuts the connection's socket down when the
    deadline passes, so the read that is waiting (for a status line, a header or a body byte)
    returns at once, however slowly the target drips its answer: the per-read timeout alone
    restarts with every byte that arrives."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.fired = False
        self.conn: Any = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def __enter__(self) -> "_Watch":
        _ACTIVE.watch = self
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        _ACTIVE.watch = None
        with self._lock:
            self.conn = None

    def attach(self, conn: Any) -> None:
        with self._lock:
            self.conn = conn
        if self.fired:  # the deadline passed before the request went out
            self._shutdown()

    def _fire(self) -> None:
        self.fired = True
        self._shutdown()

    def _shutdown(self) -> None:
        with self._lock:
            sock = getattr(self.conn, "sock", None)
            if sock is not None:
                try:  # the plain socket call: an SSL socket's own shutdown would unwrap it
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)
                except OSError:
                    pass


_ACTIVE = threading.local()


def _watched(cls: type) -> type:
    """A urllib3 connection class that hands itself to the exchange's watch."""

    def request(self: Any, *args: Any, **kwargs: Any) -> Any:
        watch = getattr(_ACTIVE, "watch", None)
        if watch is not None:
            watch.attach(self)
        return cls.request(self, *args, **kwargs)

    return type(f"Watched{cls.__name__}", (cls,), {"request": request})


def _adapter() -> requests.adapters.HTTPAdapter:
    from urllib3 import connection, connectionpool
    http_pool = type("WatchedHTTPConnectionPool", (connectionpool.HTTPConnectionPool,),
                     {"ConnectionCls": _watched(connection.HTTPConnection)})
    https_pool = type("WatchedHTTPSConnectionPool", (connectionpool.HTTPSConnectionPool,),
                      {"ConnectionCls": _watched(connection.HTTPSConnection)})
    adapter = requests.adapters.HTTPAdapter(pool_maxsize=16)  # more than any --in-flight
    adapter.poolmanager.pool_classes_by_scheme = {"http": http_pool, "https": https_pool}
    return adapter


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost (no name is resolved)."""
    import ipaddress
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def origin(url: str) -> tuple[str, str, int | None]:
    p = urlsplit(url)
    port = p.port or {"http": 80, "https": 443}.get(p.scheme)
    return p.scheme, (p.hostname or "").lower(), port


class Done(Generic[T]):
    """The outcome of one probe run by ``EvidenceClient.fan_out``: its value, or the exception
    it raised, raised again where the caller takes it (``get``), so that a check judges the
    outcomes in the order it would have probed them one by one."""

    __slots__ = ("value", "exc")

    def __init__(self, value: T | None = None, exc: BaseException | None = None):
        self.value, self.exc = value, exc

    def get(self) -> T:
        if self.exc is not None:
            raise self.exc
        return self.value  # type: ignore[return-value]


class EvidenceClient:
    # how many requests may be in flight at once (the run sets it from --in-flight/--polite or
    # the profile's max_in_flight); 1 is one request at a time, in order
    in_flight = 1

    def __init__(self, store: EvidenceStore, limits: Limits, *, base_url: str,
                 credential: Credential | None = None, secrets: dict[str, str] | None = None,
                 verify: bool | str = True):
        self.store = store
        self.limits = limits
        self.base_url = base_url
        self.origin = origin(base_url)
        self.credential = credential
        self.secrets = secrets or {}
        self.redactor = Redactor(self.secrets)
        self.session = requests.Session()
        self.session.trust_env = False  # never route through a proxy from the environment
        for scheme in ("http://", "https://"):
            self.session.mount(scheme, _adapter())
        self.verify = verify  # True, a CA bundle path, or False (certificate judged elsewhere)
        self.failures_in_row = 0  # on the target's own origin
        self.dead_reason: str | None = None  # the target's origin stopped answering
        # other origins (e.g. documents a $ref points to) have their own breakers, so a dead
        # third-party host never stops the probes of the target
        self.other_failures: dict[tuple, int] = {}
        self.other_dead: dict[tuple, str] = {}
        # the run's time budget (monotonic clock); a DELETE is always sent, so that a run whose
        # budget is spent still removes what it created
        self.budget_ends: float | None = None
        self.budget_s: float | None = None

    # -- auth -------------------------------------------------------------
    def _apply_auth(self, headers: dict[str, str], params: dict[str, Any],
                    credential: Credential | None = None) -> None:
        c = credential or self.credential
        if c is None:
            return
        if c.scheme == "bearer":
            headers["Authorization"] = f"Bearer {self.secrets[c.token_env]}"
        elif c.scheme == "basic":
            import base64
            raw = f"{self.secrets[c.username_env]}:{self.secrets[c.password_env]}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(raw).decode()
        elif c.scheme == "header":
            headers[c.name] = self.secrets[c.token_env]
        elif c.scheme == "query":
            params[c.name] = self.secrets[c.token_env]

    # -- requests ---------------------------------------------------------
    def url(self, path: str) -> str:
        """Resolve a path against the interface base URL (which is treated as a folder)."""
        base = self.base_url if self.base_url.endswith("/") else self.base_url + "/"
        return urljoin(base, path.lstrip("/")) if not path.startswith("http") else path

    def get(self, url: str, **kw: Any) -> Exchange:
        return self.request("GET", url, **kw)

    def request(self, method: str, url: str, *, params: dict[str, Any] | None = None,
                headers: dict[str, str] | None = None, accept: str | None = None,
                json_body: Any = None, data: str | bytes | None = None,
                follow_redirects: bool = True, auth: bool | Credential = True,
                note: str | None = None,
                max_redirects: int = 5) -> Exchange:
        url = self.url(url)
        hdrs = {"User-Agent": USER_AGENT}
        if accept:
            hdrs["Accept"] = accept
        hdrs.update(headers or {})
        qparams = dict(params or {})
        if auth:  # True: the interface's credential; a Credential: that identity's
            self._apply_auth(hdrs, qparams, auth if isinstance(auth, Credential) else None)
        body: bytes | None = None
        if json_body is not None:
            body = json.dumps(json_body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        elif data is not None:
            body = data.encode() if isinstance(data, str) else data
        prepared = requests.Request(method, url, headers=hdrs, params=qparams or None,
                                    data=body).prepare()
        ex = self._send(prepared, note, record=False)
        visited = [prepared.url or ""]
        while ex.status in (301, 302, 303, 307, 308):
            # every 3xx says where it led or why it was not followed: a check that needed a
            # 200 names the redirect in its FAIL
            loc = ex.header("location")
            nxt = urljoin(prepared.url, loc) if loc else None
            show = self.redactor.text
            if not nxt:
                ex.redirect = "a redirect without a Location header"
            elif not follow_redirects:
                ex.redirect = f"a redirect to {show(nxt)} (this probe does not follow redirects)"
            elif origin(nxt) != self.origin:
                ex.redirect = (f"a redirect that leaves the host, to {show(nxt)} (not followed: "
                               "the suite only talks to the target)")
            elif nxt in visited:
                ex.redirect = ("a redirect loop: " + " -> ".join(
                    show(u) for u in visited[visited.index(nxt):] + [nxt]))
            elif len(visited) > max_redirects:
                ex.redirect = f"more than {max_redirects} redirects in a row (last to {show(nxt)})"
            if ex.redirect:
                break
            ex.redirect = f"redirect {len(visited)} to {show(nxt)} (followed)"
            self.store.add(ex)
            prepared = requests.Request("GET" if ex.status == 303 else method, nxt, headers=hdrs,
                                        data=None if ex.status == 303 else body).prepare()
            ex = self._send(prepared, f"redirect {len(visited)} from {ex.id}", record=False)
            visited.append(nxt)
        self.store.add(ex)
        return ex

    def _exchange(self, prepared: requests.PreparedRequest, note: str | None) -> Exchange:
        """The numbered, redacted record of a request about to be sent."""
        eid, seq = self.store.next_id()
        red = self.redactor
        raw_headers = dict(prepared.headers)
        body_text = None
        if prepared.body is not None:
            raw = prepared.body if isinstance(prepared.body, bytes) else str(prepared.body).encode()
            body_text = raw[: self.limits.excerpt_bytes].decode("utf-8", "replace")
        ex = Exchange(
            id=eid, seq=seq, method=prepared.method or "GET", url=red.text(prepared.url or ""),
            request_headers=red.headers(raw_headers),
            request_body=red.text(body_text) if body_text is not None else None,
            started=datetime.now(timezone.utc).isoformat(timespec="milliseconds"), note=note,
            curl=curl_line(prepared.method or "GET", prepared.url or "",
                           {}, body_text, red, raw_headers))
        return ex

    def _refuse(self, ex: Exchange, where: tuple) -> None:
        """Record and raise when the request must not be sent: its host stopped answering,
        the run budget is spent (a DELETE is still sent) or the run's max_requests is reached."""
        own = where == self.origin
        eid, seq = ex.id, ex.seq
        if os.environ.get("OUPCHECK_LOOPBACK_ONLY") == "1" and not is_loopback(where[1]):
            ex.error = (f"not sent: {where[1]} is not a loopback address "
                        "(OUPCHECK_LOOPBACK_ONLY=1)")
            self.store.add(ex)
            raise TransportError(ex.error, eid)
        dead = self.dead_reason if own else self.other_dead.get(where)
        if dead:
            ex.error = (f"not sent: {'target' if own else 'host'} stopped answering earlier "
                        f"({dead})")
            self.store.add(ex)
            raise TransportError(ex.error, eid)
        if self.budget_ends is not None and time.monotonic() > self.budget_ends and \
                ex.method != "DELETE":
            ex.error = f"not sent: run budget spent (run_budget_s={self.budget_s:g})"
            self.store.add(ex)
            raise BudgetSpent(ex.error, eid)
        if seq > self.limits.max_requests:
            ex.error = f"not sent: run exceeded max_requests={self.limits.max_requests}"
            self.store.add(ex)
            raise TransportError(ex.error, eid)

    def _answered(self, where: tuple, error: str | None) -> None:
        """The breakers: BREAKER_AFTER failures in a row mark a host dead."""
        own = where == self.origin
        if error is None:
            if own:
                self.failures_in_row = 0
            else:
                self.other_failures[where] = 0
        elif own:
            self.failures_in_row += 1
            if self.failures_in_row >= BREAKER_AFTER:
                self.dead_reason = error
        else:
            self.other_failures[where] = self.other_failures.get(where, 0) + 1
            if self.other_failures[where] >= BREAKER_AFTER:
                self.other_dead[where] = error

    def _send(self, prepared: requests.PreparedRequest, note: str | None, *,
              record: bool = True) -> Exchange:
        """Send one request within the bounds. A failed exchange is recorded and raised;
        ``record=False`` leaves recording an answer to the caller (which annotates it)."""
        ex = self._exchange(prepared, note)
        red = self.redactor
        where = origin(prepared.url or "")
        self._refuse(ex, where)
        t0 = time.monotonic()
        resp = None
        watch = _Watch(self.limits.deadline)
        size = 0
        try:
            with watch:
                resp = self.session.send(prepared, stream=True, allow_redirects=False,
                                         timeout=(self.limits.connect_timeout,
                                                  self.limits.read_timeout),
                                         verify=self.verify)
                buf = bytearray()
                for chunk in resp.iter_content(65536):
                    size += len(chunk)
                    if size > self.limits.max_body_bytes:
                        ex.body_capped = True
                        break
                    buf += chunk
            if watch.fired:  # a cut read can look like a short, complete answer
                raise TransportError("deadline")
            # a body over the cap is no document to judge: only its head is kept (what a check
            # may still sniff, e.g. '<html'), so that capped bodies cannot pile up in memory
            full = bytes(buf[:CAPPED_HEAD] if ex.body_capped else buf)
            del buf
            ex.status = resp.status_code
            ex.http_version = {10: "HTTP/1.0", 11: "HTTP/1.1"}.get(
                getattr(resp.raw, "version", 0), "HTTP/?")
            ex.reason = resp.reason
            ex.response_headers = red.headers(dict(resp.headers))
            ex.body = full
            ex.body_bytes = size
            ex.body_excerpt = red.text(full[: self.limits.excerpt_bytes].decode("utf-8", "replace"))
            ex.excerpt_truncated = len(full) > self.limits.excerpt_bytes
            self._answered(where, None)
        except (requests.RequestException, TransportError, OSError) as exc:
            ex.error = _describe(exc, self.limits)
            if watch.fired:
                ex.error = (f"answer not complete within the exchange deadline of "
                            f"{self.limits.deadline:g} s ({size} body bytes read; the target "
                            "file's limits.exchange_deadline sets it)")
            self._answered(where, ex.error)
        finally:
            ex.elapsed_ms = round((time.monotonic() - t0) * 1000, 1)
            if resp is not None:
                resp.close()
        if ex.error:
            self.store.add(ex)
            raise TransportError(ex.error, ex.id)
        if record:
            self.store.add(ex)
        return ex

    def document(self, url: str, *, accept: str | None = "application/json",
                 note: str | None = None,
                 params: dict[str, Any] | None = None) -> tuple[Exchange, Any]:
        """GET a JSON document: (exchange, its parsed body when the answer is a readable 200,
        else None). For the client layers' discovery reads, which say what a missing or
        unreadable document means where they use it."""
        ex = self.get(url, accept=accept, note=note, params=params)
        try:
            return ex, (self.json(ex) if ex.status == 200 else None)
        except BodyUnusable:
            return ex, None

    # -- independent probes -------------------------------------------------
    def fan_out(self, calls: Sequence[Callable[[], T]]) -> list[Done[T]]:
        """Run independent probes (callables that send requests and return what they read)
        with at most ``in_flight`` of them at once, and return their outcomes in the order of
        ``calls``. The probes do no judging: the caller judges the outcomes, in order, after
        all have answered, so a verdict does not depend on which answer came first. The
        evidence ids follow the order the requests were sent in (with ``in_flight`` 1 that is
        the order of ``calls``)."""
        if self.in_flight <= 1 or len(calls) <= 1:
            return [_done(call) for call in calls]
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(max_workers=min(self.in_flight, len(calls)),
                                thread_name_prefix="oupcheck-probe") as pool:
            futures = [pool.submit(_done, call) for call in calls]
            return [f.result() for f in futures]

    # -- body helpers -----------------------------------------------------
    @staticmethod
    def json(ex: Exchange) -> Any:
        if not ex._json_done:
            if ex.body_capped:
                raise BodyUnusable(f"body larger than the cap ({ex.body_bytes} bytes read)", ex)
            if ex.body_stored_truncated:
                raise BodyUnusable(f"the evidence stores only {len(ex.body)} of its "
                                   f"{ex.body_bytes} bytes (the run's evidence_store_bytes was "
                                   "spent): not judged again", ex, limit=True)
            try:
                doc = parse_json(ex.body)
            except Unparsable as exc:
                raise BodyUnusable(str(exc), ex, limit=exc.limit) from None
            ex._json = doc
            ex._json_done = True
        return ex._json


def _done(call: Callable[[], T]) -> Done[T]:
    try:
        return Done(call())
    except Exception as exc:  # raised again, in order, where the caller takes the outcome
        return Done(exc=exc)


def _describe(exc: BaseException, limits: Limits) -> str:
    if isinstance(exc, requests.ConnectTimeout):
        return f"connect timeout after {limits.connect_timeout:g} s"
    if isinstance(exc, requests.ReadTimeout):
        return f"no answer within the read timeout of {limits.read_timeout:g} s"
    if isinstance(exc, requests.exceptions.SSLError):
        return f"TLS error: {_root(exc)}"
    if isinstance(exc, requests.ConnectionError):
        root = _root(exc)
        if "timed out" in root.lower():
            return f"no answer within the read timeout of {limits.read_timeout:g} s"
        return f"connection failed: {root}"
    if isinstance(exc, TransportError):
        return str(exc)
    short = _incomplete_read(exc)
    if short:
        return short
    return f"{type(exc).__name__}: {printable(str(exc), 200)}"


def _incomplete_read(exc: BaseException) -> str | None:
    """A body cut short (the server closed before the bytes its Content-Length announced)."""
    import http.client
    seen: BaseException | None = exc
    while seen is not None:
        for arg in [seen, *getattr(seen, "args", ())]:
            if isinstance(arg, http.client.IncompleteRead):
                got = len(arg.partial) if isinstance(arg.partial, bytes) else arg.partial
                return (f"the connection closed before the body was complete ({got} bytes read, "
                        f"{arg.expected} more announced by Content-Length)")
        seen = seen.__cause__ or seen.__context__
    return None


def _root(exc: BaseException) -> str:
    """The innermost cause, as one escaped, shortened line: the text may quote the target's
    own bytes (a garbage status line), which must never reach a terminal raw."""
    import http.client
    seen, chain = exc, [exc]
    while seen.__cause__ or seen.__context__:
        seen = seen.__cause__ or seen.__context__
        chain.append(seen)

    def bad_line(e: object) -> bool:  # RemoteDisconnected is a BadStatusLine without bytes
        return isinstance(e, http.client.BadStatusLine) and \
            not isinstance(e, http.client.RemoteDisconnected)

    for e in chain:
        for arg in [e, *getattr(e, "args", ())]:
            if bad_line(arg):
                first = arg.line if isinstance(arg.line, str) else repr(arg.line)
                return f"invalid HTTP response (first bytes: {printable(first, 60)})"
    text = str(seen) or type(seen).__name__
    # urllib3 messages carry object reprs; keep the human part
    if "Errno" in text:
        text = text[text.find("[Errno"):]
    return printable(text.strip().rstrip(")"), 200)
