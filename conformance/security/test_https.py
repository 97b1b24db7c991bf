"""HTTPS hygiene: redirect to HTTPS, HSTS, security headers, no version or stack-trace leaks,
CORS with credentials, TRACE. Sources: Forum Standaardisatie (HTTPS and HSTS, mandatory for
Dutch government), OWASP Secure Headers Project, OWASP API Security Top 10 2023 (API8)."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit

from oupcheck.errors import TransportError
from oupcheck.marks import requirement
from oupcheck.verdicts import Inconclusive, expect, judged

from .leaks import stack_trace, version_disclosures

FOREIGN_ORIGIN = "https://attacker.oupcheck.invalid"


def _root(endpoint, http, what="its headers"):
    """The API root's answer, which the header rows judge; INCONCLUSIVE when the root does
    not answer 2xx with a document (nothing served to judge)."""
    return endpoint.require_api(http, what)


def _https_only(endpoint):
    if endpoint.scheme != "https":
        raise Inconclusive(f"the target is given as {endpoint.url}; HTTPS headers are judged on "
                           "the HTTPS URL of the platform")


@requirement("forum-std:https-redirect")
def test_plain_http_redirects_to_https(endpoint, http):
    url = endpoint.plain_http_url()
    try:
        ex = http.request("GET", url, follow_redirects=False, auth=False,
                          note="plain HTTP: must redirect to HTTPS (no credentials sent)")
    except TransportError as exc:
        if "refused" in str(exc).lower():
            # no plain-HTTP service at all: nothing is served without TLS (an observation:
            # the refused connection is in the evidence)
            judged("plain-HTTP connections refused", 1)
            endpoint.run.observe(f"plain HTTP is not offered: {url} refuses the connection "
                                 f"({exc})")
            return
        raise
    loc = ex.header("location") or ""
    expect(ex.status in (301, 302, 307, 308), "plain HTTP is answered without a redirect",
           expected="301/308 to https://", actual=f"HTTP {ex.status}", evidence=ex)
    target = urlsplit(loc if "://" in loc else "")
    expect(target.scheme == "https", "plain HTTP redirects, but not to HTTPS",
           expected="Location: https://...", actual=f"Location: {loc or '(none)'}", evidence=ex)
    expect(target.hostname == urlsplit(url).hostname,
           "the redirect leaves the host (HSTS needs the same host first)",
           expected=f"https://{urlsplit(url).hostname}/...", actual=loc, evidence=ex)


@requirement("forum-std:hsts")
def test_hsts(endpoint, http):
    _https_only(endpoint)
    ex = _root(endpoint, http, "its Strict-Transport-Security header")
    value = ex.header("strict-transport-security")
    minimum = int(endpoint.run.param("hsts_min_max_age", 31536000))
    expect(value, "no Strict-Transport-Security header", expected=f"max-age >= {minimum}",
           actual=None, evidence=ex)
    m = re.search(r"max-age\s*=\s*\"?(\d+)", value, re.I)
    age = int(m.group(1)) if m else -1
    expect(age >= minimum, "HSTS max-age is shorter than required", expected=f">= {minimum}",
           actual=value, evidence=ex)


@requirement("oshp:x-content-type-options")
def test_nosniff(endpoint, http):
    ex = _root(endpoint, http)
    value = (ex.header("x-content-type-options") or "").strip().lower()
    expect(value == "nosniff", "X-Content-Type-Options is not 'nosniff'", expected="nosniff",
           actual=value or None, evidence=ex)


@requirement("oshp:frame-ancestors")
def test_framing_denied(endpoint, http):
    ex = _root(endpoint, http)
    xfo = (ex.header("x-frame-options") or "").strip().upper()
    csp = ex.header("content-security-policy") or ""
    fa = re.search(r"frame-ancestors\s+([^;]+)", csp, re.I)
    ok = xfo in ("DENY", "SAMEORIGIN") or (fa and fa.group(1).strip() in ("'none'", "'self'"))
    expect(ok, "framing by other sites is not denied",
           expected="X-Frame-Options: DENY or CSP frame-ancestors 'none'",
           actual=f"X-Frame-Options: {xfo or '(none)'}; CSP: {csp or '(none)'}", evidence=ex)


@requirement("oshp:referrer-policy")
def test_referrer_policy(endpoint, http):
    ex = _root(endpoint, http)
    value = (ex.header("referrer-policy") or "").strip().lower()
    safe = {"no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"}
    expect(value and all(v.strip() in safe for v in value.split(",")),
           "no safe Referrer-Policy", expected=" or ".join(sorted(safe)), actual=value or None,
           evidence=ex)


@requirement("oshp:content-security-policy")
def test_content_security_policy(endpoint, http):
    ex = _root(endpoint, http)
    csp = ex.header("content-security-policy")
    expect(csp, "no Content-Security-Policy header", expected="Content-Security-Policy",
           actual=None, evidence=ex)
    unsafe = [k for k in ("'unsafe-inline'", "'unsafe-eval'") if k in csp.lower()]
    expect(not unsafe, "the Content-Security-Policy allows unsafe script sources",
           expected="no 'unsafe-inline' or 'unsafe-eval'", actual=csp, evidence=ex)


def _error_probes(endpoint, http) -> list:
    """Answers that are errors by construction: unknown path, method not allowed (the probe;
    the checks then judge both)."""
    token = uuid.uuid4().hex[:12]
    return [http.get(endpoint.base + f"oupcheck-no-such-resource-{token}",
                     accept="application/json", note="unknown resource (error answer)"),
            http.request("PATCH", endpoint.base, accept="application/json", json_body={},
                         auth=False, note="PATCH on the root (error answer)")]


@requirement("oshp:no-version-disclosure")
def test_no_version_disclosure(endpoint, http):
    root = _root(endpoint, http, "its headers")
    for ex in [root, *_error_probes(endpoint, http)]:
        leaks = version_disclosures(ex.response_headers)
        expect(not leaks, "response headers disclose software versions",
               expected="Server / X-Powered-By without version numbers (or absent)",
               actual="; ".join(leaks), evidence=ex)


@requirement("owasp-api:API8-no-stack-traces")
def test_no_stack_traces_in_errors(endpoint, http):
    """Every probe is a client error by construction; the row judges the body of the client
    error answer. A stack trace anywhere FAILs. A 5xx is not the answer to a client error (a
    front's 502 page may hide what the application would show) and a 2xx is no error answer:
    neither can PASS the row."""
    _root(endpoint, http, "its error answers")
    undecided = []
    for ex in _error_probes(endpoint, http):
        found = stack_trace(ex.body_excerpt)
        expect(not found, "an error answer shows a stack trace or debug page",
               expected="a generic error body", actual=found, evidence=ex)
        if not 400 <= (ex.status or 0) < 500:
            undecided.append(ex)
    if undecided:
        raise Inconclusive(
            "no stack trace seen, but " + ", ".join(
                f"{e.method} {e.url} was answered HTTP {e.status}" for e in undecided)
            + ": not a client-error answer (4xx), so the body a client error gets is not shown",
            evidence=undecided)


@requirement("owasp-api:API8-cors-credentials")
def test_cors_not_open_with_credentials(endpoint, http):
    _root(endpoint, http, "CORS")
    exs = [http.get(endpoint.api_url, accept="application/json", headers={"Origin": FOREIGN_ORIGIN},
                    note="cross-origin GET from a foreign origin"),
           http.request("OPTIONS", endpoint.api_url, auth=False, note="CORS preflight",
                        headers={"Origin": FOREIGN_ORIGIN,
                                 "Access-Control-Request-Method": "GET",
                                 "Access-Control-Request-Headers": "authorization"})]
    for ex in exs:
        acao = (ex.header("access-control-allow-origin") or "").strip()
        creds = (ex.header("access-control-allow-credentials") or "").strip().lower() == "true"
        expect(not (creds and acao in ("*", FOREIGN_ORIGIN, "null")),
               "any origin may read responses with the user's credentials",
               expected="no Access-Control-Allow-Credentials for foreign origins",
               actual=f"Access-Control-Allow-Origin: {acao}; Access-Control-Allow-Credentials: "
                      "true", evidence=ex)


@requirement("owasp-api:API8-trace-disabled")
def test_trace_disabled(endpoint, http):
    _root(endpoint, http, "which methods it serves")
    marker = f"oupcheck-trace-{uuid.uuid4().hex[:8]}"
    ex = http.request("TRACE", endpoint.api_url, auth=False, headers={"X-Oupcheck-Echo": marker},
                      note="TRACE must not be served")
    echoed = marker in (ex.body_excerpt or "")
    expect(not (200 <= ex.status < 300) and not echoed, "TRACE is enabled",
           expected="405 or 501 (or another refusal)",
           actual=f"HTTP {ex.status}{' echoing the request' if echoed else ''}", evidence=ex)
