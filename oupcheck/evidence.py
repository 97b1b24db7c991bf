"""Recorded exchanges with the target: the evidence behind every verdict.

Each request the suite sends is kept as an ``Exchange`` (request, response
excerpt, timing, error) with a reproducible curl line. Secrets are redacted
when the exchange is recorded, so nothing downstream ever holds them.
"""

from __future__ import annotations

import json
import shlex
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, TextIO

SENSITIVE_HEADERS = {"authorization", "proxy-authorization", "cookie", "set-cookie",
                     "x-api-key", "x-auth-token", "x-amz-security-token"}
REDACTED = "[REDACTED]"


class Redactor:
    """Replaces secret values (by value) and sensitive headers (by name)."""

    def __init__(self, secrets: dict[str, str] | None = None):
        # longest first so a secret that contains another is replaced whole
        self.secrets = sorted(((v, k) for k, v in (secrets or {}).items() if v and len(v) >= 4),
                              key=lambda t: -len(t[0]))

    def text(self, s: str) -> str:
        for value, env in self.secrets:
            if value in s:
                s = s.replace(value, f"[REDACTED:{env}]")
        return s

    def headers(self, headers: dict[str, str]) -> dict[str, str]:
        out = {}
        for k, v in headers.items():
            out[k] = REDACTED if k.lower() in SENSITIVE_HEADERS else self.text(str(v))
        return out

    def curl_header_value(self, value: str) -> str | None:
        """For the curl line: the value with secrets as ${ENV} references, or None if none."""
        found = False
        for secret, env in self.secrets:
            if secret in value:
                value = value.replace(secret, "${" + env + "}")
                found = True
        return value if found else None


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
    test: str | None = None
    curl: str = ""
    kind: str = "http"  # or "tls-scan" (and other non-HTTP probes): then ``data`` holds the result
    data: Any = None
    # not recorded: the full body for checks of this run (bounded by max_body_bytes)
    body: bytes = field(default=b"", repr=False)
    _json: Any = field(default=None, repr=False)
    _json_done: bool = field(default=False, repr=False)

    def header(self, name: str) -> str | None:
        lname = name.lower()
        for k, v in self.response_headers.items():
            if k.lower() == lname:
                return v
        return None

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
                "body_capped": self.body_capped, "excerpt_truncated": self.excerpt_truncated},
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
            parts += ["-H", shlex.quote(f"{k}: {v}")]
    if body is not None:
        parts += ["--data-binary", shlex.quote(redactor.text(body))]
    ref = redactor.curl_header_value(url)
    parts.append(f'"{ref}"' if ref is not None else shlex.quote(url))
    return " ".join(parts)


class EvidenceStore:
    """Numbers, keeps and streams exchanges; tracks which test cited which."""

    def __init__(self, sink: TextIO | None = None, retain: bool = True):
        self.retain = retain  # False: stream to the sink only (long harvests in constant memory)
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
        with self._lock:
            # the store keeps the bounded excerpt only; the full body lives with the caller
            if self.retain:
                self.by_id[ex.id] = replace(ex, body=b"", _json=None, _json_done=False)
            if self._sink is not None:
                self._sink.write(json.dumps(ex.record(), ensure_ascii=False) + "\n")
                self._sink.flush()
        self.cite(ex)

    def cite(self, ex: Exchange) -> None:
        """Mark an exchange as evidence for the running test (also cached ones)."""
        if self.current_test is None:
            return
        ids = self.cited.setdefault(self.current_test, [])
        if ex.id not in ids:
            ids.append(ex.id)

    def begin(self, test: str) -> None:
        self.current_test = test
        self.cited.setdefault(test, [])

    def end(self) -> None:
        self.current_test = None
