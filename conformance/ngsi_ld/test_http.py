"""HTTP binding (clause 6.3): @context rules for application/json and application/ld+json,
content negotiation (406, 415), ProblemDetails error bodies (ETSI TPs 001_06-09, 048, 049)."""

from __future__ import annotations

from oupcheck.http import BodyUnusable
from oupcheck.marks import requirement
from oupcheck.verdicts import judged

from .api import CORE, ERR, JSON, LD, TYPE, Inconclusive, expect


@requirement("ngsi-ld:6.3.5/json-with-context-400")
def test_json_body_with_context_rejected(ngsi):
    ent = ngsi.entity()
    ex = ngsi.create(dict(ent, **{"@context": CORE}), ctype=JSON, expect_created=False)
    ngsi.problem(ex, 400, ("BadRequestData",),
                 "an application/json body with an @context member is not rejected")


@requirement("ngsi-ld:6.3.5/ld-json-without-context-400")
def test_ld_json_without_context_rejected(ngsi):
    ngsi.need_writes()
    ent = ngsi.entity()
    ngsi.entities.add(ent["id"])
    ex = ngsi.send("POST", "/entities", ent, ctype=LD, note="ld+json body without @context")
    ngsi.problem(ex, 400, ("BadRequestData",),
                 "an application/ld+json body without @context is not rejected")


@requirement("ngsi-ld:6.3.5/ld-json-with-link-400")
def test_ld_json_with_link_header_rejected(ngsi):
    ngsi.need_writes()
    ent = dict(ngsi.entity(), **{"@context": CORE})
    ngsi.entities.add(ent["id"])
    ex = ngsi.send("POST", "/entities", ent, ctype=LD, ctx=ngsi.context_url,
                   note="ld+json body and a JSON-LD Link header")
    ngsi.problem(ex, 400, ("BadRequestData",),
                 "application/ld+json together with a JSON-LD Link header is not rejected")


@requirement("ngsi-ld:6.3.4/not-acceptable")
def test_unsupported_accept_gets_406(ngsi):
    ex, _ = ngsi.query({"type": TYPE}, accept="text/csv", note="Accept: text/csv", shape=False)
    ngsi.problem(ex, 406, ("NotAcceptable", "InvalidRequest"),
                 "an Accept the API cannot produce is not answered 406")


@requirement("ngsi-ld:6.3.4/unsupported-media-type")
def test_unsupported_content_type_gets_415(ngsi):
    ngsi.need_writes()
    ent = ngsi.entity()
    ngsi.entities.add(ent["id"])
    ex = ngsi.send("POST", "/entities", raw=b"id,type\n" + ent["id"].encode() + b",Probe",
                   ctype="text/csv", note="Content-Type: text/csv")
    expect(ex.status == 415, "a Content-Type other than JSON is not answered 415",
           expected=415, actual=ex.status, evidence=ex)


@requirement("ngsi-ld:6.3.2/problem-details")
def test_errors_are_problem_details(ngsi, oup_run):
    """The probes are client errors (an unknown entity, an invalid limit, an Accept the API
    cannot produce): only their 4xx answers are judged. A 5xx answer is the server failing
    on a client error (RFC 9110 clause 15.6), not an error answer to a client error: it does
    not count for this row (the rows of those refusals judge their status)."""
    answers = [ngsi.retrieve(f"urn:ngsi-ld:{TYPE}:{ngsi.tag}-absent", shape=False)[0],
               ngsi.query({"type": TYPE, "limit": "-1"}, note="invalid limit (error body)",
                          shape=False)[0],
               ngsi.query({"type": TYPE}, accept="text/csv", note="Accept text/csv (error)",
                          shape=False)[0]]
    errors = [ex for ex in answers if ex.status is not None and 400 <= ex.status < 500]
    server = [f"HTTP {ex.status} to {ex.note}" for ex in answers
              if ex.status is not None and ex.status >= 500]
    judged("client-error answers", len(errors))
    if not errors:
        raise Inconclusive("none of the client-error probes was answered with a client error "
                           f"(4xx): {', '.join(f'HTTP {ex.status}' for ex in answers)}"
                           + ("; a 5xx answer is the server failing, not the error answer "
                              "this row judges" if server else ""), evidence=answers)
    for ex in errors:
        try:
            doc = ngsi.json(ex)
        except BodyUnusable:
            doc = None
        ok = isinstance(doc, dict) and str(doc.get("type", "")).startswith(ERR) and \
            doc.get("title") and doc.get("status", ex.status) == ex.status
        expect(ok, f"the HTTP {ex.status} answer is not ProblemDetails with an ETSI error type",
               expected="{type: https://uri.etsi.org/ngsi-ld/errors/..., title, status}",
               actual=ex.body_excerpt[:200] if ex.body_excerpt else None, evidence=ex)
    oup_run.observe(f"{len(errors)} client-error answer(s) are ProblemDetails with an ETSI "
                    "error type" + (f"; not judged (server errors): {', '.join(server)}"
                                    if server else ""))
