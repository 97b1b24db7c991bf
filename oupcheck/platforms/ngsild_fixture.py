"""The labelled reference NGSI-LD test fixture (fixtures/ngsi_ld/server.py), started in a thread
on 127.0.0.1, and the Smart Data Models examples it can be seeded with.

It is an in-repo fixture, not a real broker: no NGSI-LD broker installs here (Scorpio is built
from source in a session and its exchanges are recorded, see tests/recordings). The demo of
the oup-core scheme and the self-tests use it; every report names it as the fixture.
"""

from __future__ import annotations

import importlib.util
import json
import threading
from pathlib import Path
from typing import Any

import requests

from ..resources import root_dir

CORE_CONTEXT = Path("ngsi-ld") / "ngsi-ld-core-context-v1.8.jsonld"
# model -> its Smart Data Models subject (the dataModel.<subject> repository)
MODELS = {"AirQualityObserved": "Environment", "NoiseLevelObserved": "Environment",
          "WeatherObserved": "Weather", "Streetlight": "Streetlighting",
          "ParkingSpot": "Parking", "OffStreetParking": "Parking",
          "TrafficFlowObserved": "Transportation", "WasteContainer": "WasteManagement",
          "Device": "Device", "PointOfInterest": "PointOfInterest"}
# AirQualityObserved's published example does not validate against its own schema (tsp 73.3
# where the schema says integer): a real upstream mismatch, left out of the demo's seed
UPSTREAM_MISMATCH = {"AirQualityObserved"}


def load_module() -> Any:
    path = root_dir("fixtures") / "ngsi_ld" / "server.py"
    spec = importlib.util.spec_from_file_location("ngsi_ld_reference_server", path)
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(mod)
    return mod


class ReferenceServer:
    """The fixture on a free loopback port; ``url`` + a deviation name (``sound``: none) + "/"
    is one broker."""

    def __init__(self, data_dir: Path):
        self.mod = load_module()
        self.srv = self.mod.make_server(str(data_dir / CORE_CONTEXT))
        self.thread = threading.Thread(target=self.srv.serve_forever, daemon=True,
                                       name="oupcheck-ngsi-ld-fixture")
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.srv.server_address[1]}/"

    def tenant(self, name: str) -> Any:
        return self.srv.broker.tenants.get(name)

    def stop(self) -> None:
        self.srv.shutdown()
        self.srv.server_close()


def example(data_dir: Path, model: str) -> dict[str, Any]:
    """A model's published normalized example, its subject @context read from the local copy
    (a file:// URL), as an NGSI-LD entity to create."""
    subject = MODELS[model]
    base = data_dir / "smart-data-models" / f"dataModel.{subject}"
    doc = json.loads((base / model / "examples" / "example-normalized.jsonld")
                     .read_text("utf-8"))
    ctx = doc.get("@context")
    ctx = ctx if isinstance(ctx, list) else [ctx]
    local = (base / "context.jsonld").resolve().as_uri()
    doc["@context"] = [local if isinstance(c, str) and "smart-data-models" in c else c
                       for c in ctx]
    return doc


def seed(api_root: str, entities: list[dict[str, Any]]) -> None:
    for ent in entities:
        r = requests.post(api_root.rstrip("/") + "/ngsi-ld/v1/entities", json=ent, timeout=10,
                          headers={"Content-Type": "application/ld+json"})
        r.raise_for_status()


def find_data_dir(candidates: list[Path]) -> Path | None:
    """The first folder holding the NGSI-LD core @context and the Smart Data Models examples."""
    for d in candidates:
        if (d / CORE_CONTEXT).is_file() and (d / "smart-data-models").is_dir():
            return d
    return None
