"""OGC API - Features load scenario: people browsing a city's collections.

Tasks (weights from the load profile's ``load.tasks``): landing, collections, collection,
items_bbox, items_datetime, items_paging, item. Data (``load.data``, else discovered from the
target's /collections): collections with their extents; bbox samples are boxes of
``bbox_fraction`` of a collection's extent, datetime samples are windows of its temporal
interval (or ``datetime`` samples given in the profile).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from locust import FastHttpUser

# The scenario's catalogue entry, read (as literals, without importing locust) by
# oupcheck/load/scenarios.py: the interface kind it loads, its User class, its tasks (each a
# method of that class) with what they do, and which of them write.
SCENARIO = "ogc-api-features"
USER = "OgcFeaturesUser"
TASKS = {
    "landing": "GET the landing page",
    "collections": "GET /collections (browse)",
    "collection": "GET /collections/{id}",
    "items_bbox": "GET items with a bbox sample inside the collection's extent",
    "items_datetime": "GET items with a datetime interval sample",
    "items_paging": "GET items and follow rel=next up to max_pages",
    "item": "GET one item by id",
}
WRITES = ()

GEOJSON = {"Accept": "application/geo+json, application/json"}


def bbox_sample(extent: list[float] | None, fraction: float, rng: random.Random) -> str | None:
    if not extent:
        return None
    x0, y0, x1, y1 = extent
    w, h = (x1 - x0) * fraction, (y1 - y0) * fraction
    bx, by = x0 + rng.random() * (x1 - x0 - w), y0 + rng.random() * (y1 - y0 - h)
    return f"{bx:.5f},{by:.5f},{bx + w:.5f},{by + h:.5f}"


def datetime_sample(interval: list | None, days: float, rng: random.Random) -> str | None:
    if not interval or not interval[0] or not interval[1]:
        return None
    start = datetime.fromisoformat(str(interval[0]).replace("Z", "+00:00"))
    end = datetime.fromisoformat(str(interval[1]).replace("Z", "+00:00"))
    span = max((end - start).total_seconds() - days * 86400, 0)
    a = start + timedelta(seconds=rng.random() * span)
    b = min(a + timedelta(days=days), end)
    z = lambda d: d.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    return f"{z(a)}/{z(b)}"


class OgcFeaturesUser(FastHttpUser):
    plan: dict = {}

    def on_start(self) -> None:
        self.rng = random.Random()
        d = self.plan["data"]
        self.collections = d["collections"]
        self.limit = int(d.get("limit", 10))
        self.max_pages = int(d.get("max_pages", 3))
        self.fraction = float(d.get("bbox_fraction", 0.25))
        self.days = float(d.get("datetime_days", 30))
        self.bboxes = d.get("bbox") or []
        self.datetimes = d.get("datetime") or []
        self.item_ids: dict[str, list[str]] = {}

    def _coll(self) -> dict:
        return self.rng.choice(self.collections)

    def _get(self, path: str, name: str, **params) -> dict | None:
        with self.client.get(path, params=params or None, headers=GEOJSON, name=name,
                             catch_response=True) as resp:
            if resp.status_code != 200:
                resp.failure(f"HTTP {resp.status_code}")
                return None
            try:
                return resp.json()
            except ValueError:
                resp.failure("body is not JSON")
                return None

    def landing(self) -> None:
        self._get("/", "landing")

    def collections(self) -> None:
        self._get("/collections", "collections")

    def collection(self) -> None:
        self._get(f"/collections/{self._coll()['id']}", "collection")

    def items_bbox(self) -> None:
        c = self._coll()
        bbox = (self.rng.choice(self.bboxes) if self.bboxes else
                bbox_sample(c.get("bbox"), self.fraction, self.rng))
        params = {"limit": self.limit, **({"bbox": bbox if isinstance(bbox, str) else
                                           ",".join(map(str, bbox))} if bbox else {})}
        doc = self._get(f"/collections/{c['id']}/items", "items?bbox", **params)
        self._remember(c["id"], doc)

    def items_datetime(self) -> None:
        c = self._coll()
        dt = (self.rng.choice(self.datetimes) if self.datetimes else
              datetime_sample(c.get("interval"), self.days, self.rng))
        params = {"limit": self.limit, **({"datetime": dt} if dt else {})}
        self._get(f"/collections/{c['id']}/items", "items?datetime", **params)

    def items_paging(self) -> None:
        c = self._coll()
        doc = self._get(f"/collections/{c['id']}/items", "items (page 1)", limit=self.limit)
        self._remember(c["id"], doc)
        for _ in range(self.max_pages - 1):
            nxt = next((link.get("href") for link in (doc or {}).get("links") or []
                        if isinstance(link, dict) and link.get("rel") == "next"), None)
            if not nxt:
                break
            doc = self._get(nxt, "items (next page)")

    def item(self) -> None:
        c = self._coll()
        ids = self.item_ids.get(c["id"])
        if not ids:
            self._remember(c["id"], self._get(f"/collections/{c['id']}/items",
                                              "items (page 1)", limit=self.limit))
            ids = self.item_ids.get(c["id"])
        if ids:
            self._get(f"/collections/{c['id']}/items/{self.rng.choice(ids)}", "item")

    def _remember(self, cid: str, doc: dict | None) -> None:
        feats = (doc or {}).get("features") or []
        ids = [str(f["id"]) for f in feats if isinstance(f, dict) and "id" in f]
        if ids:
            self.item_ids[cid] = ids[:50]
