"""OWASP API Security Top 10 (2023) probes that are safe from outside.

Nothing here changes data unless the target file sets ``writes_allowed``: without it POST and
PUT carry no valid object, and PATCH and DELETE always address an id that does not exist. With
it, the writes are valid for the interface (an OGC API feature to a collection's items, an
NGSI-LD entity with its @context to /entities), carry this run's own ids, and anything a
vulnerable server creates is deleted again.
"""

from __future__ import annotations

import json
import re
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest

from oupcheck.errors import TransportError
from oupcheck.http import EvidenceClient
from oupcheck.marks import requirement
from oupcheck.verdicts import CheckFailed, Inconclusive, expect, judged

from ..versions import expect_previous_version_retired
from .surface import PROBE_TYPE, discover, need_data

REFUSED = {401, 403, 405, 501}
# a 4xx whose text names the write itself as refused (not the payload): pygeoapi's
# "Collection is not editable", "read-only", "forbidden", "authentication required" ...
REFUSAL_TEXT = re.compile(r"not editable|read[- ]only|forbidden|unauthori[sz]ed|authenticat|"
                          r"permission|not permitted|access denied|method not allowed|"
                          r"credential", re.I)
DECIDE_IDENTITIES = "add two identities (credentials and the objects each owns) to the target file"
DECIDE_WRITES = "set writes_allowed: true in the target file"
DECIDE_PERSON = ("a person must judge the named answers: they refuse the write without naming "
                 "missing credentials, missing rights or a read-only resource")


@pytest.fixture(scope="module")
def surface(endpoint, http):
    return discover(endpoint, http)


def _judge_write(ex, valid: bool) -> str:
    """"accepted", "refused" or "undecided" for one write answer. 401/403/405/501 refuse by
    their HTTP meaning whatever the body; another 4xx refuses only when the payload was valid
    for the interface and the answer's text names the write itself as refused (a 400 to a
    malformed payload, a 404 for an absent id or a 415/422 say nothing about credentials)."""
    if 200 <= ex.status < 300:
        return "accepted"
    if ex.status in REFUSED:
        return "refused"
    if valid and 400 <= ex.status < 500 and ex.status not in (404, 409, 415, 422) \
            and REFUSAL_TEXT.search(ex.body_excerpt or ""):
        return "refused"
    return "undecided"


def _write_campaign(http, surface, probes, auth, who: str):
    """Send the probes; FAIL on the first accepted write (cleaning up what it created)."""
    refused, undecided = [], []
    for method, url, body, media, valid in probes:
        ex = http.request(method, url, json_body=body, auth=auth,
                          headers={"Content-Type": media} if body is not None else None,
                          note=f"{method} {who}: must be refused"
                               + ("" if valid else " (deliberately not a valid write)"))
        verdict = _judge_write(ex, valid)
        if verdict == "accepted":
            if method in ("POST", "PUT"):
                _cleanup(http, surface.created_urls(method, ex.header("location"), body))
            raise CheckFailed(f"{who}, a {method} was accepted",
                              expected="401, 403 or 405 (or a refusal that names the write)",
                              actual=f"HTTP {ex.status}", evidence=ex)
        (refused if verdict == "refused" else undecided).append((ex, valid))
    judged("write requests refused", len(refused))
    return refused, undecided


def _undecided_message(undecided) -> str:
    return ", ".join(f"{e.method} got HTTP {e.status}"
                     + ("" if valid else " to a deliberately invalid body") for e, valid in undecided)


@requirement("owasp-api:API2-unauthenticated-writes")
def test_unauthenticated_writes_rejected(oup_run, surface, http):
    need_data(surface)
    writes = oup_run.target.spec.writes_allowed
    # Without writes_allowed, POST and PUT carry no valid object, so nothing can be created
    # even on a server that does not check credentials; PATCH and DELETE address an absent id.
    probes = surface.write_probes(uuid.uuid4().hex[:10], valid_creates=writes)
    refused, undecided = _write_campaign(http, surface, probes, False, "without credentials")
    if undecided:
        some_invalid = any(not valid for _, valid in undecided)
        raise Inconclusive(
            "no write was accepted, but " + _undecided_message(undecided) + ": those answers "
            "do not show a refusal for missing credentials (a valid write for this "
            f"{surface.kind} interface, refused with 401/403/405, would)",
            evidence=[e for e, _ in undecided],
            decide=DECIDE_WRITES if some_invalid and not writes else DECIDE_PERSON)


def _cleanup(http: EvidenceClient, urls: list[str]) -> None:
    """Delete what an accepted write created (with the run's credentials)."""
    for url in urls:
        try:
            http.request("DELETE", url, note="clean-up of an accepted write")
        except TransportError:
            pass


@requirement("owasp-api:API4-page-size")
def test_page_size_capped(oup_run, surface, http):
    """The huge page's refusal counts only when the same request with a normal page size is
    answered (the control: discovery's plain read); a page of the whole collection shows no
    cap when the collection is not larger than the cap."""
    need_data(surface)
    huge = int(oup_run.param("huge_limit", 10_000_000))
    cap = int(oup_run.param("max_page_size", 10_000))
    ngsi = surface.kind == "ngsi-ld"
    params = {"type": PROBE_TYPE, "limit": huge, "count": "true"} if ngsi else {"limit": huge}
    ex = http.get(surface.items_url, params=params,
                  accept="application/json" if ngsi else "application/geo+json",
                  note="a huge page size must be capped or refused")
    ctl = surface.control
    if 400 <= ex.status < 500:
        judged("huge page sizes refused (a normal one answered)", 1)
        oup_run.observe(f"limit={huge} is refused with HTTP {ex.status}, while the same read "
                        f"with a normal page size is answered HTTP {ctl.status}")
        return
    expect(ex.status == 200, "a huge page size was not answered with a page or a 4xx",
           expected="200 with a capped page, or 400", actual=f"HTTP {ex.status}", evidence=ex)
    if ex.body_capped:
        raise CheckFailed("the response to a huge page size exceeds the body cap",
                          expected=f"<= {cap} items", actual=f">{ex.body_bytes} bytes", evidence=ex)
    doc = EvidenceClient.json(ex)
    if ngsi:
        items = doc if isinstance(doc, list) else []
        total = ex.header("ngsild-results-count")
        more = "rel=\"next\"" in (ex.header("link") or "").replace("'", '"')
    else:
        items = (doc.get("features") or []) if isinstance(doc, dict) else []
        total = doc.get("numberMatched") if isinstance(doc, dict) else None
        more = any(isinstance(ln, dict) and ln.get("rel") == "next"
                   for ln in (doc.get("links") or [] if isinstance(doc, dict) else []))
    n = len(items)
    judged("items in the huge page", n)
    expect(n <= cap, "a huge page size is not capped", expected=f"<= {cap} items per page",
           actual=f"{n} items", evidence=ex)
    try:
        total = int(total) if total is not None else None
    except (TypeError, ValueError):
        total = None
    if more or (total is not None and total > n):
        oup_run.observe(f"limit={huge} is capped: {n} items returned"
                        + (f" of {total}" if total is not None else "") + " with a next page")
        return
    raise Inconclusive(f"limit={huge} returned {n} items and no further page"
                       + (f" ({total} matched)" if total is not None else "")
                       + ": the whole collection fits in one page, so a cap is not shown",
                       evidence=ex, decide="point the target at a collection with more items "
                                           "than max_page_size, or lower max_page_size")


@requirement("owasp-api:API4-body-size")
def test_oversized_body_refused(oup_run, surface, endpoint, http):
    """The same POST with a small body is the control: a refusal of the big one counts as a
    limit only when the small one is answered otherwise (a 401, 404 or 405 to both is no
    limit), or when the big one gets 413, which by its meaning (RFC 9110 15.5.14) refuses the
    size."""
    size = int(oup_run.param("oversized_body_bytes", 12 * 1024 * 1024))
    if surface.items_url and surface.control is not None \
            and 200 <= (surface.control.status or 0) < 300:
        url = surface.items_url
    else:
        endpoint.require_api(http, "a request body limit")
        url = endpoint.base
    writes = oup_run.target.spec.writes_allowed
    tag = uuid.uuid4().hex[:10]
    media = "application/ld+json" if surface.kind == "ngsi-ld" else "application/geo+json"

    def body(pad: str, n: int) -> tuple[bytes, dict | None]:
        if writes and surface.items_url == url:  # a valid object (deleted again if created)
            obj, _ = surface.new_object(surface.object_id(f"{tag}-{n}"))
            obj.setdefault("properties", {})
            if surface.kind == "ngsi-ld":
                obj["pad"] = {"type": "Property", "value": pad}
            else:
                obj["properties"]["pad"] = pad
            return json.dumps(obj).encode(), obj
        # not a valid object for any interface: nothing is created even without credentials
        return json.dumps({"oupcheck-size-probe": pad}).encode(), None

    small, small_obj = body("x", 1)
    ctl = http.request("POST", url, data=small, auth=False, headers={"Content-Type": media},
                       note="the control: the same POST with a small body")
    if 200 <= ctl.status < 300 and small_obj is not None:
        _cleanup(http, surface.created_urls("POST", ctl.header("location"), small_obj))
    big, big_obj = body("x" * size, 2)
    try:
        ex = http.request("POST", url, data=big, auth=False, headers={"Content-Type": media},
                          note=f"an oversized body ({size} bytes) must be refused")
    except TransportError as exc:
        if re.search(r"reset|broken pipe|aborted|closed", str(exc), re.I):
            judged("oversized bodies refused (connection closed)", 1)
            oup_run.observe(f"the server closed the connection instead of reading a {size}-byte "
                            f"body (the small control body was answered HTTP {ctl.status})")
            return
        raise
    if 200 <= ex.status < 300 and big_obj is not None:
        _cleanup(http, surface.created_urls("POST", ex.header("location"), big_obj))
    expect(not 200 <= ex.status < 300, "an oversized request body was accepted",
           expected="413 (or another 4xx)", actual=f"HTTP {ex.status}", evidence=[ctl, ex])
    if ex.status == ctl.status:
        raise Inconclusive(f"the oversized body got HTTP {ex.status}, and so did the same POST "
                           f"with a small body: the answer is not about the size, so no limit "
                           "is shown", evidence=[ctl, ex],
                           decide=None if writes else DECIDE_WRITES)
    if ex.status == 413:
        judged("oversized bodies refused with 413", 1)
        oup_run.observe(f"a {size}-byte body is refused with HTTP 413 (the same POST with a "
                        f"small body: HTTP {ctl.status})")
        return
    expect(400 <= ex.status < 500, "an oversized request body was not refused",
           expected="413 (or another 4xx)", actual=f"HTTP {ex.status} (a small body: HTTP "
                                                   f"{ctl.status})", evidence=[ctl, ex])


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
    endpoint.require_api(http, "which paths it exposes")
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
        if need_owned:
            raise Inconclusive("needs identities in the target file: two users, each with "
                               "objects only they may read (identities[].owns)",
                               decide=DECIDE_IDENTITIES)
        raise Inconclusive("needs an identity in the target file that may not write "
                           "(identities[].may_write: false)",
                           decide=DECIDE_IDENTITIES + ", one of them with may_write: false")
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
                                   evidence=own, decide="correct identities[].owns in the "
                                                        "target file")
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
    readers = [i for i in _identities(oup_run, need_owned=False) if not i.may_write]
    if not readers:
        raise Inconclusive("no identity with may_write: false in the target file",
                           decide=DECIDE_IDENTITIES + ", one of them with may_write: false")
    need_data(surface)
    writes = oup_run.target.spec.writes_allowed
    undecided = []
    for reader in readers:
        cred = oup_run.target.credential(reader.credential)
        probes = surface.write_probes(uuid.uuid4().hex[:10], valid_creates=writes)
        _, und = _write_campaign(http, surface, probes, cred,
                                 f"as {reader.credential} (who may not write)")
        undecided += und
    if undecided:
        some_invalid = any(not valid for _, valid in undecided)
        raise Inconclusive("no write was accepted, but " + _undecided_message(undecided)
                           + ": those answers do not show a refusal for lack of rights",
                           evidence=[e for e, _ in undecided],
                           decide=DECIDE_WRITES if some_invalid and not writes
                           else DECIDE_PERSON)
