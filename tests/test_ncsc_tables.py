"""The NCSC-NL TLS level tables (conformance/security/ncsc.py) against entries of the
guidelines' appendices as internet.nl lists them: v2.1 appendix C and 2025-05 appendix B."""

import pytest

from conformance.security import ncsc

G, S, P, I = ncsc.GOOD, ncsc.SUFFICIENT, ncsc.PHASE_OUT, ncsc.INSUFFICIENT

SUITES = [  # IANA name, level in v2.1, level in 2025-05
    ("TLS_AES_256_GCM_SHA384", G, G),
    ("TLS_CHACHA20_POLY1305_SHA256", G, G),
    ("TLS_AES_128_GCM_SHA256", G, S),
    ("TLS_AES_128_CCM_8_SHA256", I, I),
    ("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", G, S),
    ("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", G, S),
    ("TLS_ECDHE_ECDSA_WITH_AES_128_CCM", G, S),
    ("TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", S, P),
    ("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", S, I),
    ("TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", S, P),
    ("TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", S, P),
    ("TLS_DHE_RSA_WITH_AES_128_CBC_SHA", S, I),
    ("TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384", S, P),
    ("TLS_ECDHE_ECDSA_WITH_ARIA_256_GCM_SHA384", I, P),
    ("TLS_RSA_WITH_AES_256_GCM_SHA384", P, I),
    ("TLS_RSA_WITH_AES_128_CBC_SHA", P, I),
    ("TLS_RSA_WITH_3DES_EDE_CBC_SHA", P, I),
    ("TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", P, I),
    ("TLS_RSA_WITH_CAMELLIA_128_CBC_SHA", S, I),
    ("TLS_RSA_WITH_RC4_128_SHA", I, I),
    ("TLS_RSA_WITH_NULL_SHA256", I, I),
    ("TLS_DH_anon_WITH_AES_128_CBC_SHA", I, I),
    ("TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256", I, I),
    ("TLS_DHE_DSS_WITH_AES_128_GCM_SHA256", I, I),
    ("TLS_RSA_EXPORT_WITH_RC4_40_MD5", I, I),
]


@pytest.mark.parametrize("name, v21, v2025", SUITES, ids=[s[0] for s in SUITES])
def test_cipher_suite_levels(name, v21, v2025):
    assert ncsc.cipher_level(name, "2.1") == v21
    assert ncsc.cipher_level(name, "2025-05") == v2025


def test_versions_groups_and_keys():
    assert ncsc.version_level("tls_1_1_cipher_suites", "2.1") == P
    assert ncsc.version_level("tls_1_1_cipher_suites", "2025-05") == I
    assert ncsc.version_level("tls_1_2_cipher_suites", "2025-05") == S
    assert ncsc.curve_level("X25519", "2.1") == G and ncsc.curve_level("secp224r1", "2.1") == P
    assert ncsc.curve_level("brainpoolP256r1", "2.1") == I
    assert ncsc.curve_level("brainpoolP256r1", "2025-05") == S
    assert ncsc.curve_level("sect163k1", "2025-05") == I
    assert ncsc.dh_level(2048, "2.1") == P and ncsc.dh_level(2048, "2025-05") == I
    assert ncsc.dh_level(4096, "2.1") == S and ncsc.dh_level(4096, "2025-05") == P
    assert ncsc.rsa_key_level(2048, "2.1") == S and ncsc.rsa_key_level(2048, "2025-05") == P
    assert ncsc.rsa_key_level(1024, "2.1") == I
    assert ncsc.signature_hash_level("sha1") == I and ncsc.signature_hash_level("sha256") == G
    assert ncsc.signature_hash_level("sha224", "2025-05") == P


def test_name_matching():
    cert = {"subject_alternative_name": {"dns_names": ["*.city.example", "api.example"],
                                         "ip_addresses": ["127.0.0.1"]}}
    assert ncsc.name_matches(cert, "data.city.example")
    assert not ncsc.name_matches(cert, "a.b.city.example")
    assert ncsc.name_matches(cert, "API.example.")
    assert ncsc.name_matches(cert, "127.0.0.1") and not ncsc.name_matches(cert, "127.0.0.2")
