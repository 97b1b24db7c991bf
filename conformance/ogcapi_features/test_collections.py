"""Clause 7.13 Feature collections (/collections)."""

from datetime import datetime, timezone

from oupcheck.verdicts import Inconclusive, NotApplicable, expect

from .api import HTML, JSON, CONF, rel, requirement
from .checks import (alternate_covers, bbox_contains, collection_extent, geometry_bbox, links_have_rel_and_type,
                     parse_rfc3339, require_rel, temporal_property,
                     validate_ogc_schema)


@requirement("/req/core/fc-md-op")
def test_collections_supports_get(oaf):
    ex = oaf.collections_ex()
    expect(ex.status is not None and ex.status < 400, "GET /collections is not supported",
           expected="a successful answer", actual=ex.status, evidence=ex)


@requirement("/req/core/fc-md-success")
def test_collections_content(oaf, oup_run):
    ex = oaf.collections_ex()
    doc = oaf.ok_json(ex, "/collections")
    validate_ogc_schema(doc, "collections.yaml", oup_run.data, ex)


@requirement("/req/core/fc-md-links")
def test_collections_links(oaf, oup_run):
    ex = oaf.collections_ex()
    doc = oaf.ok_json(ex, "/collections")
    require_rel(doc, "self", ex, "/collections")
    supported = {JSON} | ({HTML} if oup_run.claimed(CONF + "html") else set())
    alternate_covers(doc, ex, supported, "/collections")
    links_have_rel_and_type(doc.get("links", []), ex, "/collections")


@requirement("/req/core/fc-md-items")
def test_each_collection_listed(oaf):
    ex = oaf.collections_ex()
    doc = oaf.ok_json(ex, "/collections")
    entries = doc.get("collections") or []
    ids = [c.get("id") for c in entries if isinstance(c, dict)]
    expect(len(ids) == len(entries) and all(isinstance(i, str) and i for i in ids),
           "a collection entry has no id", expected="every entry has a string id", actual=ids,
           evidence=ex)
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    expect(not dupes, "collection ids are not unique", expected="unique ids", actual=dupes,
           evidence=ex)
    for cid in ids[: oaf.p("max_collections", 5)]:
        one = oaf.get(f"collections/{cid}")
        expect(one.status == 200, f"listed collection {cid} does not resolve", expected=200,
               actual=one.status, evidence=[ex, one])


@requirement("/req/core/fc-md-items-links")
def test_collections_link_to_items(oaf):
    ex = oaf.collections_ex()
    for c in oaf.sample_collections():
        items = rel(c, "items")
        expect(items, f"collection {c['id']} has no rel=items link", expected="rel=items",
               actual=sorted({str(lk.get('rel')) for lk in c.get('links', [])}), evidence=ex)
        links_have_rel_and_type(c.get("links", []), ex, f"collection {c['id']}")


def _outside_spatial(oaf, c, bbox):
    feats, complete, exs = oaf.all_features(c["id"])
    for f in feats:
        fb = geometry_bbox(f.get("geometry"))
        if fb is not None and not bbox_contains(bbox, fb):
            return f, exs, complete
    return None, exs, complete


def _outside_temporal(oaf, c, interval):
    """A feature whose date-time property lies outside the declared interval, if any."""
    begin, end = parse_rfc3339(interval[0]), parse_rfc3339(interval[1])
    feats, complete, exs = oaf.all_features(c["id"])
    prop = temporal_property(feats, begin or datetime.min.replace(tzinfo=timezone.utc),
                             end or datetime.max.replace(tzinfo=timezone.utc), slack=None)
    if prop is None:
        return None, exs, "no single date-time property"
    for f in feats:
        t = parse_rfc3339((f.get("properties") or {}).get(prop))
        if t and ((begin and t < begin) or (end and t > end)):
            return f, exs, prop
    return None, exs, prop


@requirement("/req/core/fc-md-extent")
def test_extent_includes_all_features(oaf):
    judged = 0
    for c in oaf.sample_collections():
        bboxes, intervals = collection_extent(c)
        if bboxes:
            f, exs, complete = _outside_spatial(oaf, c, bboxes[0])
            expect(f is None, f"a feature of {c['id']} lies outside the collection's spatial extent",
                   expected=f"inside {bboxes[0]}", actual=f and {"id": f.get("id"),
                   "bbox": geometry_bbox(f.get("geometry"))}, evidence=[oaf.collections_ex()] + exs[-1:])
            judged += 1
        if intervals:
            f, exs, prop = _outside_temporal(oaf, c, intervals[0])
            if prop == "no single date-time property":
                continue
            expect(f is None, f"a feature of {c['id']} lies outside the collection's temporal extent",
                   expected=f"{prop} within {intervals[0]}",
                   actual=f and {"id": f.get("id"), prop: (f.get("properties") or {}).get(prop)},
                   evidence=[oaf.collections_ex()] + exs[-2:])
            judged += 1
    if not judged:
        raise NotApplicable("no sampled collection declares an extent",
                            evidence=oaf.collections_ex())


@requirement("/req/core/fc-md-extent-multi")
def test_extent_with_several_boxes(oaf):
    judged = 0
    for c in oaf.sample_collections():
        bboxes, intervals = collection_extent(c)
        if len(bboxes) > 1:
            feats, _, exs = oaf.all_features(c["id"])
            for f in feats:
                fb = geometry_bbox(f.get("geometry"))
                expect(fb is None or (bbox_contains(bboxes[0], fb) and
                                      any(bbox_contains(b, fb) for b in bboxes[1:])),
                       f"a feature of {c['id']} is not inside the overall box and one of the others",
                       expected=bboxes, actual={"id": f.get("id"), "bbox": fb},
                       evidence=[oaf.collections_ex()] + exs[-1:])
            judged += 1
        if len(intervals) > 1:
            raise Inconclusive(f"{c['id']} declares several time intervals; judging them needs the "
                               "temporal property, which the API does not name",
                               evidence=oaf.collections_ex())
    if not judged:
        raise NotApplicable("no sampled collection declares more than one bounding box",
                            evidence=oaf.collections_ex())


@requirement("/rec/core/fc-md-license")
def test_license_links(oaf):
    ex = oaf.collections_ex()
    doc = oaf.ok_json(ex, "/collections")
    if rel(doc, "license"):
        return
    for c in oaf.sample_collections():
        expect(rel(c, "license"), f"collection {c['id']} links no licence (rel=license)",
               expected="rel=license", actual=sorted({str(lk.get('rel')) for lk in c.get('links', [])}),
               evidence=ex)


@requirement("/rec/core/fc-md-self-links")
def test_collection_entries_link_self(oaf):
    ex = oaf.collections_ex()
    for c in oaf.sample_collections():
        expect(rel(c, "self"), f"collection {c['id']} in /collections has no rel=self link",
               expected="rel=self", actual=sorted({str(lk.get('rel')) for lk in c.get('links', [])}),
               evidence=ex)
