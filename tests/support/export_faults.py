"""Faults for the export self-tests (in front of real pygeoapi): a pagination cycle, a total
that lies, a collection the list hides."""

from __future__ import annotations

import re

from .faultproxy import Request, Response, fault


@fault("pagination-cycle")
def _(req: Request, resp: Response) -> None:
    """The next link of the second page leads back to the first page."""
    data = resp.json()
    if not (req.is_items and isinstance(data, dict)):
        return
    limit, offset = req.param("limit"), req.param("offset", "0")
    if limit and offset == limit:
        for lk in data.get("links") or []:
            if isinstance(lk, dict) and lk.get("rel") == "next":
                lk["href"] = re.sub(r"offset=\d+", "offset=0", lk["href"])
        resp.set_json(data, content_type=resp.headers.get("Content-Type"))


@fault("total-lies")
def _(req: Request, resp: Response) -> None:
    """numberMatched claims five more items than the collection holds."""
    data = resp.json()
    if req.is_items and isinstance(data, dict) and isinstance(data.get("numberMatched"), int):
        data["numberMatched"] += 5
        resp.set_json(data, content_type=resp.headers.get("Content-Type"))


@fault("hidden-collection")
def _(req: Request, resp: Response) -> None:
    """The collection list leaves out its last collection (its items stay reachable)."""
    data = resp.json()
    if req.path.rstrip("/") == "/collections" and isinstance(data, dict):
        data["collections"] = (data.get("collections") or [])[:-1]
        resp.set_json(data, content_type=resp.headers.get("Content-Type"))


@fault("total-too-low")
def _(req: Request, resp: Response) -> None:
    """numberMatched claims 20 items fewer than the collection pages out."""
    data = resp.json()
    if req.is_items and isinstance(data, dict) and isinstance(data.get("numberMatched"), int):
        data["numberMatched"] = max(0, data["numberMatched"] - 20)
        resp.set_json(data, content_type=resp.headers.get("Content-Type"))
