"""Clause 7.15.3 Parameter bbox."""

from oupcheck.verdicts import NotApplicable, expect

from .api import requirement
from .checks import bbox_contains, bbox_intersects, geometry_bbox


def _spatial(oaf):
    for c in oaf.sample_collections():
        ext = ((c.get("extent") or {}).get("spatial") or {}).get("bbox") or []
        if ext and isinstance(ext[0], list) and len(ext[0]) == 4:
            return c, ext[0]
    raise NotApplicable("no sampled collection declares a 2D spatial extent",
                        evidence=oaf.collections_ex())


def _query_box(b):
    """The south-west quarter of the extent: selects some features, not all."""
    return (b[0], b[1], b[0] + (b[2] - b[0]) / 2, b[1] + (b[3] - b[1]) / 2)


@requirement("/req/core/fc-bbox-definition")
def test_bbox_parameter_supported(oaf):
    c, b = _spatial(oaf)
    q = _query_box(b)
    for value in (",".join(map(str, q)), ",".join(map(str, (q[0], q[1], -10000, q[2], q[3], 10000)))):
        ex = oaf.items(c["id"], bbox=value)
        expect(ex.status == 200, f"bbox={value} is not accepted", expected=200, actual=ex.status,
               evidence=ex)


@requirement("/req/core/fc-bbox-response")
def test_bbox_selects_intersecting_features(oaf):
    c, b = _spatial(oaf)
    q = _query_box(b)
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
