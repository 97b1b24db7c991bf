"""ADR chapter 3.6 Documentation: /core/doc-openapi, /core/publish-openapi,
/core/doc-openapi-contact (2.1.0)."""

from __future__ import annotations


from oupcheck.errors import TransportError
from oupcheck.http import BodyUnusable, EvidenceClient, Unparsable, json_type, parse_yaml
from oupcheck.marks import requirement

from ..oas import external_refs, schema_errors, semantic_errors

from .api import CheckFailed, Inconclusive, expect


@requirement("nlgov-adr:/core/doc-openapi")
def test_openapi_document(adr, http):
    try:
        ex, doc = adr.openapi()
    except Inconclusive as exc:
        raise CheckFailed("the API publishes no OpenAPI document", expected="an OpenAPI 3 "
                          "document at openapi.json or linked as service-desc",
                          actual=exc.message, evidence=exc.evidence) from None
    # probe: the external $refs, "All references, external ones included, MUST be publicly
    # resolvable" (read without the API's credentials)
    refs = sorted(external_refs(doc))
    limit = int(adr.run.param("max_external_refs", 20))
    fetched = http.fan_out([lambda ref=ref: http.get(ref if "://" in ref else http.url(ref),
                                                     auth=False, note="external $ref of the "
                                                     "OpenAPI document") for ref in refs[:limit]])
    # judge
    version = str(doc.get("openapi", ""))
    expect(version.startswith("3."), "the API is not documented with OpenAPI 3",
           expected="openapi: 3.x", actual=version or "(no openapi field)", evidence=ex)
    errors = schema_errors(doc)
    if errors:
        path, message = errors[0]
        raise CheckFailed(f"the OpenAPI document is invalid at {path}: {message}",
                          expected=f"valid OpenAPI {version}", actual=f"{path}: {message}",
                          evidence=ex)
    expect(doc.get("paths"), "the OpenAPI document defines no paths", expected="paths",
           actual="none", evidence=ex)
    if not refs:
        for path, message in semantic_errors(doc):
            raise CheckFailed(f"the OpenAPI document is invalid at {path}: {message}",
                              expected=f"valid OpenAPI {version}", actual=f"{path}: {message}",
                              evidence=ex)
        return
    unreachable = []
    for ref, done in zip(refs, fetched):
        try:
            rex = done.get()
        except TransportError as exc:
            unreachable.append(f"{ref} ({exc})")
            continue
        expect(rex.status == 200, "an external $ref of the OpenAPI document does not resolve",
               expected=f"200 at {ref}", actual=f"HTTP {rex.status}", evidence=[ex, rex])
    if unreachable:
        raise Inconclusive(f"{len(unreachable)} external $ref(s) could not be fetched from here, "
                           f"so their resolvability is not decided: {unreachable[0]}", evidence=ex)


@requirement("nlgov-adr:/core/publish-openapi")
def test_openapi_published(adr, http):
    url = f"{adr.base}/openapi.json"
    ex = http.get(url, accept="application/json", auth=False,
                  headers={"Origin": "https://viewer.oupcheck.invalid"},
                  note="openapi.json without credentials, from a foreign origin")
    y = http.get(f"{adr.base}/openapi.yaml", auth=False, note="optional openapi.yaml")
    expect(ex.status == 200, "openapi.json is not published in the base path",
           expected=f"200 at {url}", actual=f"HTTP {ex.status}", evidence=ex)
    try:
        doc = EvidenceClient.json(ex)
    except BodyUnusable as exc:
        raise CheckFailed("openapi.json is not JSON", expected="a JSON document",
                          actual=str(exc), evidence=ex) from None
    version = doc.get("openapi") if isinstance(doc, dict) else None
    expect(isinstance(version, str), "openapi.json is not an OpenAPI document: " + (
        f"/openapi is {json_type(version)}, not the version string" if isinstance(doc, dict)
        else f"/ is {json_type(doc)}, not an object"),
           expected="an object with 'openapi'", actual=str(doc)[:100], evidence=ex)
    acao = (ex.header("access-control-allow-origin") or "").strip()
    expect(acao in ("*", "https://viewer.oupcheck.invalid"),
           "openapi.json cannot be read from other origins (CORS)",
           expected="Access-Control-Allow-Origin: *", actual=acao or None, evidence=ex)
    if y.status == 200:
        try:
            ydoc = parse_yaml(y.body)
        except Unparsable as exc:
            if exc.limit:
                raise Inconclusive(f"openapi.yaml is past the suite's bounds: {exc}",
                                   evidence=y) from None
            raise CheckFailed("openapi.yaml is published but is not YAML", expected="YAML",
                              actual=str(exc)[:200], evidence=y) from None
        expect(ydoc == doc, "openapi.yaml and openapi.json differ",
               expected="the same OpenAPI description", actual="different documents",
               evidence=[ex, y])


@requirement("nlgov-adr:/core/doc-openapi-contact")
def test_openapi_contact(adr):
    ex, doc = adr.openapi()
    contact = (doc.get("info") or {}).get("contact")
    expect(isinstance(contact, dict) and contact, "the OpenAPI document has no info.contact",
           expected="info.contact with name, url, email", actual=contact, evidence=ex)
