"""OWASP API Security Top 10 (2023) probes that are safe from outside.

Nothing here changes data unless the target file sets ``writes_allowed``; even then only
unauthenticated creates (POST, and PUT of an id that does not exist) are sent, with this run's
own ids, and anything a vulnerable server creates is deleted again.
"""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest

from oupcheck.errors import TransportError
from oupcheck.http import EvidenceClient
from oupcheck.verdicts import CheckFailed, Inconclusive, expect

from ..versions import expect_previous_version_retired
from .markers import requirement
from .surface import discover

REFUSED = {401, 403, 405, 501}


@pytest.fixture(scope="module")
def surface(endpoint, http):
    return discover(endpoint, http)


def _need_items(surface):
    if not surface.items_url:
        raise Inconclusive(f"no data endpoint found to probe (interface: {surface.kind}); "
                           "this check knows OGC API - Features collections",
                           evidence=surface.evidence)


def _feature(fid: str) -> dict:
    return {"type": "Feature", "id": fid, "geometry": {"type": "Point", "coordinates": [5.1, 52.1]},
            "properties": {"name": "oupcheck unauthenticated write probe"}}


@requirement("owasp-api:API2-unauthenticated-writes")
def test_unauthenticated_writes_rejected(oup_run, surface, http):
    _need_items(surface)
    writes = oup_run.target.spec.writes_allowed
    run_tag = uuid.uuid4().hex[:10]
    absent = f"oupcheck-{run_tag}-absent"
    item = f"{surface.items_url}/{absent}"
    # (method, url, body, is the body a valid write?)  Without writes_allowed no valid body is
    # sent, so nothing can be created even on a server that does not check credentials.
    probes = [("POST", surface.items_url, _feature(f"oupcheck-{run_tag}-new") if writes else {},
               writes),
              ("PUT", item, _feature(absent) if writes else {}, writes),
              ("PATCH", item, {"properties": {}}, False),
              ("DELETE", item, None, False)]
    refused_valid, undecided = [], []
    for method, url, body, valid in probes:
        ex = http.request(method, url, json_body=body, auth=False,
                          headers={"Content-Type": "application/geo+json"} if body is not None
                          else None, note=f"unauthenticated {method}: must be refused")
        if 200 <= ex.status < 300:
            if method in ("POST", "PUT"):
                _cleanup(http, ex.header("location") if method == "POST" else None,
                         surface.items_url, body)
            raise CheckFailed(f"an unauthenticated {method} was accepted",
                              expected="401, 403 or 405", actual=f"HTTP {ex.status}", evidence=ex)
        if ex.status in REFUSED:
            continue
        if valid and 400 <= ex.status < 500:
            refused_valid.append(ex)  # a valid write without credentials was refused
            continue
        undecided.append(ex)
    if undecided and not refused_valid:
        raise Inconclusive(
            "no write was accepted, but " + ", ".join(f"{e.method} got HTTP {e.status}"
                                                       for e in undecided) +
            ": those requests were judged on their content, not refused for missing credentials"
            + ("" if writes else " (set writes_allowed to send valid writes)"),
            evidence=undecided)


def _cleanup(http: EvidenceClient, location: str | None, items_url: str, body: dict) -> None:
    """Delete what an accepted unauthenticated write created (with the run's credentials)."""
    urls = [location] if location else []
    if isinstance(body, dict) and body.get("id"):
        urls.append(f"{items_url}/{body['id']}")
    for url in urls:
        try:
            http.request("DELETE", url, note="clean-up of the accepted unauthenticated write")
        except TransportError:
            pass


@requirement("owasp-api:API4-page-size")
def test_page_size_capped(oup_run, surface, http):
    _need_items(surface)
    huge = int(oup_run.param("huge_limit", 10_000_000))
    cap = int(oup_run.param("max_page_size", 10_000))
    ex = http.get(surface.items_url, params={"limit": huge}, accept="application/geo+json",
                  note="a huge page size must be capped or refused")
    if 400 <= ex.status < 500:
        return
    expect(ex.status == 200, "a huge page size was not answered with a page or a 4xx",
           expected="200 with a capped page, or 400", actual=f"HTTP {ex.status}", evidence=ex)
    if ex.body_capped:
        raise CheckFailed("the response to a huge page size exceeds the body cap",
                          expected=f"<= {cap} items", actual=f">{ex.body_bytes} bytes", evidence=ex)
    doc = EvidenceClient.json(ex)
    n = len(doc.get("features") or []) if isinstance(doc, dict) else 0
    expect(n <= cap, "a huge page size is not capped", expected=f"<= {cap} items per page",
           actual=f"{n} items", evidence=ex)


@requirement("owasp-api:API4-body-size")
def test_oversized_body_refused(oup_run, surface, endpoint, http):
    size = int(oup_run.param("oversized_body_bytes", 12 * 1024 * 1024))
    url = surface.items_url or endpoint.base
    body = b'{"type":"Feature","properties":{"pad":"' + b"x" * size + b'"}}'
    try:
        ex = http.request("POST", url, data=body, auth=False,
                          headers={"Content-Type": "application/geo+json"},
                          note=f"an oversized body ({size} bytes) must be refused")
    except TransportError as exc:
        if re.search(r"reset|broken pipe|aborted|closed", str(exc), re.I):
            return  # the server closed the connection instead of reading the body
        raise
    expect(400 <= ex.status < 500, "an oversized request body was not refused",
           expected="413 (or another 4xx)", actual=f"HTTP {ex.status}", evidence=ex)


PROBE_PATHS = [  # path, what a real exposure looks like in the body
    (".env", re.compile(r"^[A-Z_][A-Z0-9_]*=", re.M), "environment file"),
    (".git/config", re.compile(r"\[core\]"), "git repository"),
    ("server-status", re.compile(r"Apache Server Status"), "Apache server-status"),
    ("actuator/env", re.compile(r"propertySources|activeProfiles"), "Spring actuator"),
    ("actuator/heapdump", re.compile(r"JAVA PROFILE"), "Spring heap dump"),
    ("phpinfo.php", re.compile(r"PHP Version"), "phpinfo"),
    ("debug/vars", re.compile(r"\"memstats\""), "Go expvar"),
    ("debug/pprof/", re.compile(r"Types of profiles available"), "Go pprof"),
    ("console", re.compile(r"Interactive Console|Werkzeug"), "debug console"),
    ("admin/", re.compile(r"Django administration|<title>[^<]*admin", re.I), "admin interface"),
]


@requirement("owasp-api:API9-undocumented-paths")
def test_no_exposed_debug_paths(endpoint, http):
    p = urlsplit(endpoint.base)
    roots = {endpoint.base, urlunsplit((p.scheme, p.netloc, "/", "", ""))}
    for root in sorted(roots):
        for path, signature, what in PROBE_PATHS:
            ex = http.get(root + path, auth=False, note=f"must not expose a {what}")
            exposed = ex.status == 200 and signature.search(ex.body_excerpt or "")
            expect(not exposed, f"{what} is reachable without authentication",
                   expected="404 / 401 / 403", actual=f"HTTP {ex.status} with {what} content",
                   evidence=ex)


@requirement("owasp-api:API9-old-versions")
def test_old_versions_retired(endpoint, http):
    expect_previous_version_retired(http, endpoint.base)


def _identities(run, need_owned: bool):
    idents = run.target.spec.identities
    usable = [i for i in idents if i.owns] if need_owned else idents
    if len(usable) < (2 if need_owned else 1):
        raise Inconclusive("needs identities in the target file: two users, each with objects "
                           "only they may read (identities[].owns)" if need_owned else
                           "needs an identity in the target file that may not write "
                           "(identities[].may_write: false)")
    return usable


@requirement("owasp-api:API1-object-level-authorisation")
def test_objects_of_one_user_are_not_readable_by_another(oup_run, endpoint, http):
    idents = _identities(oup_run, need_owned=True)
    cred = oup_run.target.credential
    for owner in idents:
        for obj in owner.owns:
            url = obj if "://" in obj else endpoint.base + obj.lstrip("/")
            own = http.get(url, accept="application/json", auth=cred(owner.credential),
                           note=f"{owner.credential} reads its own object")
            if not 200 <= own.status < 300:
                raise Inconclusive(f"{owner.credential} cannot read its own object {obj} "
                                   f"(HTTP {own.status}); the target file's owns list is wrong",
                                   evidence=own)
            for other in idents:
                if other is owner:
                    continue
                ex = http.get(url, accept="application/json", auth=cred(other.credential),
                              note=f"{other.credential} reads {owner.credential}'s object")
                expect(ex.status in (401, 403, 404),
                       f"{other.credential} can read an object of {owner.credential}",
                       expected="401, 403 or 404", actual=f"HTTP {ex.status}",
                       evidence=[own, ex])


@requirement("owasp-api:API5-function-level-authorisation")
def test_users_without_write_rights_cannot_write(oup_run, surface, http):
    _need_items(surface)
    readers = [i for i in _identities(oup_run, need_owned=False) if not i.may_write]
    if not readers:
        raise Inconclusive("no identity with may_write: false in the target file")
    tag = uuid.uuid4().hex[:10]
    absent = f"{surface.items_url}/oupcheck-{tag}-absent"
    undecided = []
    for reader in readers:
        cred = oup_run.target.credential(reader.credential)
        for method, url, body in (("POST", surface.items_url, {}), ("PUT", absent, {}),
                                  ("PATCH", absent, {}), ("DELETE", absent, None)):
            ex = http.request(method, url, json_body=body, auth=cred,
                              note=f"{method} as {reader.credential} (no write rights)")
            expect(not 200 <= ex.status < 300,
                   f"{reader.credential}, who may not write, had a {method} accepted",
                   expected="403 (or 401/405)", actual=f"HTTP {ex.status}", evidence=ex)
            if ex.status not in REFUSED:
                undecided.append(ex)
    if len(undecided) == 4 * len(readers):
        raise Inconclusive("no write was accepted, but none was refused for lack of rights "
                           "either (" + ", ".join(f"{e.method} {e.status}" for e in undecided[:4])
                           + ")", evidence=undecided)
