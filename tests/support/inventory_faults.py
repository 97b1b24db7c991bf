"""Faults for the inventory self-tests (in front of real pygeoapi)."""

from __future__ import annotations

from requests.structures import CaseInsensitiveDict

from .faultproxy import Request, Response, fault, request_fault


@fault("collections-bare")
def _(req: Request, resp: Response) -> None:
    """The collections list names ids only: no title, no extent."""
    data = resp.json()
    if isinstance(data, dict) and req.path.rstrip("/") == "/collections":
        for c in data.get("collections") or []:
            c.pop("title", None)
            c.pop("extent", None)
        resp.set_json(data, content_type=resp.headers.get("Content-Type"))


@request_fault("auth-everywhere")
def _(req: Request) -> Response | None:
    """Every path needs a token: without one the answer is 401 (nothing to read as OGC)."""
    if "Authorization" not in req.headers:
        return Response(401, CaseInsensitiveDict({"WWW-Authenticate": "Bearer"}), b"")
    return None
