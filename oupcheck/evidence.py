"""Recorded exchanges with the target: the evidence behind every verdict.

Each request the suite sends is kept as an ``Exchange`` (request, response
excerpt, timing, error) with a reproducible curl line. Secrets are redacted
when the exchange is recorded; the checks still read the full bodies (which may
echo a secret), so every output file is written through the same ``Redactor``
(``Redactor.document``: report.json and its views, evidence.jsonl, export and
load files).
"""

from __future__ import annotations

import base64
import html
import itertools
import json
import os
import re
import shlex
import threading
import zlib
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote, quote_plus

SENSITIVE_HEADERS = {"authorization", "proxy-authorization", "cookie", "set-cookie",
                     "x-api-key", "x-auth-token", "x-amz-security-token"}
REDACTED = "[REDACTED]"
MIN_SECRET_LEN = 4  # shorter secret values are not redacted by value (they would match anywhere)


def _b64(value: str) -> set[str]:
    raw = value.encode()
    out = {base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()}
    return out | {f.rstrip("=") for f in out}


def _lower_hex(s: str) -> str:
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), s)


def _encoded(value: str) -> set[str]:
    """The forms a server may echo a value in: percent-encoded (quote, quote_plus, lower-case
    hex, twice), JSON-escaped (also ``\\/``), HTML-escaped."""
    enc = {quote(value, safe=""), quote(value), quote_plus(value), quote_plus(value, safe="/")}
    enc |= {_lower_hex(e) for e in enc}
    enc |= {quote(e, safe="") for e in list(enc)}
    js = {json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}
    js |= {j.replace("/", "\\/") for j in js}
    return {value, *enc, *js, html.escape(value), html.escape(value, quote=False)}


class Redactor:
    """Replaces secret values (by value, in every form a server may echo them) and sensitive
    headers (by name).

    Forms of each secret value of at least ``MIN_SECRET_LEN`` characters: plain,
    percent-encoded (``quote``, ``quote_plus``, lower-case hex, double), JSON- and HTML-escaped,
    and base64 (standard and URL-safe, padded or not, also percent-encoded); for basic
    credentials the base64 of ``user:password`` for every pair of secret values. ``text``
    redacts a string, ``document`` a whole JSON-like document (dict keys included): every
    output file (report.json and the views rendered from it, evidence.jsonl, export and load
    files) goes through it.
    """

    def __init__(self, secrets: dict[str, str] | None = None):
        values = {k: v for k, v in (secrets or {}).items() if v}
        # longest first so a secret that contains another is replaced whole
        self.secrets = sorted(((v, k) for k, v in values.items() if len(v) >= MIN_SECRET_LEN),
                              key=lambda t: -len(t[0]))
        forms: dict[str, str] = {}
        for value, env in self.secrets:
            for f in _encoded(value) | {e for b in _b64(value) for e in _encoded(b)}:
                forms.setdefault(f, env)
        for (_, user), (penv, password) in itertools.permutations(values.items(), 2):
            if len(user) + len(password) + 1 >= MIN_SECRET_LEN:  # Authorization: Basic ...
                for b in _b64(f"{user}:{password}"):
                    for f in _encoded(b):
                        forms.setdefault(f, penv)
        self.forms = sorted(((f, env) for f, env in forms.items() if len(f) >= MIN_SECRET_LEN),
                            key=lambda t: (-len(t[0]), t[0]))

    def text(self, s: str) -> str:
        for form, env in self.forms:
            if form in s:
                s = s.replace(form, f"[REDACTED:{env}]")
        return s

    def document(self, obj: Any) -> Any:
        """The document with every string (dict keys included) redacted; a new object."""
        if not self.forms:
            return obj
        if isinstance(obj, str):
            return self.text(obj)
        if isinstance(obj, dict):
            return {self.document(k): self.document(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return type(obj)(self.document(v) for v in obj)
        return obj

    def jsonl(self, path: Path) -> None:
        """Rewrite a JSON-lines file (evidence.jsonl) through ``document``, line by line."""
        if not self.forms or not path.is_file():
            return
        tmp = path.with_name(path.name + ".redacting")
        with path.open(encoding="utf-8") as src, tmp.open("w", encoding="utf-8") as dst:
            for line in src:
                if line.strip():
                    dst.write(json.dumps(self.document(json.loads(line)),
                                         ensure_ascii=False) + "\n")
        os.replace(tmp, path)

    def headers(self, headers: dict[str, str]) -> dict[str, str]:
        out = {}
        for k, v in headers.items():
            out[self.text(k)] = REDACTED if k.lower() in SENSITIVE_HEADERS else self.text(str(v))
        return out

    def curl_header_value(self, value: str) -> str | None:
        """For the curl line: the value with secrets as ${ENV} references (other forms of a
        secret redacted), or None if it holds no plain secret."""
        found = False
        for secret, env in self.secrets:
            if secret in value:
                value = value.replace(secret, "${" + env + "}")
                found = True
        return self.text(value) if found else None


@dataclass
class Exchange:
    id: str
    seq: int
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str | None
    started: str
    status: int | None = None
    http_version: str | None = None
    reason: str | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    body_excerpt: str | None = None
    body_bytes: int = 0
    body_capped: bool = False  # the body exceeded max_body_bytes and was cut there
    excerpt_truncated: bool = False  # the evidence keeps only the first excerpt_bytes
    elapsed_ms: float | None = None
    error: str | None = None
    note: str | None = None
    redirect: str | None = None  # a 3xx answer: where it led, or why the client stopped there
    test: str | None = None
    curl: str = ""
    kind: str = "http"  # or "tls-scan" (and other non-HTTP probes): then ``data`` holds the result
    data: Any = None
    # the full body the checks read (bounded by max_body_bytes); evidence.jsonl keeps it
    # compressed (``body_stored``) within the run's evidence_store_bytes, so that a run can be
    # judged again from its evidence (``oupcheck rejudge``)
    body: bytes = field(default=b"", repr=False)
    body_stored_truncated: bool = False  # set on a replayed exchange whose stored body was cut
    _json: Any = field(default=None, repr=False)
    _json_done: bool = field(default=False, repr=False)

    def header(self, name: str) -> str | None:
        lname = name.lower()
        for k, v in self.response_headers.items():
            if k.lower() == lname:
                return v
        return None

    def at(self) -> datetime | None:
        """When the exchange started (its recorded time: a judge that compares the target's
        clock uses it, not the clock of the machine that judges, so a run judged again years
        later is judged at the time it was made); None when it was not recorded."""
        try:
            t = datetime.fromisoformat(self.started) if self.started else None
        except ValueError:
            return None
        return t if t is None or t.tzinfo else t.replace(tzinfo=timezone.utc)

    @property
    def content_type(self) -> str:
        return (self.header("content-type") or "").split(";")[0].strip().lower()

    def summary(self) -> str:
        if self.error:
            return f"{self.method} {self.url} -> {self.error}"
        return f"{self.method} {self.url} -> {self.status} {self.content_type or '(no type)'}"

    def record(self) -> dict[str, Any]:
        rec: dict[str, Any] = {
            "id": self.id, "seq": self.seq, "kind": self.kind, "test": self.test,
            "started": self.started,
            "request": {"method": self.method, "url": self.url, "headers": self.request_headers,
                        "body": self.request_body},
            "response": None if self.status is None else {
                "http_version": self.http_version, "status": self.status, "reason": self.reason, "headers": self.response_headers,
                "body": self.body_excerpt, "body_bytes": self.body_bytes,
                "body_capped": self.body_capped, "excerpt_truncated": self.excerpt_truncated,
                **({"redirect": self.redirect} if self.redirect else {})},
            "elapsed_ms": self.elapsed_ms, "error": self.error, "note": self.note,
            "curl": self.curl,
        }
        if self.data is not None:
            rec["data"] = self.data
        return rec


def curl_line(method: str, url: str, headers: dict[str, str], body: str | None,
              redactor: Redactor, raw_headers: dict[str, str]) -> str:
    parts = ["curl", "-sS", "-i"]
    if method != "GET":
        parts += ["-X", method]
    for k, v in raw_headers.items():
        ref = redactor.curl_header_value(str(v))
        if ref is not None:
            parts += ["-H", f'"{k}: {ref}"']
        elif k.lower() in SENSITIVE_HEADERS:
            parts += ["-H", shlex.quote(f"{k}: {REDACTED}")]
        else:
            parts += ["-H", shlex.quote(redactor.text(f"{k}: {v}"))]
    if body is not None:
        parts += ["--data-binary", shlex.quote(redactor.text(body))]
    ref = redactor.curl_header_value(url)
    parts.append(f'"{ref}"' if ref is not None else shlex.quote(redactor.text(url)))
    return " ".join(parts)


def pack_body(body: bytes) -> str:
    """A body as evidence.jsonl stores it: zlib-compressed, base64."""
    return base64.b64encode(zlib.compress(body, 6)).decode("ascii")


def unpack_body(text: str, limit: int) -> bytes:
    """The stored body, at most ``limit`` bytes decompressed (a hostile evidence file cannot
    expand without bound)."""
    d = zlib.decompressobj()
    out = d.decompress(base64.b64decode(text), limit)
    return out[:limit]


def redact_bytes(body: bytes, redactor: Redactor | None) -> bytes:
    """The body with every form of a secret replaced, as bytes (bodies are stored compressed,
    where ``Redactor.document`` cannot see them)."""
    if redactor is None or not redactor.forms:
        return body
    for form, env in redactor.forms:
        b = form.encode("utf-8", "surrogatepass")
        if b in body:
            body = body.replace(b, f"[REDACTED:{env}]".encode())
    return body


DEFAULT_STORE_BYTES = 256_000_000


# a development aid (OUPCHECK_TRACE_SPLIT=FILE): every request a check sends after it has
# judged something (an ``expect`` counted) is listed in FILE, one line per request: a check
# should probe first and judge the recorded answers after (the self-tests assert it, see
# tests/support/split.py)
TRACE_SPLIT = os.environ.get("OUPCHECK_TRACE_SPLIT")
TRACED = ("http", "mqtt", "tls-probe")  # what a probe sends (a receipt or a load step: no)


def _trace_split(test: str, ex: "Exchange") -> None:
    from . import verdicts
    led = verdicts._ledger
    if led is not None and led.assertions:
        with open(TRACE_SPLIT, "a", encoding="utf-8") as fh:
            fh.write(f"{test}\t{ex.method} {ex.url[:120]}\t{ex.note or ''}\n")


class EvidenceStore:
    """Numbers, keeps and streams exchanges; tracks which test cited which.

    The sink (evidence.jsonl) gets every exchange's full body, redacted and compressed, as
    ``response.body_stored``, until ``store_bytes`` body bytes (uncompressed) are stored in the
    run; past that cap a body is stored cut to what is left and marked
    ``body_stored_truncated`` (a judge that needs the missing part is INCONCLUSIVE when the run
    is judged again)."""

    def __init__(self, sink: TextIO | None = None, retain: bool = True,
                 redactor: Redactor | None = None, store_bytes: int = DEFAULT_STORE_BYTES):
        self.retain = retain  # False: stream to the sink only (long harvests in constant memory)
        self.redactor = redactor  # set: every record (all fields) is redacted when written
        self.body_redactor: Redactor | None = redactor  # redacts the stored bodies
        self.store_bytes = store_bytes
        self.stored_bytes = 0
        self._lock = threading.Lock()
        self._seq = 0
        self._sink = sink
        self.by_id: dict[str, Exchange] = {}
        self.current_test: str | None = None
        self.cited: dict[str, list[str]] = {}

    def next_id(self) -> tuple[str, int]:
        with self._lock:
            self._seq += 1
            return f"E{self._seq:05d}", self._seq

    @property
    def count(self) -> int:
        return self._seq

    def probe(self, kind: str, method: str, url: str, *, note: str | None = None,
              data: Any = None, error: str | None = None, request_body: str | None = None,
              started: str | None = None, elapsed_ms: float | None = None,
              curl: str = "") -> Exchange:
        """Number, stamp and record a non-HTTP probe (a TLS scan, an MQTT conversation, a
        received notification, a load step): ``data`` holds what it found."""
        eid, seq = self.next_id()
        ex = Exchange(id=eid, seq=seq, method=method, url=url, request_headers={},
                      request_body=request_body,
                      started=started or datetime.now(timezone.utc).isoformat(
                          timespec="milliseconds"),
                      kind=kind, data=data, note=note, error=error, elapsed_ms=elapsed_ms,
                      curl=curl)
        self.add(ex)
        return ex

    def add(self, ex: Exchange) -> None:
        ex.test = self.current_test
        if TRACE_SPLIT and ex.kind in TRACED and "::" in (self.current_test or ""):  # a check
            _trace_split(self.current_test, ex)
        with self._lock:
            # the store keeps the bounded excerpt only; the full body lives with the caller
            if self.retain:
                self.by_id[ex.id] = replace(ex, body=b"", _json=None, _json_done=False)
            if self._sink is not None:
                rec = ex.record()
                if self.redactor is not None:
                    rec = self.redactor.document(rec)
                if rec.get("response") is not None and ex.body and self.store_bytes:
                    left = max(0, self.store_bytes - self.stored_bytes)
                    part = ex.body[:left]
                    self.stored_bytes += len(part)
                    rec["response"]["body_stored"] = pack_body(
                        redact_bytes(part, self.body_redactor))
                    if len(part) < len(ex.body):
                        rec["response"]["body_stored_truncated"] = True
                self._sink.write(json.dumps(rec, ensure_ascii=False) + "\n")
                self._sink.flush()
        self.cite(ex)

    def cite(self, ex: Exchange | str) -> None:
        """Mark an exchange (or its id) as evidence for the running test (also cached ones)."""
        if self.current_test is None:
            return
        eid = ex if isinstance(ex, str) else ex.id
        with self._lock:  # probes of one check may record at once (EvidenceClient.fan_out)
            ids = self.cited.setdefault(self.current_test, [])
            if eid not in ids:
                ids.append(eid)

    def begin(self, test: str) -> None:
        self.current_test = test
        self.cited.setdefault(test, [])

    def end(self) -> None:
        self.current_test = None
