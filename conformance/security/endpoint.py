"""The target's HTTPS endpoint as the security and API-design checks see it, with one TLS
scan per run (sslyze in a bounded child process, or a recorded scan replayed)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from oupcheck.errors import TransportError
from oupcheck.evidence import Exchange
from oupcheck.tlsscan import ScanResult, load_recorded, scan
from oupcheck.verdicts import Inconclusive


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

    @property
    def base(self) -> str:
        return self.url if self.url.endswith("/") else self.url + "/"

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
            if self.scan_file:
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

    def command(self, name: str) -> tuple[dict[str, Any], Exchange]:
        res, ex = self.tls()
        out = res.command(name)
        if out is None:
            raise Inconclusive(f"the TLS scanner could not run {name}: {res.command_error(name)}",
                               evidence=ex)
        return out, ex


def now() -> datetime:
    return datetime.now(timezone.utc)

