"""Start the labelled reference NGSI-LD test fixture (fixtures/ngsi_ld/server.py) in a thread
(oupcheck/platforms/ngsild_fixture.py, which the oup-core demo uses too)."""

from __future__ import annotations

from oupcheck.platforms.ngsild_fixture import ReferenceServer, load_module

__all__ = ["ReferenceServer", "load_module"]
