"""What the security checks can probe on a target: its data endpoints, found through the
standard API it speaks, and the write requests that are valid for that API. Only read
requests are sent here."""

from __future__ import annotations

from typing import Any

from oupcheck.http import BodyUnusable, EvidenceClient, json_at
from oupcheck.ngsild import CORE_CONTEXT as NGSI_CORE_CONTEXT, NgsiClient
from oupcheck.ogcapi import CORE as OGC_CORE, FeaturesClient
from oupcheck.verdicts import Inconclusive

PROBE_TYPE = "OupcheckProbe"


class Surface:
    def __init__(self, kind: str, items_url: str | None = None, feature_id: str | None = None,
                 evidence: list | None = None, control: Any = None, why: str | None = None):
        self.kind = kind
        self.why = why  # why no data endpoint was found (the answer's wrong shape, say)
        self.items_url = items_url
        self.feature_id = feature_id
        self.evidence = evidence or []
        self.control = control  # a plain read of items_url: the data endpoint answers?

    def item_url(self, ident: str) -> str:
        from urllib.parse import quote
        return f"{self.items_url}/{quote(ident, safe=':')}"

    # -- writes that are valid for the interface ------------------------------------------
    def new_object(self, ident: str) -> tuple[dict, str]:
        """(a valid object with this id, its media type) for a create or a replace."""
        if self.kind == "ngsi-ld":
            return ({"id": ident, "type": PROBE_TYPE,
                     "name": {"type": "Property", "value": "oupcheck write probe"},
                     "@context": NGSI_CORE_CONTEXT}, "application/ld+json")
        return ({"type": "Feature", "id": ident,
                 "geometry": {"type": "Point", "coordinates": [5.1, 52.1]},
                 "properties": {"name": "oupcheck write probe"}}, "application/geo+json")

    def object_id(self, tag: str) -> str:
        return (f"urn:ngsi-ld:{PROBE_TYPE}:oupcheck-{tag}" if self.kind == "ngsi-ld"
                else f"oupcheck-{tag}")

    def write_probes(self, tag: str, valid_creates: bool) -> list[tuple[str, str, Any, str,
                                                                          bool]]:
        """(method, url, body, content type, is the body a valid write) for POST, PUT, PATCH and
        DELETE. POST and PUT carry a valid object only when ``valid_creates`` (they could
        create data on a server that does not check credentials); PATCH and DELETE address
        an id that does not exist, so a valid body changes nothing anywhere."""
        new_id, absent = self.object_id(f"{tag}-new"), self.object_id(f"{tag}-absent")
        new, media = self.new_object(new_id)
        replace, _ = self.new_object(absent)
        if self.kind == "ngsi-ld":
            patch_url = self.item_url(absent) + "/attrs"
            patch = ({"name": {"type": "Property", "value": "x"},
                      "@context": NGSI_CORE_CONTEXT}, "application/ld+json")
        else:
            patch_url = self.item_url(absent)
            patch = ({"properties": {"name": "x"}}, "application/merge-patch+json")
        return [("POST", self.items_url, new if valid_creates else {}, media, valid_creates),
                ("PUT", self.item_url(absent), replace if valid_creates else {}, media,
                 valid_creates),
                ("PATCH", patch_url, patch[0], patch[1], True),
                ("DELETE", self.item_url(absent), None, "", True)]

    def created_urls(self, method: str, location: str | None, body: Any) -> list[str]:
        """Where an accepted create left something to delete."""
        urls = [location] if location and method == "POST" else []
        if isinstance(body, dict) and body.get("id"):
            urls.append(self.item_url(str(body["id"])))
        return urls


def discover(endpoint: Any, http: EvidenceClient) -> Surface:
    """The data endpoint of the standard API the target speaks: OGC API - Features (the first
    collection's items) or NGSI-LD (/ngsi-ld/v1/entities); else 'unknown'. The last read is
    the control: a plain, valid read of that endpoint."""
    kind = endpoint.run.interface.kind
    evidence = []
    if kind == "ngsi-ld":
        broker = NgsiClient(http, endpoint.base)
        ex, _ = broker.entities(PROBE_TYPE,
                                note="a valid query (the control that the entity endpoint answers)")
        return Surface("ngsi-ld", items_url=broker.url("entities"), evidence=[ex], control=ex)
    ogc = FeaturesClient(http, endpoint.base)
    try:
        if kind not in ("ogc-api-features",):
            ex, declared = ogc.declared_classes(
                note="which standard API is this? (conformance declaration)")
            evidence.append(ex)
            if OGC_CORE not in declared:
                return Surface("unknown", evidence=evidence)
        listing = ogc.collections(note="collections (to find data endpoints)")
        evidence.append(listing.exchange)
        if not listing.collections:
            return Surface("ogc-api-features", evidence=evidence, why=(
                "/collections lists no collection with a string id (OGC 17-069r4 7.13.2): "
                + str(listing.why)))
        cid = listing.collections[0]["id"]
        items = ogc.items_url(cid)
        ex = ogc.items(cid, limit=1,
                       note="one feature (to learn an id; the control that the items answer)")
        evidence.append(ex)
        fdoc = EvidenceClient.json(ex) if ex.status == 200 else {}
        fid = json_at(fdoc, "features", 0, "id")
        fid = str(fid) if isinstance(fid, (str, int)) and not isinstance(fid, bool) else None
        return Surface("ogc-api-features", items, fid, evidence, control=ex)
    except (BodyUnusable, AttributeError):
        return Surface("unknown", evidence=evidence)


def need_data(surface: Surface) -> Surface:
    """The data endpoint, answering a plain valid read with 2xx, or INCONCLUSIVE: a refusal or
    a 4xx to a probe means nothing when the same endpoint refuses a plain read."""
    if not surface.items_url:
        raise Inconclusive(f"no data endpoint found to probe (interface: {surface.kind}"
                           + (f"; {surface.why}" if surface.why else "") + "); these checks "
                           "know OGC API - Features collections and NGSI-LD entities",
                           evidence=surface.evidence,
                           decide="name the platform's OGC API - Features or NGSI-LD interface "
                                  "in a target file")
    ctl = surface.control
    why = None
    if ctl is None or not 200 <= (ctl.status or 0) < 300:
        why = f"HTTP {getattr(ctl, 'status', None)}"
    elif not _readable(surface.kind, ctl):
        why = (f"HTTP {ctl.status}, but not " + ("a JSON array of entities" if
               surface.kind == "ngsi-ld" else "a FeatureCollection with a features array"))
    if why:
        raise Inconclusive(f"the data endpoint {surface.items_url} does not answer a plain valid "
                           f"read ({why}): what it answers to a probe would not show a limit "
                           "or a refusal", evidence=surface.evidence,
                           decide="give the interface's credential, or a target whose data "
                                  "endpoint answers a read")
    return surface


def _readable(kind: str, ex: Any) -> bool:
    """The control read got a document of the interface (an NGSI-LD entity array, an OGC
    FeatureCollection), not just any 2xx."""
    try:
        doc = EvidenceClient.json(ex)
    except BodyUnusable:
        return False
    if kind == "ngsi-ld":
        return isinstance(doc, list)
    return isinstance(doc, dict) and isinstance(doc.get("features"), list)
