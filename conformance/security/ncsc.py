"""Pure judgements of a TLS scan (sslyze JSON) against the NCSC-NL TLS guidelines.

Levels: GOOD, SUFFICIENT, PHASE_OUT, INSUFFICIENT. A server passes a row when everything it
offers is GOOD or SUFFICIENT. Two editions are tabled: v2.1 (January 2021, cited by the NL API
Design Rules 2.0/2.1) and 2025-05 (current). The tables follow the guidelines' appendices as
internet.nl applies them; anything not listed is INSUFFICIENT.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime, timezone
from typing import Any

GOOD, SUFFICIENT, PHASE_OUT, INSUFFICIENT = "good", "sufficient", "phase-out", "insufficient"
BAD = (PHASE_OUT, INSUFFICIENT)

GUIDELINES = ("2.1", "2025-05")

# sslyze scan command -> (protocol, level in v2.1, level in 2025-05)
VERSIONS = {
    "ssl_2_0_cipher_suites": ("SSL 2.0", INSUFFICIENT, INSUFFICIENT),
    "ssl_3_0_cipher_suites": ("SSL 3.0", INSUFFICIENT, INSUFFICIENT),
    "tls_1_0_cipher_suites": ("TLS 1.0", PHASE_OUT, INSUFFICIENT),
    "tls_1_1_cipher_suites": ("TLS 1.1", PHASE_OUT, INSUFFICIENT),
    "tls_1_2_cipher_suites": ("TLS 1.2", SUFFICIENT, SUFFICIENT),
    "tls_1_3_cipher_suites": ("TLS 1.3", GOOD, GOOD),
}


def version_level(command: str, guideline: str) -> str:
    _, v21, v25 = VERSIONS[command]
    return v21 if guideline == "2.1" else v25


TLS13_SUITES = {  # (v2.1, 2025-05)
    "TLS_AES_256_GCM_SHA384": (GOOD, GOOD),
    "TLS_CHACHA20_POLY1305_SHA256": (GOOD, GOOD),
    "TLS_AES_128_GCM_SHA256": (GOOD, SUFFICIENT),
    "TLS_AES_128_CCM_SHA256": (GOOD, SUFFICIENT),
    "TLS_AES_128_CCM_8_SHA256": (INSUFFICIENT, INSUFFICIENT),
}
_NAME = re.compile(r"^TLS_(?P<kx>[A-Z0-9_]+?)_WITH_(?P<bulk>[A-Z0-9_]+?)"
                   r"(?:_(?P<mac>SHA384|SHA256|SHA|MD5))?$")


def _parts(iana_name: str) -> tuple[str, str, str] | None:
    m = _NAME.match(iana_name)
    return (m.group("kx"), m.group("bulk"), m.group("mac") or "") if m else None


def cipher_level(iana_name: str, guideline: str = "2025-05") -> str:
    """NCSC level of one cipher suite by its IANA name (as sslyze reports it).

    v2.1: appendix C (as internet.nl applied it before 2025, with footnote 31); 2025-05:
    appendix B. Anything not listed is insufficient (RC4, NULL, EXPORT, anon, DES, CCM_8 ...).
    """
    if iana_name in TLS13_SUITES:
        return TLS13_SUITES[iana_name][0 if guideline == "2.1" else 1]
    parts = _parts(iana_name)
    if parts is None:
        return INSUFFICIENT
    kx, bulk, mac = parts
    if "CCM_8" in bulk or mac == "MD5" or "EXPORT" in kx or "anon" in kx.lower():
        return INSUFFICIENT
    ecdhe = kx in ("ECDHE_ECDSA", "ECDHE_RSA")
    aes_gcm = bool(re.fullmatch(r"AES_(128|256)_GCM", bulk))
    chacha = bulk == "CHACHA20_POLY1305"
    aes_ccm = bool(re.fullmatch(r"AES_(128|256)_CCM", bulk))
    aes_cbc = bool(re.fullmatch(r"AES_(128|256)_CBC", bulk))
    camellia_cbc = bool(re.fullmatch(r"CAMELLIA_(128|256)_CBC", bulk))
    camellia_gcm = bool(re.fullmatch(r"CAMELLIA_(128|256)_GCM", bulk))
    aria = bool(re.fullmatch(r"ARIA_(128|256)_(GCM|CBC)", bulk))
    des3 = bulk == "3DES_EDE_CBC"
    sha2 = mac in ("SHA256", "SHA384")
    if guideline == "2.1":
        if ecdhe and (aes_gcm or chacha or (aes_ccm and kx == "ECDHE_ECDSA")):
            return GOOD
        if ecdhe and (aes_cbc or (camellia_cbc and sha2)):
            return SUFFICIENT
        if kx == "DHE_RSA" and (aes_gcm or chacha or aes_cbc or aes_ccm or camellia_cbc):
            return SUFFICIENT
        if kx == "RSA" and camellia_cbc:
            return SUFFICIENT
        if des3 and kx in ("ECDHE_ECDSA", "ECDHE_RSA", "DHE_RSA", "RSA"):
            return PHASE_OUT
        if kx == "RSA" and (aes_gcm or aes_cbc):
            return PHASE_OUT
        return INSUFFICIENT
    # 2025-05
    if ecdhe and (aes_gcm or chacha or (aes_ccm and kx == "ECDHE_ECDSA")):
        return SUFFICIENT
    if ecdhe and ((aes_cbc or camellia_cbc) and sha2 or camellia_gcm or aria):
        return PHASE_OUT
    if kx == "DHE_RSA" and (aes_gcm or chacha or aes_ccm or ((aes_cbc or camellia_cbc) and sha2)
                            or camellia_gcm or aria):
        return PHASE_OUT
    return INSUFFICIENT


CURVES = {  # named groups for ECDHE: (v2.1, 2025-05)
    "secp384r1": (GOOD, SUFFICIENT), "secp256r1": (GOOD, SUFFICIENT),
    "prime256v1": (GOOD, SUFFICIENT), "X25519": (GOOD, SUFFICIENT), "X448": (GOOD, SUFFICIENT),
    "secp521r1": (INSUFFICIENT, SUFFICIENT), "brainpoolP256r1": (INSUFFICIENT, SUFFICIENT),
    "brainpoolP384r1": (INSUFFICIENT, SUFFICIENT), "brainpoolP512r1": (INSUFFICIENT, SUFFICIENT),
    "secp224r1": (PHASE_OUT, PHASE_OUT),
}


def curve_level(name: str, guideline: str = "2025-05") -> str:
    key = name if name in CURVES else name.upper() if name.upper() in CURVES else name
    levels = CURVES.get(key)
    return INSUFFICIENT if levels is None else levels[0 if guideline == "2.1" else 1]


def dh_level(bits: int, guideline: str = "2025-05") -> str:
    """Finite-field DH by size (the guidelines name the RFC 7919 ffdhe groups; a custom group
    of the same size is not told apart here). v2.1: >=3072 sufficient, 2048 phase-out;
    2025-05: >=3072 phase-out, 2048 insufficient."""
    if guideline == "2.1":
        return SUFFICIENT if bits >= 3072 else PHASE_OUT if bits >= 2048 else INSUFFICIENT
    return PHASE_OUT if bits >= 3072 else INSUFFICIENT


def rsa_key_level(bits: int, guideline: str = "2025-05") -> str:
    if guideline == "2.1":
        return GOOD if bits >= 3072 else SUFFICIENT if bits >= 2048 else INSUFFICIENT
    return SUFFICIENT if bits >= 3072 else PHASE_OUT if bits >= 2048 else INSUFFICIENT


SIGNATURE_HASHES = {"sha512": (GOOD, GOOD), "sha384": (GOOD, GOOD), "sha256": (GOOD, GOOD),
                    "sha224": (INSUFFICIENT, PHASE_OUT)}


def signature_hash_level(name: str | None, guideline: str = "2025-05") -> str:
    levels = SIGNATURE_HASHES.get((name or "").lower())
    return INSUFFICIENT if levels is None else levels[0 if guideline == "2.1" else 1]


# -- reading sslyze's JSON --------------------------------------------------------------------

def accepted_suites(command_result: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not command_result:
        return []
    return [s for s in command_result.get("accepted_cipher_suites") or [] if isinstance(s, dict)]


def suite_name(accepted: dict[str, Any]) -> str:
    return (accepted.get("cipher_suite") or {}).get("name", "?")


def ephemeral(accepted: dict[str, Any]) -> dict[str, Any] | None:
    return accepted.get("ephemeral_key")


def rated_versions(res: Any, guideline: str) -> list[tuple[str, str]]:
    """(protocol, level) of every protocol version the scan found offered."""
    return [(VERSIONS[c][0], version_level(c, guideline)) for c in VERSIONS
            if accepted_suites(res.command(c))]


def rated_suites(res: Any, guideline: str) -> list[tuple[str, str]]:
    """("TLS 1.2 <IANA name>", level) of every accepted cipher suite."""
    return [(f"{VERSIONS[c][0]} {suite_name(acc)}", cipher_level(suite_name(acc), guideline))
            for c in VERSIONS for acc in accepted_suites(res.command(c))]


def rated_curves(curves: dict[str, Any] | None, guideline: str) -> list[tuple[str, str]]:
    return [(c["name"], curve_level(c["name"], guideline))
            for c in (curves or {}).get("supported_curves") or []]


def bad(rated: list[tuple[str, str]]) -> list[str]:
    """The items rated phase-out or insufficient, labelled with their level."""
    return [f"{name} ({level})" for name, level in rated if level in BAD]


def leaf_certificate(cert_info: dict[str, Any]) -> dict[str, Any] | None:
    deps = cert_info.get("certificate_deployments") or []
    if not deps:
        return None
    chain = deps[0].get("received_certificate_chain") or []
    return chain[0] if chain else None


def parse_time(value: str) -> datetime:
    v = value.replace("Z", "+00:00")
    t = datetime.fromisoformat(v)
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def public_key(cert: dict[str, Any]) -> tuple[str, int, str | None]:
    """(algorithm, key size in bits, curve name or None)."""
    pk = cert.get("public_key") or {}
    return (pk.get("algorithm", "?"), int(pk.get("key_size") or 0),
            pk.get("ec_curve_name") or pk.get("curve_name"))


def cert_key_level(cert: dict[str, Any], guideline: str = "2025-05") -> str:
    alg, bits, curve = public_key(cert)
    if "RSA" in alg:
        return rsa_key_level(bits, guideline)
    if "EllipticCurve" in alg or alg.startswith("EC"):
        return curve_level(curve or "?", guideline)
    if alg in ("Ed25519PublicKey", "Ed448PublicKey"):
        return SUFFICIENT if guideline != "2.1" else GOOD
    return INSUFFICIENT


def name_matches(cert: dict[str, Any], host: str) -> bool:
    """RFC 6125 style: IP addresses against IP SANs, names against DNS SANs (one wildcard label)."""
    san = cert.get("subject_alternative_name") or {}
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    if ip is not None:
        return any(ipaddress.ip_address(a) == ip for a in san.get("ip_addresses") or [])
    host = host.lower().rstrip(".")
    for name in san.get("dns_names") or []:
        name = name.lower().rstrip(".")
        if name == host:
            return True
        if name.startswith("*.") and "." in host and host.split(".", 1)[1] == name[2:]:
            return True
    return False


def self_signed(cert: dict[str, Any]) -> bool:
    subj = (cert.get("subject") or {}).get("rfc4514_string")
    iss = (cert.get("issuer") or {}).get("rfc4514_string")
    return bool(subj) and subj == iss
