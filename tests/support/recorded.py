"""The recorded runs of real platforms (tests/recordings), as report.json documents, for the
tests that judge certifications from them."""

from __future__ import annotations

import json
from pathlib import Path

RECORDINGS = Path(__file__).resolve().parents[1] / "recordings"


def report(name: str) -> dict:
    return json.loads((RECORDINGS / name / "report.json").read_text("utf-8"))


def nl_gemeente_runs() -> dict[str, list[dict]]:
    """nl-gemeente's pillars as recorded on pygeoapi behind the demo's nginx front."""
    return {"api-design": [report("nginx-pygeoapi-nl-api-design-rules-2.1.0")],
            "secure-connection": [report("nginx-pygeoapi-security-baseline")],
            "lock-in": [report("pygeoapi-lock-in")]}
