"""The target's HTTPS endpoint as the security and API-design checks see it, with one TLS
scan per run (sslyze in a bounded child process, or a recorded scan replayed)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from oupcheck.errors import TransportError
from oupcheck.evidence import Exchange
from oupcheck.tlsscan import ScanResult, load_recorded, replayed_scan, scan
from oupcheck.verdicts import Inconclusive

# Where an interface kind answers with a document at its root. NGSI-LD (ETSI GS CIM 009)
# defines no landing page: its base answers 404 on a conformant broker, so the header rows
# judge the list of available entity types (5.7.5, GET /ngsi-ld/v1/types), which every
# broker serves without a query; the other kinds have a landing page at their root.
API_DOCUMENT = {"ngsi-ld": "ngsi-ld/v1/types"}

# what a user can do when the API root does not answer (the control of the HTTP-level rows)
DECIDE_ROOT = ("give the URL of the API's root (its landing page, which answers 2xx with a "
               "document) as the target")


class Endpoint:
    """Where the platform is served, as the checks need it."""

    def __init__(self, run: Any):
        self.run = run
        self.url = run.interface.url
        parts = urlsplit(self.url)
        self.scheme = parts.scheme
        self.host = parts.hostname or ""
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        tls = run.target.spec.tls
        self.server_name = tls.server_name or self.host
        self.ca_file = tls.ca_file
        self.scan_file = tls.scan_file
        self.guideline = str(run.param("ncsc_guideline", "2025-05"))
        self._scan: ScanResult | None = None
        self._scan_ex: Exchange | None = None
        self._root: Exchange | None = None
        self._probes: dict[str, tuple[Any, Exchange]] = {}

    @property
    def base(self) -> str:
        return self.url if self.url.endswith("/") else self.url + "/"

    @property
    def api_url(self) -> str:
        """The URL whose answer the header, CORS and TRACE rows judge: the API root, or for a
        kind without a landing page the document it always serves (API_DOCUMENT)."""
        return self.base + API_DOCUMENT.get(self.run.interface.kind, "")

    def api_root(self, http: Any) -> Exchange:
        """The API root (landing page) as the interface's client sees it, fetched once per run
        and cited by every row that judges it."""
        if self._root is None:
            self._root = http.get(self.api_url, accept="application/json",
                                  note="API root (headers are judged here; the control that "
                                       "the API answers at all)")
        else:
            self.run.store.cite(self._root)
        return self._root

    def require_api(self, http: Any, what: str) -> Exchange:
        """The control of every HTTP-level row: the API root answers 2xx with a document.

        A target that answers 404 (or an empty 200) to its own landing page serves nothing to
        judge: a header, an error page or a refused debug path seen there says nothing about
        the API, so the row is INCONCLUSIVE instead of passing on nothing."""
        ex = self.api_root(http)
        if not 200 <= (ex.status or 0) < 300:
            raise Inconclusive(f"the API root {ex.url} answers HTTP {ex.status}: there is no "
                               f"API answer to judge {what} on (is the target URL the root of "
                               "the API?)", evidence=ex, decide=DECIDE_ROOT)
        if not has_content(ex):
            raise Inconclusive(f"the API root {ex.url} answers HTTP {ex.status} with an empty "
                               f"document: the target serves nothing to judge {what} on",
                               evidence=ex, decide=DECIDE_ROOT)
        return ex

    def plain_http_url(self) -> str:
        spec = self.run.target.spec
        if spec.plain_http_url:
            return spec.plain_http_url
        if self.scheme == "http":
            return self.url
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}/"

    def tls(self) -> tuple[ScanResult, Exchange]:
        """The TLS scan of the HTTPS endpoint (run once, cited by every TLS row)."""
        if self.scheme != "https" and not self.scan_file:
            raise Inconclusive(f"the target is given as {self.url}, not https://: no TLS endpoint "
                               "to scan (give the HTTPS URL of the platform)")
        store = self.run.store
        if self._scan is None:
            limits = self.run.target.spec.limits
            deadline = float(self.run.param("tls_scan_deadline_s", 120))
            replay = getattr(self.run, "replay", None)
            if replay is not None:  # judging again: the run's own scan, from its evidence
                res = replayed_scan(replay, self.host, self.port, self.server_name)
            elif self.scan_file:
                res = load_recorded(self.scan_file)
            else:
                res = scan(self.host, self.port, server_name=self.server_name,
                           ca_file=self.ca_file,
                           network_timeout=max(1, int(limits.connect_timeout)),
                           deadline_s=deadline)
            cmd = ["python -m sslyze", f"{self.host}:{self.port}", f"--sni {self.server_name}",
                   "--certinfo --sslv2 --sslv3 --tlsv1 --tlsv1_1 --tlsv1_2 --tlsv1_3 --compression "
                   "--early_data --reneg --elliptic_curves --fallback --ems"]
            if self.ca_file:
                cmd.append(f"--certinfo_ca_file {self.ca_file}")
            ex = store.probe(
                "tls-scan", "TLS-SCAN", f"tls://{self.host}:{self.port}",
                request_body=json.dumps({"server_name": self.server_name,
                                         "ca_file": self.ca_file, "deadline_s": deadline}),
                started=res.started, error=res.error, elapsed_ms=round(res.elapsed_s * 1000, 1),
                note=(f"recorded TLS scan replayed from {self.scan_file}" if self.scan_file else
                      f"sslyze {res.sslyze_version or '?'} scan of the HTTPS endpoint"),
                curl=" ".join(cmd), data=res.result or None)
            self._scan, self._scan_ex = res, ex
        else:
            store.cite(self._scan_ex)
        if self._scan.error:
            raise TransportError(f"TLS scan of {self.host}:{self.port}: {self._scan.error}",
                                 self._scan_ex.id)
        return self._scan, self._scan_ex

    def live_tls_probe(self, name: str, what: str, fn: Any) -> tuple[Any, Exchange]:
        """A TLS handshake of the suite's own (tlsprobe.py), run once per run and recorded as
        a ``tls-probe`` exchange; on a replayed scan there is no live server to ask."""
        if name in self._probes:
            self.run.store.cite(self._probes[name][1])
            return self._probes[name]
        if self.scan_file:
            raise Inconclusive(f"{what} needs a live TLS handshake of the suite's own, and the "
                               f"target is judged from a recorded scan ({self.scan_file})",
                               decide="run against the live HTTPS endpoint (without "
                                      "tls.scan_file)")
        timeout = float(self.run.target.spec.limits.connect_timeout) + 5
        started = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
        replay = getattr(self.run, "replay", None)
        if replay is not None:  # judging again: the handshake the run recorded
            rec = replay.take_probe("tls-probe", f"tls://{self.host}:{self.port}", note=what)
            if rec is None:
                raise replay.missing(f"a TLS handshake ({what})",
                                     f"the judged run made no TLS handshake for '{what}'")
            data = rec.get("data") or {}
            value, log, error = data.get("result"), data.get("log"), rec.get("error")
            started = rec.get("started") or started
        else:
            value, log, error = fn(self.host, self.port, self.server_name, timeout)
        ex = self.run.store.probe("tls-probe", "TLS-HANDSHAKE", f"tls://{self.host}:{self.port}",
                                  note=what, data={"result": value, "log": log}, error=error,
                                  started=started)
        self._probes[name] = (value, ex)
        return value, ex

    def command(self, name: str) -> tuple[dict[str, Any], Exchange]:
        res, ex = self.tls()
        out = res.command(name)
        if out is None:
            raise Inconclusive(f"the TLS scanner could not run {name}: {res.command_error(name)}",
                               evidence=ex)
        return out, ex


def has_content(ex: Exchange) -> bool:
    """The answer carries a document: not empty, not only white space, not {} / [] / null."""
    body = (ex.body or b"").strip()
    return bool(body) and body not in (b"{}", b"[]", b"null", b'""')


def now() -> datetime:
    return datetime.now(timezone.utc)

