"""JSON-LD expansion (pyld) with an offline document loader: the NGSI-LD core @context comes
from the profile's resource (a data directory, the cache, or its published URL); the suite's
own context is served from memory."""

from __future__ import annotations

from typing import Any

from pyld import jsonld

from .api import CONTEXT, CORE

CORE_ALIASES = ("https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld", CORE)


def loader_for(run: Any, own_context_url: str):
    def load(url: str, options: dict | None = None) -> dict:
        if url == own_context_url:
            doc = CONTEXT
        elif url in CORE_ALIASES:
            doc = run.data.document(run.data.url("ngsi-ld-core", "ngsi-ld-core-context-v1.8.jsonld"))
        else:
            raise jsonld.JsonLdError(f"context {url} is not available offline", "loading document failed")
        return {"contextUrl": None, "documentUrl": url, "document": doc}
    return load


def expand(doc: dict[str, Any], context: Any, loader) -> dict[str, Any]:
    """The expanded form of one entity, keyed by attribute IRI (values as pyld gives them)."""
    body = {k: v for k, v in doc.items() if k != "@context"}
    body["@context"] = context
    out = jsonld.expand(body, {"documentLoader": loader})
    return out[0] if out else {}
