"""Probes for NGSI-LD (ETSI GS CIM 009): entity and subscription requests, per-run unique ids,
clean-up, the suite's own @context and the callback receiver.

Writes happen only when the target file sets ``writes_allowed``. Every entity and subscription
a run creates has an id ``urn:ngsi-ld:...:oupcheck-<run>-<n>`` and is deleted at the end of the
run, also when checks fail.
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import quote

from oupcheck.errors import TransportError
from oupcheck.evidence import Exchange
from oupcheck.http import EvidenceClient
from oupcheck.ngsild import (  # noqa: F401  (the checks import these names from here)
    CORE_CONTEXT, ERRORS, GEO, JSON, JSONLD_REL as LD_REL, LD, MERGE, api_base, entities_of,
    ids_of)
from oupcheck.verdicts import CheckFailed, Inconclusive, expect

from . import judges
from .judges import next_link, value_of  # noqa: F401  (the checks import them from here)

NGSILD = "ngsi-ld:"
# the suite's one NGSI-LD client layer: paths, media types, the core @context, answer shapes
ERR, JSONLD_REL, CORE = ERRORS, LD_REL, CORE_CONTEXT
TYPE = "OupcheckProbe"
# the suite's own @context: the probe type and two attributes get IRIs of their own
CONTEXT = {"@context": {"OupcheckProbe": "https://oupcheck.example/ns/OupcheckProbe",
                        "temperature": "https://oupcheck.example/ns/temperature",
                        "district": "https://oupcheck.example/ns/district"}}


def link(url: str) -> str:
    return f'<{url}>; rel="{JSONLD_REL}"; type="application/ld+json"'


class NgsiAPI:
    def __init__(self, run: Any, http: EvidenceClient, receiver: Any):
        self.run, self.http, self.receiver = run, http, receiver
        self.root = run.interface.url.rstrip("/")
        self.base = api_base(self.root)
        self.tag = f"oupcheck-{run.tag}"  # the run's (a run judged again keeps the judged one's)
        self._n = itertools.count(1)
        self.entities: set[str] = set()
        self.subscriptions: set[str] = set()
        receiver.contexts["oupcheck-context.jsonld"] = CONTEXT
        self.context_url = receiver.url("contexts/oupcheck-context.jsonld")

    # -- ids and writes ----------------------------------------------------------------------
    def new_id(self, kind: str = TYPE) -> str:
        return f"urn:ngsi-ld:{kind}:{self.tag}-{next(self._n)}"

    def need_writes(self) -> None:
        if not self.run.target.spec.writes_allowed:
            raise Inconclusive("this check creates entities; the target file does not allow "
                               "writes (writes_allowed: true)")

    def url(self, path: str) -> str:
        return self.base + path

    def entity_url(self, eid: str, suffix: str = "") -> str:
        return self.url("/entities/" + quote(eid, safe=":") + suffix)

    # -- requests ----------------------------------------------------------------------------
    def send(self, method: str, path: str, body: Any = None, *, ctype: str | None = JSON,
             accept: str | None = JSON, ctx: str | None = None, params: dict | None = None,
             note: str | None = None, raw: bytes | None = None) -> Exchange:
        headers = {}
        if ctx:
            headers["Link"] = link(ctx)
        if body is not None or raw is not None:
            headers["Content-Type"] = ctype or JSON
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        return self.http.request(method, self.url(path), params=params, headers=headers,
                                 accept=accept, data=data, note=note)

    def entity(self, **attrs: Any) -> dict[str, Any]:
        """A probe entity (normalized, default vocabulary unless a context is used)."""
        ent = {"id": self.new_id(), "type": TYPE,
               "temperature": {"type": "Property", "value": 21.5, "unitCode": "CEL"},
               "district": {"type": "Property", "value": "Centrum"},
               "location": {"type": "GeoProperty",
                            "value": {"type": "Point", "coordinates": [5.1214, 52.0907]}}}
        ent.update(attrs)
        return ent

    def create(self, ent: dict[str, Any], *, ctype: str = JSON, ctx: str | None = None,
               expect_created: bool = True) -> Exchange:
        self.need_writes()
        body = ent
        if ctype == LD:
            body = dict(ent, **{"@context": [self.context_url, CORE]}) if "@context" not in ent \
                else ent
        if isinstance(ent, dict) and isinstance(ent.get("id"), str):
            self.entities.add(ent["id"])
        ex = self.send("POST", "/entities", body, ctype=ctype, ctx=ctx,
                       note="create a probe entity (deleted at the end of the run)")
        if expect_created and ex.status != 201:
            raise Inconclusive(f"the probe entity could not be created (HTTP {ex.status}); "
                               "see ngsi-ld:5.6.1/create", evidence=ex)
        return ex

    def get_entity(self, eid: str, *, accept: str = JSON, ctx: str | None = None,
                   params: dict | None = None) -> Exchange:
        """The probe of a retrieve: GET one entity (its answer is judged by the caller)."""
        return self.send("GET", "/entities/" + quote(eid, safe=":"), accept=accept, ctx=ctx,
                         params=params, note="retrieve the probe entity")

    def get_entities(self, params: dict, *, accept: str = JSON, ctx: str | None = None,
                     note: str = "query entities") -> Exchange:
        """The probe of a query: GET /entities (its answer is judged by the caller)."""
        return self.send("GET", "/entities", accept=accept, ctx=ctx, params=params, note=note)

    @staticmethod
    def json(ex: Exchange) -> Any:
        return EvidenceClient.json(ex)

    def poll(self, probe: Callable[[], tuple[Exchange, Any]],
             ready: Callable[[Exchange, Any], bool], bound: float,
             keep_polling: Callable[[Exchange], bool] | None = None) -> "Polled":
        """Read until ``ready`` holds or ``bound`` seconds have passed (read-after-write where
        the standard sets no timing, e.g. history kept by a separate temporal store).

        Every read is recorded as evidence; the result says how long it took and how many
        reads were made. ``keep_polling`` (default: 200 or 404) says which answers may still
        change by waiting; any other answer ends the wait at once (a 400 does not become a 200)."""
        keep = keep_polling or (lambda ex: ex.status in (200, 404))
        t0 = time.monotonic()
        delay, reads, first = 0.1, 0, None
        replaying = getattr(self.run, "replay", None) is not None
        while True:
            ex, doc = probe()
            reads += 1
            first = first or ex
            # the wait as recorded (from the first read's start to this read's answer), so a
            # run judged again waits, and reports, the same
            start, end = first.at(), ex.at()
            waited = (end.timestamp() + (ex.elapsed_ms or 0) / 1000 - start.timestamp()
                      if start and end else time.monotonic() - t0)
            if ready(ex, doc):
                return Polled(ex, doc, waited, reads, bound, True)
            if waited >= bound or not keep(ex):
                return Polled(ex, doc, waited, reads, bound, False)
            if not replaying:
                time.sleep(min(delay, max(0.0, bound - waited)))
            delay = min(delay * 2, 1.0)

    @staticmethod
    def ok(ex: Exchange, status: int | tuple[int, ...], what: str) -> None:
        judges.status(ex, status, what)

    @staticmethod
    def problem(ex: Exchange, status: int | tuple[int, ...], kinds: tuple[str, ...],
                what: str) -> None:
        judges.problem(ex, status, kinds, what)

    # -- clean-up ----------------------------------------------------------------------------
    def cleanup(self) -> list[str]:
        left = []
        for sid in sorted(self.subscriptions):
            try:
                self.send("DELETE", "/subscriptions/" + quote(sid, safe=":"), accept=None,
                          note="clean-up")
            except TransportError:
                left.append(sid)
        for eid in sorted(self.entities):
            try:
                ex = self.send("DELETE", "/entities/" + quote(eid, safe=":"), accept=None,
                               note="clean-up")
                if ex.status not in (204, 404):
                    left.append(eid)
                if eid.endswith("-temporal"):  # the history a temporal store keeps apart
                    self.send("DELETE", "/temporal/entities/" + quote(eid, safe=":"),
                              accept=None, note="clean-up (temporal)")
            except TransportError:
                left.append(eid)
        return left


@dataclass
class Polled:
    """The last read of a bounded wait and how long the wait took."""
    ex: Exchange
    doc: Any
    waited: float
    reads: int
    bound: float
    ready: bool

    def describe(self) -> str:
        n = f"{self.reads} read{'s' if self.reads != 1 else ''}"
        if self.ready:
            when = "at the first read" if self.reads == 1 else f"after {self.waited:.1f} s"
            return f"visible {when} (bound {self.bound:g} s, {n})"
        if self.waited >= self.bound:
            return (f"not visible within the bound of {self.bound:g} s ({n}; the last is the "
                    "evidence)")
        return (f"HTTP {self.ex.status} after {self.waited:.1f} s ({n}): an answer that waiting "
                f"does not change")



__all__ = ["ERR", "NgsiAPI", "Polled", "entities_of",
           "CheckFailed", "Inconclusive", "expect", "ids_of",
           "value_of", "next_link", "JSON", "LD", "GEO", "MERGE", "CORE", "TYPE", "CONTEXT"]
