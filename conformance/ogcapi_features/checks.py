"""Pure checks over documents and exchanges: no network, raise CheckFailed.

Kept apart from the probes so they can be unit-tested on recorded exchanges.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable
from urllib.parse import urljoin

from oupcheck.evidence import Exchange
from oupcheck.verdicts import CheckFailed, Judgement, Verdict, expect

from .api import links, rel

# OGC 17-069r4 7.5.1, Table 2 "Typical HTTP status codes" (200, 400 and 404 are called out in
# requirements, so their support is mandatory; a 5xx says the server erred, RFC 7231 6.6)
STATUS_TABLE = {
    200: "a successful request",
    304: "an entity tag was provided in the request and the resource has not changed",
    400: "the server cannot or will not process the request due to an apparent client error "
         "(e.g. a query parameter had an incorrect value)",
    401: "the request requires user authentication",
    403: "the server refuses to fulfil the request (not authorised)",
    404: "the requested resource does not exist on the server (e.g. a path parameter had an "
         "incorrect value)",
    405: "the request method is not supported",
    406: "content negotiation failed",
    500: "an internal error occurred in the server",
}


def status_text(status: int | None) -> str:
    """``HTTP 500 (an internal error occurred in the server)``: the status with its meaning in
    the standard's table, or its HTTP class."""
    if status is None:
        return "no HTTP status"
    meaning = STATUS_TABLE.get(status)
    if meaning is None:
        meaning = {2: "success", 3: "redirection", 4: "a client error",
                   5: "a server error: the server says it erred"}.get(status // 100, "unknown")
    return f"HTTP {status} ({meaning})"


def server_error(status: int | None) -> bool:
    return status is not None and 500 <= status < 600


# -- schemas (OGC OpenAPI 3.0 building blocks) --------------------------------------------------

def validate_ogc_schema(doc: Any, name: str, data: Any, ex: Exchange) -> None:
    """Validate ``doc`` against one of the OGC schema files (e.g. landingPage.yaml)."""
    from openapi_schema_validator import OAS30Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    def retrieve(uri: str) -> Resource:
        return Resource.from_contents(data.document(uri), default_specification=DRAFT4)

    url = data.url("ogc-features-schemas", name)
    schema = data.document(url)
    registry = Registry(retrieve=retrieve)
    validator = OAS30Validator({"$ref": url}, registry=registry)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        where = "/" + "/".join(str(p) for p in err.absolute_path)
        raise CheckFailed(f"response does not match {name} at {where}: {err.message[:200]}",
                          expected=f"a document valid against {name}",
                          actual=f"{where}: {err.message[:200]}", evidence=ex)
    del schema


# -- links ------------------------------------------------------------------------------------

def require_rel(doc: Any, relation: str, ex: Exchange, what: str) -> list[dict[str, Any]]:
    found = rel(doc, relation)
    expect(found, f"{what}: no link with rel={relation}", expected=f"a link rel={relation}",
           actual=sorted({str(lk.get('rel')) for lk in links(doc)}), evidence=ex)
    return found


def links_have_rel_and_type(items: Iterable[dict[str, Any]], ex: Exchange, what: str) -> None:
    for lk in items:
        missing = [k for k in ("rel", "type") if not lk.get(k)]
        expect(not missing, f"{what}: a link lacks {' and '.join(missing)}",
               expected="every link has rel and type", actual=lk, evidence=ex)


def alternate_covers(doc: Any, ex: Exchange, supported: set[str], what: str) -> None:
    """self + alternate links together cover every other media type the server supports."""
    own = {(lk.get("type") or "").split(";")[0].strip().lower() for lk in rel(doc, "self")}
    alts = {(lk.get("type") or "").split(";")[0].strip().lower() for lk in rel(doc, "alternate")}
    needed = {m for m in supported if m not in own}
    missing = sorted(needed - alts)
    expect(not missing, f"{what}: no rel=alternate link for {', '.join(missing)}",
           expected=f"alternate links for {sorted(needed)}", actual=sorted(alts), evidence=ex)


# -- GeoJSON (RFC 7946) -------------------------------------------------------------------------

GEOMETRY_TYPES = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon",
                  "MultiPolygon", "GeometryCollection"}


def _position(p: Any, path: str) -> None:
    if not (isinstance(p, list) and 2 <= len(p) <= 3
            and all(isinstance(c, (int, float)) and not isinstance(c, bool) and math.isfinite(c)
                    for c in p)):
        raise ValueError(f"{path}: a position is 2 or 3 numbers, got {p!r}"[:200])


def _ring(r: Any, path: str) -> None:
    if not isinstance(r, list) or len(r) < 4:
        raise ValueError(f"{path}: a linear ring has at least 4 positions")
    for i, p in enumerate(r):
        _position(p, f"{path}/{i}")
    if r[0] != r[-1]:
        raise ValueError(f"{path}: a linear ring is closed (first == last position)")


def geometry_problem(g: Any, path: str = "geometry") -> str | None:
    """RFC 7946 3.1 structure of a geometry; None when valid."""
    try:
        if g is None:
            return None
        if not isinstance(g, dict) or g.get("type") not in GEOMETRY_TYPES:
            return f"{path}: not a GeoJSON geometry (type {g.get('type') if isinstance(g, dict) else g!r})"
        t = g["type"]
        if t == "GeometryCollection":
            gs = g.get("geometries")
            if not isinstance(gs, list):
                return f"{path}: GeometryCollection needs 'geometries'"
            for i, sub in enumerate(gs):
                prob = geometry_problem(sub, f"{path}/geometries/{i}")
                if prob:
                    return prob
            return None
        c = g.get("coordinates")
        if t == "Point":
            _position(c, path + "/coordinates")
        elif t in ("MultiPoint", "LineString"):
            if not isinstance(c, list) or (t == "LineString" and len(c) < 2):
                raise ValueError(f"{path}: {t} needs a list of positions (LineString: 2+)")
            for i, p in enumerate(c):
                _position(p, f"{path}/coordinates/{i}")
        elif t == "MultiLineString":
            for i, line in enumerate(c if isinstance(c, list) else [None]):
                if not isinstance(line, list) or len(line) < 2:
                    raise ValueError(f"{path}/coordinates/{i}: a line has 2+ positions")
                for j, p in enumerate(line):
                    _position(p, f"{path}/coordinates/{i}/{j}")
        elif t == "Polygon":
            if not isinstance(c, list) or not c:
                raise ValueError(f"{path}: Polygon needs at least one ring")
            for i, r in enumerate(c):
                _ring(r, f"{path}/coordinates/{i}")
        elif t == "MultiPolygon":
            if not isinstance(c, list):
                raise ValueError(f"{path}: MultiPolygon needs a list of polygons")
            for i, poly in enumerate(c):
                if not isinstance(poly, list) or not poly:
                    raise ValueError(f"{path}/coordinates/{i}: a polygon needs rings")
                for j, r in enumerate(poly):
                    _ring(r, f"{path}/coordinates/{i}/{j}")
    except ValueError as exc:
        return str(exc)
    return None


def feature_problem(f: Any, path: str = "") -> str | None:
    if not isinstance(f, dict) or f.get("type") != "Feature":
        return f"{path or '/'}: not a GeoJSON Feature (type {f.get('type') if isinstance(f, dict) else type(f).__name__})"
    if "geometry" not in f:
        return f"{path}/geometry: member is required (may be null)"
    if "properties" not in f or not (f["properties"] is None or isinstance(f["properties"], dict)):
        return f"{path}/properties: member is required, an object or null"
    if "id" in f and not isinstance(f["id"], (str, int, float)):
        return f"{path}/id: must be a string or a number"
    return geometry_problem(f["geometry"], f"{path}/geometry")


def feature_collection_problem(doc: Any) -> str | None:
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        return f"/: not a GeoJSON FeatureCollection (type {doc.get('type') if isinstance(doc, dict) else type(doc).__name__})"
    feats = doc.get("features")
    if not isinstance(feats, list):
        return "/features: member is required and must be an array"
    for i, f in enumerate(feats):
        prob = feature_problem(f, f"/features/{i}")
        if prob:
            return prob
    return None


def positions(g: Any) -> Iterable[list[float]]:
    if not isinstance(g, dict):
        return
    if g.get("type") == "GeometryCollection":
        for sub in g.get("geometries") or []:
            yield from positions(sub)
        return

    def walk(c: Any) -> Iterable[list[float]]:
        if isinstance(c, list) and c and isinstance(c[0], (int, float)):
            yield c
        elif isinstance(c, list):
            for x in c:
                yield from walk(x)
    yield from walk(g.get("coordinates"))


def geometry_bbox(g: Any) -> tuple[float, float, float, float] | None:
    pts = list(positions(g))
    if not pts:
        return None
    xs = [p[0] for p in pts]
    ys = [p[1] for p in pts]
    return min(xs), min(ys), max(xs), max(ys)


def bbox_intersects(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return not (a[2] < b[0] or b[2] < a[0] or a[3] < b[1] or b[3] < a[1])


def bbox_contains(outer: list[float], inner: tuple[float, ...], eps: float = 1e-9) -> bool:
    if len(outer) == 6:
        outer = [outer[0], outer[1], outer[3], outer[4]]
    minx, miny, maxx, maxy = outer[:4]
    if minx > maxx:  # crosses the antimeridian
        in_x = inner[0] >= minx - eps or inner[2] <= maxx + eps
    else:
        in_x = inner[0] >= minx - eps and inner[2] <= maxx + eps
    return in_x and inner[1] >= miny - eps and inner[3] <= maxy + eps


# -- collection extents -------------------------------------------------------------------

def collection_extent(c: dict[str, Any]) -> tuple[list[list[float]], list[list[Any]]]:
    """The well-formed bounding boxes and time intervals of a collection's extent."""
    ext = c.get("extent") or {}
    bboxes = ((ext.get("spatial") or {}).get("bbox")) or []
    intervals = ((ext.get("temporal") or {}).get("interval")) or []
    return ([b for b in bboxes if isinstance(b, list) and len(b) in (4, 6)],
            [i for i in intervals if isinstance(i, list) and len(i) == 2])


def quarter_box(b: list[float]) -> tuple[float, float, float, float]:
    """The south-west quarter of a 2D box: selects some features, not all."""
    return (b[0], b[1], b[0] + (b[2] - b[0]) / 2, b[1] + (b[3] - b[1]) / 2)


# -- time ------------------------------------------------------------------------------------

def rfc3339(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value or value == "..":
        return None
    v = value.strip().replace("z", "Z")
    if v.endswith("Z"):
        v = v[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(v)
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def temporal_property(features: list[dict[str, Any]], begin: datetime, end: datetime,
                      slack: timedelta | None = timedelta(days=1)) -> str | None:
    """The one property that holds a date-time in every feature (within the interval widened by
    ``slack``; any value when ``slack`` is None), or None when there is not exactly one."""
    names: set[str] | None = None
    for f in features:
        props = f.get("properties") or {}
        mine = set()
        for k, v in props.items():
            dt = parse_rfc3339(v) if isinstance(v, str) and len(v) > 10 else None
            if dt is not None and (slack is None or begin - slack <= dt <= end + slack):
                mine.add(k)
        names = mine if names is None else names & mine
    return next(iter(names)) if names and len(names) == 1 else None


def resolve(ex: Exchange, href: str) -> str:
    return urljoin(ex.url, href)


# -- /req/core/fc-bbox-response: a pure judge over the recorded scans -----------------------

def box_around(boxes: Iterable[tuple[float, ...] | None]) -> list[float] | None:
    """The box around the features' bounding boxes (None when no feature has a geometry)."""
    known = [fb for fb in boxes if fb]
    if not known:
        return None
    return [min(x[0] for x in known), min(x[1] for x in known),
            max(x[2] for x in known), max(x[3] for x in known)]


def quarters(b: list[float]) -> list[tuple[float, float, float, float]]:
    w, s, e, n = b
    mx, my = w + (e - w) / 2, s + (n - s) / 2
    return [(w, s, mx, my), (mx, s, e, my), (w, my, mx, n), (mx, my, e, n)]


def separating_box(b: list[float], boxes: dict[str, Any]) -> tuple[float, ...] | None:
    """A quarter of ``b`` that holds some of the features read and leaves out others (the
    lower-left one first, as /conf/core/fc-bbox-response's own example); None when none
    does. A box that selects nothing, or everything, proves nothing."""
    for cand in [quarter_box(b)] + quarters(b)[1:]:
        inside = [i for i, fb in boxes.items() if fb and bbox_contains(list(cand), fb)]
        outside = [i for i, fb in boxes.items() if fb and not bbox_intersects(fb, cand)]
        if inside and outside:
            return cand
    return None


def judge_bbox_selection(cid: str, box: tuple[float, ...], boxes: dict[str, Any],
                         selected: list[dict[str, Any]], complete: bool, *, shown: str,
                         source: str, selected_ev: list[Exchange],
                         everything_ev: list[Exchange], why_incomplete: str = "") -> Judgement:
    """OGC 17-069r4 /req/core/fc-bbox-response A and C over recorded scans: every feature of
    the box's selection intersects the box (A); every feature read that lies inside the box,
    or has no geometry, is selected (C; judged only when the selection was read to its end).
    ``boxes``: id -> bounding box (None: no geometry) of every feature of the collection read;
    ``shown``: the bbox value as sent. INCONCLUSIVE: the selection was not read to its end."""
    returned = len(selected)
    ids, applied = set(), 0
    for f in selected:
        ids.add(str(f.get("id")))
        fb = geometry_bbox(f.get("geometry"))
        applied += 1
        if not (fb is None or bbox_intersects(fb, box)):
            return Judgement(Verdict.FAIL, f"bbox query on {cid} returned a feature that does "
                             "not intersect the box", expected=f"intersects {list(box)}",
                             actual={"id": f.get("id"), "bbox": fb}, evidence=selected_ev,
                             assertions=applied)
    counted = [("features returned for the box", returned)]
    if not complete:
        return Judgement(Verdict.INCONCLUSIVE, f"{cid}: features inside the box were not "
                         f"compared: the box's selection was not read to its end "
                         f"({why_incomplete})", counted=counted, assertions=applied)
    must = [i for i, fb in boxes.items() if fb is None or bbox_contains(list(box), fb)]
    for fid in must:
        applied += 1
        if fid not in ids:
            return Judgement(
                Verdict.FAIL, f"bbox query on {cid} left out a feature that lies inside the box"
                if boxes[fid] else f"bbox query on {cid} left out a feature without a geometry "
                "(C: the bbox parameter SHALL match those too)",
                expected=f"feature {fid} selected", actual=f"{len(ids)} features selected",
                evidence=selected_ev[:1] + everything_ev[-1:], counted=counted,
                assertions=applied)
    return Judgement(Verdict.PASS, f"met: bbox {shown} (a quarter of {source}) on {cid} "
                     f"returned {returned} features, all intersecting it, including the "
                     f"{len(must)} of {len(boxes)} features read that lie inside it",
                     counted=counted + [("features inside the box", len(must))],
                     assertions=applied)


# -- /req/core/fc-time-response: a pure judge over the recorded scans -----------------------

def judge_interval_selection(cid: str, query: str, prop: str, when: dict[str, Any],
                             keep: Any, selected: list[dict[str, Any]], complete: bool, *,
                             selected_ev: list[Exchange],
                             everything_ev: list[Exchange]) -> Judgement:
    """OGC 17-069r4 /req/core/fc-time-response over recorded scans, for one datetime
    ``query``: only features whose ``prop`` lies in the interval are returned (A), and, when
    both the collection and the selection were read to their end, every feature that lies in
    it or has no temporal value is (C). ``when``: id -> the datetime of every feature read
    (None: no value); ``keep``: is a datetime in the interval. PASS says nothing of its own:
    the check goes on to its next query."""
    got_ids = {str(f.get("id")) for f in selected}
    wrong = sorted(i for i in got_ids if when.get(i) and not keep(when[i]))
    counted = [("features returned", len(selected))]
    if wrong:
        return Judgement(Verdict.FAIL, f"datetime={query} on {cid} returned features outside "
                         f"the interval (by their '{prop}')",
                         expected=f"only features with {prop} in {query}", actual=wrong[:5],
                         evidence=selected_ev, assertions=1)
    if not complete:
        return Judgement(Verdict.PASS, "", counted=counted, assertions=1)
    must = [i for i, t in when.items() if not t or keep(t)]
    left_out = sorted(i for i in must if i not in got_ids)
    if left_out:
        return Judgement(Verdict.FAIL, f"datetime={query} on {cid} left out matching features",
                         expected=f"all features with {prop} in {query} (and those without "
                                  f"{prop})", actual=left_out[:5],
                         evidence=selected_ev + everything_ev[-1:], counted=counted,
                         assertions=2)
    return Judgement(Verdict.PASS, "", counted=counted + [("features that must be selected",
                                                           len(must))], assertions=2)
