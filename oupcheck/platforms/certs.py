"""Test certificates made at run time (cryptography): a private CA and leaf certificates.

Used by the bundled TLS fronts (nginx) of the demo and the self-tests; nothing here is
ever trusted outside those runs.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass
class CertFiles:
    cert: Path      # leaf certificate (PEM)
    key: Path       # leaf private key (PEM)
    ca: Path | None  # CA certificate that issued it (None: self-signed)


def _key(kind: str):
    if kind == "ec-p256":
        return ec.generate_private_key(ec.SECP256R1())
    if kind.startswith("rsa-"):
        return rsa.generate_private_key(public_exponent=65537, key_size=int(kind[4:]))
    raise ValueError(f"unknown key kind {kind!r}")


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "oupcheck test"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _write_key(key, path: Path) -> None:
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    path.chmod(0o600)


def make_ca(folder: Path, name: str = "oupcheck test CA") -> tuple[Path, object, x509.Certificate]:
    key = _key("ec-p256")
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(_name(name)).issuer_name(_name(name))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    path = folder / "ca.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path, key, cert


def make_leaf(folder: Path, stem: str, *, hosts: tuple[str, ...] = ("127.0.0.1", "localhost"),
              key_kind: str = "ec-p256", ca: tuple[Path, object, x509.Certificate] | None = None,
              not_before_days: int = -1, not_after_days: int = 30,
              hash_name: str = "sha256") -> CertFiles:
    """A server certificate for ``hosts``; self-signed when ``ca`` is None.

    ``not_before_days``/``not_after_days`` are relative to now (negative = in the past), so an
    expired certificate is ``not_before_days=-60, not_after_days=-30``.
    """
    key = _key(key_kind)
    now = dt.datetime.now(dt.timezone.utc)
    sans: list[x509.GeneralName] = []
    for h in hosts:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(h)))
        except ValueError:
            sans.append(x509.DNSName(h))
    subject = _name(hosts[0])
    issuer_name = ca[2].subject if ca else subject
    signer = ca[1] if ca else key
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now + dt.timedelta(days=not_before_days))
            .not_valid_after(now + dt.timedelta(days=not_after_days))
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                signer.public_key()), critical=False)
            .sign(signer, {"sha256": hashes.SHA256(), "sha384": hashes.SHA384(),
                           "sha1": hashes.SHA1()}[hash_name]))
    cert_path, key_path = folder / f"{stem}.pem", folder / f"{stem}.key"
    chain = cert.public_bytes(serialization.Encoding.PEM)
    if ca:
        chain += ca[2].public_bytes(serialization.Encoding.PEM)
    cert_path.write_bytes(chain)
    _write_key(key, key_path)
    return CertFiles(cert=cert_path, key=key_path, ca=ca[0] if ca else None)
