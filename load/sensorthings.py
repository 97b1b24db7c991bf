"""OGC SensorThings API load scenario: observation queries, ingest when writes are allowed.

Tasks: things, observations_latest, observations_window, ingest (writes). Data (``load.data``):
``datastreams`` (ids), ``top``, ``window`` ([start, end] ISO instants) for the filter.
Self-tested against django-ogc-sensorthings (PyPI) and a recording test server.
"""

from __future__ import annotations

import random
from datetime import datetime, timezone

from locust import FastHttpUser

# The scenario's catalogue entry, read (as literals, without importing locust) by
# oupcheck/load/scenarios.py: the interface kind it loads, its User class, its tasks (each a
# method of that class) with what they do, and which of them write.
SCENARIO = "sensorthings"
USER = "SensorThingsUser"
TASKS = {
    "things": "GET /Things?$top=N",
    "observations_latest": "GET /Datastreams({id})/Observations?$orderby=phenomenonTime "
                           "desc&$top=N",
    "observations_window": "GET /Observations?$filter=phenomenonTime ge T1 and "
                           "phenomenonTime le T2",
    "ingest": "POST /Datastreams({id})/Observations (one observation)",
}
WRITES = ("ingest",)


def quote_id(value: object) -> str:
    return str(value) if isinstance(value, int) else "'" + str(value).replace("'", "''") + "'"


class SensorThingsUser(FastHttpUser):
    plan: dict = {}

    def on_start(self) -> None:
        self.rng = random.Random()
        d = self.plan["data"]
        self.datastreams = d["datastreams"]
        self.top = int(d.get("top", 20))
        self.window = d.get("window")

    def _get(self, path: str, name: str, **params) -> None:
        with self.client.get(path, params=params, name=name, catch_response=True) as resp:
            if resp.status_code != 200:
                resp.failure(f"HTTP {resp.status_code}")

    def things(self) -> None:
        self._get("/Things", "Things", **{"$top": self.top})

    def observations_latest(self) -> None:
        ds = quote_id(self.rng.choice(self.datastreams))
        self._get(f"/Datastreams({ds})/Observations", "Datastreams(id)/Observations latest",
                  **{"$orderby": "phenomenonTime desc", "$top": self.top})

    def observations_window(self) -> None:
        params = {"$top": self.top}
        if self.window:
            params["$filter"] = (f"phenomenonTime ge {self.window[0]} and "
                                 f"phenomenonTime le {self.window[1]}")
        self._get("/Observations", "Observations?$filter", **params)

    def ingest(self) -> None:
        # POST to the Observations entity set with a link to the Datastream: every server
        # supports that form (some refuse POST on the navigation path Datastreams(id)/...)
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        body = {"phenomenonTime": now, "result": round(self.rng.random() * 100, 2),
                "Datastream": {"@iot.id": self.rng.choice(self.datastreams)}}
        with self.client.post("/Observations", name="Observations ingest", json=body,
                              catch_response=True) as resp:
            if resp.status_code not in (200, 201):
                resp.failure(f"HTTP {resp.status_code}")
