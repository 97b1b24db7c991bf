"""OGC API - Features (OGC 17-069r4): the one client layer of the suite.

Everything that talks to an OGC API reads it through this module: the checks
(``conformance/ogcapi_features/api.py`` builds its precondition and read-once logic on it),
the security surface, ``export`` and the ``lock-in`` harvest, the load scenarios' discovery, and
``discover``. It knows the shapes of the standard's documents (landing page links, the
conformance declaration, the collections list, FeatureCollection pages and their rel=next)
and says, with a JSON pointer, what is wrong with one that does not have its shape. It sends
through the ``EvidenceClient`` it is given, so every exchange is recorded, and it does not
judge: the callers decide what a missing or malformed document means for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from .evidence import Exchange
from .http import EvidenceClient, json_at, json_type

JSON = "application/json"
GEOJSON = "application/geo+json"
HTML = "text/html"
OAS30_JSON = "application/vnd.oai.openapi+json;version=3.0"
CONF = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"
CORE = CONF + "core"
# where the standard says what a collections list holds (cited in the problems found)
LISTING_CLAUSE = "OGC 17-069r4 7.13.2, /req/core/fc-md-items"


def links(doc: Any) -> list[dict[str, Any]]:
    """The well-formed links of a document (objects with a string href). A malformed one is
    no link to follow; the schema rows (landingPage.yaml, link.yaml) FAIL it by its pointer."""
    if isinstance(doc, dict) and isinstance(doc.get("links"), list):
        return [lk for lk in doc["links"] if isinstance(lk, dict)
                and isinstance(lk.get("href"), str)]
    return []


def rel(doc: Any, name: str) -> list[dict[str, Any]]:
    return [lk for lk in links(doc) if lk.get("rel") == name]


def rels(doc: Any) -> dict[str, str]:
    """rel -> href of the first well-formed link with that (string) rel."""
    out: dict[str, str] = {}
    for lk in links(doc):
        if isinstance(lk.get("rel"), str):
            out.setdefault(lk["rel"], lk["href"])
    return out


def media(value: str | None) -> str:
    return (value or "").split(";")[0].strip().lower()


def is_feature_collection(doc: Any) -> bool:
    return isinstance(doc, dict) and doc.get("type") == "FeatureCollection" \
        and isinstance(doc.get("features"), list)


def next_href(page_url: str, doc: Any) -> str | None:
    """The absolute URL of a page's rel=next link, if it has one."""
    nxt = rel(doc, "next")
    return urljoin(page_url, nxt[0]["href"]) if nxt else None


@dataclass
class Listing:
    """What /collections shows. ``collections``: the entries that are collections with a
    string id. ``problems``: (index, text) of each entry that is not one. ``why``: why there
    is no usable entry at all (None when there is one), with the pointer of what is wrong."""
    exchange: Exchange | None
    collections: list[dict[str, Any]] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)
    why: str | None = None
    has_array: bool = False  # the document holds a 'collections' array (maybe empty)


def parse_listing(doc: Any, exchange: Exchange | None = None) -> Listing:
    """The collections of a /collections document, without I/O."""
    out = Listing(exchange)
    listing = json_at(doc, "collections")
    if not isinstance(listing, list):
        out.why = f"/collections is {json_type(listing)}"
        return out
    out.has_array = True
    for n, c in enumerate(listing):
        cid = c.get("id") if isinstance(c, dict) else None
        if isinstance(cid, str) and cid:
            out.collections.append(c)
        else:
            out.problems.append((n, f"/collections/{n}{'/id' if isinstance(c, dict) else ''} is "
                                    f"{json_type(cid if isinstance(c, dict) else c)}"))
    if not out.collections:
        out.why = "the list is empty" if not listing else out.problems[0][1]
    return out


def extent(c: dict[str, Any]) -> tuple[list[float] | None, list[Any] | None]:
    """The first spatial box (2D) and the first temporal interval a collection declares."""
    bbox = json_at(c, "extent", "spatial", "bbox", 0)
    interval = json_at(c, "extent", "temporal", "interval", 0)
    return (bbox if isinstance(bbox, list) and len(bbox) == 4 else None,
            interval if isinstance(interval, list) else None)


class FeaturesClient:
    """Requests of an OGC API - Features at ``base`` (a folder URL), recorded by ``http``."""

    def __init__(self, http: EvidenceClient, base: str):
        self.http = http
        self.base = base if base.endswith("/") else base + "/"

    def url(self, path: str) -> str:
        return urljoin(self.base, path)

    def document(self, path: str, *, accept: str | None = JSON, note: str | None = None,
                 params: dict[str, Any] | None = None) -> tuple[Exchange, Any]:
        """GET a JSON document: (exchange, parsed body, or None when it is no 200 JSON)."""
        return self.http.document(self.url(path), accept=accept, note=note, params=params)

    def landing(self, note: str | None = None) -> tuple[Exchange, Any]:
        return self.document("", note=note)

    def declared_classes(self, note: str | None = None,
                         href: str | None = None) -> tuple[Exchange, list[str]]:
        """The conformance classes /conformance (or the landing page's rel=conformance href)
        declares; an empty list when there is no readable declaration."""
        ex, doc = self.document(href or "conformance", note=note)
        declared = json_at(doc, "conformsTo")
        return ex, [c for c in declared if isinstance(c, str)] if isinstance(declared, list) else []

    def collections(self, note: str | None = None) -> Listing:
        ex = self.http.get(self.url("collections"), accept=JSON, note=note)
        if ex.status != 200:
            return Listing(ex, why=f"GET {ex.url} answered HTTP {ex.status}"
                           + (f" ({ex.redirect})" if ex.redirect else ""))
        return parse_listing(EvidenceClient.json(ex), ex)

    def items_url(self, cid: str) -> str:
        return self.url(f"collections/{cid}/items")

    def items(self, cid: str, *, note: str | None = None, accept: str | None = GEOJSON,
              **params: Any) -> Exchange:
        return self.http.get(self.items_url(cid), accept=accept, note=note,
                             params=params or None)
