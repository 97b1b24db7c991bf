"""Faults for the inventory self-tests (in front of real pygeoapi)."""

from __future__ import annotations

from .faultproxy import Request, Response, fault


@fault("collections-bare")
def _(req: Request, resp: Response) -> None:
    """The collections list names ids only: no title, no extent."""
    data = resp.json()
    if isinstance(data, dict) and req.path.rstrip("/") == "/collections":
        for c in data.get("collections") or []:
            c.pop("title", None)
            c.pop("extent", None)
        resp.set_json(data, content_type=resp.headers.get("Content-Type"))
