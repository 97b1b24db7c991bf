"""Faults for the lock-in self-tests (in front of real pygeoapi)."""

from __future__ import annotations

from requests.structures import CaseInsensitiveDict

from .faultproxy import Request, Response, fault, request_fault

VENDOR = "application/vnd.vendor.features+bin"


@fault("duplicate-ids")
def _(req: Request, resp: Response) -> None:
    """Every feature of a page carries the id of the page's first feature."""
    data = resp.json()
    if req.is_items and isinstance(data, dict) and data.get("features"):
        first = data["features"][0].get("id")
        for f in data["features"]:
            f["id"] = first
        resp.set_json(data, content_type=resp.headers.get("Content-Type"))


@fault("proprietary-only")
def _(req: Request, resp: Response) -> None:
    """Items are announced and served only in a vendor media type."""
    data = resp.json()
    if isinstance(data, dict) and req.path.rstrip("/") == "/collections":
        for c in data.get("collections") or []:
            for lk in c.get("links") or []:
                if lk.get("rel") == "items":
                    lk["type"] = VENDOR
        resp.set_json(data, content_type=resp.headers.get("Content-Type"))
    elif req.is_items:
        resp.headers["Content-Type"] = VENDOR


@fault("landing-no-description")
def _(req: Request, resp: Response) -> None:
    """The landing page names neither its API definition nor its conformance declaration."""
    data = resp.json()
    if req.path in ("/", "") and isinstance(data, dict):
        data["links"] = [lk for lk in data.get("links") or [] if lk.get("rel") not in
                         ("service-desc", "conformance", "describedby")]
        resp.set_json(data, content_type=resp.headers.get("Content-Type"))


@fault("api-version-header")
def _(req: Request, resp: Response) -> None:
    resp.headers["API-Version"] = "1.0.0"


def _auth(req: Request, with_discovery: bool) -> Response | None:
    if req.path.startswith("/.well-known/openid-configuration") and with_discovery:
        return Response.from_json(200, {"issuer": req.base, "token_endpoint": req.base + "/token",
                                        "authorization_endpoint": req.base + "/authorize"})
    if req.path.startswith("/collections") and "Authorization" not in req.headers:
        return Response(401, CaseInsensitiveDict({"WWW-Authenticate": "Bearer"}), b"")
    return None


@request_fault("auth-required")
def _(req: Request) -> Response | None:
    """Collections need a token; no discovery document tells a client how to get one."""
    return _auth(req, with_discovery=False)


@request_fault("auth-with-discovery")
def _(req: Request) -> Response | None:
    """Collections need a token; OpenID Connect discovery is published at the API base."""
    return _auth(req, with_discovery=True)


# the base path's version segment: /v1/ and /v2/ both serve the API (an old version left live,
# without Deprecation or Sunset); /v5/ serves it with no /v4/ next to it
for _name in ("v1", "v2", "v5"):
    fault(_name)(lambda req, resp: None)


@fault("no-number-matched")
def _(req: Request, resp: Response) -> None:
    """Items pages carry no numberMatched (it is optional): the export cannot confirm its count."""
    data = resp.json()
    if req.is_items and isinstance(data, dict) and "numberMatched" in data:
        del data["numberMatched"]
        resp.set_json(data, content_type=resp.headers.get("Content-Type"))


@fault("descriptions-empty")
def _(req: Request, resp: Response) -> None:
    """The API definition and the conformance declaration the landing page links to are {}."""
    if req.path.rstrip("/") in ("/openapi", "/api", "/conformance"):
        resp.set_json({}, content_type="application/json")
