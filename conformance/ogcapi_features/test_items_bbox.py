"""Clause 7.15.3 Parameter bbox."""

from oupcheck.verdicts import NotApplicable, expect

from .api import requirement
from .checks import bbox_contains, bbox_intersects, collection_extent, geometry_bbox, quarter_box


def _spatial(oaf):
    for c in oaf.sample_collections():
        bboxes, _ = collection_extent(c)
        if bboxes and len(bboxes[0]) == 4:
            return c, bboxes[0]
    raise NotApplicable("no sampled collection declares a 2D spatial extent",
                        evidence=oaf.collections_ex())


@requirement("/req/core/fc-bbox-definition")
def test_bbox_parameter_supported(oaf):
    c, b = _spatial(oaf)
    q = quarter_box(b)
    for value in (",".join(map(str, q)), ",".join(map(str, (q[0], q[1], -10000, q[2], q[3], 10000)))):
        ex = oaf.items(c["id"], bbox=value)
        expect(ex.status == 200, f"bbox={value} is not accepted", expected=200, actual=ex.status,
               evidence=ex)


@requirement("/req/core/fc-bbox-response")
def test_bbox_selects_intersecting_features(oaf):
    c, b = _spatial(oaf)
    q = quarter_box(b)
    selected, _, exs = oaf.all_features(c["id"], bbox=",".join(map(str, q)))
    ids = set()
    for f in selected:
        ids.add(str(f.get("id")))
        fb = geometry_bbox(f.get("geometry"))
        expect(fb is None or bbox_intersects(fb, q),
               f"bbox query on {c['id']} returned a feature that does not intersect the box",
               expected=f"intersects {list(q)}", actual={"id": f.get("id"), "bbox": fb},
               evidence=exs)
    everything, complete, all_exs = oaf.all_features(c["id"])
    for f in everything:
        fb = geometry_bbox(f.get("geometry"))
        inside = fb is None or bbox_contains(list(q), fb)
        expect(not inside or str(f.get("id")) in ids,
               f"bbox query on {c['id']} left out a feature that lies inside the box",
               expected=f"feature {f.get('id')} selected", actual=f"{len(ids)} features selected",
               evidence=exs[:1] + all_exs[-1:])
