"""NGSI-LD load scenario: dashboards querying a context broker, sensors upserting in batches.

Tasks: query_type, query_attrs, query_geo, retrieve, batch_upsert (only when the target file
allows writes; entities get run-owned ids ``urn:ngsi-ld:<Type>:oupcheck-load-<run>-<n>`` and are
deleted after the run). Data (``load.data``): ``types``, ``attrs`` (per type), ``near``
([lon, lat]) and ``max_distance_m`` for geo-queries, ``limit``, ``batch_size``, ``context``
(a Link to a user @context, optional); entity ids for ``retrieve`` are discovered.
"""

from __future__ import annotations

import itertools
import json
import random

from locust import FastHttpUser

# The scenario's catalogue entry, read (as literals, without importing locust) by
# oupcheck/load/scenarios.py: the interface kind it loads, its User class, its tasks (each a
# method of that class) with what they do, and which of them write.
SCENARIO = "ngsi-ld"
USER = "NgsiLdUser"
TASKS = {
    "query_type": "GET /entities?type=T",
    "query_attrs": "GET /entities?type=T&attrs=A",
    "query_geo": "GET /entities?type=T&georel=near;maxDistance==D&geometry=Point",
    "retrieve": "GET /entities/{id}",
    "batch_upsert": "POST /entityOperations/upsert of batch_size run-owned entities",
}
WRITES = ("batch_upsert",)

BASE = "/ngsi-ld/v1"


class NgsiLdUser(FastHttpUser):
    plan: dict = {}
    _counter = itertools.count()

    def on_start(self) -> None:
        self.rng = random.Random()
        d = self.plan["data"]
        self.types = d["types"]
        self.attrs = d.get("attrs") or {}
        self.limit = int(d.get("limit", 20))
        self.near = d.get("near")
        self.dist = int(d.get("max_distance_m", 2000))
        self.ids = d.get("entity_ids") or []
        self.batch = int(d.get("batch_size", 10))
        self.headers = {"Accept": "application/json"}
        if d.get("context"):
            self.headers["Link"] = (f'<{d["context"]}>; rel="http://www.w3.org/ns/json-ld#context"'
                                    '; type="application/ld+json"')

    def _get(self, path: str, name: str, **params) -> None:
        with self.client.get(BASE + path, params=params, headers=self.headers, name=name,
                             catch_response=True) as resp:
            if resp.status_code != 200:
                resp.failure(f"HTTP {resp.status_code}")

    def query_type(self) -> None:
        self._get("/entities", "entities?type", type=self.rng.choice(self.types),
                  limit=self.limit)

    def query_attrs(self) -> None:
        t = self.rng.choice(self.types)
        attrs = self.attrs.get(t) or []
        self._get("/entities", "entities?type&attrs", type=t, limit=self.limit,
                  **({"attrs": ",".join(attrs)} if attrs else {}))

    def query_geo(self) -> None:
        if not self.near:
            return self.query_type()
        lon, lat = self.near
        self._get("/entities", "entities?georel=near", type=self.rng.choice(self.types),
                  georel=f"near;maxDistance=={self.dist}", geometry="Point",
                  coordinates=json.dumps([lon + self.rng.uniform(-.01, .01),
                                          lat + self.rng.uniform(-.01, .01)]),
                  limit=self.limit)

    def retrieve(self) -> None:
        if not self.ids:
            return self.query_type()
        self._get(f"/entities/{self.rng.choice(self.ids)}", "entities/{id}")

    def batch_upsert(self) -> None:
        t = self.rng.choice(self.types)
        run = self.plan["run_id"]
        body = [{"id": f"urn:ngsi-ld:{t}:oupcheck-load-{run}-{next(self._counter) % 1000}",
                 "type": t,
                 "value": {"type": "Property", "value": round(self.rng.uniform(0, 100), 2)}}
                for _ in range(self.batch)]
        with self.client.post(BASE + "/entityOperations/upsert", data=json.dumps(body),
                              headers={**self.headers, "Content-Type": "application/json"},
                              name="entityOperations/upsert", catch_response=True) as resp:
            if resp.status_code not in (200, 201, 204):
                resp.failure(f"HTTP {resp.status_code}")
