"""Context information consumption (clause 5.7, 4.5, 6.3.10, 6.3.13; ETSI TPs 018, 019):
retrieve, query by type / id / idPattern / attrs / q / geo, pagination, count,
keyValues and GeoJSON representations."""

from __future__ import annotations

import json

import pytest

from oupcheck.marks import requirement

from .api import CORE, GEO, LD, TYPE, CheckFailed, Inconclusive, entities_of, expect, ids_of, \
    next_link
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


def _ours(ngsi, ids):
    return sorted(i for i in ids if f"{ngsi.tag}-pop-" in (i or ""))


def _pop(ngsi):
    return f".*{ngsi.tag}-pop-.*"


def _first(doc) -> dict:
    return next(iter(entities_of(doc)), {})


@requirement("ngsi-ld:5.7.1/retrieve")
def test_retrieve_entity(ngsi, oup_run):
    ent = ngsi.entity()
    ngsi.create(ent)
    ex, doc = ngsi.retrieve(ent["id"])
    ngsi.ok(ex, 200, "retrieve entity is not answered 200")
    loader = loader_for(oup_run, ngsi.context_url)
    sent = expand(ent, CORE, loader)
    ctx = doc.get("@context") or CORE
    got = expand(doc, ctx, loader)
    missing = [k for k in sent if k not in ("@id", "@type") and got.get(k) != sent[k]]
    expect(got.get("@id") == sent["@id"] and got.get("@type") == sent["@type"] and not missing,
           "the retrieved entity differs from the created one (compared as expanded JSON-LD)",
           expected=sorted(sent), actual=f"differs in {missing}" if missing else sorted(got),
           evidence=ex)


@requirement("ngsi-ld:5.7.1/not-found")
def test_retrieve_unknown_entity(ngsi):
    ex, _ = ngsi.retrieve(f"urn:ngsi-ld:{TYPE}:{ngsi.tag}-never-created", shape=False)
    ngsi.problem(ex, 404, ("ResourceNotFound",), "an unknown entity is not answered 404")
    bad, _ = ngsi.retrieve("not a uri", shape=False)
    ngsi.problem(bad, 400, ("BadRequestData", "InvalidRequest"),
                 "an entity id that is not a URI is not rejected")


@requirement("ngsi-ld:5.7.2/query-type-id")
def test_query_by_type_id_and_pattern(ngsi, population):
    ids = [e["id"] for e in population]
    ex, doc = ngsi.query({"type": TYPE, "idPattern": _pop(ngsi), "limit": 100})
    ngsi.ok(ex, 200, "a query by type and idPattern is not answered 200")
    expect(set(ids) <= set(ids_of(doc)), "query by type and idPattern misses entities",
           expected=ids, actual=_ours(ngsi, ids_of(doc)), evidence=ex)
    ex2, doc2 = ngsi.query({"type": "OupcheckNoSuchType", "idPattern": _pop(ngsi)})
    # a type nothing has is a valid query with an empty result (200 []), not an error
    ngsi.ok(ex2, 200, "a query by a type no entity has is not answered 200 (an empty list)")
    expect(not ids_of(doc2), "query by another type returns the probe entities",
           expected=[], actual=ids_of(doc2)[:3], evidence=ex2)
    ex3, doc3 = ngsi.query({"id": ids[0], "type": TYPE})
    ngsi.ok(ex3, 200, "a query by id is not answered 200")
    expect(ids_of(doc3) == [ids[0]], "query by id does not return exactly that entity",
           expected=[ids[0]], actual=ids_of(doc3), evidence=ex3)


@requirement("ngsi-ld:5.7.2/query-attrs")
def test_query_projection(ngsi, population):
    eid = population[0]["id"]
    ex, doc = ngsi.query({"id": eid, "type": TYPE, "attrs": "temperature"})
    ngsi.ok(ex, 200, "a query with attrs is not answered 200")
    got = _first(doc)
    expect("temperature" in got and "district" not in got,
           "attrs does not restrict the attributes returned",
           expected="temperature only", actual=sorted(got), evidence=ex)
    ex2, doc2 = ngsi.query({"id": eid, "type": TYPE, "omit": "district"})
    ngsi.ok(ex2, 200, "a query with omit is not answered 200")
    got2 = _first(doc2)
    expect("district" not in got2 and "temperature" in got2, "omit does not drop the attribute",
           expected="district omitted", actual=sorted(got2), evidence=ex2)


@requirement("ngsi-ld:5.7.2/query-q")
def test_query_q(ngsi, population):
    ex, doc = ngsi.query({"type": TYPE, "q": 'temperature>20;district=="Centrum"',
                          "idPattern": _pop(ngsi)})
    ngsi.ok(ex, 200, "a query with q is not answered 200")
    expect(_ours(ngsi, ids_of(doc)) == [population[2]["id"]], "q does not filter as given",
           expected=[population[2]["id"]], actual=_ours(ngsi, ids_of(doc)), evidence=ex)


@requirement("ngsi-ld:5.7.2/query-geo")
def test_query_geo(ngsi, population):
    ex, doc = ngsi.query({"type": TYPE, "georel": "near;maxDistance==5000", "geometry": "Point",
                          "coordinates": json.dumps([5.1214, 52.0907]),
                          "idPattern": _pop(ngsi)}, note="entities within 5 km of Utrecht")
    ngsi.ok(ex, 200, "a near query is not answered 200")
    expect(_ours(ngsi, ids_of(doc)) == sorted(e["id"] for e in population[:2]),
           "near;maxDistance does not select the entities within the distance",
           expected=sorted(e["id"] for e in population[:2]),
           actual=_ours(ngsi, ids_of(doc)), evidence=ex)


@requirement("ngsi-ld:5.7.2/query-needs-filter")
def test_query_without_filter_rejected(ngsi):
    ex, _ = ngsi.query({}, note="query entities without any filter", shape=False)
    ngsi.problem(ex, 400, ("BadRequestData", "InvalidRequest"),
                 "a query without type, attrs, q, geoQ or id is not rejected")


@requirement("ngsi-ld:6.3.10/pagination")
def test_pagination(ngsi, population):
    ex, doc = ngsi.query({"type": TYPE, "idPattern": _pop(ngsi), "limit": 2})
    expect(len(ids_of(doc)) == 2, "limit does not cap the page", expected=2,
           actual=len(ids_of(doc)), evidence=ex)
    nxt = next_link(ex)
    expect(nxt, "no Link header with rel=\"next\" while more results exist",
           expected='Link: <...>; rel="next"', actual=ex.header("link"), evidence=ex)
    ex2, doc2 = ngsi.query({"type": TYPE, "idPattern": _pop(ngsi), "limit": 2,
                            "offset": 2})
    expect(not set(ids_of(doc)) & set(ids_of(doc2)) and ids_of(doc2),
           "offset does not give the next page", expected="other entities",
           actual=ids_of(doc2), evidence=[ex, ex2])


@requirement("ngsi-ld:6.3.13/count")
def test_results_count(ngsi, population):
    ex, doc = ngsi.query({"type": TYPE, "idPattern": _pop(ngsi), "count": "true",
                          "limit": 1})
    value = ex.header("ngsild-results-count")
    expect(value is not None, "count=true gives no NGSILD-Results-Count header",
           expected="NGSILD-Results-Count", actual=None, evidence=ex)
    expect(value.isdigit() and int(value) >= len(population), "NGSILD-Results-Count is wrong",
           expected=f">= {len(population)}", actual=value, evidence=ex)


@requirement("ngsi-ld:4.5.4/key-values")
def test_key_values(ngsi, population):
    eid = population[0]["id"]
    ex, doc = ngsi.retrieve(eid, params={"options": "keyValues"})
    expect(doc and doc.get("temperature") == 12.0, "options=keyValues does not give plain values",
           expected={"temperature": 12.0}, actual={"temperature": (doc or {}).get("temperature")},
           evidence=ex)
    ex2, doc2 = ngsi.retrieve(eid, params={"format": "simplified"})
    expect(doc2 and doc2.get("district") == "Centrum", "format=simplified does not give plain "
           "values", expected={"district": "Centrum"},
           actual={"district": (doc2 or {}).get("district")}, evidence=ex2)


@requirement("ngsi-ld:4.5.16/geojson")
def test_geojson_representation(ngsi, population):
    eid = population[0]["id"]
    ex, doc = ngsi.retrieve(eid, accept=GEO)
    ngsi.ok(ex, 200, "Accept: application/geo+json is not answered 200")
    expect(ex.content_type == GEO, "the GeoJSON representation has another media type",
           expected=GEO, actual=ex.content_type, evidence=ex)
    expect(isinstance(doc, dict) and doc.get("type") == "Feature" and
           (doc.get("geometry") or {}).get("type") == "Point",
           "the entity is not a GeoJSON Feature with its location as geometry",
           expected="Feature with Point geometry", actual=str(doc)[:200], evidence=ex)
    ex2, doc2 = ngsi.query({"type": TYPE, "idPattern": _pop(ngsi)}, accept=GEO)
    expect(isinstance(doc2, dict) and doc2.get("type") == "FeatureCollection",
           "a query with Accept: application/geo+json is not a FeatureCollection",
           expected="FeatureCollection", actual=str(doc2)[:200], evidence=ex2)


@requirement("ngsi-ld:6.3.5/json-link-context")
def test_link_header_context_is_used(ngsi, oup_run):
    ent = ngsi.entity(type="OupcheckProbe")
    ngsi.create(ent, ctx=ngsi.context_url)
    ex, doc = ngsi.retrieve(ent["id"])
    if ex.status != 200:
        raise Inconclusive(f"the entity created with a Link context cannot be retrieved "
                           f"(HTTP {ex.status})", evidence=ex)
    # without the Link context the type and the two mapped attributes come back as full IRIs
    iri = "https://oupcheck.example/ns/"
    expect(doc.get("type") == iri + "OupcheckProbe" and iri + "temperature" in doc,
           "terms of the Link header @context were not expanded with it",
           expected=f"type {iri}OupcheckProbe, attribute {iri}temperature",
           actual={"type": doc.get("type"), "attributes": sorted(k for k in doc if k != "id")},
           evidence=ex)
    ex2, doc2 = ngsi.retrieve(ent["id"], ctx=ngsi.context_url)
    expect(doc2 and doc2.get("type") == "OupcheckProbe" and "temperature" in doc2,
           "compaction with the same Link @context does not give the short terms back",
           expected="type OupcheckProbe, attribute temperature", actual=doc2, evidence=ex2)


@requirement("ngsi-ld:6.3.5/ld-json-response")
def test_ld_json_response_carries_context(ngsi, population):
    ex, doc = ngsi.retrieve(population[0]["id"], accept=LD)
    ngsi.ok(ex, 200, "Accept: application/ld+json is not answered 200")
    if not (isinstance(doc, dict) and "@context" in doc):
        raise CheckFailed("an application/ld+json answer has no @context",
                          expected="@context in the body", actual=sorted(doc or {}), evidence=ex)
    ex2, _ = ngsi.retrieve(population[0]["id"], accept="application/json")
    expect("json-ld#context" in (ex2.header("link") or ""),
           "an application/json answer has no Link header with its @context",
           expected='Link: <...>; rel="http://www.w3.org/ns/json-ld#context"',
           actual=ex2.header("link"), evidence=ex2)
