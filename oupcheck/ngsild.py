"""NGSI-LD (ETSI GS CIM 009): the one client layer of the suite.

Everything that reads an NGSI-LD broker reads it through this module: the checks
(``conformance/ngsi_ld/api.py`` builds its write, read-back and clean-up probes on it), the
MIM2 sampler, the interface inventory, the load scenario's discovery, the security surface and
``discover``. It knows where the API lives (``/ngsi-ld/v1``), the media types, the core
@context, and the shapes of its answers as brokers really send them, JSON-LD compaction
included: a one-element array may come as its element (an entity list as one entity object, a
``typeList`` as one string), which the ETSI test suite accepts too. It sends through the
``EvidenceClient`` it is given (every exchange recorded) and does not judge.
"""

from __future__ import annotations

from typing import Any

from .evidence import Exchange
from .http import BodyUnusable, EvidenceClient, json_type

API = "ngsi-ld/v1"
CORE_CONTEXT = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"
ERRORS = "https://uri.etsi.org/ngsi-ld/errors/"
JSONLD_REL = "http://www.w3.org/ns/json-ld#context"
JSON, LD, GEO, MERGE = ("application/json", "application/ld+json", "application/geo+json",
                        "application/merge-patch+json")


def api_base(url: str) -> str:
    """The NGSI-LD API of a broker at ``url`` (its root): ``<url>/ngsi-ld/v1``."""
    return url.rstrip("/") + "/" + API


def entities_of(doc: Any) -> list[dict[str, Any]]:
    """The entities of a query answer: an array, or (JSON-LD compaction of a one-element
    array, which the ETSI NGSI-LD test suite also accepts: "response body can be a json object
    if it contains one element") a single entity object."""
    if isinstance(doc, dict) and "id" in doc:
        return [doc]
    return [e for e in doc if isinstance(e, dict)] if isinstance(doc, list) else []


def ids_of(doc: Any) -> list[str]:
    return [e.get("id") for e in entities_of(doc)]


def type_names(doc: Any) -> tuple[list[str] | None, str | None]:
    """The type names of a GET /types answer (5.7.5): an EntityTypeList (``typeList``: an
    array, or one string when compaction turned a one-element list into its element; the
    core @context gives typeList no @container), or the detailed form (an array of EntityType
    objects). (None, what is wrong, with its pointer) for anything else."""
    if isinstance(doc, dict) and "typeList" in doc:
        types = doc["typeList"]
        if isinstance(types, str):
            return [types], None
        if isinstance(types, list):
            return [t for t in types if isinstance(t, str)], None
        return None, f"/typeList is {json_type(types)}, not an array"
    if isinstance(doc, list) and all(isinstance(t, dict) and "typeName" in t for t in doc):
        return [t["typeName"] for t in doc if isinstance(t["typeName"], str)], None
    if isinstance(doc, dict):
        return None, f"/typeList is {json_type(doc.get('typeList'))}"
    return None, f"/ is {json_type(doc)}"


class NgsiClient:
    """Reads of an NGSI-LD broker at ``url`` (its root), recorded by ``http``."""

    def __init__(self, http: EvidenceClient, url: str):
        self.http = http
        self.base = api_base(url)

    def url(self, path: str) -> str:
        return self.base + "/" + path.lstrip("/")

    def types(self, note: str | None = None) -> tuple[Exchange, list[str] | None, str | None]:
        """GET /types: (exchange, the type names or None, why there are none)."""
        ex = self.http.get(self.url("types"), accept=JSON, note=note)
        if ex.status != 200:
            return ex, None, f"GET /types answered HTTP {ex.status}, not an EntityTypeList"
        try:
            doc = EvidenceClient.json(ex)
        except BodyUnusable as exc:
            return ex, None, f"GET /types is not JSON: {exc}"
        names, why = type_names(doc)
        if names is None:
            return ex, None, ("GET /types answered 200, but not with an EntityTypeList (ETSI GS "
                              f"CIM 009 5.7.5): {why}")
        return ex, names, None

    def entities(self, etype: str, *, note: str | None = None,
                 **params: Any) -> tuple[Exchange, list[dict[str, Any]]]:
        """GET /entities?type=…: (exchange, the entities of a 200 JSON answer, else [])."""
        ex, doc = self.http.document(self.url("entities"), params={"type": etype, **params},
                                     accept=JSON, note=note)
        return ex, entities_of(doc)
