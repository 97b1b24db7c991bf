"""Probes for OGC API - Features: they send requests and return recorded exchanges.

Discovery (landing page, conformance, collections, the API definition) is fetched once per run
and cited as evidence by every check that relies on it. All loops are bounded by the profile's
parameters.

Discovery helpers take ``pre``: by default (``pre=True``) a failing discovery step is a
PRECONDITION of the calling check, which then ends INCONCLUSIVE and names the row that judges
that step ("the landing page did not answer 200: judged by /req/core/root-success"). The check
whose own requirement the step is calls it with ``pre=False``: then it is a counted judgement
and may FAIL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from oupcheck.evidence import Exchange
from oupcheck.http import BodyUnusable, EvidenceClient
# the suite's one OGC API - Features client layer (document shapes, links, paging); the
# checks import these names from here
from oupcheck.ogcapi import (  # noqa: F401
    CONF, GEOJSON, HTML, JSON, OAS30_JSON, is_feature_collection, links, media, next_href,
    parse_listing, rel)
from oupcheck.verdicts import Inconclusive, expect

# which row judges a discovery step (named in the reason of an unmet precondition)
OWNER = {
    "landing": "/req/core/root-success",
    "conformance": "/req/core/conformance-success",
    "collections": "/req/core/fc-md-success",
    "collection": "/req/core/sfc-md-success",
    "items": "/req/core/fc-response",
    "feature": "/req/core/f-success",
    "definition": "/req/core/api-definition-success",
    "next": "/rec/core/fc-next-2",
}


@dataclass
class Scan:
    """A bounded walk over rel=next from the first page of a selection.

    ``complete``: the last page read has no rel=next link, so every selected feature was read
    (as far as the server's paging tells). ``stopped`` says why the walk ended early otherwise:
    the bound (max_features_scan), a paging cycle, or a next page that could not be read. A
    derived judgement that needs all selected features (numberMatched, "left out") may only be
    made on a complete scan."""
    pages: list[tuple[Exchange, dict[str, Any]]] = field(default_factory=list)
    stopped: str | None = None
    stop_evidence: list[Exchange] = field(default_factory=list)

    @property
    def exchanges(self) -> list[Exchange]:
        return [ex for ex, _ in self.pages]

    @property
    def features(self) -> list[dict[str, Any]]:
        return [f for _, doc in self.pages for f in doc.get("features") or [] if isinstance(f, dict)]

    @property
    def complete(self) -> bool:
        return self.stopped is None and bool(self.pages) and not rel(self.pages[-1][1], "next")

    @property
    def cycle(self) -> bool:
        return (self.stopped or "").startswith("paging cycle")

    def ids(self) -> list[str]:
        return [str(f.get("id")) for f in self.features if "id" in f]

    def why_incomplete(self) -> str:
        return self.stopped or "the scan did not reach a page without rel=next"


class FeaturesAPI:
    def __init__(self, run: Any):
        self.run = run
        self.http: EvidenceClient = run.client
        self.base = run.interface.url if run.interface.url.endswith("/") else run.interface.url + "/"
        self._cache: dict[str, Exchange] = {}
        self._read: dict[tuple, Exchange] = {}  # plain GETs, read once per run
        self._scans: dict[tuple, Scan | Inconclusive] = {}

    # -- bounded parameters ------------------------------------------------------------------
    def p(self, name: str, default: int) -> int:
        return int(self.run.param(name, default))

    # -- raw requests ------------------------------------------------------------------------
    def get(self, url: str, *, accept: str | None = JSON, **kw: Any) -> Exchange:
        """GET of a document. A plain GET (no headers or options of its own) is read once per
        run: a later check asking the same URL with the same Accept is handed the recorded
        exchange, cited as its evidence (the OGC ETS, too, judges one response for several
        assertions). A check that needs an answer of its own passes a header, a note or
        ``fresh=True``. A transport error is not kept."""
        fresh = kw.pop("fresh", False)
        full = urljoin(self.base, url)
        if fresh or set(kw) - {"params"}:
            return self.http.get(full, accept=accept, **kw)
        params = kw.get("params") or {}
        key = (full, accept, tuple(sorted((str(k), str(v)) for k, v in params.items())))
        ex = self._read.get(key)
        if ex is None:
            ex = self._read[key] = self.http.get(full, accept=accept, params=params or None)
        else:
            self.http.store.cite(ex)
        return ex

    @staticmethod
    def json(ex: Exchange) -> Any:
        return EvidenceClient.json(ex)

    def ok_json(self, ex: Exchange, what: str, *, pre: bool = False,
                owner: str | None = None) -> dict[str, Any]:
        """The JSON object of a 200 answer. ``pre``: a precondition (INCONCLUSIVE, naming the
        row ``owner`` that judges it) instead of a judgement (FAIL)."""
        by = f" (judged by {owner})" if pre and owner else ""
        expect(ex.status == 200, f"{what}: expected HTTP 200, got {ex.status}{by}", expected=200,
               actual=ex.status, evidence=ex, pre=pre)
        if pre:
            try:
                doc = self.json(ex)
            except BodyUnusable as exc:
                raise Inconclusive(f"precondition not met: {what}: {exc}{by}", evidence=ex) from None
        else:
            doc = self.json(ex)
        expect(isinstance(doc, dict), f"{what}: expected a JSON object{by}", expected="object",
               actual=type(doc).__name__, evidence=ex, pre=pre)
        return doc

    # -- discovery (cached, cited) --------------------------------------------------------
    def landing_ex(self) -> Exchange:
        return self.get(self.base)

    def landing(self, *, pre: bool = True) -> dict[str, Any]:
        doc = self.ok_json(self.landing_ex(), "landing page", pre=pre, owner=OWNER["landing"])
        expect(isinstance(doc.get("links"), list), "landing page: no links array"
               + (f" (judged by {OWNER['landing']})" if pre else ""), expected="links: [...]",
               actual=sorted(doc)[:10], evidence=self.landing_ex(), pre=pre)
        return doc

    def conformance_ex(self) -> Exchange:
        return self.get("conformance")

    def collections_ex(self) -> Exchange:
        return self.get("collections")

    def collections(self, *, pre: bool = True) -> list[dict[str, Any]]:
        ex = self.collections_ex()
        doc = self.ok_json(ex, "/collections", pre=pre, owner=OWNER["collections"])
        listing = parse_listing(doc, ex)
        expect(listing.has_array, "/collections has no 'collections' array"
               + (f" (judged by {OWNER['collections']})" if pre else ""), expected="array",
               actual=type(doc.get("collections")).__name__, evidence=ex, pre=pre)
        return listing.collections

    def sample_collections(self) -> list[dict[str, Any]]:
        cols = self.collections()
        if not cols:
            raise Inconclusive("the target lists no feature collections (with an id) in "
                               "/collections, so there is nothing to judge",
                               evidence=self.collections_ex(),
                               decide="publish at least one feature collection, or point the "
                                      "target at an API that has one")
        return cols[: self.p("max_collections", 5)]

    def items_url(self, cid: str) -> str:
        return f"collections/{cid}/items"

    def items(self, cid: str, accept: str | None = GEOJSON, **params: Any) -> Exchange:
        return self.get(self.items_url(cid), accept=accept,
                        params={k.replace("_", "-") if k == "bbox_crs" else k: v
                                for k, v in params.items()})

    def items_doc(self, cid: str, *, pre: bool = True, accept: str | None = GEOJSON,
                  **params: Any) -> tuple[Exchange, dict[str, Any]]:
        """A 200 FeatureCollection of ``cid`` (a precondition unless ``pre=False``)."""
        ex = self.items(cid, accept=accept, **params)
        what = f"items of {cid}" + (f" ({', '.join(f'{k}={v}' for k, v in params.items())})"
                                    if params else "")
        doc = self.ok_json(ex, what, pre=pre, owner=OWNER["items"])
        expect(is_feature_collection(doc), f"{what}: not a FeatureCollection with a features "
               "array" + (f" (judged by {OWNER['items']})" if pre else ""),
               expected="type FeatureCollection, features: [...]",
               actual={k: doc.get(k) for k in ("type",)} | {"features": type(doc.get("features")).__name__},
               evidence=ex, pre=pre)
        return ex, doc

    def feature_ids(self, cid: str) -> tuple[Exchange, list[str]]:
        ex, doc = self.items_doc(cid, limit=self.p("page_limit", 10))
        ids = [str(f["id"]) for f in doc.get("features", []) if isinstance(f, dict) and "id" in f]
        return ex, ids

    def selection_answered(self, ex: Exchange, cid: str, asked: str, refused: str,
                           label: str = "") -> dict:
        """The judgement of a row whose parameter value must be accepted: the items request
        with ``asked`` (e.g. "with bbox=…"; ``label``: "with bbox") is answered 200 (else FAIL
        with ``refused`` and the status); that the answer is a FeatureCollection is
        fc-response's (a precondition here). The FeatureCollection."""
        from .checks import status_text
        expect(ex.status == 200, f"{refused}: {status_text(ex.status)}", expected=200,
               actual=ex.status, evidence=ex)
        doc = self.ok_json(ex, f"items of {cid} {asked}", pre=True, owner=OWNER["items"])
        expect(is_feature_collection(doc), f"items of {cid}{' ' + label if label else ''} are "
               f"not a FeatureCollection (judged by {OWNER['items']})", evidence=ex, pre=True)
        return doc

    @staticmethod
    def listed_ids(ex: Exchange) -> set[str]:
        """The collection ids a /collections answer names, for a probe that needs them (an
        answer that is no such list names none: judging it is its row's)."""
        try:
            doc = EvidenceClient.json(ex) if ex.status == 200 else None
        except BodyUnusable:
            return set()
        entries = doc.get("collections") if isinstance(doc, dict) else None
        return {str(c["id"]) for c in entries or [] if isinstance(c, dict) and "id" in c} \
            if isinstance(entries, list) else set()

    @staticmethod
    def first_feature_id(ex: Exchange | None) -> str | None:
        """The id of the first feature of an items page, for a probe that reads that feature
        next; None when the page shows none (what is wrong with it is the judge's)."""
        if ex is None or ex.status != 200:
            return None
        try:
            doc = EvidenceClient.json(ex)
        except BodyUnusable:
            return None
        feats = doc.get("features") if isinstance(doc, dict) else None
        first = feats[0] if isinstance(feats, list) and feats else None
        return str(first["id"]) if isinstance(first, dict) and "id" in first else None

    def feature(self, cid: str, fid: str) -> Exchange:
        """GET of one feature (GeoJSON), read once per run and cited by every check using it."""
        return self.get(f"collections/{cid}/items/{fid}", accept=GEOJSON)

    def scan(self, cid: str, **params: Any) -> Scan:
        """Follow rel=next from the first page, bounded by max_features_scan (at most
        max_features_scan / page_limit pages). The first page is a precondition; paging
        trouble ends the scan with a reason and never raises.

        A selection is read once per run: a later check is handed the same pages (cited as its
        evidence), as the OGC ETS judges one response for several assertions. A transport
        error is not kept, so a later check asks again."""
        key = (cid, tuple(sorted((k, str(v)) for k, v in params.items())),
               self.p("page_limit", 10), self.p("max_features_scan", 500))
        kept = self._scans.get(key)
        if kept is None:
            try:
                kept = self._scans[key] = self._scan(cid, **params)
            except Inconclusive as exc:
                self._scans[key] = exc
                raise
            return kept
        if isinstance(kept, Inconclusive):
            for eid in kept.evidence:  # an outcome keeps the ids of its exchanges
                self.http.store.cite(eid)
            raise kept
        for ex in kept.exchanges + kept.stop_evidence:
            self.http.store.cite(ex)
        return kept

    def prefetch_scans(self, selections: list[tuple[str, dict[str, Any]]]) -> None:
        """Read several selections at once (up to the run's in-flight bound): the probe phase
        of a check that then judges each ``scan`` in order from what was read."""
        self.http.fan_out([lambda c=cid, p=params: self.scan(c, **p)
                           for cid, params in selections])

    def prefetch(self, fetches: list[Any]) -> list[Any]:
        """Run independent probes (callables) at once; their outcomes in order (``Done``)."""
        return self.http.fan_out(fetches)

    def each(self, probe: Any, items: Any) -> list[Any]:
        """``probe(item)`` for every item at once: the probe phase of a check whose judge then
        reads the same documents (read once per run) in its own order."""
        return self.http.fan_out([lambda x=x: probe(x) for x in items])

    def _scan(self, cid: str, **params: Any) -> Scan:
        limit = self.p("page_limit", 10)
        max_features = self.p("max_features_scan", 500)
        max_pages = max(1, max_features // limit)
        ex, doc = self.items_doc(cid, limit=limit, **params)
        out = Scan()
        seen_urls = {ex.url}
        while True:
            out.pages.append((ex, doc))
            nxt = rel(doc, "next")
            if not nxt:
                return out
            if len(out.features) >= max_features or len(out.pages) >= max_pages:
                out.stopped = (f"bound reached: {len(out.features)} features in {len(out.pages)} "
                               f"pages (max_features_scan={max_features}); more pages follow")
                return out
            href = next_href(ex.url, doc) or ""
            if href in seen_urls:
                out.stopped = f"paging cycle: rel=next of {ex.url} points to a page already read ({href})"
                out.stop_evidence = [ex]
                return out
            seen_urls.add(href)
            nex = self.http.get(href, accept=GEOJSON)
            try:
                ndoc = self.json(nex) if nex.status == 200 else None
            except BodyUnusable:
                ndoc = None
            if not is_feature_collection(ndoc):
                out.stopped = (f"the next page {href} could not be read (HTTP {nex.status}, "
                               f"{nex.content_type or 'no type'}; judged by {OWNER['next']})")
                out.stop_evidence = [ex, nex]
                return out
            ex, doc = nex, ndoc

    # -- the API definition -----------------------------------------------------------------
    def service_desc(self, *, pre: bool = True) -> tuple[Exchange, dict[str, Any]]:
        lks = rel(self.landing(), "service-desc")
        if not lks:
            raise Inconclusive("the landing page has no rel=service-desc link, so there is no "
                               "machine-readable API definition to read",
                               evidence=self.landing_ex(),
                               decide="link the OpenAPI document from the landing page "
                                      "(rel=service-desc)")
        lk = lks[0]
        ex = self._cache.get("service-desc")
        if ex is None:
            ex = self._cache["service-desc"] = self.get(urljoin(self.base, lk.get("href", "")),
                                                        accept=lk.get("type") or OAS30_JSON)
        else:
            self.http.store.cite(ex)
        doc = self.ok_json(ex, "API definition (service-desc)", pre=pre, owner=OWNER["definition"])
        return ex, doc

    def definition(self) -> tuple[Exchange | None, dict[str, Any] | None, str | None]:
        """The OpenAPI document if it can be read, else (exchange or None, None, why not).
        For checks that only consult it (never a precondition)."""
        try:
            ex, doc = self.service_desc()
        except Inconclusive as exc:
            return (self._cache.get("service-desc"), None,
                    exc.message.removeprefix("precondition not met: "))
        if not isinstance(doc.get("paths"), dict):
            return ex, None, "the API definition has no paths object"
        return ex, doc, None

    def server_base(self, doc: dict[str, Any]) -> str:
        servers = doc.get("servers") or [{}]
        url = servers[0].get("url") if isinstance(servers[0], dict) else None
        base = urljoin(self.base, url or self.base)
        return base if base.endswith("/") else base + "/"

    def local_path(self, doc: dict[str, Any], url: str) -> str:
        """The path of ``url`` relative to the definition's server ("/collections/x/items")."""
        concrete = urlsplit(url).path
        base_path = urlsplit(self.server_base(doc)).path.rstrip("/")
        local = concrete[len(base_path):] if concrete.startswith(base_path) else concrete
        return local or "/"


def find_path(doc: dict[str, Any], local_path: str) -> str | None:
    """The definition's path item that a concrete path falls under (fewest templates wins)."""
    best = None
    for p in (doc.get("paths") or {}):
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(p)) + "/?$"
        if re.match(pattern, local_path):
            score = p.count("{")
            if best is None or score < best[0]:
                best = (score, p)
    return best[1] if best else None


def local_ref(doc: dict[str, Any], node: Any) -> Any:
    """Resolve a local $ref ("#/components/parameters/x"); an external one gives None."""
    seen = 0
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and seen < 10:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            return None
        cur: Any = doc
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            cur = cur.get(part) if isinstance(cur, dict) else None
        node, seen = cur, seen + 1
    return node


def query_parameters(doc: dict[str, Any], path: str, method: str = "get") -> tuple[list[dict[str, Any]], int]:
    """The query parameters of an operation (path-level and operation-level, local $refs
    resolved) and how many parameter references could not be resolved (external $refs)."""
    item = (doc.get("paths") or {}).get(path)
    if not isinstance(item, dict):
        return [], 0
    op = item.get(method) if isinstance(item.get(method), dict) else {}
    out, unresolved = [], 0
    for raw in list(item.get("parameters") or []) + list(op.get("parameters") or []):
        p = local_ref(doc, raw)
        if p is None:
            unresolved += 1
        elif isinstance(p, dict) and p.get("in") == "query":
            out.append(p)
    return out, unresolved


def free_form(doc: dict[str, Any], param: dict[str, Any]) -> bool:
    """An OpenAPI "free-form" query parameter (OGC 17-069r4 7.6, 'OpenAPI schema for additional
    "free-form" query parameters'): an object schema that allows additional properties, with
    style form and explode true (the default of style form), so that every further query
    parameter is a property of it."""
    schema = local_ref(doc, param.get("schema"))
    if not isinstance(schema, dict) or schema.get("type") != "object":
        return False
    if param.get("style", "form") != "form" or param.get("explode", True) is False:
        return False
    return schema.get("additionalProperties", True) is not False


def parameter(doc: dict[str, Any], path: str, name: str) -> dict[str, Any] | None:
    for p in query_parameters(doc, path)[0]:
        if p.get("name") == name:
            return p
    return None
