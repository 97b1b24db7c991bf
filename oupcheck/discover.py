"""``oupcheck discover URL``: probe well-known entry points, describe what answers."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

from .errors import TransportError, UsageError
from .evidence import EvidenceStore
from .http import BodyUnusable, EvidenceClient
from .target import Claims, Interface, Limits, TargetFile, check_url

OGC_FEATURES_CORE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"


def _json(client: EvidenceClient, url: str) -> tuple[int | None, Any]:
    try:
        ex = client.get(url, accept="application/json")
    except TransportError:
        return None, None
    if ex.status != 200:
        return ex.status, None
    try:
        return ex.status, EvidenceClient.json(ex)
    except BodyUnusable:
        return ex.status, None


def discover(url: str) -> tuple[TargetFile | None, list[str]]:
    try:
        check_url(url)
    except ValueError as exc:
        raise UsageError(str(exc), field="url") from None
    base = url if url.endswith("/") else url + "/"
    limits = Limits(connect_timeout=3, read_timeout=8, max_requests=40)
    client = EvidenceClient(EvidenceStore(), limits, base_url=base)
    notes: list[str] = []
    interfaces: list[Interface] = []
    claims: list[str] = []

    status, landing = _json(client, base)
    if status is None:
        notes.append(f"{base}: no answer ({client.dead_reason or 'transport error'})")
        return None, notes
    links = landing.get("links", []) if isinstance(landing, dict) else []
    rels = {lk.get("rel"): lk.get("href") for lk in links if isinstance(lk, dict)}
    if "conformance" in rels or "data" in rels:
        _, conf = _json(client, rels.get("conformance") or urljoin(base, "conformance"))
        declared = conf.get("conformsTo", []) if isinstance(conf, dict) else []
        if OGC_FEATURES_CORE in declared:
            desc = rels.get("service-desc")
            interfaces.append(Interface(kind="ogc-api-features", url=base, description=desc))
            claims.extend(c for c in declared if isinstance(c, str))
            notes.append(f"OGC API - Features at {base} ({len(declared)} classes declared)")
        else:
            notes.append(f"OGC API landing page at {base}, but Features core is not declared")
    for path, kind, test in (
        ("ngsi-ld/v1/types", "ngsi-ld", lambda s, d: s in (200, 401, 403)),
        ("v1.1", "sensorthings", lambda s, d: isinstance(d, dict) and "value" in d),
        ("v1.0", "sensorthings", lambda s, d: isinstance(d, dict) and "value" in d),
        ("api/3/action/status_show", "ckan", lambda s, d: isinstance(d, dict) and d.get("success")),
        (".well-known/openid-configuration", "oidc", lambda s, d: isinstance(d, dict) and "issuer" in d),
    ):
        if client.dead_reason:
            break
        s, d = _json(client, urljoin(base, path))
        if s is not None and test(s, d):
            iface_url = urljoin(base, path) if kind in ("sensorthings", "oidc") else base
            if kind not in {i.kind for i in interfaces}:
                interfaces.append(Interface(kind=kind, url=iface_url))
                notes.append(f"{kind} at {iface_url}")
    if not interfaces:
        return None, notes
    return TargetFile(name=base, interfaces=interfaces,
                      claims=Claims(conformance_classes=claims)), notes
