"""Clause 7.5 HTTP 1.1, 7.6 unknown or invalid query parameters, 7.7 caching, 7.8 CORS,
7.12 Link headers."""

from urllib.parse import urljoin

from oupcheck.verdicts import NotApplicable, expect

from .api import JSON, requirement


@requirement("/req/core/http")
def test_http_1_1(oaf):
    # the parts of RFC 7230-7235 visible on every answer: protocol version, Date (RFC 7231
    # 7.1.1.2, origin servers with a clock), Content-Type on a 200 with content (RFC 7231 3.1.1.5)
    for ex in (oaf.landing_ex(), oaf.conformance_ex(), oaf.collections_ex()):
        expect(ex.http_version == "HTTP/1.1", "the answer is not HTTP/1.1", expected="HTTP/1.1",
               actual=ex.http_version, evidence=ex)
        expect(ex.header("date"), "no Date header on an origin server's answer",
               expected="Date: <HTTP-date>", actual=None, evidence=ex)
        if ex.status == 200 and ex.body:
            expect(ex.header("content-type"), "a 200 answer with content has no Content-Type",
                   expected="Content-Type", actual=None, evidence=ex)


@requirement("/req/core/query-param-unknown")
def test_unknown_query_parameter_rejected(oaf):
    name = "oupcheckUnknownParameter"
    cid = oaf.sample_collections()[0]["id"]
    for url in ("collections", f"collections/{cid}/items"):
        ex = oaf.get(url, params={name: "1"})
        expect(ex.status == 400, f"an unknown query parameter on /{url} was not rejected",
               expected=400, actual=ex.status, evidence=ex)


INVALID = (("limit", "-1"), ("limit", "0"), ("limit", "ten"), ("bbox", "a,b,c,d"),
           ("bbox", "1,2,3"), ("datetime", "not-a-date"))


@requirement("/req/core/query-param-invalid")
def test_invalid_query_parameter_value_rejected(oaf):
    cid = oaf.sample_collections()[0]["id"]
    for name, value in INVALID:
        ex = oaf.items(cid, **{name: value})
        expect(ex.status == 400, f"invalid value {name}={value} was not rejected with 400",
               expected=400, actual=ex.status, evidence=ex)


@requirement("/rec/core/head")
def test_head_supported(oaf, http):
    cid = oaf.sample_collections()[0]["id"]
    for path in ("", "conformance", "collections", f"collections/{cid}/items"):
        ex = http.request("HEAD", urljoin(oaf.base, path), accept=JSON)
        expect(ex.status == 200, f"HEAD /{path} is not supported", expected=200,
               actual=ex.status, evidence=ex)
        expect(not ex.body, f"HEAD /{path} returned a body", expected="no body",
               actual=f"{len(ex.body)} bytes", evidence=ex)


@requirement("/rec/core/etag")
def test_entity_tags(oaf, http):
    url = urljoin(oaf.base, "collections")
    ex = http.get(url, accept=JSON)
    etag = ex.header("etag")
    expect(etag, "no ETag header", expected="ETag", actual=None, evidence=ex)
    again = http.get(url, accept=JSON, headers={"If-None-Match": etag})
    expect(again.status == 304, "a conditional GET with the current ETag is not answered 304",
           expected=304, actual=again.status, evidence=[ex, again])


@requirement("/rec/core/cross-origin")
def test_cross_origin(oaf, http):
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
