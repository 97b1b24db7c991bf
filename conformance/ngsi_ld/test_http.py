"""HTTP binding (clause 6.3): @context rules for application/json and application/ld+json,
content negotiation (406, 415), ProblemDetails error bodies (ETSI TPs 001_06-09, 048, 049)."""

from __future__ import annotations

from oupcheck.marks import requirement
from oupcheck.verdicts import decide

from . import judges
from .api import CORE, JSON, LD, TYPE


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
    ex = ngsi.get_entities({"type": TYPE}, accept="text/csv", note="Accept: text/csv")
    ngsi.problem(ex, 406, ("NotAcceptable", "InvalidRequest"),
                 "an Accept the API cannot produce is not answered 406")


@requirement("ngsi-ld:6.3.4/unsupported-media-type")
def test_unsupported_content_type_gets_415(ngsi):
    ngsi.need_writes()
    ent = ngsi.entity()
    ngsi.entities.add(ent["id"])
    ex = ngsi.send("POST", "/entities", raw=b"id,type\n" + ent["id"].encode() + b",Probe",
                   ctype="text/csv", note="Content-Type: text/csv")
    decide(judges.media_type_refused, ex)


@requirement("ngsi-ld:6.3.2/problem-details")
def test_errors_are_problem_details(ngsi, oup_run):
    """The probes are client errors (an unknown entity, an invalid limit, an Accept the API
    cannot produce): only their 4xx answers are judged. A 5xx answer is the server failing
    on a client error (RFC 9110 clause 15.6), not an error answer to a client error: it does
    not count for this row (the rows of those refusals judge their status)."""
    answers = [ngsi.get_entity(f"urn:ngsi-ld:{TYPE}:{ngsi.tag}-absent"),
               ngsi.get_entities({"type": TYPE, "limit": "-1"}, note="invalid limit (error body)"),
               ngsi.get_entities({"type": TYPE}, accept="text/csv",
                                 note="Accept text/csv (error)")]
    decide(judges.problem_details, answers, observe=oup_run.observe)
