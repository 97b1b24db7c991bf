"""NCSC-NL TLS guidelines: what the HTTPS endpoint offers, judged from one sslyze scan.

Offering anything rated phase-out or insufficient FAILs (the guidelines allow phase-out
settings only with a documented exception, which a black-box test cannot see).
"""

from __future__ import annotations

from oupcheck.marks import requirement
from oupcheck.verdicts import CheckFailed, Inconclusive, NotApplicable, expect, judged

from . import ncsc, tlsprobe
from .endpoint import now


def _offered(res) -> set[str]:
    """The protocol versions the scan found offered ("TLS 1.2", "TLS 1.3", ...)."""
    return {ncsc.VERSIONS[c][0] for c in ncsc.VERSIONS if ncsc.accepted_suites(res.command(c))}


def _only_tls13(endpoint, what: str) -> None:
    """NOT_APPLICABLE for a TLS 1.2-and-earlier feature on a server that offers only TLS 1.3
    (internet.nl: "Good: N/A (TLS 1.3)"); sslyze reports such features as absent without
    having tried them, so the scan's value is no observation there."""
    res, ex = endpoint.tls()
    offered = _offered(res)
    if offered == {"TLS 1.3"}:
        raise NotApplicable(f"the server offers only TLS 1.3, which has no {what}: there is "
                            "nothing to judge (the scanner's value for it is not a measurement)",
                            evidence=ex)


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
    judged("protocol versions offered", len(offered))
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
    judged("cipher suites accepted", len(rated))
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
    if not rated:
        raise NotApplicable("the server offers no ephemeral key exchange (neither ECDHE groups "
                            "nor finite-field DHE): there is no group to judge; static RSA key "
                            "exchange is judged by the cipher-suites row", evidence=ex)
    judged("key-exchange groups", len(rated))
    bad = ncsc.bad(rated)
    expect(not bad, f"key-exchange groups rated phase-out or insufficient by NCSC "
           f"{endpoint.guideline} are accepted", expected="only good or sufficient groups",
           actual=", ".join(sorted(set(bad))[:8]), evidence=ex)


@requirement("ncsc-tls:compression")
def test_no_tls_compression(endpoint):
    _only_tls13(endpoint, "TLS compression (RFC 8446 allows only the null method)")
    out, ex = endpoint.command("tls_compression")
    expect(not out.get("supports_compression"), "TLS compression is enabled (CRIME)",
           expected="no TLS compression", actual="compression accepted", evidence=ex)


@requirement("ncsc-tls:secure-renegotiation")
def test_secure_renegotiation(endpoint):
    _only_tls13(endpoint, "renegotiation")
    out, ex = endpoint.command("session_renegotiation")
    expect(out.get("supports_secure_renegotiation"),
           "the server does not support secure renegotiation (RFC 5746)",
           expected="secure renegotiation", actual="insecure renegotiation", evidence=ex)


@requirement("ncsc-tls:client-renegotiation")
def test_client_initiated_renegotiation(endpoint):
    """2025-05 (3.4.2): no renegotiation good, at most ten (limited) sufficient, more
    (unlimited) phase-out; v2.1 (B8-1, table 13): client-initiated renegotiation "on" is
    sufficient, so only the 2025-05 edition can fail it."""
    _only_tls13(endpoint, "renegotiation")
    out, ex = endpoint.command("session_renegotiation")
    count = int(out.get("client_renegotiations_success_count") or 0)
    if endpoint.guideline == "2.1":
        judged("client-initiated renegotiations (sufficient in v2.1 whether on or off)", 1)
        endpoint.run.observe(f"{count} client-initiated renegotiation(s) honoured; NCSC v2.1 "
                             "(B8-1, table 13) rates client-initiated renegotiation on as "
                             "sufficient")
        return
    limit = tlsprobe.NCSC_MAX_RENEGOTIATIONS
    evidence = [ex]
    if out.get("is_vulnerable_to_client_renegotiation_dos") and count <= limit:
        # sslyze stops after its ten attempts: at most ten is "limited" (sufficient), so
        # only an eleventh renegotiation tells limited from unlimited
        value, pex = endpoint.live_tls_probe(
            "client-reneg", "client-initiated renegotiation: does the server honour an "
            "eleventh?", tlsprobe.client_renegotiations)
        evidence.append(pex)
        if value is None:
            raise Inconclusive(f"the scan saw {count} renegotiations honoured (all it tried) "
                               f"and the suite's own probe could not count further: "
                               f"{pex.error}", evidence=evidence)
        count = value
    judged("client-initiated renegotiation series", 1)
    expect(count <= limit, f"the server honours more than {limit} client-initiated "
           "renegotiations in one connection (unlimited: phase-out, NCSC 2025-05 3.4.2)",
           expected=f"refused, or limited to at most {limit}",
           actual=f"{count} renegotiations accepted", evidence=evidence)


@requirement("ncsc-tls:zero-rtt")
def test_no_zero_rtt(endpoint):
    res, ex = endpoint.tls()
    if "TLS 1.3" not in _offered(res):
        raise NotApplicable("the server does not offer TLS 1.3, the only version with 0-RTT "
                            "(early data): there is nothing to judge", evidence=ex)
    out, ex = endpoint.command("tls_1_3_early_data")
    expect(not out.get("supports_early_data"), "TLS 1.3 0-RTT (early data) is accepted",
           expected="no 0-RTT", actual="early data accepted", evidence=ex)


@requirement("ncsc-tls:extended-master-secret")
def test_extended_master_secret(endpoint):
    res, ex = endpoint.tls()
    offered = _offered(res)
    if "TLS 1.2" not in offered:
        raise NotApplicable("the server offers no TLS 1.2: the Extended Master Secret is a TLS "
                            "1.2 extension (TLS 1.3 has its own key schedule; older versions are "
                            "judged by the versions row)", evidence=ex)
    out, ex = endpoint.command("tls_extended_master_secret")
    if "TLS 1.3" not in offered or not out.get("supports_ems_extension"):
        # the scanner made a TLS 1.2 handshake: its answer is an observation
        expect(out.get("supports_ems_extension"), "TLS 1.2 handshakes without the Extended "
               "Master Secret extension (RFC 7627)", expected="EMS supported",
               actual="not supported", evidence=ex)
        return
    # sslyze answers "supported" for any server that offers TLS 1.3, without a TLS 1.2
    # handshake: ask the server ourselves over TLS 1.2
    value, pex = endpoint.live_tls_probe("ems", "TLS 1.2 handshake: Extended Master Secret?",
                                         tlsprobe.ems_tls12)
    if value is None:
        raise Inconclusive(f"the scan cannot show EMS on TLS 1.2 (sslyze does not test it when "
                           f"TLS 1.3 is offered) and the suite's own TLS 1.2 handshake failed: "
                           f"{pex.error}", evidence=[ex, pex])
    expect(value, "TLS 1.2 handshakes without the Extended Master Secret extension (RFC 7627)",
           expected="EMS used in a TLS 1.2 handshake", actual="not used", evidence=[ex, pex])


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
    trusted_by = [r["trust_store"]["name"] for r in results if r.get("was_validation_successful")]
    if trusted_by:
        judged("certificate chains validated", 1)
        endpoint.run.observe(f"the chain validates against: {', '.join(trusted_by)}")
        return
    # sslyze validates at the current time; judge trust apart from expiry (its own row)
    from .trust import chain_trusted_apart_from_time
    ok, why = chain_trusted_apart_from_time(dep.get("received_certificate_chain") or [],
                                            endpoint.ca_file, endpoint.server_name)
    if ok:
        judged("certificate chains validated", 1)
        endpoint.run.observe("the chain leads to a trusted root (judged apart from the "
                             "validity period, which has its own row)")
        return
    stores = ", ".join(r["trust_store"]["name"] for r in results)
    raise CheckFailed("the certificate chain does not lead to a trusted root",
                      expected=f"a chain to a root in one of: {stores}",
                      actual=("self-signed certificate" if ncsc.self_signed(leaf) else why),
                      evidence=ex)


@requirement("ncsc-tls:cert-validity")
def test_certificate_in_validity_period(endpoint):
    _, leaf, ex = _leaf(endpoint)
    t = ex.at() or now()  # the time of the scan (a recorded scan is judged when it was made)
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
    judged("certificate keys", len(rated))
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
    if not rated:
        raise NotApplicable("every certificate the server sends is signed with EdDSA, which has "
                            "no separate hash function to judge", evidence=ex)
    judged("certificate signatures", len(rated))
    bad = ncsc.bad(rated)
    expect(not bad, "certificates are signed with a hash rated phase-out or insufficient",
           expected="SHA-256, SHA-384 or SHA-512", actual=", ".join(bad), evidence=ex)
