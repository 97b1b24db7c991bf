"""Clause 7.15 Features (/collections/{collectionId}/items): response, links, counts, CRS84."""

import time
from datetime import datetime, timezone

from oupcheck.verdicts import NotApplicable, expect

from .api import GEOJSON, HTML, CONF, requirement
from .checks import (alternate_covers, bbox_intersects, collection_extent, geometry_bbox,
                     links_have_rel_and_type, parse_rfc3339, positions, quarter_box,
                     require_rel, rfc3339, temporal_property)


@requirement("/req/core/fc-op")
def test_items_supports_get(oaf):
    for c in oaf.sample_collections():
        ex = oaf.items(c["id"])
        expect(ex.status is not None and ex.status < 400,
               f"GET /collections/{c['id']}/items is not supported", expected="a successful answer",
               actual=ex.status, evidence=ex)


@requirement("/req/core/fc-links")
def test_items_self_and_alternate(oaf, oup_run):
    supported = {GEOJSON} | ({HTML} if oup_run.claimed(CONF + "html") else set())
    for c in oaf.sample_collections():
        ex, doc = oaf.items_doc(c["id"], limit=2)
        require_rel(doc, "self", ex, f"items of {c['id']}")
        alternate_covers(doc, ex, supported, f"items of {c['id']}")


@requirement("/req/core/fc-rel-type")
def test_items_links_have_rel_and_type(oaf):
    for c in oaf.sample_collections():
        ex, doc = oaf.items_doc(c["id"], limit=2)
        links_have_rel_and_type(doc.get("links", []), ex, f"items of {c['id']}")


@requirement("/req/core/fc-timeStamp")
def test_timestamp_is_generation_time(oaf):
    tol = oaf.p("timestamp_tolerance_s", 300)
    seen = 0
    for c in oaf.sample_collections():
        before = time.time()
        ex, doc = oaf.items_doc(c["id"], limit=1)
        after = time.time()
        if "timeStamp" not in doc:
            continue
        seen += 1
        ts = parse_rfc3339(doc["timeStamp"])
        expect(ts is not None, "timeStamp is not an RFC 3339 date-time", expected="date-time",
               actual=doc["timeStamp"], evidence=ex)
        expect(before - tol <= ts.timestamp() <= after + tol,
               "timeStamp is not the time the response was generated",
               expected=f"{datetime.fromtimestamp(before, timezone.utc).isoformat(timespec='seconds')} ± {tol} s",
               actual=doc["timeStamp"], evidence=ex)
    if not seen:
        raise NotApplicable("responses do not include timeStamp (it is optional)")


@requirement("/req/core/fc-numberMatched")
def test_number_matched_is_total(oaf):
    seen = 0
    for c in oaf.sample_collections():
        for params in ({}, {"bbox": None}):
            if "bbox" in params:
                bboxes, _ = collection_extent(c)
                if not bboxes or len(bboxes[0]) != 4:
                    continue
                params = {"bbox": ",".join(str(v) for v in quarter_box(bboxes[0]))}
            feats, complete, exs = oaf.all_features(c["id"], **params)
            first = oaf.json(exs[0])
            if "numberMatched" not in first:
                continue
            seen += 1
            if not complete:
                continue  # bounded scan did not reach the end; judged on smaller selections
            expect(first["numberMatched"] == len(feats),
                   f"numberMatched of {c['id']} {params or ''} is not the number of matching features",
                   expected=len(feats), actual=first["numberMatched"], evidence=exs)
    if not seen:
        raise NotApplicable("responses do not include numberMatched (it is optional)")


@requirement("/req/core/fc-numberReturned")
def test_number_returned_is_page_size(oaf):
    seen = 0
    for c in oaf.sample_collections():
        for ex, doc in oaf.scan(c["id"]):
            if "numberReturned" in doc:
                seen += 1
                expect(doc["numberReturned"] == len(doc.get("features") or []),
                       f"numberReturned of {c['id']} differs from the features in the response",
                       expected=len(doc.get("features") or []), actual=doc["numberReturned"],
                       evidence=ex)
    if not seen:
        raise NotApplicable("responses do not include numberReturned (it is optional)")


@requirement("/req/core/crs84")
def test_coordinates_in_crs84(oaf):
    for c in oaf.sample_collections():
        ex, doc = oaf.items_doc(c["id"], limit=oaf.p("page_limit", 10))
        for f in doc.get("features") or []:
            for p in positions((f or {}).get("geometry")):
                ok = len(p) >= 2 and -180 <= p[0] <= 180 and -90 <= p[1] <= 90
                expect(ok, f"feature {f.get('id')} of {c['id']} has a position outside "
                       "WGS 84 longitude/latitude", expected="lon in [-180,180], lat in [-90,90]",
                       actual=p, evidence=ex)


@requirement("/req/core/fc-response")
def test_only_selected_features(oaf):
    """bbox and datetime together select the features both select on their own, and no others."""
    for c in oaf.sample_collections():
        bboxes, intervals = collection_extent(c)
        if not (bboxes and len(bboxes[0]) == 4 and intervals):
            continue
        b, e = parse_rfc3339(intervals[0][0]), parse_rfc3339(intervals[0][1])
        if not (b and e):
            continue
        bb = bboxes[0]
        mid = rfc3339(b + (e - b) / 2)
        box = (bb[0], bb[1], (bb[0] + bb[2]) / 2, bb[3])
        everything, _, _ = oaf.all_features(c["id"])
        prop = temporal_property(everything, b, e)
        got, _, exs = oaf.all_features(c["id"], bbox=",".join(map(str, box)),
                                       datetime=f"../{mid}")
        for f in got:
            fb = geometry_bbox(f.get("geometry"))
            t = parse_rfc3339((f.get("properties") or {}).get(prop)) if prop else None
            ok = (fb is None or bbox_intersects(fb, box)) and (t is None or t <= parse_rfc3339(mid))
            expect(ok, f"bbox+datetime on {c['id']} returned a feature that was not selected",
                   expected=f"features in {list(box)} with {prop or 'time'} <= {mid}",
                   actual={"id": f.get("id"), "bbox": fb, prop or "time": t and t.isoformat()},
                   evidence=exs)
        return
    raise NotApplicable("no sampled collection declares both a spatial and a temporal extent",
                        evidence=oaf.collections_ex())
