"""Seed an NGSI-LD server with the Smart Data Models examples (../shared/data), as NGSI-LD
normalized entities whose subject @context is read from the local copy (file:// URL)."""

from __future__ import annotations

import json
from pathlib import Path

import requests

MODELS = {"AirQualityObserved": "Environment", "NoiseLevelObserved": "Environment",
          "WeatherObserved": "Weather", "Streetlight": "Streetlighting",
          "ParkingSpot": "Parking", "OffStreetParking": "Parking",
          "TrafficFlowObserved": "Transportation", "WasteContainer": "WasteManagement",
          "Device": "Device", "PointOfInterest": "PointOfInterest"}


def example(shared_data: Path, model: str) -> dict:
    subject = MODELS[model]
    base = shared_data / "smart-data-models" / f"dataModel.{subject}"
    doc = json.loads((base / model / "examples" / "example-normalized.jsonld").read_text("utf-8"))
    ctx = doc.get("@context")
    ctx = ctx if isinstance(ctx, list) else [ctx]
    local = (base / "context.jsonld").resolve().as_uri()
    doc["@context"] = [local if isinstance(c, str) and "smart-data-models" in c else c
                       for c in ctx]
    return doc


def seed(api_root: str, entities: list[dict]) -> None:
    for ent in entities:
        r = requests.post(api_root.rstrip("/") + "/ngsi-ld/v1/entities", json=ent, timeout=10,
                          headers={"Content-Type": "application/ld+json"})
        r.raise_for_status()
