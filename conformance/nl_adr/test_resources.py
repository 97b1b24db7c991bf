"""ADR chapters 3.1 and 3.2: /core/no-trailing-slash, /core/http-methods; the 2.1.0 linter
rules paths-kebab-case and use-problem-schema (appendix A)."""

from __future__ import annotations

import uuid

from oupcheck.marks import requirement
from oupcheck.verdicts import Inconclusive, judged

from .api import KEBAB_PATH, PATH_ITEM_FIELDS, expect

ALLOWED_METHODS = {"2.0.2": {"get", "post", "put", "patch", "delete", "head", "options", "trace"},
                   "2.1.0": {"get", "post", "put", "patch", "delete"}}


@requirement("nlgov-adr:/core/no-trailing-slash")
def test_no_trailing_slash(adr, http):
    ex, doc = adr.openapi()
    # probe: a resource, and the same with a trailing slash (when the document names one)
    try:
        path = adr.a_resource_path()
    except Inconclusive as exc:
        path, no_path = None, exc
    if path is not None:
        plain = http.get(adr.base + path, accept="application/json",
                         note="the resource without a trailing slash (the control: it is served)")
        live = http.get(adr.base + path + "/", accept="application/json",
                        follow_redirects=False, note="the same resource with a trailing slash: "
                                                     "must be 404, not a redirect")
    # judge: the paths of the document, then the answers
    slashed = [p for p in (doc.get("paths") or {}) if p != "/" and p.endswith("/")]
    expect(not slashed, "resource paths in the OpenAPI document end with a slash",
           expected="no trailing slash", actual=slashed[:3], evidence=ex)
    judged("paths of the OpenAPI document", len(doc.get("paths") or {}))
    if path is None:
        raise no_path
    if not 200 <= (plain.status or 0) < 300:
        raise Inconclusive(f"{path} itself answers HTTP {plain.status}: a 404 for {path}/ would "
                           "not show how trailing slashes are treated", evidence=plain)
    expect(live.status == 404, "a URI with a trailing slash is not answered 404",
           expected="404 (not a redirect)", actual=f"HTTP {live.status}"
           + (f" Location: {live.header('location')}" if live.header("location") else ""),
           evidence=live)


@requirement("nlgov-adr:/core/http-methods")
def test_standard_http_methods(adr):
    ex, doc = adr.openapi()
    allowed = ALLOWED_METHODS["2.1.0" if adr.v21 else "2.0.2"]
    odd = []
    ops = adr.operations()
    if not ops:
        raise Inconclusive("the OpenAPI document defines no operations to judge", evidence=ex)
    judged("operations of the OpenAPI document", len(ops))
    for path, item in (doc.get("paths") or {}).items():
        for key in (item or {}):
            k = key.lower()
            if k not in allowed and k not in PATH_ITEM_FIELDS and not k.startswith("x-"):
                odd.append(f"{key.upper()} {path}")
    expect(not odd, "the OpenAPI document uses methods outside the rule's set",
           expected=", ".join(sorted(m.upper() for m in allowed)), actual=odd[:4], evidence=ex)


@requirement("nlgov-adr-linter:paths-kebab-case")
def test_paths_kebab_case(adr):
    ex, doc = adr.openapi()
    paths = [p for p in (doc.get("paths") or {}) if p != "/openapi.json"]
    if not paths:
        raise Inconclusive("the OpenAPI document defines no paths to judge", evidence=ex)
    judged("paths of the OpenAPI document", len(paths))
    bad = [p for p in paths if not KEBAB_PATH.match(p)]
    expect(not bad, "paths are not kebab-case", expected="lowercase segments with hyphens",
           actual=bad[:4], evidence=ex)


@requirement("nlgov-adr-linter:use-problem-schema")
def test_errors_are_problem_details(adr, http):
    """Judges the body of a client error. The control: the API root answers 2xx (else the
    target URL serves nothing and its 404 is no answer of the API). A 5xx to a client error is
    not the answer the rule shapes, and a 2xx is no error answer: neither can PASS."""
    root = adr.root()
    ex = http.get(f"{adr.base}/oupcheck-no-such-{uuid.uuid4().hex[:8]}", accept="application/json",
                  note="an error answer: problem details (RFC 9457)")
    if not 200 <= (root.status or 0) < 300:
        raise Inconclusive(f"the API root answers HTTP {root.status}: there is no API whose "
                           "error answers could be judged (is the target URL the API's base?)",
                           evidence=root, decide="give the API's base URL (where it answers "
                                                 "2xx) as the target")
    if not 400 <= ex.status < 500:
        raise Inconclusive(f"an unknown resource was answered HTTP {ex.status}, not with a client "
                           "error (404): the shape of the API's error answers is not shown",
                           evidence=ex)
    expect(ex.content_type in ("application/problem+json", "application/problem+xml"),
           "the error answer is not problem details", expected="application/problem+json",
           actual=ex.content_type or None, evidence=ex)
