"""ADR chapter 3.8 Transport security: /core/transport/tls, /core/transport/security-headers,
/core/transport/cors (2.1.0) and /core/transport-security (2.0.2, the module ADR-TS 1.0.x)."""

from __future__ import annotations

from oupcheck.marks import requirement
from oupcheck.verdicts import CheckFailed, Inconclusive, judged

from ..security import ncsc, tlsprobe

from .api import expect, need

FOREIGN = "https://attacker.oupcheck.invalid"


def _tls_findings(endpoint) -> tuple[list[str], object, int]:
    """Everything offered that NCSC (the edition the profile names) rates phase-out or
    insufficient, from the one TLS scan of the run: "protocols, algorithms, key sizes,
    options or ciphers" (the rule's How to test), so also finite-field DH groups, insecure
    renegotiation (insufficient in both editions), unlimited client-initiated renegotiation
    (phase-out in 2025-05 only; v2.1 rates it sufficient) and the keys and hashes of the
    whole chain sent (a root sent along is not judged). Returns (findings, scan, settings
    judged)."""
    res, ex = endpoint.tls()
    g = endpoint.guideline
    versions = ncsc.rated_versions(res, g)
    suites = ncsc.rated_suites(res, g)
    groups = ncsc.rated_curves(res.command("elliptic_curves"), g)
    for command in ncsc.VERSIONS:
        for acc in ncsc.accepted_suites(res.command(command)):
            key = ncsc.ephemeral(acc) or {}
            if key.get("type_name") == "DH":
                bits = int(key.get("size") or 0)
                groups.append((f"DH-{bits}", ncsc.dh_level(bits, g)))
    bad = [f"{v} offered" for v in ncsc.bad(versions)]
    bad += ncsc.bad(suites)
    bad += [f"group {c}" for c in ncsc.bad(groups)]
    below_13 = {v for v, _ in versions} - {"TLS 1.3"}
    if below_13:  # compression and renegotiation exist only before TLS 1.3
        if (res.command("tls_compression") or {}).get("supports_compression"):
            bad.append("TLS compression")
        reneg = res.command("session_renegotiation") or {}
        if reneg and not reneg.get("supports_secure_renegotiation"):
            bad.append("insecure renegotiation")
        if g != "2.1" and int(reneg.get("client_renegotiations_success_count") or 0) > \
                tlsprobe.NCSC_MAX_RENEGOTIATIONS:
            bad.append("unlimited client-initiated renegotiation")
    if (res.command("tls_1_3_early_data") or {}).get("supports_early_data"):
        bad.append("0-RTT")
    info = res.command("certificate_info") or {}
    chain = (info.get("certificate_deployments") or [{}])[0].get("received_certificate_chain") \
        or []
    judged_chain = [c for c in chain if not (ncsc.self_signed(c) and len(chain) > 1)]
    for cert in judged_chain:
        if ncsc.cert_key_level(cert, g) in ncsc.BAD:
            bad.append("certificate key " + " ".join(str(x) for x in ncsc.public_key(cert)[:2]))
        h = (cert.get("signature_hash_algorithm") or {}).get("name")
        if h and ncsc.signature_hash_level(h, g) in ncsc.BAD:
            bad.append(f"certificate signed with {h}")
    judged_n = len(versions) + len(suites) + len(groups) + len(judged_chain)
    return list(dict.fromkeys(bad)), ex, judged_n


@requirement("nlgov-adr:/core/transport/tls", "nlgov-adr:/core/transport-security")
def test_tls_per_ncsc(endpoint):
    bad, ex, n = _tls_findings(endpoint)
    if not n:
        raise Inconclusive("the scan found nothing offered to judge", evidence=ex)
    judged("TLS settings offered (versions, suites, groups, certificates)", n)
    expect(not bad, f"settings rated phase-out or insufficient by NCSC {endpoint.guideline} "
           "are offered", expected="only good or sufficient settings", actual=", ".join(bad[:8]),
           evidence=ex)


def _api_answers(ex, what: str) -> None:
    """The control of the live header rows: the API root answers 2xx with a document (a
    target that answers 404 to its own base serves nothing to judge)."""
    from ..security.endpoint import DECIDE_ROOT, has_content
    if not 200 <= (ex.status or 0) < 300 or not has_content(ex):
        empty = " with an empty document" if 200 <= (ex.status or 0) < 300 else ""
        raise Inconclusive(f"the API root {ex.url} answers HTTP {ex.status}{empty}: there is "
                           f"no API answer to judge {what} on", evidence=ex, decide=DECIDE_ROOT)


REQUIRED_HEADERS = {  # ADR 2.1.0 3.8.1, first table (every API response)
    "cache-control": lambda v: "no-store" in v.lower(),
    "content-security-policy": lambda v: "frame-ancestors 'none'" in v.lower(),
    "content-type": lambda v: bool(v),
    "strict-transport-security": lambda v: "max-age" in v.lower(),
    "x-content-type-options": lambda v: v.strip().lower() == "nosniff",
    "x-frame-options": lambda v: v.strip().upper() == "DENY",
}


@requirement("nlgov-adr:/core/transport/security-headers")
def test_security_headers(adr, http):
    ex = http.get(adr.base, accept="application/json", headers={"Origin": FOREIGN},
                  note="API root, from another origin: security headers")
    _api_answers(ex, "its security headers")
    wrong = [f"{k}: {ex.header(k) or '(missing)'}" for k, ok in REQUIRED_HEADERS.items()
             if not ok(ex.header(k) or "")]
    expect(not wrong, "security headers are missing or have other values",
           expected="Cache-Control: no-store; CSP frame-ancestors 'none'; Content-Type; HSTS; "
                    "X-Content-Type-Options: nosniff; X-Frame-Options: DENY",
           actual="; ".join(wrong), evidence=ex)


@requirement("nlgov-adr:/core/transport/cors")
def test_cors_allowlist(adr, http):
    allowed = adr.run.target.spec.allowed_origins
    need(allowed, "the rule can only be judged when the intended browser clients are known: "
                  "list them as allowed_origins in the target file")
    foreign = http.get(adr.base, accept="application/json", headers={"Origin": FOREIGN},
                       note="a foreign origin must not be allowed")
    friend = http.get(adr.base, accept="application/json", headers={"Origin": allowed[0]},
                      note="an allowed origin must be allowed")
    _api_answers(foreign, "CORS")
    acao = (foreign.header("access-control-allow-origin") or "").strip()
    if acao in ("*", FOREIGN):
        raise CheckFailed("CORS allows any origin instead of an allowlist",
                          expected=f"no Access-Control-Allow-Origin for {FOREIGN}",
                          actual=f"Access-Control-Allow-Origin: {acao}", evidence=foreign)
    got = (friend.header("access-control-allow-origin") or "").strip()
    expect(got == allowed[0], "an allowed origin is not allowed by CORS",
           expected=f"Access-Control-Allow-Origin: {allowed[0]}", actual=got or None,
           evidence=friend)
