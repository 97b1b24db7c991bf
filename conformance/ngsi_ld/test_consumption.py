"""Context information consumption (clause 5.7, 4.5, 6.3.10, 6.3.13; ETSI TPs 018, 019):
retrieve, query by type / id / idPattern / attrs / q / geo, pagination, count,
keyValues and GeoJSON representations."""

from __future__ import annotations

import json

import pytest

from oupcheck.marks import requirement
from oupcheck.verdicts import decide

from . import judges
from .api import CORE, GEO, LD, TYPE
from .jsonld import expand, loader_for


@pytest.fixture(scope="module")
def population(ngsi):
    """Three probe entities with known values and places (Utrecht centre, Utrecht east,
    Amsterdam)."""
    ngsi.need_writes()
    ents = [ngsi.entity(temperature={"type": "Property", "value": 12.0},
                        district={"type": "Property", "value": "Centrum"}),
            ngsi.entity(temperature={"type": "Property", "value": 25.0},
                        district={"type": "Property", "value": "Oost"},
                        location={"type": "GeoProperty",
                                  "value": {"type": "Point", "coordinates": [5.1500, 52.0900]}}),
            ngsi.entity(temperature={"type": "Property", "value": 31.0},
                        district={"type": "Property", "value": "Centrum"},
                        location={"type": "GeoProperty",
                                  "value": {"type": "Point", "coordinates": [4.9000, 52.3700]}})]
    for i, e in enumerate(ents):
        e["id"] = f"urn:ngsi-ld:{TYPE}:{ngsi.tag}-pop-{i + 1}"
        ngsi.create(e)
    return ents


def _pop(ngsi):
    return f".*{ngsi.tag}-pop-.*"


# Each row: the probe (requests through the recording client), then its pure judge in
# judges.py over the recorded exchanges.

@requirement("ngsi-ld:5.7.1/retrieve")
def test_retrieve_entity(ngsi, oup_run):
    ent = ngsi.entity()
    ngsi.create(ent)
    ex = ngsi.get_entity(ent["id"])
    loader = loader_for(oup_run, ngsi.context_url)
    decide(judges.retrieved_as_created, ent, ex, lambda doc, ctx: expand(doc, ctx, loader), CORE)


@requirement("ngsi-ld:5.7.1/not-found")
def test_retrieve_unknown_entity(ngsi):
    decide(judges.unknown_and_invalid_ids,
           ngsi.get_entity(f"urn:ngsi-ld:{TYPE}:{ngsi.tag}-never-created"),
           ngsi.get_entity("not a uri"))


@requirement("ngsi-ld:5.7.2/query-type-id")
def test_query_by_type_id_and_pattern(ngsi, population):
    ids = [e["id"] for e in population]
    decide(judges.query_by_type_and_id, ngsi.tag, ids,
           ngsi.get_entities({"type": TYPE, "idPattern": _pop(ngsi), "limit": 100}),
           ngsi.get_entities({"type": "OupcheckNoSuchType", "idPattern": _pop(ngsi)}),
           ngsi.get_entities({"id": ids[0], "type": TYPE}))


@requirement("ngsi-ld:5.7.2/query-attrs")
def test_query_projection(ngsi, population):
    eid = population[0]["id"]
    asked = ({"id": eid, "type": TYPE, "attrs": "temperature"},
             {"id": eid, "type": TYPE, "omit": "district"})
    decide(judges.projection, ngsi.get_entities(asked[0]), ngsi.get_entities(asked[1]), asked)


@requirement("ngsi-ld:5.7.2/query-q")
def test_query_q(ngsi, population):
    ex = ngsi.get_entities({"type": TYPE, "q": 'temperature>20;district=="Centrum"',
                            "idPattern": _pop(ngsi)})
    decide(judges.selection, ngsi.tag, ex, [population[2]["id"]], "query with q",
           "q does not filter as given")


@requirement("ngsi-ld:5.7.2/query-geo")
def test_query_geo(ngsi, population):
    ex = ngsi.get_entities({"type": TYPE, "georel": "near;maxDistance==5000",
                            "geometry": "Point", "coordinates": json.dumps([5.1214, 52.0907]),
                            "idPattern": _pop(ngsi)}, note="entities within 5 km of Utrecht")
    decide(judges.selection, ngsi.tag, ex, [e["id"] for e in population[:2]], "near query",
           "near;maxDistance does not select the entities within the distance")


@requirement("ngsi-ld:5.7.2/query-needs-filter")
def test_query_without_filter_rejected(ngsi):
    decide(judges.needs_filter, ngsi.get_entities({}, note="query entities without any filter"))


@requirement("ngsi-ld:6.3.10/pagination")
def test_pagination(ngsi, population):
    page = {"type": TYPE, "idPattern": _pop(ngsi), "limit": 2}
    decide(judges.pagination, ngsi.get_entities(page),
           ngsi.get_entities({**page, "offset": 2}))


@requirement("ngsi-ld:6.3.13/count")
def test_results_count(ngsi, population):
    ex = ngsi.get_entities({"type": TYPE, "idPattern": _pop(ngsi), "count": "true",
                            "limit": 1})
    decide(judges.results_count, ex, len(population))


@requirement("ngsi-ld:4.5.4/key-values")
def test_key_values(ngsi, population):
    eid = population[0]["id"]
    asked = ({"options": "keyValues"}, {"format": "simplified"})
    decide(judges.simplified, ngsi.get_entity(eid, params=asked[0]),
           ngsi.get_entity(eid, params=asked[1]), asked)


@requirement("ngsi-ld:4.5.16/geojson")
def test_geojson_representation(ngsi, population):
    decide(judges.geojson, ngsi.get_entity(population[0]["id"], accept=GEO),
           ngsi.get_entities({"type": TYPE, "idPattern": _pop(ngsi)}, accept=GEO))


@requirement("ngsi-ld:6.3.5/json-link-context")
def test_link_header_context_is_used(ngsi):
    ent = ngsi.entity(type="OupcheckProbe")
    ngsi.create(ent, ctx=ngsi.context_url)
    decide(judges.link_context_used, ngsi.get_entity(ent["id"]),
           ngsi.get_entity(ent["id"], ctx=ngsi.context_url))


@requirement("ngsi-ld:6.3.5/ld-json-response")
def test_ld_json_response_carries_context(ngsi, population):
    decide(judges.ld_json_response, ngsi.get_entity(population[0]["id"], accept=LD),
           ngsi.get_entity(population[0]["id"], accept="application/json"))
