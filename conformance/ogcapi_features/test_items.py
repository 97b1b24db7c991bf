"""Clause 7.15 Features (/collections/{collectionId}/items): response, links, counts, CRS84."""

from datetime import datetime, timezone

from oupcheck.marks import requirement
from oupcheck.verdicts import Inconclusive, NotApplicable, expect, judged

from .api import GEOJSON, HTML, CONF, is_feature_collection
from .checks import (alternate_covers, bbox_intersects, collection_extent, geometry_bbox,
                     links_have_rel_and_type, parse_rfc3339, positions, quarter_box,
                     require_rel, rfc3339, status_text, temporal_property)


@requirement("/req/core/fc-op")
def test_items_supports_get(oaf):
    # abstract test /conf/core/fc-op: "Validate that a document was returned with a status code
    # 200" and its content (/conf/core/fc-response): here, that it is a FeatureCollection
    cols = oaf.sample_collections()
    oaf.each(lambda c: oaf.items(c["id"]), cols)  # probe; the judge reads what was read
    for c in cols:
        ex = oaf.items(c["id"])
        expect(ex.status == 200, f"GET /collections/{c['id']}/items is not supported: "
               f"{status_text(ex.status)}", expected="HTTP 200 with a FeatureCollection",
               actual=ex.status, evidence=ex)
        oaf.items_doc(c["id"], pre=False)


@requirement("/req/core/fc-links")
def test_items_self_and_alternate(oaf, oup_run):
    supported = {GEOJSON} | ({HTML} if oup_run.claimed(CONF + "html") else set())
    cols = oaf.sample_collections()
    oaf.each(lambda c: oaf.items(c["id"], limit=2), cols)
    for c in cols:
        ex, doc = oaf.items_doc(c["id"], limit=2)
        require_rel(doc, "self", ex, f"items of {c['id']}")
        alternate_covers(doc, ex, supported, f"items of {c['id']}")


@requirement("/req/core/fc-rel-type")
def test_items_links_have_rel_and_type(oaf):
    n = 0
    cols = oaf.sample_collections()
    oaf.each(lambda c: oaf.items(c["id"], limit=2), cols)
    for c in cols:
        ex, doc = oaf.items_doc(c["id"], limit=2)
        lks = doc.get("links", []) if isinstance(doc.get("links"), list) else []
        links_have_rel_and_type(lks, ex, f"items of {c['id']}")
        n += len(lks)
    judged("links", n)


@requirement("/req/core/fc-timeStamp")
def test_timestamp_is_generation_time(oaf):
    tol = oaf.p("timestamp_tolerance_s", 300)
    seen = 0
    cols = oaf.sample_collections()
    oaf.each(lambda c: oaf.items(c["id"], limit=1), cols)
    for c in cols:
        ex, doc = oaf.items_doc(c["id"], limit=1)
        # the time of the exchange as recorded: the same verdict when the run is judged again
        before = ex.at().timestamp()
        after = before + (ex.elapsed_ms or 0) / 1000
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
        raise NotApplicable("responses do not include timeStamp (it is optional: 'If a property "
                            "timeStamp is included')")


def _count(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _selections(c):
    """The whole collection, and a quarter of its extent when it declares a box."""
    selections = [{}]
    bboxes, _ = collection_extent(c)
    if bboxes and len(bboxes[0]) == 4:
        selections.append({"bbox": ",".join(str(v) for v in quarter_box(bboxes[0]))})
    return selections


@requirement("/req/core/fc-numberMatched")
def test_number_matched_is_total(oaf):
    """numberMatched against the features read by following rel=next to the end, as the
    abstract test /conf/core/fc-numberMatched (and the OGC ETS) does. Only a scan that reached
    a page without rel=next and returned no feature twice is compared; more distinct features
    than numberMatched refutes it on any scan."""
    present, compared, undecided = 0, 0, []
    cols = oaf.sample_collections()
    chosen = [(c, _selections(c)) for c in cols]
    oaf.prefetch_scans([(c["id"], params) for c, sel in chosen for params in sel])
    for c, selections in chosen:
        for params in selections:
            scan = oaf.scan(c["id"], **params)
            first_ex, first = scan.pages[0]
            if "numberMatched" not in first:
                continue
            present += 1
            nm = first["numberMatched"]
            what = f"numberMatched of {c['id']}" + (f" with bbox={params['bbox']}" if params else "")
            expect(_count(nm), f"{what} is not a non-negative integer", expected="integer >= 0",
                   actual=nm, evidence=first_ex)
            ids = scan.ids()
            dupes = len(ids) - len(set(ids))
            n = len(scan.features)
            if not dupes:
                expect(n <= nm, f"{what} is {nm}, but {n} distinct features of that selection "
                       "were returned", expected=f">= {n}", actual=nm, evidence=scan.exchanges)
            if not scan.complete:
                undecided.append(f"{what}: {scan.why_incomplete()}")
                continue
            if dupes:
                undecided.append(f"{what}: paging returned {dupes} feature(s) twice, so the "
                                 "features read do not count the selection (judged by "
                                 "/rec/core/fc-next-2)")
                continue
            expect(nm == n, f"{what} is not the number of matching features: following rel=next "
                   f"to the last page returned {n}", expected=n, actual=nm, evidence=scan.exchanges)
            compared += 1
            judged("selections counted", 1)
    if not present:
        raise NotApplicable("responses do not include numberMatched (a server 'MAY omit this "
                            "information')")
    if not compared:
        raise Inconclusive("numberMatched is present but no selection was counted to its end: "
                           + "; ".join(undecided[:3]),
                           decide="raise max_features_scan in a derived profile, or give the "
                                  "target a smaller collection")


@requirement("/req/core/fc-numberReturned")
def test_number_returned_is_page_size(oaf):
    seen = 0
    cols = oaf.sample_collections()
    oaf.prefetch_scans([(c["id"], {}) for c in cols])
    for c in cols:
        for ex, doc in oaf.scan(c["id"]).pages:
            if "numberReturned" in doc:
                seen += 1
                n = len(doc.get("features") or [])
                expect(doc["numberReturned"] == n and _count(doc["numberReturned"]),
                       f"numberReturned of {c['id']} is {doc['numberReturned']!r}, but the "
                       f"response holds {n} features",
                       expected=n, actual=doc["numberReturned"], evidence=ex)
    if not seen:
        raise NotApplicable("responses do not include numberReturned (a server 'MAY omit this "
                            "information')")
    judged("pages", seen)


@requirement("/req/core/crs84")
def test_coordinates_in_crs84(oaf):
    n = 0
    cols = oaf.sample_collections()
    oaf.each(lambda c: oaf.items(c["id"], limit=oaf.p("page_limit", 10)), cols)
    for c in cols:
        ex, doc = oaf.items_doc(c["id"], limit=oaf.p("page_limit", 10))
        for f in doc.get("features") or []:
            for p in positions((f or {}).get("geometry") if isinstance(f, dict) else None):
                n += 1
                ok = len(p) >= 2 and -180 <= p[0] <= 180 and -90 <= p[1] <= 90
                expect(ok, f"feature {f.get('id')} of {c['id']} has a position outside "
                       "WGS 84 longitude/latitude", expected="lon in [-180,180], lat in [-90,90]",
                       actual=p, evidence=ex)
    judged("positions", n)
    if not n:
        raise Inconclusive("the sampled collections returned no geometry: there is no "
                           "coordinate to judge")


@requirement("/req/core/fc-response")
def test_only_selected_features(oaf):
    """A: a successful request is answered 200 (with a FeatureCollection, abstract test
    /conf/core/fc-response). B: bbox and datetime together return only features both select;
    judged on a selection that excludes some of the features read, and returns some."""
    cols = oaf.sample_collections()
    oaf.each(lambda c: oaf.items(c["id"]), cols)
    # B, probe: for each collection with a 2D box and a bounded interval, the collection as
    # read and its selection by the west half of the box and the first half of the interval
    why, chosen = [], []
    for c in cols:
        bboxes, intervals = collection_extent(c)
        if not (bboxes and len(bboxes[0]) == 4 and intervals):
            why.append(f"{c['id']}: no 2D spatial and temporal extent")
            continue
        b, e = parse_rfc3339(intervals[0][0]), parse_rfc3339(intervals[0][1])
        if not (b and e):
            why.append(f"{c['id']}: the temporal extent is not bounded")
            continue
        bb = bboxes[0]
        mid = b + (e - b) / 2
        box = (bb[0], bb[1], (bb[0] + bb[2]) / 2, bb[3])
        chosen.append((c, b, e, mid, box, {"bbox": ",".join(map(str, box)),
                                           "datetime": f"../{rfc3339(mid)}"}))
    oaf.prefetch_scans([(c["id"], params) for c, *_, sel in chosen for params in ({}, sel)])
    # A, judge
    for c in cols:
        ex = oaf.items(c["id"])
        expect(ex.status == 200, f"items of {c['id']}: {status_text(ex.status)}, not 200",
               expected=200, actual=ex.status, evidence=ex)
        doc = oaf.ok_json(ex, f"items of {c['id']}")
        expect(is_feature_collection(doc), f"items of {c['id']} are not a FeatureCollection",
               expected="type FeatureCollection with a features array",
               actual={"type": doc.get("type"), "features": type(doc.get("features")).__name__},
               evidence=ex)
    # B, judge: in order, the first collection whose selection decides it
    for c, b, e, mid, box, sel in chosen:
        everything = oaf.scan(c["id"])
        prop = temporal_property(everything.features, b, e)

        def selected(f):
            fb = geometry_bbox(f.get("geometry"))
            t = parse_rfc3339((f.get("properties") or {}).get(prop)) if prop else None
            return (fb is None or bbox_intersects(fb, box)) and (t is None or t <= mid)

        excluded = [f for f in everything.features if not selected(f)]
        got = oaf.scan(c["id"], **sel)
        for f in got.features:
            fb = geometry_bbox(f.get("geometry"))
            t = parse_rfc3339((f.get("properties") or {}).get(prop)) if prop else None
            expect(selected(f), f"bbox+datetime on {c['id']} returned a feature that was not selected",
                   expected=f"features in {list(box)} with {prop or 'time'} <= {rfc3339(mid)}",
                   actual={"id": f.get("id"), "bbox": fb, prop or "time": t and t.isoformat()},
                   evidence=got.exchanges)
        if not excluded or not got.features:
            why.append(f"{c['id']}: the selection (west half, {prop or 'time'} <= {rfc3339(mid)}) "
                       + ("excludes none of the features read" if not excluded else
                          "returned no feature"))
            continue
        judged("selected features", len(got.features))
        return
    raise Inconclusive("A held (200 with a FeatureCollection) but B (only selected features) "
                       "could not be judged: " + "; ".join(why[:3]),
                       evidence=oaf.collections_ex(),
                       decide="give a collection a spatial and a bounded temporal extent and "
                              "features on both sides of them")
