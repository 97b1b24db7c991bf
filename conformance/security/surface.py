"""What the security checks can probe on a target: its data endpoints, found through the
standard API it speaks. Only read requests are used here."""

from __future__ import annotations

from typing import Any

from oupcheck.http import BodyUnusable, EvidenceClient

OGC_CORE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"


class Surface:
    def __init__(self, kind: str, items_url: str | None = None, feature_id: str | None = None,
                 evidence: list | None = None):
        self.kind = kind
        self.items_url = items_url
        self.feature_id = feature_id
        self.evidence = evidence or []


def discover(endpoint: Any, http: EvidenceClient) -> Surface:
    """The data endpoint of the standard API the target speaks: OGC API - Features (the first
    collection's items) or NGSI-LD (/ngsi-ld/v1/entities); else 'unknown'."""
    kind = endpoint.run.interface.kind
    evidence = []
    if kind == "ngsi-ld":
        return Surface("ngsi-ld", items_url=endpoint.base + "ngsi-ld/v1/entities")
    try:
        if kind not in ("ogc-api-features",):
            ex = http.get(endpoint.base + "conformance", accept="application/json",
                          note="which standard API is this? (conformance declaration)")
            evidence.append(ex)
            doc = EvidenceClient.json(ex) if ex.status == 200 else {}
            if not (isinstance(doc, dict) and OGC_CORE in (doc.get("conformsTo") or [])):
                return Surface("unknown", evidence=evidence)
        ex = http.get(endpoint.base + "collections", accept="application/json",
                      note="collections (to find data endpoints)")
        evidence.append(ex)
        doc = EvidenceClient.json(ex) if ex.status == 200 else {}
        cols = [c for c in (doc.get("collections") or []) if isinstance(c, dict) and c.get("id")]
        if not cols:
            return Surface("ogc-api-features", evidence=evidence)
        items = endpoint.base + f"collections/{cols[0]['id']}/items"
        ex = http.get(items, params={"limit": 1}, accept="application/geo+json",
                      note="one feature (to learn an id)")
        evidence.append(ex)
        fdoc = EvidenceClient.json(ex) if ex.status == 200 else {}
        feats = fdoc.get("features") or [] if isinstance(fdoc, dict) else []
        fid = str(feats[0].get("id")) if feats and isinstance(feats[0], dict) else None
        return Surface("ogc-api-features", items, fid, evidence)
    except (BodyUnusable, AttributeError):
        return Surface("unknown", evidence=evidence)
