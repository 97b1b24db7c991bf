"""The signed certificate of a certification (issue 14): what anyone can check without oupcheck.

A certification folder holds

- ``certification.json`` (the truth), ``certification.html`` and ``certification.pdf`` (the
  readable report) and ``badge.svg``;
- the evidence bundle: ``runs/`` (every run's report, evidence and inputs) and ``profiles/``
  (the exact profile and scheme files used), listed file by file, with its SHA-256 and size, in
  ``manifest.json``;
- ``certificate.json``: scheme and version, target, date, the outcome per pillar and level, the
  suite version, and the SHA-256 of the report files, of each profile used and of the manifest;
- ``certificate.jws``: a JWS (RFC 7515) in compact serialisation, signed with EdDSA over
  Ed25519 (RFC 8037), whose payload is the exact bytes of certificate.json. Any JOSE library, or
  ``openssl pkeyutl -verify -rawin``, checks it with the public key alone.

``verify`` recomputes every digest and names each file whose bytes changed, was added or went
missing.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from .errors import UsageError

CERTIFICATE = "certificate.json"
SIGNATURE = "certificate.jws"
MANIFEST = "manifest.json"
BADGE = "badge.svg"
REPORT_FILES = ("certification.json", "certification.html", "certification.pdf", BADGE)
BUNDLE_DIRS = ("runs", "profiles")
JWS_TYPE = "oupcheck-certificate+jws"
CERT_TYPE = "https://oupcheck.example/certificate/v1"


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file, read in 1 MiB blocks (export manifests use it too)."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# -- keys -------------------------------------------------------------------------------------
def new_keys(out: Path, name: str = "oupcheck-signing") -> tuple[Path, Path]:
    """Write an Ed25519 key pair: NAME.key (PKCS#8 PEM, readable by its owner only) and NAME.pub
    (SubjectPublicKeyInfo PEM). Refuses to overwrite a key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    out.mkdir(parents=True, exist_ok=True)
    key_path, pub_path = out / f"{name}.key", out / f"{name}.pub"
    for p in (key_path, pub_path):
        if p.exists():
            raise UsageError("a key is there already; keys are never overwritten",
                             source=str(p), field="--out")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    pub_path.write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return key_path, pub_path


def load_key(path: str, private: bool) -> Any:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (Ed25519PrivateKey,
                                                                   Ed25519PublicKey)
    p = Path(path)
    if not p.is_file():
        raise UsageError("no such key file", source=path, field="--key")
    data = p.read_bytes()
    try:
        key = (serialization.load_pem_private_key(data, password=None) if private
               else serialization.load_pem_public_key(data))
    except (ValueError, TypeError) as exc:
        kind = "private" if private else "public"
        raise UsageError(f"not a PEM {kind} key ({str(exc).splitlines()[0][:80]})",
                         source=path, field="--key") from None
    want = Ed25519PrivateKey if private else Ed25519PublicKey
    if not isinstance(key, want):
        raise UsageError("not an Ed25519 key (oupcheck keys new writes one)", source=path,
                         field="--key")
    return key


def key_id(public_key: Any) -> str:
    """The RFC 7638 JWK thumbprint of an Ed25519 public key (the JWS ``kid``)."""
    from cryptography.hazmat.primitives import serialization
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    canon = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":"),
                       sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canon.encode()).digest()).rstrip(b"=").decode()


# -- the bundle -------------------------------------------------------------------------------
def bundle_files(folder: Path) -> list[Path]:
    files = []
    for d in BUNDLE_DIRS:
        if (folder / d).is_dir():
            files += [p for p in (folder / d).rglob("*") if p.is_file()]
    return sorted(files, key=lambda p: p.relative_to(folder).as_posix())


def write_manifest(folder: Path) -> Path:
    entries = [{"path": p.relative_to(folder).as_posix(), "sha256": sha256_file(p),
                "bytes": p.stat().st_size} for p in bundle_files(folder)]
    path = folder / MANIFEST
    path.write_text(json.dumps({"manifest": "oupcheck evidence bundle", "algorithm": "sha256",
                                "files": entries}, indent=1) + "\n", encoding="utf-8")
    return path


def certificate_doc(folder: Path, cert: dict[str, Any],
                    profiles: dict[str, Path]) -> dict[str, Any]:
    """certificate.json's content, from certification.json's document and the files beside it.
    ``profiles``: 'id@version' -> the file under profiles/ (scheme included)."""
    manifest = folder / MANIFEST
    return {
        "type": CERT_TYPE,
        "scheme": cert["scheme"], "scheme_version": cert["scheme_version"],
        "target": cert["target"], "date": cert["date"],
        "suite": "oupcheck", "suite_version": cert["suite_version"],
        "level": cert["standing"]["reached"],
        "reached_with_waivers": cert.get("reached_with_waivers", False),
        "levels": {lv["level"]: lv["verdict"] for lv in cert["standing"]["levels"]},
        "pillars": {p["pillar"]: p["outcome"] for p in cert["pillars"]},
        "waived": [{"requirement": w["requirement"], "expires": w["expires"],
                    "accepted_by": w["accepted_by"]}
                   for w in (cert.get("waivers") or {}).get("waived", [])],
        "lockin_risk": cert.get("lockin_risk"), "knee_users": cert.get("knee_users"),
        "report": {name: sha256_file(folder / name) for name in REPORT_FILES
                   if (folder / name).is_file()},
        "profiles": {ref: {"file": p.relative_to(folder).as_posix(), "sha256": sha256_file(p)}
                     for ref, p in sorted(profiles.items())},
        "evidence_bundle": {"manifest": MANIFEST, "sha256": sha256_file(manifest),
                            "files": len(json.loads(manifest.read_text("utf-8"))["files"])},
    }


def sign(folder: Path, doc: dict[str, Any], key_file: str | None) -> None:
    """Write certificate.json and, with a key, certificate.jws over its exact bytes."""
    data = (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    (folder / CERTIFICATE).write_bytes(data)
    if not key_file:
        return
    import jwt
    key = load_key(key_file, private=True)
    token = jwt.api_jws.PyJWS().encode(
        data, key, algorithm="EdDSA",
        headers={"kid": key_id(key.public_key()), "typ": JWS_TYPE, "cty": "application/json"})
    (folder / SIGNATURE).write_text(token + "\n", encoding="ascii")


# -- verify -----------------------------------------------------------------------------------
def verify(folder: Path, pub_file: str) -> list[str]:
    """Every problem found, one line each (none: the certificate holds). Reads nothing but the
    folder and the key."""
    import jwt
    if not (folder / CERTIFICATE).is_file():
        raise UsageError("no certificate.json here (is it a certification folder?)",
                         source=str(folder), field="DIR")
    key = load_key(pub_file, private=False)
    problems: list[str] = []
    raw = (folder / CERTIFICATE).read_bytes()
    sig = folder / SIGNATURE
    if not sig.is_file():
        problems.append(f"{SIGNATURE}: missing: the certificate is not signed")
    else:
        try:
            got = jwt.api_jws.PyJWS().decode_complete(sig.read_text("ascii").strip(), key,
                                                      algorithms=["EdDSA"])
            if got["payload"] != raw:
                problems.append(f"{CERTIFICATE}: its bytes differ from the signed payload in "
                                f"{SIGNATURE}")
            if got["header"].get("kid") != key_id(key):
                problems.append(f"{SIGNATURE}: signed by key {got['header'].get('kid')}, not by "
                                f"this key ({key_id(key)})")
        except (jwt.InvalidTokenError, UnicodeDecodeError, ValueError) as exc:
            problems.append(f"{SIGNATURE}: the signature does not verify with this key ({exc})")
    try:
        doc = json.loads(raw)
    except ValueError as exc:
        return problems + [f"{CERTIFICATE}: not JSON ({exc})"]
    for name, digest in (doc.get("report") or {}).items():
        problems += _digest(folder, name, digest)
    for ref, entry in (doc.get("profiles") or {}).items():
        problems += [f"{p} (profile {ref})" for p in _digest(folder, entry["file"],
                                                              entry["sha256"])]
    bundle = doc.get("evidence_bundle") or {}
    mpath = bundle.get("manifest", MANIFEST)
    problems += _digest(folder, mpath, bundle.get("sha256", ""))
    if (folder / mpath).is_file():
        try:
            listed = {e["path"]: e for e in json.loads((folder / mpath).read_text("utf-8"))
                      ["files"]}
        except (ValueError, KeyError, TypeError) as exc:
            return problems + [f"{mpath}: not a manifest ({exc})"]
        for path, e in listed.items():
            problems += _digest(folder, path, e["sha256"])
        for p in bundle_files(folder):
            rel = p.relative_to(folder).as_posix()
            if rel not in listed:
                problems.append(f"{rel}: not in the manifest (added after signing)")
    return problems


def _digest(folder: Path, rel: str, want: str) -> list[str]:
    p = folder / rel
    if ".." in Path(rel).parts or Path(rel).is_absolute():
        return [f"{rel}: a path outside the folder"]
    if not p.is_file():
        return [f"{rel}: missing"]
    got = sha256_file(p)
    return [] if got == want else [f"{rel}: changed (SHA-256 {got[:16]}…, signed "
                                   f"{want[:16]}…)"]


# -- badge ------------------------------------------------------------------------------------
BADGE_COLOURS = {"reached": "#2e7d32", "with-waivers": "#b7791f", "none": "#c62828",
                 "undecided": "#6b6b6b"}


def badge_svg(scheme: str, version: str, level: str | None, with_waivers: bool,
              undecided: bool) -> str:
    """A flat SVG badge: scheme and version on the left, the level reached on the right."""
    from html import escape
    left = f"{scheme} {version}"
    if level:
        right, state = (f"{level} (waivers)", "with-waivers") if with_waivers else \
            (level, "reached")
    else:
        right, state = ("undecided", "undecided") if undecided else ("no level", "none")
    lw, rw = 12 + 7 * len(left), 12 + 7 * len(right)  # Verdana 11 px is about 7 px a glyph
    colour = BADGE_COLOURS[state]
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{lw + rw}" height="20" '
            f'role="img" aria-label="{escape(left)}: {escape(right)}">'
            f'<title>{escape(left)}: {escape(right)}</title>'
            f'<rect width="{lw}" height="20" fill="#555"/>'
            f'<rect x="{lw}" width="{rw}" height="20" fill="{colour}"/>'
            f'<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">'
            f'<text x="6" y="14">{escape(left)}</text>'
            f'<text x="{lw + 6}" y="14" data-state="{state}">{escape(right)}</text></g></svg>\n')
