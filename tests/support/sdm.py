"""Seed an NGSI-LD server with the Smart Data Models examples (../shared/data), as NGSI-LD
normalized entities whose subject @context is read from the local copy (file:// URL); the
code is oupcheck/platforms/ngsild_fixture.py's, which the oup-core demo seeds with too."""

from __future__ import annotations

from oupcheck.platforms.ngsild_fixture import MODELS, example, seed

__all__ = ["MODELS", "example", "seed"]
