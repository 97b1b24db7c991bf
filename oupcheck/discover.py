"""``oupcheck discover URL``: probe well-known entry points, describe what answers."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

from .errors import TransportError, UsageError, printable
from .evidence import EvidenceStore
from .http import BodyUnusable, EvidenceClient
from .ngsild import API as NGSI_LD_API, type_names
from .ogcapi import CORE as OGC_FEATURES_CORE, rels as link_rels
from .sensorthings import is_service_root
from .target import Claims, Interface, Limits, TargetFile, check_url



def _json(client: EvidenceClient, url: str, notes: list[str] | None = None
          ) -> tuple[int | None, Any]:
    """GET ``url`` as JSON: (status, document or None). What went wrong, if anything, is
    added to ``notes`` as one escaped line."""
    why = None
    try:
        ex = client.get(url, accept="application/json")
    except TransportError as exc:
        status, doc, why = None, None, str(exc)
    else:
        status, doc = ex.status, None
        if ex.status == 200:
            try:
                doc = EvidenceClient.json(ex)
            except BodyUnusable as exc:
                why = f"HTTP 200, but {exc}"
        elif ex.redirect:
            why = f"HTTP {ex.status}, {ex.redirect}"
    if why and notes is not None:
        notes.append(printable(f"GET {url}: {why}", 240))
    return status, doc


def _ngsi_ld_types(status: int, doc: Any) -> bool:
    """An NGSI-LD broker's answer to GET /types (ETSI GS CIM 009 5.7.5): an EntityTypeList
    (an object with a typeList array, or a string when JSON-LD compaction turned a one-element
    list into its element), or an array of EntityType objects; or a refusal for want of
    credentials. Any other 200 is some other server that answers every path."""
    if status in (401, 403):
        return True
    return status == 200 and type_names(doc)[0] is not None


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

    status, landing = _json(client, base, notes)
    if status is None:
        return None, notes
    rels = link_rels(landing)
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
        (NGSI_LD_API + "/types", "ngsi-ld", _ngsi_ld_types),
        ("v1.1", "sensorthings", lambda s, d: is_service_root(d)),
        ("v1.0", "sensorthings", lambda s, d: is_service_root(d)),
        ("api/3/action/status_show", "ckan", lambda s, d: isinstance(d, dict) and d.get("success")),
        (".well-known/openid-configuration", "oidc", lambda s, d: isinstance(d, dict) and "issuer" in d),
    ):
        if client.dead_reason:
            break
        s, d = _json(client, urljoin(base, path), notes)
        if s == 200 and d is not None and not test(s, d):
            notes.append(printable(f"GET {urljoin(base, path)}: HTTP 200, but not what the "
                                   f"{kind} interface answers there", 240))
        if s is not None and test(s, d):
            iface_url = urljoin(base, path) if kind in ("sensorthings", "oidc") else base
            if kind not in {i.kind for i in interfaces}:
                interfaces.append(Interface(kind=kind, url=iface_url))
                notes.append(f"{kind} at {iface_url}")
    if not interfaces:
        return None, notes
    return TargetFile(name=base, interfaces=interfaces,
                      claims=Claims(conformance_classes=claims)), notes
