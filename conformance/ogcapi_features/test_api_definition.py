"""Clause 7.3 API definition; clause 9 OpenAPI 3.0 (definition, implementation, completeness)."""

import re
from urllib.parse import urljoin, urlsplit

from oupcheck.verdicts import CheckFailed, Inconclusive, NotApplicable, expect

from ..oas import external_refs, schema_errors, semantic_errors
from .api import GEOJSON, HTML, JSON, media, rel, requirement


def definition_links(oaf):
    doc = oaf.landing()
    lks = rel(doc, "service-desc") + rel(doc, "service-doc")
    if not lks:
        raise CheckFailed("the landing page links no API definition", expected="service-desc/doc",
                          actual=[lk.get("rel") for lk in doc.get("links", [])],
                          evidence=oaf.landing_ex())
    return lks


@requirement("/req/core/api-definition-op")
def test_api_definitions_support_get(oaf):
    for lk in definition_links(oaf):
        ex = oaf.get(urljoin(oaf.base, lk.get("href", "")), accept=lk.get("type") or None)
        expect(ex.status is not None and ex.status < 400,
               f"GET {lk.get('href')} (rel={lk.get('rel')}) is not supported",
               expected="a successful answer", actual=ex.status, evidence=ex)


@requirement("/req/core/api-definition-success")
def test_api_definitions_match_requested_type(oaf):
    for lk in definition_links(oaf):
        wanted = lk.get("type")
        if not wanted:
            continue  # a link without a type is judged by /req/core/fc-rel-type-like rules
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


def _validate_openapi(oaf):
    """The document against the OpenAPI 3.0 schema, then (when it references no external
    documents) the full semantic validation of openapi-spec-validator."""
    ex, doc = oaf.service_desc()
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
    return ex, doc, None, "document valid OpenAPI 3.0 (schema and semantics)"


@requirement("/req/oas30/oas-definition-2")
def test_openapi_definition_is_valid(oaf):
    ex, doc, problem, note = _validate_openapi(oaf)
    expect(problem is None, problem or "", expected="openapi: 3.0.x", actual=doc.get("openapi"),
           evidence=ex)
    if note.startswith("document valid against"):
        raise Inconclusive(note + ", so referenced parts could not be judged", evidence=ex)


@requirement("/rec/core/api-definition-oas")
def test_openapi_definition_is_valid_if_openapi_30(oaf):
    ex, doc, problem, note = _validate_openapi(oaf)
    if problem:
        raise NotApplicable(problem, evidence=ex)
    if note.startswith("document valid against"):
        raise Inconclusive(note + ", so referenced parts could not be judged", evidence=ex)


# -- the definition against the server ----------------------------------------------------------

def _operations(doc):
    for path, item in (doc.get("paths") or {}).items():
        if isinstance(item, dict) and isinstance(item.get("get"), dict):
            yield path, item["get"]


def _server_base(oaf, doc):
    servers = doc.get("servers") or [{}]
    url = servers[0].get("url") if isinstance(servers[0], dict) else None
    base = urljoin(oaf.base, url or oaf.base)
    return base if base.endswith("/") else base + "/"


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
    base = _server_base(oaf, doc)
    tried = 0
    for path, op in list(_operations(doc))[: oaf.p("max_openapi_paths", 25)]:
        concrete = _concrete(oaf, path)
        if concrete is None:
            continue
        required = [p for p in op.get("parameters", []) if isinstance(p, dict) and p.get("required")
                    and p.get("in") == "query"]
        if required:
            continue
        ex = oaf.get(urljoin(base, concrete.lstrip("/")), accept=None)
        tried += 1
        expect(ex.status is not None and ex.status not in (404, 405, 501) and ex.status < 500,
               f"GET {path} is declared in the API definition but not implemented",
               expected="a non-error answer", actual=ex.status, evidence=[ex, ex_def])
    if not tried:
        raise Inconclusive("no declared GET operation could be exercised", evidence=ex_def)


def _find_path(doc, local_path):
    """The definition's path item that a concrete path falls under (fewest templates wins)."""
    best = None
    for p in (doc.get("paths") or {}):
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(p)) + "/?$"
        if re.match(pattern, local_path):
            score = p.count("{")
            if best is None or score < best[0]:
                best = (score, p)
    return best[1] if best else None


def _declared(doc, path, status):
    item = (doc.get("paths") or {}).get(path) or {}
    op = item.get("get") if isinstance(item, dict) else None
    if not isinstance(op, dict):
        return False
    codes = {str(c).upper() for c in (op.get("responses") or {})}
    return str(status) in codes or f"{str(status)[0]}XX" in codes or "DEFAULT" in codes


def _probes(oaf, errors_only):
    cid = oaf.sample_collections()[0]["id"]
    probes = []
    if not errors_only:
        probes += [("/", oaf.landing_ex()), ("/conformance", oaf.conformance_ex()),
                   ("/collections", oaf.collections_ex()),
                   ("/collections/{collectionId}/items", oaf.items(cid, limit=1))]
    probes += [
        ("/collections/{collectionId}/items", oaf.items(cid, limit="not-a-number")),
        ("/collections/{collectionId}", oaf.get("collections/oupcheck-no-such-collection")),
        ("/collections/{collectionId}/items/{featureId}",
         oaf.get(f"collections/{cid}/items/oupcheck-no-such-feature", accept=GEOJSON)),
    ]
    return probes


def _judge_declared(oaf, errors_only, what):
    ex_def, doc = oaf.service_desc()
    judged = 0
    for template, ex in _probes(oaf, errors_only):
        if errors_only and ex.status is not None and ex.status < 400:
            continue
        # definitions may template paths or list one path per collection: match the concrete one
        concrete = urlsplit(ex.url).path
        base_path = urlsplit(_server_base(oaf, doc)).path.rstrip("/")
        local = concrete[len(base_path):] if concrete.startswith(base_path) else concrete
        path = _find_path(doc, local or "/")
        if path is None:
            continue  # not an operation of the definition (e.g. a collection that does not exist)
        judged += 1
        expect(_declared(doc, path, ex.status), f"{what}: HTTP {ex.status} of {ex.method} {local or '/'} is not declared "
               f"for that operation in the API definition",
               expected=f"responses declare {ex.status} (or {str(ex.status)[0]}XX/default)",
               actual=f"HTTP {ex.status}", evidence=[ex, ex_def])
    if not judged:
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
        raise NotApplicable("no access-controlled operation observed (anonymous GETs succeed)",
                            evidence=probes)
    ex_def, doc = oaf.service_desc()
    schemes = ((doc.get("components") or {}).get("securitySchemes") or {})
    expect(schemes, "operations are access-controlled but the API definition documents no "
           "security scheme", expected="components.securitySchemes", actual=None,
           evidence=controlled + [ex_def])
