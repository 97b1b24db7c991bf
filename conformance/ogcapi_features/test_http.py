"""Clause 7.5 HTTP 1.1 (and its status codes, 7.5.1 Table 2), 7.6 unknown or invalid query
parameters, 7.7 caching, 7.8 CORS, 7.12 Link headers."""

from urllib.parse import urljoin

from oupcheck.marks import requirement
from oupcheck.verdicts import Inconclusive, NotApplicable, expect, judged

from .api import JSON, GEOJSON, find_path, free_form, parameter, query_parameters
from .checks import server_error, status_text

MISSING_COLLECTION = "oupcheck-no-such-collection"
MISSING_FEATURE = "oupcheck-no-such-feature"


@requirement("/req/core/http")
def test_http_1_1(oaf):
    """RFC 7230-7235 as far as visible on the API's answers, and "the correct use of status
    codes" (7.5): protocol version, Date (RFC 7231 7.1.1.2: an origin server with a clock sends
    it on every 2xx, 3xx and 4xx answer), Content-Type on a 200 with content (RFC 7231 3.1.1.5),
    and 404 for a collection or feature that does not exist (7.14 and 7.16 "Error situations":
    "the status code of the response will be 404"; Table 2: 404 "The requested resource does
    not exist on the server. For example, a path parameter had an incorrect value")."""
    oaf.landing()  # the answers judged here are those of an OGC API (root-success's row)
    answers = [oaf.landing_ex(), oaf.conformance_ex(), oaf.collections_ex()]
    missing = [("collection", oaf.get(f"collections/{MISSING_COLLECTION}"))]
    try:
        cid = oaf.sample_collections()[0]["id"]
    except Inconclusive:
        cid = None  # no collection to ask a missing feature of: the collection probe still counts
    if cid is not None:
        missing.append(("feature", oaf.get(f"collections/{cid}/items/{MISSING_FEATURE}",
                                           accept=GEOJSON)))
    for ex in answers + [m for _, m in missing]:
        expect(ex.http_version == "HTTP/1.1", "the answer is not HTTP/1.1", expected="HTTP/1.1",
               actual=ex.http_version, evidence=ex)
        if ex.status is not None and ex.status < 500:
            expect(ex.header("date"), f"no Date header on an origin server's HTTP {ex.status} answer",
                   expected="Date: <HTTP-date>", actual=None, evidence=ex)
        if ex.status == 200 and ex.body:
            expect(ex.header("content-type"), "a 200 answer with content has no Content-Type",
                   expected="Content-Type", actual=None, evidence=ex)
    for what, ex in missing:
        expect(ex.status in (404, 410),
               f"a {what} that does not exist was answered {status_text(ex.status)}, not 404"
               + (": a server error for a client's request of a missing resource"
                  if server_error(ex.status) else ""),
               expected="HTTP 404 (the requested resource does not exist on the server)",
               actual=ex.status, evidence=ex)
    judged("answers", len(answers) + len(missing))


# -- 7.6 unknown or invalid query parameters ----------------------------------------------------

UNKNOWN = "oupcheckUnknownParameter"


def _operation(oaf, definition, url):
    """(path template, its free-form query parameters, unresolved refs) of the operation that
    serves ``url`` in the API definition, or None when it is not an operation of it."""
    path = find_path(definition, oaf.local_path(definition, url))
    if path is None:
        return None
    params, unresolved = query_parameters(definition, path)
    return path, [p.get("name") for p in params if free_form(definition, p)], unresolved


@requirement("/req/core/query-param-unknown")
def test_unknown_query_parameter_rejected(oaf):
    """400 for a query parameter "that is not specified in the API definition". 7.6 also says:
    "If OpenAPI is used to represent the API definition, a capability exists to allow additional
    parameters without explicitly declaring them. That is, parameters that have not been
    explicitly specified in the API definition for the operation will be ignored" (the
    'free-form' parameter: an object schema with additionalProperties, style form). On an
    operation that declares one, the parameter is specified and may be ignored."""
    cid = oaf.sample_collections()[0]["id"]
    ex_def, definition, why_not = oaf.definition()
    undecided = []
    urls = ("collections", f"collections/{cid}/items")
    oaf.each(lambda url: oaf.get(url, params={UNKNOWN: "1"}), urls)  # probe, then judge
    for url in urls:
        ex = oaf.get(url, params={UNKNOWN: "1"})
        evidence = [ex] + ([ex_def] if ex_def is not None else [])
        if ex.status == 400:
            expect(True, "rejected with 400", evidence=ex)
            continue
        op = _operation(oaf, definition, ex.url) if definition is not None else None
        if op is not None and op[1]:
            # permitted: the operation declares free-form parameters; ignoring is their meaning
            expect(ex.status == 200,
                   f"/{url} declares the free-form query parameter {op[1][0]!r} (so {UNKNOWN} is "
                   f"specified and may be ignored) but answered {status_text(ex.status)}",
                   expected="HTTP 200 (parameter ignored) or 400 (rejected)", actual=ex.status,
                   evidence=evidence)
            judged("free-form parameters ignored as declared", 1)
            continue
        if definition is None:
            undecided.append((url, ex, why_not))
            continue
        expect(False, f"an unknown query parameter on /{url} was not rejected: "
               f"{status_text(ex.status)}; the operation "
               + (f"{op[0]} declares no free-form query parameter" if op else
                  "is not in the API definition") + f", so {UNKNOWN} is not specified in it",
               expected=400, actual=ex.status, evidence=evidence)
    if undecided:
        url, ex, why = undecided[0]
        raise Inconclusive(f"/{url} answered {status_text(ex.status)} to the unknown query "
                           f"parameter {UNKNOWN}; whether the API definition allows it as a "
                           f"free-form parameter (7.6) cannot be seen: {why}", evidence=ex,
                           decide="publish the API definition as OpenAPI 3.0 (rel=service-desc) "
                                  "so the suite can read which parameters it specifies")


def _limit_minimum(oaf, cid):
    """The minimum of ``limit`` for the items operation: from the API definition (the
    standard's minimum 1 is "only an example and MAY be changed",
    /per/core/fc-limit-default-minimum-maximum), or None when the definition cannot be read."""
    _, definition, _ = oaf.definition()
    if definition is None:
        return None
    path = find_path(definition, oaf.local_path(definition, urljoin(oaf.base, oaf.items_url(cid))))
    p = parameter(definition, path, "limit") if path else None
    schema = p.get("schema") if isinstance(p, dict) else None
    if not isinstance(schema, dict):
        return None
    m = schema.get("minimum")
    return m if isinstance(m, (int, float)) and not isinstance(m, bool) else float("-inf")


# a value is invalid "if it violates the API definition or any other constraint for that
# parameter stated in a requirement" (7.6)
ALWAYS_INVALID = (
    ("limit", "ten", "limit is an integer (/req/core/fc-limit-definition)"),
    ("bbox", "a,b,c,d", "bbox items are numbers (/req/core/fc-bbox-definition)"),
    ("bbox", "1,2,3", "bbox has four or six numbers (/req/core/fc-bbox-definition)"),
    ("bbox", "0,160,1,161", "a latitude of 160 is outside the extent of CRS84 "
     "(/req/core/fc-bbox-response D; 7.15.3: 'the server will return an error, if a latitude "
     "value of 160.0 is used')"),
    ("datetime", "not-a-date", "not RFC 3339 nor an interval (/req/core/fc-time-response D)"),
)


@requirement("/req/core/query-param-invalid")
def test_invalid_query_parameter_value_rejected(oaf):
    cid = oaf.sample_collections()[0]["id"]
    cases = list(ALWAYS_INVALID)
    minimum = _limit_minimum(oaf, cid)
    for value in ("-1", "0"):
        if minimum is not None and int(value) < minimum:
            cases.append(("limit", value, f"below the minimum {minimum:g} that the API "
                          "definition declares for limit"))
    oaf.each(lambda case: oaf.items(cid, **{case[0]: case[1]}), cases)
    for name, value, why in cases:
        ex = oaf.items(cid, **{name: value})
        expect(ex.status == 400,
               f"invalid value {name}={value} ({why}) was not rejected with 400: "
               f"{status_text(ex.status)}"
               + (" - a server error is not the answer to a client's invalid value"
                  if server_error(ex.status) else ""),
               expected=400, actual=ex.status, evidence=ex)
    judged("invalid values", len(cases))


# -- recommendations ----------------------------------------------------------------------------

@requirement("/rec/core/head")
def test_head_supported(oaf, http):
    cid = oaf.sample_collections()[0]["id"]
    gets = {"": oaf.landing_ex(), "conformance": oaf.conformance_ex(),
            "collections": oaf.collections_ex()}
    n = 0
    # "for all resources that support the method GET": GET is another row's
    paths = [p for p in ("", "conformance", "collections", f"collections/{cid}/items")
             if gets.get(p) is None or gets[p].status == 200]
    heads = oaf.each(lambda p: http.request("HEAD", urljoin(oaf.base, p), accept=JSON), paths)
    for path, done in zip(paths, heads):
        get = gets.get(path)
        ex = done.get()
        expect(ex.status == 200, f"HEAD /{path} is not supported: {status_text(ex.status)}",
               expected=200, actual=ex.status, evidence=[ex] + ([get] if get else []))
        expect(not ex.body, f"HEAD /{path} returned a body", expected="no body",
               actual=f"{len(ex.body)} bytes", evidence=ex)
        n += 1
    judged("resources", n)


@requirement("/rec/core/etag")
def test_entity_tags(oaf, http):
    oaf.collections()  # the resource must exist (fc-md-success's row)
    url = urljoin(oaf.base, "collections")
    ex = http.get(url, accept=JSON)
    etag = ex.header("etag")
    # the conditional GET needs the ETag the first answer gave
    again = http.get(url, accept=JSON, headers={"If-None-Match": etag}) if etag else None
    expect(etag, "no ETag header", expected="ETag", actual=None, evidence=ex)
    expect(again.status == 304, "a conditional GET with the current ETag is not answered 304",
           expected=304, actual=again.status, evidence=[ex, again])


@requirement("/rec/core/cross-origin")
def test_cross_origin(oaf, http):
    oaf.collections()
    ex = http.get(urljoin(oaf.base, "collections"), accept=JSON,
                  headers={"Origin": "https://viewer.example"})
    expect(ex.header("access-control-allow-origin"),
           "no Access-Control-Allow-Origin for a cross-origin request",
           expected="Access-Control-Allow-Origin", actual=None, evidence=ex)


@requirement("/rec/core/link-header")
def test_links_also_in_link_header(oaf):
    cid = oaf.sample_collections()[0]["id"]
    ex, doc = oaf.items_doc(cid, limit=1)
    body_links = [lk for lk in doc.get("links", []) if isinstance(lk, dict)]
    if not body_links:
        raise NotApplicable("the response has no links in its payload", evidence=ex)
    header = ex.header("link") or ""
    missing = [lk.get("href") for lk in body_links if lk.get("href") not in header]
    expect(not missing, "payload links are not repeated in Link headers",
           expected="every payload link in a Link header", actual=f"missing {missing[:3]}",
           evidence=ex)
    judged("links", len(body_links))
