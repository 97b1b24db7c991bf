"""The scenario catalogue: which tasks each locust scenario (``load/<file>.py``) knows, which of
them write (read from the locustfile itself, its one place), and the scenario data the suite
discovers on the target before the load starts.

Pure data and a few recorded requests (no locust here): profiles are validated against it and
the engine process gets a finished plan.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..http import EvidenceClient, json_at
from ..resources import root_dir


@dataclass(frozen=True)
class Scenario:
    kind: str            # interface kind of the target
    file: str            # locustfile under load/
    user_class: str      # the locust User class in that file
    tasks: dict[str, str]  # task name -> what it does
    writes: frozenset[str] = frozenset()


def _literals(path: Path, names: tuple[str, ...]) -> dict[str, Any]:
    """Module-level constants of a locustfile, read as literals (locust is not imported here:
    it patches the process with gevent)."""
    out: dict[str, Any] = {}
    for node in ast.parse(path.read_text("utf-8")).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name) and node.targets[0].id in names:
            out[node.targets[0].id] = ast.literal_eval(node.value)
    return out


def catalogue(folder: Path | None = None) -> dict[str, Scenario]:
    """The scenarios of the locustfiles in ``load/``: each file is the one place of its
    interface's users and task list (``SCENARIO``, ``USER``, ``TASKS``, ``WRITES``)."""
    out: dict[str, Scenario] = {}
    for path in sorted((folder or root_dir("load")).glob("*.py")):
        lit = _literals(path, ("SCENARIO", "USER", "TASKS", "WRITES"))
        if "SCENARIO" not in lit:
            continue
        unknown = set(lit.get("WRITES", ())) - set(lit["TASKS"])
        if unknown:
            raise ValueError(f"{path.name}: WRITES names tasks it does not have: {sorted(unknown)}")
        out[lit["SCENARIO"]] = Scenario(lit["SCENARIO"], path.name, lit["USER"], lit["TASKS"],
                                        frozenset(lit.get("WRITES", ())))
    return out


SCENARIOS: dict[str, Scenario] = catalogue()


def check_tasks(scenario: str, tasks: dict[str, float]) -> None:
    known = SCENARIOS[scenario].tasks
    bad = sorted(set(tasks) - set(known))
    if bad:
        raise ValueError(f"unknown task(s) {', '.join(bad)} for scenario {scenario} "
                         f"(known: {', '.join(known)})")


def effective_tasks(scenario: str, tasks: dict[str, float], writes_allowed: bool
                    ) -> tuple[dict[str, float], list[str]]:
    """The weights the users run: write tasks drop out unless the target allows writes."""
    sc = SCENARIOS[scenario]
    out, notes = {}, []
    for name, weight in tasks.items():
        if weight <= 0:
            continue
        if name in sc.writes and not writes_allowed:
            notes.append(f"task {name} left out: the target file does not allow writes "
                         "(writes_allowed: true)")
            continue
        out[name] = weight
    return out, notes


class NothingToLoad(Exception):
    """Discovery found no data the scenario can request (e.g. no collections)."""


def discover(scenario: str, client: EvidenceClient, data: dict[str, Any]) -> dict[str, Any]:
    """Fill in scenario data the profile leaves open from the target itself (recorded)."""
    fn = {"ogc-api-features": _ogc, "ngsi-ld": _ngsi_ld, "sensorthings": _sensorthings}.get(
        scenario)
    return fn(client, dict(data)) if fn else dict(data)


def _ogc(client: EvidenceClient, data: dict[str, Any]) -> dict[str, Any]:
    if data.get("collections"):
        return data
    from ..ogcapi import FeaturesClient, extent
    listing = FeaturesClient(client, client.base_url).collections(
        note="load: which collections to browse")  # an unreadable body: BodyUnusable
    found = [{"id": c["id"], "bbox": extent(c)[0], "interval": extent(c)[1]}
             for c in listing.collections]
    limit = int(data.get("max_collections", 10))
    if not found:
        ex = listing.exchange
        raise NothingToLoad(f"GET {ex.url} -> {ex.status}: no collections to load: "
                            f"{listing.why}")
    data["collections"] = found[:limit]
    return data


def _ngsi_ld(client: EvidenceClient, data: dict[str, Any]) -> dict[str, Any]:
    if data.get("entity_ids"):
        return data
    from ..ngsild import NgsiClient
    broker = NgsiClient(client, client.base_url)
    ids: list[str] = []
    for etype in data.get("types") or []:
        _, found = broker.entities(etype, limit=20, note=f"load: entities of type {etype}")
        ids += [e["id"] for e in found if isinstance(json_at(e, "id"), str)]
    data["entity_ids"] = ids
    return data


def _sensorthings(client: EvidenceClient, data: dict[str, Any]) -> dict[str, Any]:
    """The service's own Datastreams (a placeholder id would make every request a 404)."""
    if data.get("datastreams"):
        return data
    from ..sensorthings import StaClient
    ex, found = StaClient(client, client.base_url).some_ids(
        "Datastreams", top=20, note="load: which Datastreams to read and write")
    if not found:
        raise NothingToLoad(f"GET {ex.url} -> {ex.status}: the service lists no Datastream "
                            "(with an @iot.id) to request observations of")
    data["datastreams"] = found
    return data
