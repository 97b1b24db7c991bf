"""Probes for OGC API - Features: they send requests and return recorded exchanges.

Discovery (landing page, conformance, collections) is fetched once per run and
cited as evidence by every check that relies on it. All loops are bounded by
the profile's parameters.
"""

from __future__ import annotations

from typing import Any, Iterator
from urllib.parse import urljoin

from oupcheck.evidence import Exchange
from oupcheck.http import EvidenceClient
from oupcheck.verdicts import CheckFailed, Inconclusive, expect

JSON = "application/json"
GEOJSON = "application/geo+json"
HTML = "text/html"
OAS30_JSON = "application/vnd.oai.openapi+json;version=3.0"
CONF = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"


def links(doc: Any) -> list[dict[str, Any]]:
    if isinstance(doc, dict) and isinstance(doc.get("links"), list):
        return [lk for lk in doc["links"] if isinstance(lk, dict)]
    return []


def rel(doc: Any, name: str) -> list[dict[str, Any]]:
    return [lk for lk in links(doc) if lk.get("rel") == name]


def media(value: str | None) -> str:
    return (value or "").split(";")[0].strip().lower()


class FeaturesAPI:
    def __init__(self, run: Any):
        self.run = run
        self.http: EvidenceClient = run.client
        self.base = run.interface.url if run.interface.url.endswith("/") else run.interface.url + "/"
        self._cache: dict[str, Exchange] = {}

    # -- bounded parameters ------------------------------------------------------------------
    def p(self, name: str, default: int) -> int:
        return int(self.run.param(name, default))

    # -- raw requests ------------------------------------------------------------------------
    def get(self, url: str, *, accept: str | None = JSON, **kw: Any) -> Exchange:
        return self.http.get(urljoin(self.base, url), accept=accept, **kw)

    def cached(self, key: str, url: str, accept: str = JSON) -> Exchange:
        ex = self._cache.get(key)
        if ex is None:
            ex = self._cache[key] = self.get(url, accept=accept)
        else:
            self.http.store.cite(ex)
        return ex

    @staticmethod
    def json(ex: Exchange) -> Any:
        return EvidenceClient.json(ex)

    def ok_json(self, ex: Exchange, what: str) -> Any:
        expect(ex.status == 200, f"{what}: expected HTTP 200", expected=200, actual=ex.status,
               evidence=ex)
        doc = self.json(ex)
        expect(isinstance(doc, dict), f"{what}: expected a JSON object", expected="object",
               actual=type(doc).__name__, evidence=ex)
        return doc

    # -- discovery (cached, cited) --------------------------------------------------------
    def landing_ex(self) -> Exchange:
        return self.cached("landing", self.base)

    def landing(self) -> dict[str, Any]:
        return self.ok_json(self.landing_ex(), "landing page")

    def conformance_ex(self) -> Exchange:
        return self.cached("conformance", "conformance")

    def collections_ex(self) -> Exchange:
        return self.cached("collections", "collections")

    def collections(self) -> list[dict[str, Any]]:
        doc = self.ok_json(self.collections_ex(), "/collections")
        cols = doc.get("collections")
        if not isinstance(cols, list):
            raise CheckFailed("/collections has no 'collections' array", expected="array",
                              actual=type(cols).__name__, evidence=self.collections_ex())
        return [c for c in cols if isinstance(c, dict) and isinstance(c.get("id"), str)]

    def sample_collections(self) -> list[dict[str, Any]]:
        cols = self.collections()
        if not cols:
            raise Inconclusive("the target lists no feature collections",
                               evidence=self.collections_ex())
        return cols[: self.p("max_collections", 5)]

    def items_url(self, cid: str) -> str:
        return f"collections/{cid}/items"

    def items(self, cid: str, accept: str | None = GEOJSON, **params: Any) -> Exchange:
        return self.http.get(urljoin(self.base, self.items_url(cid)), accept=accept,
                             params={k.replace("_", "-") if k == "bbox_crs" else k: v
                                     for k, v in params.items()})

    def items_doc(self, cid: str, **params: Any) -> tuple[Exchange, dict[str, Any]]:
        ex = self.items(cid, **params)
        return ex, self.ok_json(ex, f"items of {cid}")

    def feature_ids(self, cid: str) -> tuple[Exchange, list[str]]:
        ex, doc = self.items_doc(cid, limit=self.p("page_limit", 10))
        ids = [str(f["id"]) for f in doc.get("features", []) if isinstance(f, dict) and "id" in f]
        return ex, ids

    def scan(self, cid: str, **params: Any) -> Iterator[tuple[Exchange, dict[str, Any]]]:
        """Follow rel=next from the first page, bounded by max_features_scan and max pages."""
        limit = self.p("page_limit", 10)
        max_features = self.p("max_features_scan", 500)
        pages = max(1, max_features // limit)
        ex, doc = self.items_doc(cid, limit=limit, **params)
        seen = 0
        seen_urls = {ex.url}
        for _ in range(pages):
            yield ex, doc
            seen += len(doc.get("features") or [])
            nxt = rel(doc, "next")
            if not nxt or seen >= max_features:
                return
            href = urljoin(ex.url, nxt[0].get("href", ""))
            if href in seen_urls:
                raise CheckFailed("rel=next points to a page already visited (paging cycle)",
                                  expected="a new page", actual=href, evidence=ex)
            seen_urls.add(href)
            ex = self.http.get(href, accept=GEOJSON)
            doc = self.ok_json(ex, f"next page of {cid}")

    def all_features(self, cid: str, **params: Any) -> tuple[list[dict[str, Any]], bool, list[Exchange]]:
        """Features from a bounded scan; ``complete`` is True if the scan reached the end."""
        feats: list[dict[str, Any]] = []
        exs: list[Exchange] = []
        complete = False
        max_features = self.p("max_features_scan", 500)
        for ex, doc in self.scan(cid, **params):
            exs.append(ex)
            feats.extend(f for f in doc.get("features") or [] if isinstance(f, dict))
            complete = not rel(doc, "next")
        if len(feats) >= max_features and not complete:
            complete = False
        return feats, complete, exs

    def service_desc(self) -> tuple[Exchange, dict[str, Any]]:
        lks = rel(self.landing(), "service-desc")
        if not lks:
            raise Inconclusive("the landing page has no rel=service-desc link",
                               evidence=self.landing_ex())
        lk = lks[0]
        ex = self._cache.get("service-desc")
        if ex is None:
            ex = self._cache["service-desc"] = self.get(urljoin(self.base, lk.get("href", "")),
                                                        accept=lk.get("type") or OAS30_JSON)
        else:
            self.http.store.cite(ex)
        doc = self.ok_json(ex, "API definition (service-desc)")
        return ex, doc


OAF = "http://www.opengis.net/spec/ogcapi-features-1/1.0"


def requirement(*ids: str):
    """Marker naming the OGC requirement URIs (given as /req/... or /rec/...) a check verifies."""
    import pytest
    return pytest.mark.requirement(*(OAF + i for i in ids))
