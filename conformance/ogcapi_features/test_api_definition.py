"""Clause 7.3 API definition; clause 9 OpenAPI 3.0 (definition, implementation, completeness)."""

import re
from urllib.parse import urljoin

from oupcheck.marks import requirement
from oupcheck.verdicts import CheckFailed, Inconclusive, NotApplicable, expect, judged

from ..oas import external_refs, schema_errors, semantic_errors
from .api import GEOJSON, HTML, JSON, find_path, links, media, rel
from .checks import server_error, status_text


def definition_links(oaf):
    doc = oaf.landing()
    lks = rel(doc, "service-desc") + rel(doc, "service-doc")
    # a landing page without them fails /req/core/root-success; here there is nothing to judge
    expect(lks, "the landing page links no API definition (rel service-desc or service-doc; "
           "judged by /req/core/root-success)", expected="service-desc/doc",
           actual=[lk.get("rel") for lk in links(doc)], evidence=oaf.landing_ex(),
           pre=True)
    return lks


@requirement("/req/core/api-definition-op")
def test_api_definitions_support_get(oaf):
    # abstract test /conf/core/api-definition-op: "Validate that a document was returned with a
    # status code 200"
    lks = definition_links(oaf)
    oaf.each(lambda lk: oaf.get(urljoin(oaf.base, lk.get("href", "")),
                                accept=lk.get("type") or None), lks)
    for lk in lks:
        ex = oaf.get(urljoin(oaf.base, lk.get("href", "")), accept=lk.get("type") or None)
        expect(ex.status == 200 and bool(ex.body),
               f"GET {lk.get('href')} (rel={lk.get('rel')}) is not supported: "
               f"{status_text(ex.status)}{'' if ex.body or ex.status != 200 else ', empty body'}",
               expected="HTTP 200 with a document", actual=ex.status, evidence=ex)


@requirement("/req/core/api-definition-success")
def test_api_definitions_match_requested_type(oaf):
    # a link without a type is judged by /req/core/fc-rel-type-like rules
    lks = [lk for lk in definition_links(oaf) if lk.get("type")]
    oaf.each(lambda lk: oaf.get(urljoin(oaf.base, lk.get("href", "")), accept=lk["type"]), lks)
    for lk in lks:
        wanted = lk["type"]
        ex = oaf.get(urljoin(oaf.base, lk.get("href", "")), accept=wanted)
        expect(ex.status == 200, f"{lk.get('rel')} did not answer 200", expected=200,
               actual=ex.status, evidence=ex)
        expect(media(ex.content_type) == media(wanted),
               f"{lk.get('rel')} answered another media type than the link promised",
               expected=media(wanted), actual=ex.content_type, evidence=ex)
        if media(wanted).endswith("json"):
            oaf.json(ex)
        elif media(wanted) == HTML:
            expect(b"<html" in ex.body[:4096].lower(), "service-doc is not an HTML document",
                   expected="<html", actual=ex.body[:120].decode("utf-8", "replace"), evidence=ex)


def _validate_openapi(oaf, pre):
    """The document against the OpenAPI 3.0 schema, then (when it references no external
    documents) the full semantic validation of openapi-spec-validator. ``pre``: reading the
    document is a precondition (not this row's judgement)."""
    ex, doc = oaf.service_desc(pre=pre)
    version = str(doc.get("openapi", ""))
    if not version.startswith("3.0"):
        return ex, doc, f"the definition is OpenAPI {version or '(no openapi field)'}, not 3.0", ""
    errors = schema_errors(doc)
    if errors:
        path, message = errors[0]
        raise CheckFailed(f"the API definition is not valid OpenAPI 3.0 at {path}: {message}",
                          expected="valid OpenAPI 3.0", actual=f"{path}: {message}", evidence=ex)
    external = external_refs(doc)
    if external:
        return ex, doc, None, (f"document valid against the OpenAPI 3.0 schema; its {len(external)} "
                               "external references were not dereferenced")
    for path, message in semantic_errors(doc):
        raise CheckFailed(f"the API definition is not valid OpenAPI 3.0 at {path}: {message}",
                          expected="valid OpenAPI 3.0", actual=f"{path}: {message}", evidence=ex)
    judged("API definitions validated (schema and semantics)", 1)
    return ex, doc, None, "document valid OpenAPI 3.0 (schema and semantics)"


@requirement("/req/oas30/oas-definition-2")
def test_openapi_definition_is_valid(oaf):
    ex, doc, problem, note = _validate_openapi(oaf, pre=False)
    expect(problem is None, problem or "", expected="openapi: 3.0.x", actual=doc.get("openapi"),
           evidence=ex)
    if note.startswith("document valid against"):
        raise Inconclusive(note + ", so referenced parts could not be judged", evidence=ex)


@requirement("/rec/core/api-definition-oas")
def test_openapi_definition_is_valid_if_openapi_30(oaf):
    ex, doc, problem, note = _validate_openapi(oaf, pre=True)
    if problem:
        raise NotApplicable(problem, evidence=ex)
    if note.startswith("document valid against"):
        raise Inconclusive(note + ", so referenced parts could not be judged", evidence=ex)


# -- the definition against the server ----------------------------------------------------------

def _operations(doc):
    for path, item in (doc.get("paths") or {}).items():
        if isinstance(item, dict) and isinstance(item.get("get"), dict):
            yield path, item["get"]


def _concrete(oaf, path):
    """Fill {collectionId} and {featureId} from discovery; None if other templates remain."""
    if "{collectionId}" in path or "{featureId}" in path:
        m = re.match(r"^/collections/([^/{}]+)/", path)
        cid = m.group(1) if m else oaf.sample_collections()[0]["id"]
        path = path.replace("{collectionId}", cid)
        if "{featureId}" in path:
            _, ids = oaf.feature_ids(cid)
            if not ids:
                return None
            path = path.replace("{featureId}", ids[0])
    return None if "{" in path else path


@requirement("/req/oas30/oas-impl")
def test_server_implements_declared_get_operations(oaf):
    ex_def, doc = oaf.service_desc()
    base = oaf.server_base(doc)
    tried = 0
    # probe: every declared GET without a required query parameter, at once
    probes = []
    for path, op in list(_operations(doc))[: oaf.p("max_openapi_paths", 25)]:
        concrete = _concrete(oaf, path)
        required = [p for p in op.get("parameters", []) if isinstance(p, dict) and p.get("required")
                    and p.get("in") == "query"]
        if concrete is not None and not required:
            probes.append((path, urljoin(base, concrete.lstrip("/"))))
    answers = oaf.prefetch([lambda u=url: oaf.get(u, accept=None) for _, url in probes])
    # judge, in the definition's order
    for (path, _), answer in zip(probes, answers):
        ex = answer.get()
        tried += 1
        expect(ex.status is not None and ex.status not in (404, 405, 501) and ex.status < 500,
               f"GET {path} is declared in the API definition but not implemented: "
               f"{status_text(ex.status)}",
               expected="a non-error answer", actual=ex.status, evidence=[ex, ex_def])
    if not tried:
        raise Inconclusive("no declared GET operation could be exercised", evidence=ex_def)


def _declared(doc, path, status):
    item = (doc.get("paths") or {}).get(path) or {}
    op = item.get("get") if isinstance(item, dict) else None
    if not isinstance(op, dict):
        return False
    codes = {str(c).upper() for c in (op.get("responses") or {})}
    return str(status) in codes or f"{str(status)[0]}XX" in codes or "DEFAULT" in codes


def _probes(oaf, errors_only):
    cid = oaf.sample_collections()[0]["id"]
    calls = []
    if not errors_only:
        calls += [("/", oaf.landing_ex), ("/conformance", oaf.conformance_ex),
                  ("/collections", oaf.collections_ex),
                  ("/collections/{collectionId}/items", lambda: oaf.items(cid, limit=1))]
    calls += [
        ("/collections/{collectionId}/items", lambda: oaf.items(cid, limit="not-a-number")),
        ("/collections/{collectionId}", lambda: oaf.get("collections/oupcheck-no-such-collection")),
        ("/collections/{collectionId}/items/{featureId}",
         lambda: oaf.get(f"collections/{cid}/items/oupcheck-no-such-feature", accept=GEOJSON)),
    ]
    answers = oaf.prefetch([call for _, call in calls])
    return [(template, answer.get()) for (template, _), answer in zip(calls, answers)]


# the probes that ask for something that does not exist or is invalid: a client error
CLIENT_ERROR_PROBES = 3


def _judge_declared(oaf, errors_only, what):
    """Every status code the probes provoke is declared for its operation. A server error (5xx)
    to a probe that makes a client error (invalid limit, missing collection or feature) must be
    declared too when the server uses it, but it is no basis for a PASS: the client error
    should have been answered 400/404 (judged by /req/core/query-param-invalid and
    /req/core/http)."""
    ex_def, doc = oaf.service_desc()
    n_ok, n_5xx = 0, 0
    probes = _probes(oaf, errors_only)
    for i, (template, ex) in enumerate(probes):
        if errors_only and ex.status is not None and ex.status < 400:
            continue
        path = find_path(doc, oaf.local_path(doc, ex.url))
        if path is None:
            continue  # not an operation of the definition (e.g. a collection that does not exist)
        local = oaf.local_path(doc, ex.url)
        expect(_declared(doc, path, ex.status), f"{what}: HTTP {ex.status} of {ex.method} {local} is not declared "
               f"for that operation in the API definition",
               expected=f"responses declare {ex.status} (or {str(ex.status)[0]}XX/default)",
               actual=f"HTTP {ex.status}", evidence=[ex, ex_def])
        client_error_probe = i >= len(probes) - CLIENT_ERROR_PROBES
        if client_error_probe and server_error(ex.status):
            n_5xx += 1
        else:
            n_ok += 1
    judged("answers with a declared status", n_ok)
    if not n_ok:
        if n_5xx:
            raise Inconclusive(f"{n_5xx} client-error probe(s) were answered with server errors "
                               "(5xx); their codes are declared, but a declared 5xx for a "
                               "client error shows nothing about the API's error handling "
                               "(see /req/core/query-param-invalid and /req/core/http)",
                               evidence=[ex for _, ex in probes] + [ex_def])
        raise Inconclusive("none of the probes fell under an operation of the API definition",
                           evidence=ex_def)


@requirement("/req/oas30/completeness")
def test_status_codes_used_are_declared(oaf):
    _judge_declared(oaf, False, "undeclared status code")


@requirement("/req/oas30/exceptions-codes")
def test_error_status_codes_are_declared(oaf):
    _judge_declared(oaf, True, "undeclared error code")


@requirement("/req/oas30/security")
def test_access_control_is_documented(oaf, http):
    probes = [http.get(oaf.base, accept=JSON, auth=False),
              http.get(urljoin(oaf.base, "collections"), accept=JSON, auth=False)]
    controlled = [ex for ex in probes if ex.status in (401, 403)]
    if not controlled:
        oaf.landing()  # anonymous GETs must reach the API for "not access-controlled" to hold
        raise NotApplicable("no access-controlled operation observed (anonymous GETs succeed)",
                            evidence=probes)
    ex_def, doc = oaf.service_desc()
    schemes = ((doc.get("components") or {}).get("securitySchemes") or {})
    expect(schemes, "operations are access-controlled but the API definition documents no "
           "security scheme", expected="components.securitySchemes", actual=None,
           evidence=controlled + [ex_def])
