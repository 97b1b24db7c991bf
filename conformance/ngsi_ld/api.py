"""Probes for NGSI-LD (ETSI GS CIM 009): entity and subscription requests, per-run unique ids,
clean-up, the suite's own @context and the callback receiver.

Writes happen only when the target file sets ``writes_allowed``. Every entity and subscription
a run creates has an id ``urn:ngsi-ld:...:oupcheck-<run>-<n>`` and is deleted at the end of the
run, also when checks fail.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import quote

from oupcheck.errors import TransportError
from oupcheck.evidence import Exchange
from oupcheck.http import BodyUnusable, EvidenceClient, json_type
from oupcheck.ngsild import (  # noqa: F401  (the checks import these names from here)
    CORE_CONTEXT, ERRORS, GEO, JSON, JSONLD_REL as LD_REL, LD, MERGE, api_base, entities_of,
    ids_of)
from oupcheck.verdicts import CheckFailed, Inconclusive, expect

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

    def retrieve(self, eid: str, *, accept: str = JSON, ctx: str | None = None,
                 params: dict | None = None, shape: bool = True) -> tuple[Exchange, Any]:
        """GET one entity; a 200 body is checked to be an Entity before any judge reads it
        (``shape=False``: the caller judges only the status of an answer that should fail)."""
        ex = self.send("GET", "/entities/" + quote(eid, safe=":"), accept=accept, ctx=ctx,
                       params=params, note="retrieve the probe entity")
        doc = self.json(ex) if ex.status == 200 and shape else None
        if doc is not None and accept != GEO:
            require_shape(entity_problems(doc, "", normalized(params)), ex,
                          "an Entity (ETSI GS CIM 009 5.2.4)")
        return ex, doc

    def read_back(self, eid: str, what: str) -> tuple[Exchange, dict[str, Any]]:
        """Retrieve the probe entity to see what a write did. Retrieval is the row
        ngsi-ld:5.7.1/retrieve's: when it fails the writing check is INCONCLUSIVE."""
        ex, doc = self.retrieve(eid)
        expect(ex.status == 200 and isinstance(doc, dict),
               f"the probe entity cannot be retrieved after {what} (HTTP {ex.status}); "
               "retrieval is judged by ngsi-ld:5.7.1/retrieve", evidence=ex, pre=True)
        return ex, doc

    def query(self, params: dict, *, accept: str = JSON, ctx: str | None = None,
              note: str = "query entities", shape: bool = True) -> tuple[Exchange, Any]:
        ex = self.send("GET", "/entities", accept=accept, ctx=ctx, params=params, note=note)
        doc = self.json(ex) if ex.status == 200 and shape else None
        if doc is not None and accept != GEO:
            full = normalized(params)
            if isinstance(doc, list):
                problems = [p for n, e in enumerate(doc)
                            for p in entity_problems(e, f"/{n}", full)]
            elif isinstance(doc, dict):  # the compaction of a one-entity array
                problems = entity_problems(doc, "", full)
            else:
                problems = [f"/ is {json_type(doc)}, not an array of entities"]
            require_shape(problems, ex, "an array of Entities (ETSI GS CIM 009 5.7.2, "
                          "5.2.4)")
        return ex, doc

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

    def ok(self, ex: Exchange, status: int | tuple[int, ...], what: str) -> None:
        allowed = (status,) if isinstance(status, int) else status
        expect(ex.status in allowed, what, expected=" or ".join(map(str, allowed)),
               actual=f"HTTP {ex.status}", evidence=ex)

    def problem(self, ex: Exchange, status: int | tuple[int, ...], kinds: tuple[str, ...],
                what: str) -> None:
        """A refusal with the right status and, when the body is ProblemDetails, the right ETSI
        error type (whether errors are ProblemDetails at all is 6.3.2/problem-details' row)."""
        self.ok(ex, status, what)
        try:
            doc = self.json(ex)
        except BodyUnusable:
            doc = None
        kind = doc.get("type") if isinstance(doc, dict) else None
        if kind is None:
            return
        expect(kind in tuple(ERR + k for k in kinds),
               f"{what}: the error body is not the expected ProblemDetails",
               expected=" or ".join(ERR + k for k in kinds), actual=kind or ex.body_excerpt,
               evidence=ex)

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


def normalized(params: dict | None) -> bool:
    """Is the asked representation the normalized one, where every attribute is an object?
    (keyValues/simplified and concise ones give attributes as plain values, 4.5.)"""
    asked = " ".join(str(v) for k, v in (params or {}).items() if k in ("options", "format"))
    return not re.search(r"keyValues|simplified|concise", asked)


def entity_problems(doc: Any, at: str, attributes: bool = True) -> list[str]:
    """What keeps ``doc`` from the outline of an NGSI-LD Entity (5.2.4): an object whose id is
    a URI string, whose type is a string or an array of strings, whose @context (if any) is a
    string, an object or an array, and whose other members are attributes (objects, or arrays
    of them for multi-attributes). Each problem names its JSON pointer."""
    if not isinstance(doc, dict):
        return [f"{at or '/'} is {json_type(doc)}, not an entity object"]
    out = []
    if not isinstance(doc.get("id"), str):
        out.append(f"{at}/id is {json_type(doc.get('id'))}, not a URI string")
    typ = doc.get("type")
    if not (isinstance(typ, str) or isinstance(typ, list) and typ
            and all(isinstance(t, str) for t in typ)):
        out.append(f"{at}/type is {json_type(typ)}, not a string or an array of strings")
    if "@context" in doc and not isinstance(doc["@context"], (str, dict, list)):
        out.append(f"{at}/@context is {json_type(doc['@context'])}, not a JSON-LD context")
    for name, attr in doc.items() if attributes else ():
        if name in ("id", "type", "@context", "scope", "createdAt", "modifiedAt",
                    "deletedAt", "observationSpace", "operationSpace"):
            continue
        if not (isinstance(attr, dict) or isinstance(attr, list)
                and all(isinstance(a, dict) for a in attr)):
            out.append(f"{at}/{name} is {json_type(attr)}, not an attribute object")
    return out


def require_shape(problems: list[str], ex: Exchange, what: str) -> None:
    """FAIL, naming the JSON pointers, when a body the check is about to judge is not ``what``
    (the wrong types are the platform's fault, not the judge's)."""
    if problems:
        raise CheckFailed(f"the answer is not {what}: " + "; ".join(problems[:3]),
                          expected=what, actual=problems[:5], evidence=ex)


def value_of(attr: Any) -> Any:
    a = attr[0] if isinstance(attr, list) and attr else attr
    return a.get("value", a.get("object")) if isinstance(a, dict) else a


def next_link(ex: Exchange) -> str | None:
    m = re.search(r'<([^>]+)>\s*;\s*rel="?next"?', ex.header("link") or "")
    return m.group(1) if m else None


__all__ = ["ERR", "NgsiAPI", "Polled", "entities_of",
           "CheckFailed", "Inconclusive", "expect", "ids_of",
           "value_of", "next_link", "JSON", "LD", "GEO", "MERGE", "CORE", "TYPE", "CONTEXT"]
