"""Seed a real SensorThings server (django-ogc-sensorthings) with one Thing, its Location, one
Datastream (Sensor, ObservedProperty) and observations on 2024-01-01, through the API itself."""

from __future__ import annotations

import requests

THING = {
    "name": "oupcheck air box Utrecht", "description": "particulate matter sensor (test data)",
    "Locations": [{"name": "Utrecht Griftpark", "description": "test location",
                   "encodingType": "application/geo+json",
                   "location": {"type": "Point", "coordinates": [5.1277, 52.0977]}}],
}
SENSOR = {"name": "SDS011", "description": "optical particle sensor",
          "encodingType": "application/pdf", "metadata": "https://example.org/sds011.pdf"}
PROPERTY = {"name": "PM10", "description": "particulate matter < 10 µm",
            "definition": "http://vocab.nerc.ac.uk/collection/P01/current/PM10/"}
DATASTREAM = {
    "name": "PM10 Griftpark", "description": "hourly PM10",
    "observationType": "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
    "unitOfMeasurement": {"name": "microgram per cubic metre", "symbol": "ug/m3",
                          "definition": "http://qudt.org/vocab/unit/MicroGM-PER-M3"},
}


def _post(root: str, path: str, body: dict) -> str:
    r = requests.post(root.rstrip("/") + path, json=body, timeout=15)
    r.raise_for_status()
    loc = r.headers.get("Location") or ""
    if loc:
        return loc.rsplit("(", 1)[1].rstrip(")").strip("'")
    return str(r.json()["@iot.id"])


def seed(root: str, observations: int = 24) -> str:
    """Returns the Datastream id."""
    thing = _post(root, "/Things", THING)
    sensor = _post(root, "/Sensors", SENSOR)
    prop = _post(root, "/ObservedProperties", PROPERTY)
    ds = _post(root, "/Datastreams", {**DATASTREAM, "Thing": {"@iot.id": thing},
                                      "Sensor": {"@iot.id": sensor},
                                      "ObservedProperty": {"@iot.id": prop}})
    for h in range(observations):
        _post(root, "/Observations", {"phenomenonTime": f"2024-01-01T{h:02d}:00:00Z",
                                      "result": 10.0 + h, "Datastream": {"@iot.id": ds}})
    return ds
