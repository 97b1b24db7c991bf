"""TLS scanning with sslyze, run in a child process so a scan is bounded by a hard deadline.

``scan()`` starts ``python -m oupcheck.tlsscan`` which runs sslyze's scanner on one
``host:port`` and prints sslyze's own JSON result on stdout. The parent kills the child when
the deadline passes. The JSON (the evidence) is what the TLS checks judge, so a report can be
re-evaluated from it later without the platform.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

COMMANDS = ("certificate_info", "ssl_2_0_cipher_suites", "ssl_3_0_cipher_suites",
            "tls_1_0_cipher_suites", "tls_1_1_cipher_suites", "tls_1_2_cipher_suites",
            "tls_1_3_cipher_suites", "tls_compression", "tls_1_3_early_data",
            "session_renegotiation", "elliptic_curves", "tls_fallback_scsv",
            "tls_extended_master_secret")


@dataclass
class ScanResult:
    host: str
    port: int
    server_name: str
    started: str
    elapsed_s: float
    error: str | None = None            # the scan could not be run or decided (-> ERROR rows)
    result: dict[str, Any] = field(default_factory=dict)  # sslyze's server_scan_result (JSON)
    sslyze_version: str | None = None

    def command(self, name: str) -> dict[str, Any] | None:
        """The result of one scan command, or None when it did not complete."""
        attempt = (self.result.get("scan_result") or {}).get(name) or {}
        return attempt.get("result") if attempt.get("status") == "COMPLETED" else None

    def command_error(self, name: str) -> str | None:
        attempt = (self.result.get("scan_result") or {}).get(name) or {}
        if attempt.get("status") == "COMPLETED":
            return None
        trace = attempt.get("error_trace") or ""
        last = trace.strip().splitlines()[-1] if trace.strip() else ""
        return f"{attempt.get('error_reason') or 'not run'}{': ' + last if last else ''}"


def scan(host: str, port: int, *, server_name: str | None = None, ca_file: Path | None = None,
         network_timeout: int = 5, deadline_s: float = 120.0) -> ScanResult:
    from datetime import datetime, timezone
    started = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
    sni = server_name or host
    argv = [sys.executable, "-m", "oupcheck.tlsscan", host, str(port), sni,
            str(ca_file or ""), str(network_timeout)]
    t0 = time.monotonic()
    res = ScanResult(host=host, port=port, server_name=sni, started=started, elapsed_s=0.0)
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=deadline_s)
    except subprocess.TimeoutExpired:
        res.elapsed_s = round(time.monotonic() - t0, 2)
        res.error = f"TLS scan did not finish within its deadline of {deadline_s:g} s"
        return res
    res.elapsed_s = round(time.monotonic() - t0, 2)
    try:
        out = json.loads(proc.stdout)
    except json.JSONDecodeError:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        res.error = f"TLS scanner failed (exit {proc.returncode}): {tail[0][:300]}"
        return res
    res.sslyze_version = out.get("sslyze_version")
    res.error = out.get("error")
    results = out.get("server_scan_results") or []
    if results:
        res.result = results[0]
        if res.result.get("scan_status") != "COMPLETED":
            trace = (res.result.get("connectivity_error_trace") or "").strip().splitlines()
            res.error = ("no TLS connection: "
                         + (trace[-1] if trace else str(res.result.get("scan_status"))))[:400]
    elif not res.error:
        res.error = "the TLS scanner returned no result"
    return res


def load_recorded(path: Path) -> ScanResult:
    """A scan recorded earlier: sslyze's JSON output, or an evidence.jsonl with a tls-scan."""
    text = Path(path).read_text(encoding="utf-8")
    result: dict[str, Any] | None = None
    started, version = "", None
    try:
        doc = json.loads(text)
        results = doc.get("server_scan_results") or []
        result = results[0] if results else None
        version = doc.get("sslyze_version")
    except json.JSONDecodeError:
        for line in text.splitlines():
            rec = json.loads(line) if line.strip() else {}
            if rec.get("kind") == "tls-scan" and rec.get("data"):
                result, started = rec["data"], rec.get("started", "")
                break
    if not result:
        raise ValueError(f"{path}: no TLS scan result in it")
    loc = result.get("server_location") or {}
    res = ScanResult(host=loc.get("hostname", "?"), port=int(loc.get("port") or 0),
                     server_name=(result.get("network_configuration") or {}).get(
                         "tls_server_name_indication", ""), started=started, elapsed_s=0.0,
                     result=result, sslyze_version=version)
    if result.get("scan_status") != "COMPLETED":
        res.error = f"the recorded scan did not complete ({result.get('scan_status')})"
    return res


def _main(argv: list[str]) -> int:
    """Child process: scan one server, print sslyze's JSON on stdout."""
    host, port, sni, ca, timeout = argv[1], int(argv[2]), argv[3], argv[4], int(argv[5])
    try:
        from sslyze import (CertificateInfoExtraArgument, ScanCommand, ScanCommandsExtraArguments,
                            Scanner, ServerNetworkConfiguration, ServerNetworkLocation,
                            ServerScanRequest, SslyzeOutputAsJson, ServerScanResultAsJson)
        from sslyze.errors import ServerHostnameCouldNotBeResolved
    except ImportError as exc:  # pragma: no cover - dependency missing
        print(json.dumps({"error": f"sslyze is not installed: {exc}"}))
        return 0
    from datetime import datetime, timezone
    try:
        location = ServerNetworkLocation(hostname=host, port=port, ip_address=host
                                         if host.replace(".", "").isdigit() else None)
    except ServerHostnameCouldNotBeResolved as exc:
        print(json.dumps({"error": f"host name could not be resolved: {exc}"}))
        return 0
    extra = ScanCommandsExtraArguments(
        certificate_info=CertificateInfoExtraArgument(custom_ca_file=Path(ca)) if ca else None)
    request = ServerScanRequest(
        server_location=location,
        network_configuration=ServerNetworkConfiguration(
            tls_server_name_indication=sni, network_timeout=timeout, network_max_retries=1),
        scan_commands={ScanCommand(c) for c in COMMANDS},
        scan_commands_extra_arguments=extra)
    scanner = Scanner(per_server_concurrent_connections_limit=5)
    started = datetime.now(timezone.utc)
    scanner.queue_scans([request])
    results = [ServerScanResultAsJson.model_validate(r) for r in scanner.get_results()]
    doc = SslyzeOutputAsJson(server_scan_results=results, invalid_server_strings=[],
                             date_scans_started=started,
                             date_scans_completed=datetime.now(timezone.utc))
    out = json.loads(doc.model_dump_json())
    from importlib.metadata import version
    out["sslyze_version"] = version("sslyze")
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv))


def replayed_scan(replay: Any, host: str, port: int, server_name: str) -> ScanResult:
    """The TLS scan a run recorded (judging it again): its result and error as they were."""
    rec = replay.take_probe("tls-scan", f"tls://{host}:{port}")
    if rec is None:
        raise replay.missing(f"a TLS scan of {host}:{port}",
                             f"the judged run made no TLS scan of {host}:{port}")
    return ScanResult(host=host, port=port, server_name=server_name,
                      started=rec.get("started") or "",
                      elapsed_s=(rec.get("elapsed_ms") or 0) / 1000, error=rec.get("error"),
                      result=rec.get("data") or {},
                      sslyze_version=None)
