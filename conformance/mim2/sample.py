"""Sample entities per type from an NGSI-LD target, in keyValues and normalized form."""

from __future__ import annotations

from typing import Any

from oupcheck.evidence import Exchange
from oupcheck.http import BodyUnusable, EvidenceClient
from oupcheck.ngsild import api_base, entities_of, type_names
from oupcheck.verdicts import Inconclusive


class Sampler:
    def __init__(self, run: Any, http: EvidenceClient, interface_url: str | None = None):
        self.run, self.http = run, http
        self.base = api_base(interface_url or run.interface.url)
        self._types: tuple[Exchange, list[str]] | None = None
        self._entities: dict[tuple[str, bool], tuple[Exchange, list[dict]]] = {}

    def types(self) -> tuple[Exchange, list[str]]:
        """The entity types to sample (GET /types, an EntityTypeList, clause 5.7.5 / 5.2.24).

        The list is what the MIM2 rows judge with, not what they judge: when it cannot be had
        the rows are INCONCLUSIVE (the NGSI-LD API itself is the mim1-ngsi-ld profile's)."""
        if self._types is None:
            ex = self.http.get(self.base + "/types", accept="application/json",
                               note="entity types (full IRIs: no @context sent)")
            self._types = (ex, self._type_list(ex))
        else:
            self.http.store.cite(self._types[0])
        ex, types = self._types
        if not types:
            raise Inconclusive(f"the target holds no entities to sample ({self._why})",
                               evidence=ex, decide="point the target file at an NGSI-LD "
                               "platform that holds entities (GET /ngsi-ld/v1/types lists "
                               "their types)")
        return self._types

    _why = ""

    def _type_list(self, ex: Exchange) -> list[str]:
        if ex.status != 200:
            self._why = f"GET /types answered HTTP {ex.status}, not an EntityTypeList"
            return []
        try:
            doc = EvidenceClient.json(ex)
        except BodyUnusable as exc:
            self._why = f"GET /types is not JSON: {exc}"
            return []
        types, why = type_names(doc)
        if types is None:
            self._why = ("GET /types answered 200, but not with an EntityTypeList (ETSI GS CIM "
                         f"009 5.7.5): {why}")
            return []
        self._why = "GET /types lists no type"
        return types[: int(self.run.param("max_types", 20))]

    def entities(self, type_iri: str, key_values: bool = True) -> tuple[Exchange, list[dict]]:
        key = (type_iri, key_values)
        if key not in self._entities:
            params = {"type": type_iri, "limit": int(self.run.param("sample_per_type", 20))}
            if key_values:
                params["options"] = "keyValues"
            ex = self.http.get(self.base + "/entities", params=params, accept="application/json",
                               note=f"sample of {type_iri}")
            doc = EvidenceClient.json(ex) if ex.status == 200 else []
            self._entities[key] = (ex, entities_of(doc))
        else:
            self.http.store.cite(self._entities[key][0])
        return self._entities[key]
