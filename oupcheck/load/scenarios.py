"""The scenario catalogue: which tasks each locust scenario (``load/<file>.py``) knows, which of
them write, and the scenario data the suite discovers on the target before the load starts.

Pure data and a few recorded requests (no locust here): profiles are validated against it and
the engine process gets a finished plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..http import EvidenceClient, json_at


@dataclass(frozen=True)
class Scenario:
    kind: str            # interface kind of the target
    file: str            # locustfile under load/
    user_class: str      # the locust User class in that file
    tasks: dict[str, str]  # task name -> what it does
    writes: frozenset[str] = frozenset()


SCENARIOS: dict[str, Scenario] = {
    "ogc-api-features": Scenario(
        "ogc-api-features", "ogc_features.py", "OgcFeaturesUser", {
            "landing": "GET the landing page",
            "collections": "GET /collections (browse)",
            "collection": "GET /collections/{id}",
            "items_bbox": "GET items with a bbox sample inside the collection's extent",
            "items_datetime": "GET items with a datetime interval sample",
            "items_paging": "GET items and follow rel=next up to max_pages",
            "item": "GET one item by id",
        }),
    "ngsi-ld": Scenario(
        "ngsi-ld", "ngsi_ld.py", "NgsiLdUser", {
            "query_type": "GET /entities?type=T",
            "query_attrs": "GET /entities?type=T&attrs=A",
            "query_geo": "GET /entities?type=T&georel=near;maxDistance==D&geometry=Point",
            "retrieve": "GET /entities/{id}",
            "batch_upsert": "POST /entityOperations/upsert of batch_size run-owned entities",
        }, frozenset({"batch_upsert"})),
    "sensorthings": Scenario(
        "sensorthings", "sensorthings.py", "SensorThingsUser", {
            "things": "GET /Things?$top=N",
            "observations_latest": "GET /Datastreams({id})/Observations?$orderby=phenomenonTime "
                                   "desc&$top=N",
            "observations_window": "GET /Observations?$filter=phenomenonTime ge T1 and "
                                   "phenomenonTime le T2",
            "ingest": "POST /Datastreams({id})/Observations (one observation)",
        }, frozenset({"ingest"})),
    "mqtt": Scenario(
        "mqtt", "mqtt.py", "MqttUser", {
            "publish": "PUBLISH a sensor reading to the user's topic (receipt is measured by a "
                       "subscription on the same topic tree)",
        }),
}


def check_tasks(scenario: str, tasks: dict[str, float]) -> None:
    known = SCENARIOS[scenario].tasks
    bad = sorted(set(tasks) - set(known))
    if bad:
        raise ValueError(f"unknown task(s) {', '.join(bad)} for scenario {scenario} "
                         f"(known: {', '.join(known)})")


def effective_tasks(scenario: str, tasks: dict[str, float], writes_allowed: bool
                    ) -> tuple[dict[str, float], list[str]]:
    """The weights the users run: write tasks drop out unless the target allows writes."""
    sc = SCENARIOS[scenario]
    out, notes = {}, []
    for name, weight in tasks.items():
        if weight <= 0:
            continue
        if name in sc.writes and not writes_allowed:
            notes.append(f"task {name} left out: the target file does not allow writes "
                         "(writes_allowed: true)")
            continue
        out[name] = weight
    return out, notes


class NothingToLoad(Exception):
    """Discovery found no data the scenario can request (e.g. no collections)."""


def discover(scenario: str, client: EvidenceClient, data: dict[str, Any]) -> dict[str, Any]:
    """Fill in scenario data the profile leaves open from the target itself (recorded)."""
    fn = {"ogc-api-features": _ogc, "ngsi-ld": _ngsi_ld}.get(scenario)
    return fn(client, dict(data)) if fn else dict(data)


def _ogc(client: EvidenceClient, data: dict[str, Any]) -> dict[str, Any]:
    if data.get("collections"):
        return data
    from ..ogcapi import FeaturesClient, extent
    listing = FeaturesClient(client, client.base_url).collections(
        note="load: which collections to browse")  # an unreadable body: BodyUnusable
    found = [{"id": c["id"], "bbox": extent(c)[0], "interval": extent(c)[1]}
             for c in listing.collections]
    limit = int(data.get("max_collections", 10))
    if not found:
        ex = listing.exchange
        raise NothingToLoad(f"GET {ex.url} -> {ex.status}: no collections to load: "
                            f"{listing.why}")
    data["collections"] = found[:limit]
    return data


def _ngsi_ld(client: EvidenceClient, data: dict[str, Any]) -> dict[str, Any]:
    if data.get("entity_ids"):
        return data
    ids: list[str] = []
    for etype in data.get("types") or []:
        ex = client.get("ngsi-ld/v1/entities", params={"type": etype, "limit": 20},
                        accept="application/json", note=f"load: entities of type {etype}")
        doc = EvidenceClient.json(ex) if ex.status == 200 else None
        ids += [e["id"] for e in doc if isinstance(json_at(e, "id"), str)] \
            if isinstance(doc, list) else []
    data["entity_ids"] = ids
    return data
