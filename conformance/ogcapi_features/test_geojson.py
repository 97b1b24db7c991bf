"""Clause 8.3 Requirements class GeoJSON."""

from oupcheck.marks import requirement
from oupcheck.verdicts import expect, judged

from .api import GEOJSON, JSON, media
from .checks import feature_collection_problem, feature_problem


@requirement("/req/geojson/definition")
def test_geojson_media_types(oaf):
    """ "200-responses of the server SHALL support the following media types": the media type of
    each 200 answer is judged; whether the resource answers 200 is judged by its own row."""
    c = oaf.sample_collections()[0]
    # probe: a page of items, one feature of it, and the other documents as JSON
    fid = oaf.first_feature_id(oaf.items(c["id"], accept=GEOJSON, limit=2))
    paths = ("", "conformance", "collections", f"collections/{c['id']}")
    oaf.each(lambda path: oaf.get(path, accept=JSON), paths)
    if fid is not None:
        oaf.feature(c["id"], fid)
    # judge
    ex, doc = oaf.items_doc(c["id"], accept=GEOJSON, limit=2)
    expect(media(ex.content_type) == GEOJSON,
           "items are not served as application/geo+json when asked for", expected=f"200 {GEOJSON}",
           actual=f"{ex.status} {ex.content_type}", evidence=ex)
    n = 1
    feats = doc.get("features") or []
    if feats and isinstance(feats[0], dict) and "id" in feats[0]:
        one = oaf.feature(c["id"], feats[0]["id"])
        expect(one.status == 200, f"feature {feats[0]['id']}: HTTP {one.status} (judged by "
               "/req/core/f-success)", evidence=one, pre=True)
        expect(media(one.content_type) == GEOJSON,
               "a feature is not served as application/geo+json when asked for",
               expected=f"200 {GEOJSON}", actual=f"{one.status} {one.content_type}", evidence=one)
        n += 1
    for path in paths:
        other = oaf.get(path, accept=JSON)
        if other.status != 200:
            continue  # not a 200-response: its own row judges it
        expect(media(other.content_type) == JSON,
               f"/{path} is not served as application/json when asked for",
               expected=f"200 {JSON}", actual=f"{other.status} {other.content_type}", evidence=other)
        n += 1
    judged("200-responses", n)


@requirement("/req/geojson/content")
def test_geojson_content(oaf):
    cols, limit = oaf.sample_collections(), oaf.p("page_limit", 10)
    # probe: a page of each collection, then the first feature of each page
    pages = oaf.each(lambda c: oaf.items(c["id"], accept=GEOJSON, limit=limit), cols)
    firsts = [(c["id"], oaf.first_feature_id(done.value)) for c, done in zip(cols, pages)
              if done.exc is None]
    oaf.each(lambda cf: oaf.feature(*cf), [cf for cf in firsts if cf[1] is not None])
    # judge
    for c in cols:
        ex = oaf.items(c["id"], accept=GEOJSON, limit=limit)
        doc = oaf.ok_json(ex, f"items of {c['id']}", pre=True, owner="/req/core/fc-response")
        problem = feature_collection_problem(doc)
        expect(problem is None, f"items of {c['id']} are not a GeoJSON FeatureCollection: {problem}",
               expected="RFC 7946 FeatureCollection", actual=problem, evidence=ex)
        expect(isinstance(doc.get("links"), list), "links are not in a 'links' member",
               expected="links: [...]", actual=type(doc.get("links")).__name__, evidence=ex)
        feats = doc.get("features") or []
        if not feats or "id" not in feats[0]:
            continue
        fid = str(feats[0]["id"])
        one = oaf.feature(c["id"], fid)
        fdoc = oaf.ok_json(one, f"feature {fid}", pre=True, owner="/req/core/f-success")
        problem = feature_problem(fdoc)
        expect(problem is None, f"feature {fid} is not a GeoJSON Feature: {problem}",
               expected="RFC 7946 Feature", actual=problem, evidence=one)
        expect(str(fdoc.get("id")) == fid, "the feature's id differs from the featureId in the path",
               expected=fid, actual=fdoc.get("id"), evidence=one)
        expect(isinstance(fdoc.get("links"), list), "feature links are not in a 'links' member",
               expected="links: [...]", actual=type(fdoc.get("links")).__name__, evidence=one)
