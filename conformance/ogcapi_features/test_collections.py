"""Clause 7.13 Feature collections (/collections)."""

import re
from datetime import datetime, timezone

from oupcheck.marks import requirement
from oupcheck.verdicts import Inconclusive, NotApplicable, expect, judged

from .api import GEOJSON, HTML, JSON, CONF, rel
from .checks import (alternate_covers, bbox_contains, collection_extent, geometry_bbox,
                     links_have_rel_and_type, parse_rfc3339, require_rel, status_text,
                     temporal_property, validate_ogc_schema)


@requirement("/req/core/fc-md-op")
def test_collections_supports_get(oaf):
    # abstract test /conf/core/fc-md-op: a document with status 200, its content validated by
    # /conf/core/fc-md-success (here: that it is a collections document)
    ex = oaf.collections_ex()
    expect(ex.status == 200, f"GET /collections is not supported: {status_text(ex.status)}",
           expected="HTTP 200 with the collections document", actual=ex.status, evidence=ex)
    oaf.collections(pre=False)


@requirement("/req/core/fc-md-success")
def test_collections_content(oaf, oup_run):
    ex = oaf.collections_ex()
    doc = oaf.ok_json(ex, "/collections")
    validate_ogc_schema(doc, "collections.yaml", oup_run.data, ex)


@requirement("/req/core/fc-md-links")
def test_collections_links(oaf, oup_run):
    ex = oaf.collections_ex()
    oaf.collections()  # a collections document (fc-md-success's row)
    doc = oaf.ok_json(ex, "/collections")
    require_rel(doc, "self", ex, "/collections")
    supported = {JSON} | ({HTML} if oup_run.claimed(CONF + "html") else set())
    alternate_covers(doc, ex, supported, "/collections")
    links_have_rel_and_type(doc.get("links", []), ex, "/collections")


@requirement("/req/core/fc-md-items")
def test_each_collection_listed(oaf):
    """Every collection the server provides has an entry. Black-box, "provided" shows in the
    API definition: a literal path /collections/{id} that answers 200 but is not listed."""
    # probe: the list, the API definition, and each collection the definition declares that
    # the list does not name
    ex = oaf.collections_ex()
    ex_def, definition, _ = oaf.definition()
    listed = oaf.listed_ids(ex)
    declared = sorted({m.group(1) for p in (definition or {}).get("paths") or {}
                       if (m := re.match(r"^/collections/([^/{}]+)/?$", p))})
    hidden = [cid for cid in declared if cid not in listed][: oaf.p("max_collections", 5)]
    answers = oaf.each(lambda cid: oaf.get(f"collections/{cid}"), hidden)
    # judge
    oaf.collections()
    entries = oaf.ok_json(ex, "/collections")["collections"]
    ids = [c.get("id") for c in entries if isinstance(c, dict)]
    if not entries:
        raise Inconclusive("/collections lists no collection: whether the server provides "
                           "collections it does not list cannot be seen", evidence=ex)
    expect(len(ids) == len(entries) and all(isinstance(i, str) and i for i in ids),
           "a collection entry has no id", expected="every entry has a string id", actual=ids,
           evidence=ex)
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    expect(not dupes, "collection ids are not unique", expected="unique ids", actual=dupes,
           evidence=ex)
    judged("collection entries", len(entries))
    if definition is None:
        return
    for cid, done in zip(hidden, answers):
        one = done.get()
        expect(one.status != 200, f"the API definition declares /collections/{cid}, which "
               "answers 200, but /collections has no entry for it",
               expected=f"an entry with id {cid}", actual=ids[:10], evidence=[ex, ex_def, one])
    judged("collections declared in the API definition", len(declared))


@requirement("/req/core/fc-md-items-links")
def test_collections_link_to_items(oaf, oup_run):
    """An items link "for each supported encoding": GeoJSON (and HTML) when the server declares
    those classes."""
    ex = oaf.collections_ex()
    encodings = ({GEOJSON} if oup_run.claimed(CONF + "geojson") else set()) | \
        ({HTML} if oup_run.claimed(CONF + "html") else set())
    for c in oaf.sample_collections():
        items = rel(c, "items")
        expect(items, f"collection {c['id']} has no rel=items link", expected="rel=items",
               actual=sorted({str(lk.get('rel')) for lk in c.get('links', [])}), evidence=ex)
        types = {(lk.get("type") or "").split(";")[0].strip().lower() for lk in items}
        missing = sorted(encodings - types)
        expect(not missing, f"collection {c['id']} has no rel=items link for {', '.join(missing)}",
               expected=f"rel=items links of types {sorted(encodings)}", actual=sorted(types),
               evidence=ex)
        links_have_rel_and_type(c.get("links", []), ex, f"collection {c['id']}")


def _features_outside_spatial(oaf, c, bbox):
    scan = oaf.scan(c["id"])
    n = 0
    for f in scan.features:
        fb = geometry_bbox(f.get("geometry"))
        if fb is None:
            continue
        n += 1
        if not bbox_contains(bbox, fb):
            return f, scan, n
    return None, scan, n


def _features_outside_temporal(oaf, c, interval):
    """A feature whose date-time property lies outside the declared interval, if any."""
    begin, end = parse_rfc3339(interval[0]), parse_rfc3339(interval[1])
    scan = oaf.scan(c["id"])
    prop = temporal_property(scan.features, begin or datetime.min.replace(tzinfo=timezone.utc),
                             end or datetime.max.replace(tzinfo=timezone.utc), slack=None)
    if prop is None:
        return None, scan, None, 0
    n = 0
    for f in scan.features:
        t = parse_rfc3339((f.get("properties") or {}).get(prop))
        if t is None:
            continue
        n += 1
        if (begin and t < begin) or (end and t > end):
            return f, scan, prop, n
    return None, scan, prop, n


@requirement("/req/core/fc-md-extent")
def test_extent_includes_all_features(oaf):
    declared, compared, unjudged, partial = 0, 0, [], []
    cols = oaf.sample_collections()
    oaf.prefetch_scans([(c["id"], {}) for c in cols if any(collection_extent(c))])
    for c in cols:
        bboxes, intervals = collection_extent(c)
        if bboxes:
            declared += 1
            f, scan, n = _features_outside_spatial(oaf, c, bboxes[0])
            if not scan.complete:
                partial.append(f"{c['id']}: {scan.why_incomplete()}")
            expect(f is None, f"a feature of {c['id']} lies outside the collection's spatial extent",
                   expected=f"inside {bboxes[0]}", actual=f and {"id": f.get("id"),
                   "bbox": geometry_bbox(f.get("geometry"))},
                   evidence=[oaf.collections_ex()] + scan.exchanges[-1:])
            judged("feature geometries", n)
            compared += n
            if not n:
                unjudged.append(f"{c['id']}: no feature with a geometry")
        if intervals:
            declared += 1
            f, scan, prop, n = _features_outside_temporal(oaf, c, intervals[0])
            if not scan.complete and not bboxes:
                partial.append(f"{c['id']}: {scan.why_incomplete()}")
            if prop is None:
                unjudged.append(f"{c['id']}: no single date-time property to compare with its "
                                "temporal extent")
                continue
            expect(f is None, f"a feature of {c['id']} lies outside the collection's temporal extent",
                   expected=f"{prop} within {intervals[0]}",
                   actual=f and {"id": f.get("id"), prop: (f.get("properties") or {}).get(prop)},
                   evidence=[oaf.collections_ex()] + scan.exchanges[-2:])
            judged("feature times", n)
            compared += n
            if not n:
                unjudged.append(f"{c['id']}: no feature with a value of {prop}")
    if not declared:
        raise NotApplicable("no sampled collection declares an extent (it is optional: 'the "
                            "extent property, if provided')", evidence=oaf.collections_ex())
    if not compared:
        raise Inconclusive("extents are declared but no feature could be compared with them: "
                           + "; ".join(unjudged), evidence=oaf.collections_ex())
    if partial:  # "all features" cannot be said of a scan that stopped before the end
        raise Inconclusive(f"no feature read ({compared}) lies outside its collection's "
                           "extent, but not every feature was read: " + "; ".join(partial[:3]),
                           evidence=oaf.collections_ex(),
                           decide="raise max_features_scan to read the whole collection")


@requirement("/req/core/fc-md-extent-multi")
def test_extent_with_several_boxes(oaf):
    multi, n, partial = 0, 0, []
    several_intervals = None
    cols = oaf.sample_collections()
    oaf.prefetch_scans([(c["id"], {}) for c in cols if len(collection_extent(c)[0]) > 1])
    for c in cols:
        bboxes, intervals = collection_extent(c)
        if len(bboxes) > 1:
            multi += 1
            scan = oaf.scan(c["id"])
            if not scan.complete:
                partial.append(f"{c['id']}: {scan.why_incomplete()}")
            for f in scan.features:
                fb = geometry_bbox(f.get("geometry"))
                if fb is None:
                    continue
                n += 1
                expect(bbox_contains(bboxes[0], fb) and any(bbox_contains(b, fb) for b in bboxes[1:]),
                       f"a feature of {c['id']} is not inside the overall box and one of the others",
                       expected=bboxes, actual={"id": f.get("id"), "bbox": fb},
                       evidence=[oaf.collections_ex()] + scan.exchanges[-1:])
        if len(intervals) > 1 and several_intervals is None:
            several_intervals = c["id"]
    judged("feature geometries", n)
    if not multi and several_intervals is None:
        raise NotApplicable("no sampled collection declares more than one bounding box or time "
                            "interval", evidence=oaf.collections_ex())
    if not n:
        why = (f"{several_intervals} declares several time intervals; judging them needs the "
               "temporal property, which the API does not name" if several_intervals else
               "the collections with several boxes returned no feature with a geometry")
        raise Inconclusive(why, evidence=oaf.collections_ex())
    if partial:
        raise Inconclusive(f"the {n} features read lie within the boxes, but not every feature "
                           "was read: " + "; ".join(partial[:3]), evidence=oaf.collections_ex(),
                           decide="raise max_features_scan to read the whole collection")


@requirement("/rec/core/fc-md-license")
def test_license_links(oaf):
    ex = oaf.collections_ex()
    doc = oaf.ok_json(ex, "/collections", pre=True, owner="/req/core/fc-md-success")
    if rel(doc, "license"):
        # "if all data shared via the API is available under the same license, the link MAY
        # instead be added to the top-level links property"
        expect(True, "a top-level licence link", evidence=ex)
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
