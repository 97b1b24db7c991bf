"""ADR chapters 3.1 and 3.2: /core/no-trailing-slash, /core/http-methods; the 2.1.0 linter
rules paths-kebab-case and use-problem-schema (appendix A)."""

from __future__ import annotations

import uuid

from .api import KEBAB_PATH, PATH_ITEM_FIELDS, expect, requirement

ALLOWED_METHODS = {"2.0.2": {"get", "post", "put", "patch", "delete", "head", "options", "trace"},
                   "2.1.0": {"get", "post", "put", "patch", "delete"}}


@requirement("/core/no-trailing-slash")
def test_no_trailing_slash(adr, http):
    ex, doc = adr.openapi()
    slashed = [p for p in (doc.get("paths") or {}) if p != "/" and p.endswith("/")]
    expect(not slashed, "resource paths in the OpenAPI document end with a slash",
           expected="no trailing slash", actual=slashed[:3], evidence=ex)
    path = adr.a_resource_path()
    live = http.get(adr.base + path + "/", accept="application/json", follow_redirects=False,
                    note="the same resource with a trailing slash: must be 404, not a redirect")
    expect(live.status == 404, "a URI with a trailing slash is not answered 404",
           expected="404 (not a redirect)", actual=f"HTTP {live.status}"
           + (f" Location: {live.header('location')}" if live.header("location") else ""),
           evidence=live)


@requirement("/core/http-methods")
def test_standard_http_methods(adr):
    ex, doc = adr.openapi()
    allowed = ALLOWED_METHODS["2.1.0" if adr.v21 else "2.0.2"]
    odd = []
    for path, item in (doc.get("paths") or {}).items():
        for key in (item or {}):
            k = key.lower()
            if k not in allowed and k not in PATH_ITEM_FIELDS and not k.startswith("x-"):
                odd.append(f"{key.upper()} {path}")
    expect(not odd, "the OpenAPI document uses methods outside the rule's set",
           expected=", ".join(sorted(m.upper() for m in allowed)), actual=odd[:4], evidence=ex)


@requirement("linter:paths-kebab-case")
def test_paths_kebab_case(adr):
    ex, doc = adr.openapi()
    bad = [p for p in (doc.get("paths") or {}) if p != "/openapi.json" and not KEBAB_PATH.match(p)]
    expect(not bad, "paths are not kebab-case", expected="lowercase segments with hyphens",
           actual=bad[:4], evidence=ex)


@requirement("linter:use-problem-schema")
def test_errors_are_problem_details(adr, http):
    ex = http.get(f"{adr.base}/oupcheck-no-such-{uuid.uuid4().hex[:8]}", accept="application/json",
                  note="an error answer: problem details (RFC 9457)")
    expect(400 <= ex.status < 600, "an unknown resource was not answered with an error",
           expected="404", actual=ex.status, evidence=ex)
    expect(ex.content_type in ("application/problem+json", "application/problem+xml"),
           "the error answer is not problem details", expected="application/problem+json",
           actual=ex.content_type or None, evidence=ex)
