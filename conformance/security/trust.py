"""Chain trust judged apart from time: is there a path from the received chain to a trust
anchor (Mozilla's store as shipped with sslyze, plus a CA file the target names)?

sslyze validates at the current time, so an expired certificate also fails its trust check;
the suite reports expiry on its own row and asks here only whether the issuer is trusted.
"""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from pathlib import Path

from cryptography import x509
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError


def _anchors(ca_file: str | None) -> list[x509.Certificate]:
    import sslyze.plugins.certificate_info.trust_stores as ts
    pem = Path(ts.__file__).parent / "pem_files" / "mozilla_nss.pem"
    certs = list(x509.load_pem_x509_certificates(pem.read_bytes()))
    if ca_file:
        certs += x509.load_pem_x509_certificates(Path(ca_file).read_bytes())
    return certs


def chain_trusted_apart_from_time(chain: list[dict], ca_file: str | None,
                                  server_name: str) -> tuple[bool, str]:
    pems = [c.get("as_pem") for c in chain if c.get("as_pem")]
    if not pems:
        return False, "no certificate received"
    certs = [x509.load_pem_x509_certificate(p.encode()) for p in pems]
    leaf, intermediates = certs[0], certs[1:]
    middle = leaf.not_valid_before_utc + (leaf.not_valid_after_utc - leaf.not_valid_before_utc) / 2
    try:
        subject: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(server_name))
    except ValueError:
        subject = x509.DNSName(server_name)
    try:
        names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        first = next(iter(names))  # the leaf's own name: the name match is its own row
        subject = first if isinstance(first, (x509.DNSName, x509.IPAddress)) else subject
    except (x509.ExtensionNotFound, StopIteration):
        pass
    verifier = (PolicyBuilder().store(Store(_anchors(ca_file)))
                .time(middle + timedelta(seconds=0)).build_server_verifier(subject))
    try:
        verifier.verify(leaf, intermediates)
        return True, "trusted"
    except VerificationError as exc:
        return False, f"no path to a trusted root: {exc}"
