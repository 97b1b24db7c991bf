"""What the NL API Design Rules checks share: the API's base, its published OpenAPI document
(fetched once, cited by every static rule), and the version of the rules being applied."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from oupcheck.errors import TransportError
from oupcheck.evidence import Exchange
from oupcheck.http import BodyUnusable, EvidenceClient, Unparsable, parse_yaml
from oupcheck.verdicts import CheckFailed, Inconclusive, expect

ADR = "nlgov-adr:"
LINTER = "nlgov-adr-linter:"
# semver.org's own regular expression (the ADR linter uses it from 2.2 on)
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-]"
                    r"[0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-z"
                    r"A-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$")
# ADR 2.1.0 appendix A, rule paths-kebab-case
KEBAB_PATH = re.compile(r"^(\/|(\/_[a-z0-9]+|\/(([a-z0-9\-]+|{[^}]+})(\/([a-z0-9\-\.]+|{[^}]+}))*)"
                        r"(\/_[a-z]+)?)\/?)$")
HTTP_METHODS = {"get", "head", "post", "put", "delete", "connect", "options", "trace", "patch"}
PATH_ITEM_FIELDS = {"summary", "description", "servers", "parameters", "$ref"}


class AdrAPI:
    def __init__(self, run: Any, http: EvidenceClient):
        self.run = run
        self.http = http
        self.base = run.interface.url.rstrip("/")
        self.version = str(run.param("adr_version", "2.1.0"))
        self._oas: tuple[Exchange, dict] | None = None
        self._root: Exchange | None = None

    @property
    def v21(self) -> bool:
        return self.version >= "2.1"

    def root(self) -> Exchange:
        if self._root is None:
            self._root = self.http.get(self.base, accept="application/json",
                                       note="API root (ADR checks)")
        else:
            self.http.store.cite(self._root)
        return self._root

    def _candidates(self) -> list[str]:
        if self.run.interface.description:
            return [self.run.interface.description]
        return [f"{self.base}/openapi.json"]

    def _service_desc(self, tried: list[Exchange]) -> str | None:
        """The OpenAPI document linked from the landing page (rel=service-desc), if any."""
        ex = self.root()
        tried.append(ex)
        try:
            doc = EvidenceClient.json(ex) if ex.status == 200 else None
        except BodyUnusable:
            return None
        for link in (doc or {}).get("links") or [] if isinstance(doc, dict) else []:
            if isinstance(link, dict) and link.get("rel") == "service-desc" and \
                    "json" in str(link.get("type", "json")):
                return link.get("href")
        return None

    def openapi(self) -> tuple[Exchange, dict]:
        """The published OpenAPI document: openapi.json in the base path (per
        /core/publish-openapi), else the target file's description URL, else the landing
        page's service-desc link. Raises Inconclusive when none is found (the documentation
        rule itself turns that into its FAIL)."""
        if self._oas is not None:
            self.http.store.cite(self._oas[0])
            return self._oas
        tried: list[Exchange] = []
        urls = self._candidates()
        for i in range(2):
            for url in urls:
                ex = self.http.get(url, accept="application/json", auth=False,
                                   note="OpenAPI document (fetched without credentials)")
                tried.append(ex)
                if ex.status == 200:
                    self._oas = (ex, self._parse(ex))
                    return self._oas
            link = self._service_desc(tried) if i == 0 else None
            if not link:
                break
            urls = [link]
        raise Inconclusive("no OpenAPI document found (tried "
                           + ", ".join(f"{e.url} -> {e.status}" for e in tried) + ")",
                           evidence=tried)

    @staticmethod
    def _parse(ex: Exchange) -> dict:
        try:
            doc = EvidenceClient.json(ex)
        except BodyUnusable:
            try:
                doc = parse_yaml(ex.body)
            except Unparsable as exc:
                if exc.limit:
                    raise Inconclusive(f"the OpenAPI document is past the suite's bounds: {exc}",
                                       evidence=ex) from None
                raise CheckFailed("the OpenAPI document cannot be parsed",
                                  expected="JSON (or YAML)", actual=str(exc)[:200],
                                  evidence=ex) from None
        if not isinstance(doc, dict):
            raise CheckFailed("the OpenAPI document is not an object", expected="object",
                              actual=type(doc).__name__, evidence=ex)
        return doc

    def operations(self) -> list[tuple[str, str, dict]]:
        ex, doc = self.openapi()
        out = []
        for path, item in (doc.get("paths") or {}).items():
            if isinstance(item, dict):
                for method, op in item.items():
                    if method.lower() in HTTP_METHODS and isinstance(op, dict):
                        out.append((path, method.lower(), op))
        return out

    def a_resource_path(self) -> str:
        """A concrete collection path of the API (no path parameters), for live probes."""
        _, doc = self.openapi()
        paths = [p for p in (doc.get("paths") or {}) if p not in ("/", "/openapi.json")
                 and "{" not in p and not p.endswith("/")]
        if not paths:
            raise Inconclusive("the OpenAPI document lists no concrete resource path")
        return sorted(paths, key=len)[0]

    def server_urls(self) -> list[str]:
        _, doc = self.openapi()
        return [s.get("url", "") for s in doc.get("servers") or [] if isinstance(s, dict)]


def base_path(url: str) -> str:
    return urlsplit(url).path


def need(cond: Any, why: str, evidence: Any = None) -> None:
    if not cond:
        raise Inconclusive(why, evidence=evidence)


__all__ = ["AdrAPI", "expect", "CheckFailed", "Inconclusive", "TransportError",
           "SEMVER", "KEBAB_PATH", "PATH_ITEM_FIELDS", "HTTP_METHODS", "base_path", "need"]
