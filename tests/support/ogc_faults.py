"""Faults for the OGC API - Features self-tests, in front of real pygeoapi.

Two kinds:
- *repairs*, bundled in the fault ``repaired``: they fix the deviations pygeoapi 0.21 really
  has (see the closing note of issue 2), so that every check can be shown to PASS;
- *breaks*: each breaks exactly one behaviour that a requirement asks for.
Import this module to register them in ``faultproxy.FAULTS``.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlencode

import requests

from .faultproxy import FAULTS, Fault, Request, Response, fault, links_of, request_fault

FEATURE_PATH = r"^/collections/[^/]+/items/[^/]+$"
COLLECTION_PATH = r"^/collections/[^/]+/?$"


def combine(name: str, *parts: str) -> None:
    """Register ``name`` as the faults ``parts`` applied in order."""
    def on_request(req: Request):
        for p in parts:
            hook = FAULTS[p].request
            answer = hook(req) if hook else None
            if answer is not None:
                return answer
        return None

    def on_response(req: Request, resp: Response):
        for p in parts:
            hook = FAULTS[p].response
            new = hook(req, resp) if hook else None
            if new is not None:
                resp = new
        return resp
    FAULTS[name] = Fault(name, request=on_request, response=on_response, doc=" + ".join(parts))


def _json_edit(name: str, path: str | None, edit) -> None:
    """A response fault that edits JSON bodies of paths matching ``path``."""
    def hook(req: Request, resp: Response):
        data = resp.json()
        if data is not None and (path is None or req.match(path)):
            edit(req, data)
            resp.set_json(data)
    FAULTS[name] = Fault(name, response=hook, doc=f"edits JSON of {path}")


def _answer(name: str, path: str, status: int, methods=("GET",)) -> None:
    def hook(req: Request):
        if req.method in methods and req.match(path):
            return Response.exception(status, "Broken", f"fault {name}")
        return None
    FAULTS[name] = Fault(name, request=hook, doc=f"{path} answers {status}")


# -- repairs -----------------------------------------------------------------------------------

@request_fault("bbox-6-to-4")
def _(req: Request) -> None:
    """pygeoapi crashes (500) on a 6-number bbox: forward its 2D part."""
    b = req.param("bbox")
    if b and len(b.split(",")) == 6:
        v = b.split(",")
        req.query["bbox"] = [",".join((v[0], v[1], v[3], v[4]))]


@fault("datetime-out-of-range-empty")
def _(req: Request, resp: Response):
    """pygeoapi rejects a valid datetime outside the extent with 400: answer an empty page."""
    if resp.status == 400 and "out of range" in resp.text:
        return Response.from_json(200, {"type": "FeatureCollection", "features": [],
                                        "numberMatched": 0, "numberReturned": 0,
                                        "links": [{"rel": "self", "type": "application/geo+json",
                                                   "href": req.base + req.path}]},
                                  **{"Content-Type": "application/geo+json"})
    return None


@fault("geojson-media-type")
def _(req: Request, resp: Response) -> None:
    data = resp.json()
    if isinstance(data, dict) and data.get("type") in ("FeatureCollection", "Feature"):
        resp.headers["Content-Type"] = "application/geo+json"


@fault("number-returned-fixed")
def _(req: Request, resp: Response) -> None:
    data = resp.json()
    if isinstance(data, dict) and "numberReturned" in data:
        data["numberReturned"] = len(data.get("features") or [])
        resp.set_json(data)


@fault("html-all-links")
def _(req: Request, resp: Response) -> None:
    """Add an <a> for every link of the JSON representation that the HTML page lacks."""
    if "text/html" not in resp.content_type or resp.status != 200:
        return
    q = {k: v for k, v in req.query.items() if k != "f"}
    q["f"] = ["json"]
    doc = requests.get(req.base + req.path, params=q, timeout=10).json()
    anchors = "".join(f'<a href="{lk["href"]}">{lk.get("rel")}</a> '
                      for lk in doc.get("links", []) if isinstance(lk, dict) and lk.get("href"))
    resp.text = resp.text.replace("</body>", f"<nav>{anchors}</nav></body>", 1)


@fault("etag-and-link-header")
def _(req: Request, resp: Response):
    if resp.status == 200 and req.method in ("GET", "HEAD"):
        tag = '"' + hashlib.sha256(resp.body).hexdigest()[:16] + '"'
        if req.headers.get("If-None-Match") == tag:
            return Response(304, type(resp.headers)({"ETag": tag}))
        resp.headers["ETag"] = tag
    data = resp.json()
    if isinstance(data, dict) and isinstance(data.get("links"), list):
        resp.headers["Link"] = ", ".join(f'<{lk["href"]}>; rel="{lk.get("rel")}"'
                                         for lk in data["links"] if isinstance(lk, dict))
    return None


def _stub_external_refs(node, key=None, path=""):
    """Replace external $refs of the OpenAPI document by local stand-ins of the right kind."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and not ref.startswith("#"):
            return {"description": f"stand-in for {ref}"}
        return {k: _stub_external_refs(v, k, k if key == "paths" else path) for k, v in node.items()}
    if isinstance(node, list):
        if key == "parameters":
            out = []
            for p in node:
                if isinstance(p, dict) and isinstance(p.get("$ref"), str) and not p["$ref"].startswith("#"):
                    name = re.split(r"[/#]", p["$ref"])[-1]
                    if "{" + name + "}" in path:
                        out.append({"name": name, "in": "path", "required": True,
                                    "schema": {"type": "string"}})
                    else:
                        out.append({"name": name, "in": "query", "schema": {"type": "string"}})
                else:
                    out.append(_stub_external_refs(p, None, path))
            return out
        return [_stub_external_refs(v, None, path) for v in node]
    return node


@fault("openapi-self-contained")
def _(req: Request, resp: Response) -> None:
    data = resp.json()
    if req.path.rstrip("/") == "/openapi" and isinstance(data, dict) and "openapi" in data:
        resp.set_json(_stub_external_refs(data), content_type=resp.headers.get("Content-Type"))


@request_fault("bbox-out-of-range-400")
def _(req: Request):
    """pygeoapi answers 200 to a bbox latitude outside [-90, 90] (7.15.3: 'the server will
    return an error, if a latitude value of 160.0 is used'): answer 400."""
    b = req.param("bbox")
    if req.is_items and b:
        try:
            v = [float(x) for x in b.split(",")]
        except ValueError:
            return None
        lats = (v[1], v[3]) if len(v) == 4 else (v[1], v[4]) if len(v) == 6 else ()
        if any(not -90 <= lat <= 90 for lat in lats):
            return Response.exception(400, "InvalidParameterValue", "bbox latitude out of range")
    return None


combine("repaired", "unknown-param-400", "bbox-out-of-range-400", "bbox-6-to-4",
        "datetime-out-of-range-empty",
        "geojson-media-type", "number-returned-fixed", "html-all-links", "etag-and-link-header",
        "openapi-self-contained")


# -- breaks ------------------------------------------------------------------------------------

_answer("root-405", r"^/?$", 405)
_answer("openapi-404", r"^/openapi/?$", 404)
_answer("conformance-404", r"^/conformance/?$", 404)
_answer("collections-405", r"^/collections/?$", 405)
_answer("collection-404", COLLECTION_PATH, 404)
_answer("items-404", r"^/collections/[^/]+/items/?$", 404)
_answer("feature-404", FEATURE_PATH, 404)
_answer("head-405", r".*", 405, methods=("HEAD",))


@fault("feature-203")
def _(req: Request, resp: Response) -> None:
    if req.match(FEATURE_PATH) and resp.status == 200:
        resp.status = 203


@fault("openapi-text-plain")
def _(req: Request, resp: Response) -> None:
    if req.path.rstrip("/") == "/openapi" and "html" not in resp.content_type:
        resp.headers["Content-Type"] = "text/plain"


@fault("collections-no-content-type")
def _(req: Request, resp: Response) -> None:
    if req.path.rstrip("/") == "/collections":
        resp.headers.pop("Content-Type", None)


@request_fault("accept-invalid-values")
def _(req: Request) -> None:
    """Invalid limit/bbox/datetime values are dropped instead of rejected."""
    if req.param("limit") and not (req.param("limit").isdigit() and int(req.param("limit")) > 0):
        req.drop("limit")
    if req.param("bbox") and len(req.param("bbox").split(",")) not in (4, 6):
        req.drop("bbox")


@request_fault("reject-small-limit")
def _(req: Request):
    lim = req.param("limit")
    if req.is_items and lim and lim.isdigit() and int(lim) < 5:
        return Response.exception(400, "InvalidParameterValue", "limit too small")
    return None


for _name, _param in (("ignore-bbox", "bbox"), ("ignore-datetime", "datetime")):
    def _drop(req: Request, _p=_param) -> None:
        if req.is_items:
            req.drop(_p)
    FAULTS[_name] = Fault(_name, request=_drop, doc=f"items ignore {_param}")


def _edit_landing_drop_data(req, d):
    d["links"] = [lk for lk in d.get("links", []) if lk.get("rel") != "data"]


def _edit_conformance(req, d):
    d["conformsTo"] = [c for c in d.get("conformsTo", []) if not c.endswith("ogcapi-features-1/1.0/conf/core")]


def _edit_service_desc_type(req, d):
    for lk in d.get("links", []):
        if lk.get("rel") == "service-desc":
            lk["type"] = "application/json"


def _drop_links(rel_name):
    def edit(req, d):
        for links in links_of(d):
            links[:] = [lk for lk in links if lk.get("rel") != rel_name]
    return edit


def _untyped_link(req, d):
    d.setdefault("links", []).append({"rel": "related", "href": req.base + "/"})


def _dup_collection(req, d):
    if d.get("collections"):
        d["collections"].append(dict(d["collections"][0]))


def _tiny_extent(c):
    if isinstance(c, dict) and (c.get("extent") or {}).get("spatial"):
        b = c["extent"]["spatial"]["bbox"][0]
        c["extent"]["spatial"]["bbox"] = [[b[0], b[1], b[0] + 0.001, b[1] + 0.001]]


def _two_boxes(good):
    def edit(req, d):
        for c in d.get("collections", []) if "collections" in d else [d]:
            sp = (c.get("extent") or {}).get("spatial")
            if sp:
                b = sp["bbox"][0]
                sp["bbox"] = [b, list(b) if good else [b[0], b[1], b[0] + 0.001, b[1] + 0.001]]
    return edit


def _items(edit):
    def hook(req, d):
        if d.get("type") in ("FeatureCollection", "Feature"):
            edit(req, d)
    return hook


def _scale_x(req, d):
    for f in d.get("features", []):
        g = f.get("geometry") or {}
        if g.get("type") == "Point":
            g["coordinates"][0] *= 100


def _next_to_first(req, d):
    for lk in d.get("links", []):
        if lk.get("rel") == "next":
            lk["href"] = re.sub(r"offset=\d+", "offset=0", lk["href"])


def _next_stops(req, d):
    if req.param("offset") not in (None, "0"):
        d["links"] = [lk for lk in d.get("links", []) if lk.get("rel") != "next"]


def _bad_openapi(req, d):
    if "openapi" in d:
        d["paths"] = ["not", "a", "map"]


def _openapi_missing_path(req, d):
    if "openapi" in d:
        d["paths"]["/oupcheck-declared-but-missing"] = {"get": {"responses": {"200": {"description": "x"}}}}


def _openapi_drop_404(req, d):
    if "openapi" in d:
        for item in d.get("paths", {}).values():
            for op in item.values() if isinstance(item, dict) else []:
                if isinstance(op, dict) and isinstance(op.get("responses"), dict):
                    op["responses"].pop("404", None)
                    op["responses"].pop("default", None)


for _n, _p, _e in (
        ("landing-no-data-link", r"^/?$", _edit_landing_drop_data),
        ("conformance-no-core", r"^/conformance/?$", _edit_conformance),
        ("service-desc-wrong-type", r"^/?$", _edit_service_desc_type),
        ("collections-no-links", r"^/collections/?$", lambda r, d: d.pop("links", None)),
        ("collections-untyped-link", r"^/collections/?$", _untyped_link),
        ("collections-duplicate", r"^/collections/?$", _dup_collection),
        ("collections-no-items-links", r"^/collections/?$", _drop_links("items")),
        ("collections-no-license", r"^/collections/?$", _drop_links("license")),
        ("extent-too-small", r"^/collections(/[^/]+)?/?$",
         lambda r, d: [_tiny_extent(c) for c in d.get("collections", [d])]),
        ("extent-two-boxes-good", r"^/collections(/[^/]+)?/?$", _two_boxes(True)),
        ("extent-two-boxes-bad", r"^/collections(/[^/]+)?/?$", _two_boxes(False)),
        ("collection-other-title", COLLECTION_PATH, lambda r, d: d.update(title="Something else")),
        ("items-untyped-link", r"/items/?$", _untyped_link),
        ("items-old-timestamp", r"/items/?$", lambda r, d: d.update(timeStamp="2001-01-01T00:00:00Z")),
        ("items-number-matched-lies", r"/items/?$",
         lambda r, d: d.update(numberMatched=d.get("numberMatched", 0) + 5)),
        ("items-coordinates-out-of-range", r"/items/?$", _items(_scale_x)),
        ("items-no-next", r"/items/?$", _drop_links("next")),
        ("items-next-to-first-page", r"/items/?$", _next_to_first),
        ("items-next-stops-early", r"/items/?$", _next_stops),
        ("feature-no-collection-link", FEATURE_PATH, _drop_links("collection")),
        ("feature-wrong-id", FEATURE_PATH, lambda r, d: d.update(id="not-the-requested-id")),
        ("openapi-invalid", r"^/openapi/?$", _bad_openapi),
        ("openapi-declares-missing-path", r"^/openapi/?$", _openapi_missing_path),
        ("openapi-undeclared-404", r"^/openapi/?$", _openapi_drop_404),
):
    _json_edit(_n, _p, _e)


@fault("no-cors")
def _(req: Request, resp: Response) -> None:
    resp.headers.pop("Access-Control-Allow-Origin", None)


@request_fault("no-html")
def _(req: Request):
    if "text/html" in req.headers.get("Accept", "") or req.param("f") == "html":
        return Response.exception(406, "NotAcceptable", "no HTML here")
    return None


def _auth(documented: bool):
    def on_request(req: Request):
        if not req.headers.get("Authorization") and req.path.rstrip("/") not in ("/openapi",):
            return Response.exception(401, "Unauthorized", "credentials required")
        return None

    def on_response(req: Request, resp: Response):
        data = resp.json()
        if documented and isinstance(data, dict) and "openapi" in data:
            data.setdefault("components", {})["securitySchemes"] = {
                "bearer": {"type": "http", "scheme": "bearer"}}
            resp.set_json(data, content_type=resp.headers.get("Content-Type"))
    return Fault("auth", request=on_request, response=on_response)


FAULTS["auth-undocumented"] = _auth(False)
FAULTS["auth-documented"] = _auth(True)


# -- faults for the judgements of issue 11 (no verdict without an observation; the whole text) ---

def _extents(d):
    """The extent objects of a /collections or /collections/{id} document."""
    for c in d.get("collections", []) if "collections" in d else [d]:
        if isinstance(c, dict) and isinstance(c.get("extent"), dict):
            yield c["extent"]


def _pad_west(req, d):
    """Double every spatial extent westward: still a true extent (it includes every feature),
    but its south-west quarter now holds no feature."""
    for ext in _extents(d):
        sp = ext.get("spatial") or {}
        sp["bbox"] = [[b[0] - (b[2] - b[0])] + list(b[1:]) for b in sp.get("bbox") or []]


def _extent_3d(req, d):
    for ext in _extents(d):
        sp = ext.get("spatial") or {}
        sp["bbox"] = [[b[0], b[1], -100, b[2], b[3], 100] for b in sp.get("bbox") or []]
        sp["crs"] = "http://www.opengis.net/def/crs/OGC/0/CRS84h"


def _drop_temporal(req, d):
    for ext in _extents(d):
        ext.pop("temporal", None)


def _hide_first_collection(req, d):
    if d.get("collections"):
        d["collections"] = d["collections"][1:]


def _drop_geojson_items_links(req, d):
    for c in d.get("collections", []):
        c["links"] = [lk for lk in c.get("links", []) if not (
            lk.get("rel") == "items" and "geo+json" in (lk.get("type") or ""))]


def _license_top_level(req, d):
    moved = []
    for c in d.get("collections", []):
        moved += [lk for lk in c.get("links", []) if lk.get("rel") == "license"]
        c["links"] = [lk for lk in c.get("links", []) if lk.get("rel") != "license"]
    if moved:
        d.setdefault("links", []).append(moved[0])


def _limit_schema_edit(**changes):
    def edit(req, d):
        if "openapi" not in d:
            return
        for path, item in d.get("paths", {}).items():
            if path.endswith("/items") and isinstance(item, dict):
                for prm in item.get("get", {}).get("parameters", []):
                    if isinstance(prm, dict) and prm.get("name") == "limit":
                        prm["schema"].update(changes)
    return edit


def _no_free_form(req, d):
    if "openapi" not in d:
        return
    for item in d.get("paths", {}).values():
        for op in item.values() if isinstance(item, dict) else []:
            if isinstance(op, dict) and isinstance(op.get("parameters"), list):
                op["parameters"] = [prm for prm in op["parameters"]
                                    if "vendorSpecificParameters" not in str(prm)]


def _no_geometry(req, d):
    for f in d.get("features", []) if d.get("type") == "FeatureCollection" else (
            [d] if d.get("type") == "Feature" else []):
        f["geometry"] = None


for _n, _p, _e in (
        ("extent-west-padded", r"^/collections(/[^/]+)?/?$", _pad_west),
        ("extent-3d", r"^/collections(/[^/]+)?/?$", _extent_3d),
        ("drop-temporal-extent", r"^/collections(/[^/]+)?/?$", _drop_temporal),
        ("collections-hide-one", r"^/collections/?$", _hide_first_collection),
        ("collections-no-geojson-items-link", r"^/collections/?$", _drop_geojson_items_links),
        ("license-top-level", r"^/collections/?$", _license_top_level),
        ("openapi-limit-max-5", r"^/openapi/?$", _limit_schema_edit(maximum=5)),
        ("openapi-limit-min-5", r"^/openapi/?$", _limit_schema_edit(minimum=5)),
        ("openapi-no-free-form", r"^/openapi/?$", _no_free_form),
        ("items-no-geometry", r"/items(/[^/]+)?/?$", _no_geometry),
):
    _json_edit(_n, _p, _e)


@request_fault("bbox-answers-empty")
def _(req: Request):
    """Every bbox query is answered with an empty page (the filter selects nothing)."""
    if req.is_items and req.param("bbox"):
        return Response.from_json(200, {"type": "FeatureCollection", "features": [],
                                        "numberReturned": 0, "links": [
                                            {"rel": "self", "type": "application/geo+json",
                                             "href": req.base + req.path}]},
                                  **{"Content-Type": "application/geo+json"})
    return None


@request_fault("bbox-500")
def _(req: Request):
    if req.is_items and req.param("bbox"):
        return Response.exception(500, "InternalError", "bbox not supported")
    return None


@fault("next-forever")
def _(req: Request, resp: Response) -> None:
    """Every items page links a next page, also past the end: paging never ends."""
    data = resp.json()
    if req.is_items and isinstance(data, dict) and data.get("type") == "FeatureCollection":
        if not any(lk.get("rel") == "next" for lk in data.get("links", [])):
            q = {k: v[0] for k, v in req.query.items()}
            limit = int(q.get("limit") or 10)
            q["offset"] = str(int(q.get("offset") or 0) + limit)
            data.setdefault("links", []).append({"rel": "next", "type": "application/geo+json",
                                                 "href": f"{req.base}{req.path}?{urlencode(q)}"})
            resp.set_json(data)


@request_fault("unknown-param-400-except-items")
def _(req: Request):
    """Unknown query parameters are rejected, except on items, whose operation declares the
    free-form parameter vendorSpecificParameters in pygeoapi's OpenAPI document (ignored)."""
    if req.is_items:
        return None
    return FAULTS["unknown-param-400"].request(req)


@fault("errors-500-problem")
def _(req: Request, resp: Response):
    """Every client error (4xx) becomes HTTP 500 with an RFC 7807 problem+json body."""
    if 400 <= resp.status < 500:
        out = Response.from_json(500, {"type": "about:blank", "title": "Internal Server Error",
                                       "status": 500, "detail": "client error turned into 500"})
        out.headers["Content-Type"] = "application/problem+json"
        return out
    return None


@request_fault("openapi-204")
def _(req: Request):
    if req.path.rstrip("/") == "/openapi":
        return Response(204)
    return None


combine("extent-west-padded+bbox-empty", "extent-west-padded", "bbox-answers-empty")
combine("unknown-param-400-free-form-undeclared", "unknown-param-400-except-items",
        "openapi-no-free-form")
combine("repaired+unknown-param-free-form", "unknown-param-400-except-items",
        "bbox-out-of-range-400", "bbox-6-to-4", "datetime-out-of-range-empty",
        "geojson-media-type", "number-returned-fixed", "html-all-links", "etag-and-link-header",
        "openapi-self-contained")
combine("repaired+drop-temporal-extent", "repaired", "drop-temporal-extent")
combine("raised-limit-minimum", "openapi-limit-min-5", "reject-small-limit")
combine("no-geometry-no-temporal-extent", "items-no-geometry", "drop-temporal-extent")
