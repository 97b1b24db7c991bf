"""Clause 7.15.3 Parameter bbox."""

from oupcheck.marks import requirement
from oupcheck.verdicts import Inconclusive, Verdict, judged, settle, tally

from .checks import (box_around, collection_extent, geometry_bbox, judge_bbox_selection,
                     quarter_box, separating_box)

WORLD = (-180.0, -90.0, 180.0, 90.0)


def _fmt(values) -> str:
    """Exact: the box sent is the box the features are compared with."""
    return ",".join(str(v) for v in values)


@requirement("/req/core/fc-bbox-definition")
def test_bbox_parameter_supported(oaf):
    """The operation supports bbox on every sampled collection. Its abstract test
    (/conf/core/fc-bbox-definition): "Use a bounding box with four numbers in all requests, if
    the collection has spatial geometries in 2D ... with six numbers ... if the collection has
    spatial geometries in 3D"; the number of values depends "on whether the coordinate
    reference system includes a vertical axis" (B). So a collection whose extent is 2D (or not
    given) is asked with four numbers (CRS84), one with a 3D extent also with six (CRS84h)."""
    n, kinds, asks = 0, set(), []
    for c in oaf.sample_collections():
        bboxes, _ = collection_extent(c)
        b = bboxes[0] if bboxes else None
        values = []
        if b is None:
            values.append(("4 numbers, no extent declared: the whole world", _fmt(WORLD)))
        elif len(b) == 4:
            values.append(("4 numbers", _fmt(quarter_box(b))))
        else:
            flat = [b[0], b[1], b[3], b[4]]
            q = quarter_box(flat)
            values.append(("4 numbers", _fmt(q)))
            values.append(("6 numbers (the extent is 3D)", _fmt((q[0], q[1], b[2], q[2], q[3], b[5]))))
        asks += [(c, kind, value) for kind, value in values]
    oaf.each(lambda ask: oaf.items(ask[0]["id"], bbox=ask[2]), asks)  # probe, then judge
    for c, kind, value in asks:
        oaf.selection_answered(oaf.items(c["id"], bbox=value), c["id"], f"with bbox={value}",
                               f"bbox={value} ({kind}) on {c['id']} is not accepted",
                               label="with bbox")
        n += 1
        kinds.add(kind.split(" (")[0].split(",")[0])
    judged("bbox requests", n)
    oaf.run.observe(f"met: {n} bbox requests answered 200 ({', '.join(sorted(kinds))}); six "
                    "numbers are sent only to collections with a 3D extent, as the abstract test "
                    "says")


def _box_source(oaf):
    """Collections with a 2D box to cut: the (2D part of the) extent, else the box around
    their features. Yields (collection, box, where the box comes from)."""
    for c in oaf.sample_collections():
        bboxes, _ = collection_extent(c)
        if bboxes:
            b = bboxes[0]
            yield c, (list(b) if len(b) == 4 else [b[0], b[1], b[3], b[4]]), "its extent"
        else:
            yield c, None, "its features"


@requirement("/req/core/fc-bbox-response")
def test_bbox_selects_intersecting_features(oaf):
    """A: only features whose geometry intersects the box are returned; C: the bbox matches the
    features without a geometry too, and those inside it (a feature whose bounding box lies in
    the box intersects it). A box that selects nothing, or everything, proves nothing: the box
    is a quarter of the collection's extent that holds some of the features read and leaves
    out others."""
    why = []
    for c, b, source in _box_source(oaf):
        # probe: the collection as read, and the selection of a box that separates it
        everything = oaf.scan(c["id"])
        boxes = {str(f.get("id")): geometry_bbox(f.get("geometry")) for f in everything.features}
        if b is None:
            b = box_around(boxes.values())
            if b is None:
                why.append(f"{c['id']}: no extent and no feature with a geometry")
                continue
        q = separating_box(b, boxes)
        if q is None:
            why.append(f"{c['id']}: no quarter of {source} {list(b)} holds some of the "
                       f"{len(boxes)} features read and leaves out others")
            continue
        selected = oaf.scan(c["id"], bbox=_fmt(q))
        # judge: a pure function of the two recorded scans
        verdict = judge_bbox_selection(
            c["id"], q, boxes, selected.features, selected.complete, shown=_fmt(q),
            source=source, selected_ev=selected.exchanges, everything_ev=everything.exchanges,
            why_incomplete=selected.why_incomplete())
        if verdict.verdict is Verdict.INCONCLUSIVE:  # another collection may still decide it
            tally(verdict)
            why.append(verdict.message)
            continue
        settle(verdict, oaf.run.observe)
        return
    raise Inconclusive("no sampled collection gave a box that separates its features, so bbox "
                       "filtering could not be shown: " + "; ".join(why[:3]),
                       evidence=oaf.collections_ex(),
                       decide="give a collection features spread over its extent (or raise "
                              "max_features_scan)")
