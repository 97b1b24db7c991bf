"""HTML report for people (procurement officers included), from report.json via Jinja2."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

TEMPLATES = Path(__file__).resolve().parent / "templates"

OUTCOME_TEXT = {
    "conformant": "Conformant: every applicable mandatory (MUST) requirement is met.",
    "not-conformant": "Not conformant: at least one mandatory (MUST) requirement is not met.",
    "incomplete": "Incomplete: no mandatory (MUST) requirement failed, but not every one could "
                  "be decided, so this run certifies nothing yet.",
}
CLASS_OUTCOME_TEXT = {
    "conformant": "conformant", "not-conformant": "not conformant", "incomplete": "incomplete",
    "not-applicable": "not applicable", "not-run": "not run",
}
VERDICT_TEXT = {
    "PASS": "met", "FAIL": "not met", "NOT_APPLICABLE": "not applicable",
    "INCONCLUSIVE": "could not be decided", "ERROR": "test could not run",
}


def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)),
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=True,
                      lstrip_blocks=True)
    env.filters["short"] = _short_id
    env.filters["tls_summary"] = tls_summary
    env.filters["load_step"] = load_step
    return env


TLS_COMMANDS = (("ssl_2_0_cipher_suites", "SSL 2.0"), ("ssl_3_0_cipher_suites", "SSL 3.0"),
                ("tls_1_0_cipher_suites", "TLS 1.0"), ("tls_1_1_cipher_suites", "TLS 1.1"),
                ("tls_1_2_cipher_suites", "TLS 1.2"), ("tls_1_3_cipher_suites", "TLS 1.3"))


def tls_summary(data: dict[str, Any] | None) -> str:
    """A readable digest of a recorded sslyze result: versions, suites, certificate."""
    if not data:
        return "(no scan result)"
    sr = data.get("scan_result") or {}
    lines = []
    for cmd, label in TLS_COMMANDS:
        res = (sr.get(cmd) or {}).get("result") or {}
        names = [(s.get("cipher_suite") or {}).get("name", "?")
                 for s in res.get("accepted_cipher_suites") or []]
        lines.append(f"{label}: {', '.join(names) if names else 'not offered'}")
    curves = ((sr.get("elliptic_curves") or {}).get("result") or {}).get("supported_curves") or []
    lines.append("groups: " + (", ".join(c.get("name", "?") for c in curves) or "none found"))
    deps = (((sr.get("certificate_info") or {}).get("result") or {})
            .get("certificate_deployments") or [])
    chain = deps[0].get("received_certificate_chain") or [] if deps else []
    if chain:
        leaf = chain[0]
        pk = leaf.get("public_key") or {}
        lines.append(f"certificate: {(leaf.get('subject') or {}).get('rfc4514_string')}, issued by "
                     f"{(leaf.get('issuer') or {}).get('rfc4514_string')}, valid "
                     f"{leaf.get('not_valid_before')} .. {leaf.get('not_valid_after')}, "
                     f"{pk.get('algorithm')} {pk.get('key_size')} bit, signed with "
                     f"{(leaf.get('signature_hash_algorithm') or {}).get('name')}")
    for name in ("tls_compression", "tls_1_3_early_data", "session_renegotiation",
                 "tls_extended_master_secret"):
        res = (sr.get(name) or {}).get("result")
        if res:
            lines.append(f"{name}: " + ", ".join(f"{k}={v}" for k, v in res.items()))
    return "\n".join(lines)


def load_step(data: dict[str, Any] | None) -> str:
    """A readable digest of one recorded load step (evidence.jsonl kind 'load-step')."""
    if not data or "users" not in data:
        return "(no step figures)"
    lines = [f"{data['users']} users for {data['duration_s']} s: {data['requests']} requests, "
             f"{data['failures']} failed, {data['rps']} req/s, p50 {data.get('p50_ms')} ms, "
             f"p95 {data.get('p95_ms')} ms, p99 {data.get('p99_ms')} ms, max {data.get('max_ms')} ms"]
    for r in data.get("by_request") or []:
        lines.append(f"  {r['name']}: {r['requests']} requests, {r['failures']} failed, "
                     f"p95 {r['p95_ms']} ms, max {r['max_ms']} ms")
    for e in data.get("errors") or []:
        lines.append(f"  failing: {e['request']}: {e['error']} ({e['occurrences']}x)")
    return "\n".join(lines)


def _short_id(rid: str) -> str:
    for marker in ("/req/", "/rec/", "/per/"):
        if marker in rid:
            return marker[:-1] + "/" + rid.split(marker, 1)[1]
    return rid


def render_html(report: dict[str, Any], evidence: dict[str, dict[str, Any]]) -> str:
    rows = report["rows"]
    order = {"FAIL": 0, "ERROR": 1, "INCONCLUSIVE": 2, "PASS": 3, "NOT_APPLICABLE": 4}
    problems = sorted((r for r in rows if r["verdict"] in ("FAIL", "ERROR")),
                      key=lambda r: (order[r["verdict"]], r["level"] != "MUST"))
    load = report.get("load")
    plots = {}
    if load:
        from oupcheck.load.plots import latency_vs_throughput, throughput_over_time
        plots = {"latency": latency_vs_throughput(load), "throughput": throughput_over_time(load)}
    return _env().get_template("report.html.j2").render(
        load=load, plots=plots, report=report, run=report["run"], summary=report["summary"], rows=rows,
        problems=problems, evidence=evidence, outcome_text=OUTCOME_TEXT,
        class_outcome_text=CLASS_OUTCOME_TEXT, verdict_text=VERDICT_TEXT,
        levels=("MUST", "SHOULD", "MAY"), verdicts=VERDICT_TEXT.keys())


def render_compare(doc: dict[str, Any]) -> str:
    """compare.html: suppliers side by side (oupcheck compare)."""
    return _env().get_template("compare.html.j2").render(doc=doc)
