"""NCSC-NL TLS guidelines: what the HTTPS endpoint offers, judged from one sslyze scan.

Offering anything rated phase-out or insufficient FAILs (the guidelines allow phase-out
settings only with a documented exception, which a black-box test cannot see).
"""

from __future__ import annotations

from oupcheck.verdicts import CheckFailed, Inconclusive, expect

from . import ncsc
from .endpoint import now
from .markers import requirement


@requirement("ncsc-tls:versions")
def test_protocol_versions(endpoint):
    res, ex = endpoint.tls()
    for command in ncsc.VERSIONS:
        if res.command(command) is None:
            raise Inconclusive(f"{command} could not be probed: {res.command_error(command)}",
                               evidence=ex)
    offered = ncsc.rated_versions(res, endpoint.guideline)
    expect(offered, "no protocol version could be negotiated", expected="TLS 1.2 and/or 1.3",
           actual="none", evidence=ex)
    bad = ncsc.bad(offered)
    expect(not bad, f"the server offers protocol versions rated phase-out or insufficient "
           f"by NCSC {endpoint.guideline}", expected="only TLS 1.3 and TLS 1.2",
           actual=", ".join(bad), evidence=ex)


@requirement("ncsc-tls:cipher-suites")
def test_cipher_suites(endpoint):
    res, ex = endpoint.tls()
    rated = ncsc.rated_suites(res, endpoint.guideline)
    if not rated:
        raise Inconclusive("the scan found no accepted cipher suite", evidence=ex)
    bad = ncsc.bad(rated)
    expect(not bad, f"cipher suites rated phase-out or insufficient by NCSC {endpoint.guideline} "
           "are accepted", expected="only good or sufficient suites",
           actual=", ".join(sorted(set(bad))[:8]), evidence=ex)


@requirement("ncsc-tls:key-exchange")
def test_key_exchange_groups(endpoint):
    curves, ex = endpoint.command("elliptic_curves")
    res, _ = endpoint.tls()
    rated = ncsc.rated_curves(curves, endpoint.guideline)
    for command in ncsc.VERSIONS:
        for acc in ncsc.accepted_suites(res.command(command)):
            key = ncsc.ephemeral(acc) or {}
            if key.get("type_name") == "DH":
                bits = int(key.get("size") or 0)
                rated.append((f"DH-{bits} ({ncsc.suite_name(acc)})",
                              ncsc.dh_level(bits, endpoint.guideline)))
    bad = ncsc.bad(rated)
    expect(not bad, f"key-exchange groups rated phase-out or insufficient by NCSC "
           f"{endpoint.guideline} are accepted", expected="only good or sufficient groups",
           actual=", ".join(sorted(set(bad))[:8]), evidence=ex)


@requirement("ncsc-tls:compression")
def test_no_tls_compression(endpoint):
    out, ex = endpoint.command("tls_compression")
    expect(not out.get("supports_compression"), "TLS compression is enabled (CRIME)",
           expected="no TLS compression", actual="compression accepted", evidence=ex)


@requirement("ncsc-tls:secure-renegotiation")
def test_secure_renegotiation(endpoint):
    out, ex = endpoint.command("session_renegotiation")
    res, _ = endpoint.tls()
    only_13 = not any(ncsc.accepted_suites(res.command(c)) for c in ncsc.VERSIONS
                      if c != "tls_1_3_cipher_suites")
    if only_13:
        return  # TLS 1.3 has no renegotiation at all
    expect(out.get("supports_secure_renegotiation"),
           "the server does not support secure renegotiation (RFC 5746)",
           expected="secure renegotiation", actual="insecure renegotiation", evidence=ex)


@requirement("ncsc-tls:client-renegotiation")
def test_client_initiated_renegotiation(endpoint):
    out, ex = endpoint.command("session_renegotiation")
    expect(not out.get("is_vulnerable_to_client_renegotiation_dos"),
           "the server accepts repeated client-initiated renegotiations",
           expected="client-initiated renegotiation refused or limited",
           actual=f"{out.get('client_renegotiations_success_count')} renegotiations accepted",
           evidence=ex)


@requirement("ncsc-tls:zero-rtt")
def test_no_zero_rtt(endpoint):
    out, ex = endpoint.command("tls_1_3_early_data")
    expect(not out.get("supports_early_data"), "TLS 1.3 0-RTT (early data) is accepted",
           expected="no 0-RTT", actual="early data accepted", evidence=ex)


@requirement("ncsc-tls:extended-master-secret")
def test_extended_master_secret(endpoint):
    res, ex = endpoint.tls()
    if not ncsc.accepted_suites(res.command("tls_1_2_cipher_suites")):
        return  # the requirement concerns TLS 1.2 handshakes; none are offered
    out, ex = endpoint.command("tls_extended_master_secret")
    expect(out.get("supports_ems_extension"), "TLS 1.2 handshakes without the Extended Master "
           "Secret extension (RFC 7627)", expected="EMS supported", actual="not supported",
           evidence=ex)


def _leaf(endpoint):
    info, ex = endpoint.command("certificate_info")
    leaf = ncsc.leaf_certificate(info)
    if leaf is None:
        raise Inconclusive("the scan received no certificate", evidence=ex)
    return info, leaf, ex


@requirement("ncsc-tls:cert-trust")
def test_certificate_chain_trusted(endpoint):
    info, leaf, ex = _leaf(endpoint)
    dep = info["certificate_deployments"][0]
    results = dep.get("path_validation_results") or []
    if any(r.get("was_validation_successful") for r in results):
        return
    # sslyze validates at the current time; judge trust apart from expiry (its own row)
    from .trust import chain_trusted_apart_from_time
    ok, why = chain_trusted_apart_from_time(dep.get("received_certificate_chain") or [],
                                            endpoint.ca_file, endpoint.server_name)
    if ok:
        return
    stores = ", ".join(r["trust_store"]["name"] for r in results)
    raise CheckFailed("the certificate chain does not lead to a trusted root",
                      expected=f"a chain to a root in one of: {stores}",
                      actual=("self-signed certificate" if ncsc.self_signed(leaf) else why),
                      evidence=ex)


@requirement("ncsc-tls:cert-validity")
def test_certificate_in_validity_period(endpoint):
    _, leaf, ex = _leaf(endpoint)
    t = now()
    start, end = ncsc.parse_time(leaf["not_valid_before"]), ncsc.parse_time(leaf["not_valid_after"])
    expect(start <= t, "the certificate is not valid yet", expected=f"notBefore <= {t:%Y-%m-%d}",
           actual=f"notBefore {start:%Y-%m-%d}", evidence=ex)
    expect(t <= end, "the certificate has expired", expected=f"notAfter >= {t:%Y-%m-%d}",
           actual=f"notAfter {end:%Y-%m-%d}", evidence=ex)


@requirement("ncsc-tls:cert-name")
def test_certificate_matches_host(endpoint):
    _, leaf, ex = _leaf(endpoint)
    san = leaf.get("subject_alternative_name") or {}
    expect(ncsc.name_matches(leaf, endpoint.server_name),
           f"the certificate is not issued for {endpoint.server_name}",
           expected=endpoint.server_name,
           actual=f"DNS {san.get('dns_names') or []}, IP {san.get('ip_addresses') or []}",
           evidence=ex)


def _judged_chain(endpoint):
    """The certificates the server sends, less a root sent along (roots are not judged)."""
    info, _, ex = _leaf(endpoint)
    chain = info["certificate_deployments"][0].get("received_certificate_chain") or []
    return [c for c in chain if not (ncsc.self_signed(c) and len(chain) > 1)], ex


@requirement("ncsc-tls:cert-key")
def test_certificate_public_key(endpoint):
    chain, ex = _judged_chain(endpoint)
    rated = []
    for cert in chain:
        alg, bits, curve = ncsc.public_key(cert)
        rated.append((f"{alg} {bits} bit{' ' + curve if curve else ''}",
                      ncsc.cert_key_level(cert, endpoint.guideline)))
    bad = ncsc.bad(rated)
    expect(not bad, f"certificate keys rated phase-out or insufficient by NCSC "
           f"{endpoint.guideline}", expected="RSA >= 3072 bit or ECDSA on an approved curve",
           actual=", ".join(bad), evidence=ex)


@requirement("ncsc-tls:cert-signature")
def test_certificate_signature_hash(endpoint):
    chain, ex = _judged_chain(endpoint)
    rated = []
    for cert in chain:
        h = (cert.get("signature_hash_algorithm") or {}).get("name")
        if h is None and "ed25519" in str(cert.get("signature_algorithm_oid")).lower():
            continue  # EdDSA has no separate hash
        rated.append((f"{h}", ncsc.signature_hash_level(h, endpoint.guideline)))
    bad = ncsc.bad(rated)
    expect(not bad, "certificates are signed with a hash rated phase-out or insufficient",
           expected="SHA-256, SHA-384 or SHA-512", actual=", ".join(bad), evidence=ex)
