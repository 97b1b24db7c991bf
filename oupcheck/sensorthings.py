"""OGC SensorThings API 1.1 (OGC 18-088): the one client layer of the suite.

The service root (an array ``value`` of entity sets with ``name`` and ``url``, and
``serverSettings.conformance``), entity set pages (``value``, ``@iot.nextLink``,
``@iot.count``) and ids (``@iot.id``, a number or a string). Used by the inventory, the load
scenario's discovery and ``discover``, and ready for the SensorThings profile's checks. It
sends through the ``EvidenceClient`` it is given (every exchange recorded) and does not judge.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

from .evidence import Exchange
from .http import EvidenceClient

REQ = "http://www.opengis.net/spec/iot_sensing/1.1/req/"
ENTITY_SETS = ("Things", "Locations", "HistoricalLocations", "Datastreams", "Sensors",
               "ObservedProperties", "Observations", "FeaturesOfInterest")


def entity_sets(doc: Any) -> dict[str, str]:
    """name -> url of the entity sets a service root lists (well-formed entries only)."""
    value = doc.get("value") if isinstance(doc, dict) else None
    if not isinstance(value, list):
        return {}
    return {v["name"]: v["url"] for v in value if isinstance(v, dict)
            and isinstance(v.get("name"), str) and isinstance(v.get("url"), str)}


def is_service_root(doc: Any) -> bool:
    """A SensorThings service root: it lists the Things entity set (18-088 9.2.1)."""
    return "Things" in entity_sets(doc)


def declared_classes(doc: Any) -> list[str]:
    """The conformance classes a 1.1 service root declares (serverSettings.conformance)."""
    conf = (doc.get("serverSettings") or {}).get("conformance") if isinstance(doc, dict) \
        and isinstance(doc.get("serverSettings"), dict) else None
    return [c for c in conf if isinstance(c, str)] if isinstance(conf, list) else []


def ids(doc: Any) -> list[Any]:
    """The ``@iot.id`` of the entities of an entity set page."""
    value = doc.get("value") if isinstance(doc, dict) else None
    return [e["@iot.id"] for e in value if isinstance(e, dict) and "@iot.id" in e
            and isinstance(e["@iot.id"], (int, str)) and not isinstance(e["@iot.id"], bool)] \
        if isinstance(value, list) else []


class StaClient:
    """Reads of a SensorThings service at ``url`` (its root, e.g. ``…/v1.1/``)."""

    def __init__(self, http: EvidenceClient, url: str):
        self.http = http
        self.root = url if url.endswith("/") else url + "/"

    def document(self, path: str, *, note: str | None = None,
                 params: dict[str, Any] | None = None) -> tuple[Exchange, Any]:
        return self.http.document(urljoin(self.root, path), note=note, params=params)

    def service_root(self, note: str | None = None) -> tuple[Exchange, Any]:
        return self.document("", note=note)

    def some_ids(self, entity_set: str, top: int = 20,
                 note: str | None = None) -> tuple[Exchange, list[Any]]:
        """Ids of the first ``top`` entities of an entity set (e.g. the service's real
        Datastreams, for requests that need one)."""
        ex, doc = self.document(entity_set, note=note, params={"$top": top})
        return ex, ids(doc)
