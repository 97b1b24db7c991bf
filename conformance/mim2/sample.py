"""Sample entities per type from an NGSI-LD target, in keyValues and normalized form."""

from __future__ import annotations

from typing import Any

from oupcheck.evidence import Exchange
from oupcheck.http import BodyUnusable, EvidenceClient
from oupcheck.verdicts import CheckFailed, Inconclusive


class Sampler:
    def __init__(self, run: Any, http: EvidenceClient, interface_url: str | None = None):
        self.run, self.http = run, http
        self.base = (interface_url or run.interface.url).rstrip("/") + "/ngsi-ld/v1"
        self._types: tuple[Exchange, list[str]] | None = None
        self._entities: dict[tuple[str, bool], tuple[Exchange, list[dict]]] = {}

    def types(self) -> tuple[Exchange, list[str]]:
        if self._types is None:
            ex = self.http.get(self.base + "/types", accept="application/json",
                               note="entity types (full IRIs: no @context sent)")
            if ex.status != 200:
                raise CheckFailed("the entity types cannot be listed", expected="200 at /types",
                                  actual=f"HTTP {ex.status}", evidence=ex)
            try:
                doc = EvidenceClient.json(ex)
            except BodyUnusable as exc:
                raise CheckFailed("/types is not JSON", expected="EntityTypeList",
                                  actual=str(exc), evidence=ex) from None
            types = doc.get("typeList") if isinstance(doc, dict) else None
            if types is None and isinstance(doc, list):  # detailed form
                types = [t.get("typeName", t.get("id")) for t in doc if isinstance(t, dict)]
            limit = int(self.run.param("max_types", 20))
            self._types = (ex, [t for t in (types or []) if isinstance(t, str)][:limit])
        else:
            self.http.store.cite(self._types[0])
        if not self._types[1]:
            raise Inconclusive("the target holds no entities to sample", evidence=self._types[0])
        return self._types

    def entities(self, type_iri: str, key_values: bool = True) -> tuple[Exchange, list[dict]]:
        key = (type_iri, key_values)
        if key not in self._entities:
            params = {"type": type_iri, "limit": int(self.run.param("sample_per_type", 20))}
            if key_values:
                params["options"] = "keyValues"
            ex = self.http.get(self.base + "/entities", params=params, accept="application/json",
                               note=f"sample of {type_iri}")
            doc = EvidenceClient.json(ex) if ex.status == 200 else []
            self._entities[key] = (ex, [e for e in doc if isinstance(e, dict)]
                                   if isinstance(doc, list) else [])
        else:
            self.http.store.cite(self._entities[key][0])
        return self._entities[key]
