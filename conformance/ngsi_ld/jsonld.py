"""JSON-LD expansion (pyld) with an offline document loader: the NGSI-LD core @context comes
from the profile's resource (a data directory, the cache, or its published URL); the suite's
own context is served from memory."""

from __future__ import annotations

from typing import Any

from pyld import jsonld

from oupcheck.verdicts import CheckFailed, Inconclusive

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
    """The expanded form of one entity, keyed by attribute IRI (values as pyld gives them).
    A context the suite cannot load is INCONCLUSIVE; a document or context that JSON-LD
    cannot process is the answer's fault (FAIL, NGSI-LD 6.3.5, JSON-LD 1.1 processing)."""
    body = {k: v for k, v in doc.items() if k != "@context"}
    body["@context"] = context
    try:
        out = jsonld.expand(body, {"documentLoader": loader})
    except jsonld.JsonLdError as exc:
        text = " ".join(str(exc).split())[:200]
        if "not available offline" in text or "loading document failed" in text:
            raise Inconclusive(f"a JSON-LD context could not be loaded here: {text}",
                               decide="give --data-dir with the context, or allow the "
                                      "download") from None
        raise CheckFailed(f"the answer is not valid JSON-LD (ETSI GS CIM 009 6.3.5: the "
                          f"@context resolves the terms): {text}",
                          expected="a JSON-LD document with a valid @context",
                          actual=text) from None
    return out[0] if out else {}
