"""ADR chapter 3.8 Transport security: /core/transport/tls, /core/transport/security-headers,
/core/transport/cors (2.1.0) and /core/transport-security (2.0.2, the module ADR-TS 1.0.x)."""

from __future__ import annotations

from oupcheck.verdicts import CheckFailed

from ..security import ncsc
from .api import expect, need, requirement

FOREIGN = "https://attacker.oupcheck.invalid"


def _tls_findings(endpoint) -> tuple[list[str], object]:
    """Everything offered that NCSC (the edition the profile names) rates phase-out or
    insufficient, from the one TLS scan of the run."""
    res, ex = endpoint.tls()
    g = endpoint.guideline
    bad = [f"{v} offered" for v in ncsc.bad(ncsc.rated_versions(res, g))]
    bad += ncsc.bad(ncsc.rated_suites(res, g))
    bad += [f"group {c}" for c in ncsc.bad(ncsc.rated_curves(res.command("elliptic_curves"), g))]
    if (res.command("tls_compression") or {}).get("supports_compression"):
        bad.append("TLS compression")
    if (res.command("tls_1_3_early_data") or {}).get("supports_early_data"):
        bad.append("0-RTT")
    info = res.command("certificate_info") or {}
    leaf = ncsc.leaf_certificate(info)
    if leaf is not None:
        if ncsc.cert_key_level(leaf, g) in ncsc.BAD:
            bad.append("certificate key " + " ".join(str(x) for x in ncsc.public_key(leaf)[:2]))
        h = (leaf.get("signature_hash_algorithm") or {}).get("name")
        if h and ncsc.signature_hash_level(h, g) in ncsc.BAD:
            bad.append(f"certificate signed with {h}")
    return list(dict.fromkeys(bad)), ex


@requirement("/core/transport/tls", "/core/transport-security")
def test_tls_per_ncsc(endpoint):
    bad, ex = _tls_findings(endpoint)
    expect(not bad, f"settings rated phase-out or insufficient by NCSC {endpoint.guideline} "
           "are offered", expected="only good or sufficient settings", actual=", ".join(bad[:8]),
           evidence=ex)


REQUIRED_HEADERS = {  # ADR 2.1.0 3.8.1, first table (every API response)
    "cache-control": lambda v: "no-store" in v.lower(),
    "content-security-policy": lambda v: "frame-ancestors 'none'" in v.lower(),
    "content-type": lambda v: bool(v),
    "strict-transport-security": lambda v: "max-age" in v.lower(),
    "x-content-type-options": lambda v: v.strip().lower() == "nosniff",
    "x-frame-options": lambda v: v.strip().upper() == "DENY",
}


@requirement("/core/transport/security-headers")
def test_security_headers(adr, http):
    ex = http.get(adr.base, accept="application/json", headers={"Origin": FOREIGN},
                  note="API root, from another origin: security headers")
    wrong = [f"{k}: {ex.header(k) or '(missing)'}" for k, ok in REQUIRED_HEADERS.items()
             if not ok(ex.header(k) or "")]
    expect(not wrong, "security headers are missing or have other values",
           expected="Cache-Control: no-store; CSP frame-ancestors 'none'; Content-Type; HSTS; "
                    "X-Content-Type-Options: nosniff; X-Frame-Options: DENY",
           actual="; ".join(wrong), evidence=ex)


@requirement("/core/transport/cors")
def test_cors_allowlist(adr, http):
    allowed = adr.run.target.spec.allowed_origins
    need(allowed, "the rule can only be judged when the intended browser clients are known: "
                  "list them as allowed_origins in the target file")
    foreign = http.get(adr.base, accept="application/json", headers={"Origin": FOREIGN},
                       note="a foreign origin must not be allowed")
    acao = (foreign.header("access-control-allow-origin") or "").strip()
    if acao in ("*", FOREIGN):
        raise CheckFailed("CORS allows any origin instead of an allowlist",
                          expected=f"no Access-Control-Allow-Origin for {FOREIGN}",
                          actual=f"Access-Control-Allow-Origin: {acao}", evidence=foreign)
    friend = http.get(adr.base, accept="application/json", headers={"Origin": allowed[0]},
                      note="an allowed origin must be allowed")
    got = (friend.header("access-control-allow-origin") or "").strip()
    expect(got == allowed[0], "an allowed origin is not allowed by CORS",
           expected=f"Access-Control-Allow-Origin: {allowed[0]}", actual=got or None,
           evidence=friend)
