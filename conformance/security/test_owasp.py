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
from oupcheck.verdicts import CheckFailed, Inconclusive, judged, settle

from ..versions import expect_previous_version_retired
from .owasp import (judge_body_size, judge_exposures, judge_object_access, judge_page_size,
                    judge_write)
from .surface import PROBE_TYPE, discover, need_data

DECIDE_IDENTITIES = "add two identities (credentials and the objects each owns) to the target file"
DECIDE_WRITES = "set writes_allowed: true in the target file"
DECIDE_PERSON = ("a person must judge the named answers: they refuse the write without naming "
                 "missing credentials, missing rights or a read-only resource")


@pytest.fixture(scope="module")
def surface(endpoint, http):
    return discover(endpoint, http)


def _write_campaign(http, surface, probes, auth, who: str):
    """Send the probes; FAIL on the first accepted write (cleaning up what it created). The
    answers are judged one by one as they come (``judge_write``, pure): once a write was
    accepted no further write is sent, so a vulnerable server gets as little as possible."""
    refused, undecided = [], []
    for method, url, body, media, valid in probes:
        ex = http.request(method, url, json_body=body, auth=auth,
                          headers={"Content-Type": media} if body is not None else None,
                          note=f"{method} {who}: must be refused"
                               + ("" if valid else " (deliberately not a valid write)"))
        verdict = judge_write(ex, valid)
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
    settle(judge_page_size(ex, surface.control, huge=huge, cap=cap, ngsi=ngsi), oup_run.observe)


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
    settle(judge_body_size(ctl, ex, size=size, decide=None if writes else DECIDE_WRITES),
           oup_run.observe)


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
    asked = [(root + path, signature, what) for root in sorted(roots)
             for path, signature, what in PROBE_PATHS]
    # probe: the paths at once (read-only GETs); judge: in order, from the recordings
    answers = http.fan_out([lambda u=url, w=what: http.get(u, auth=False,
                                                          note=f"must not expose a {w}")
                            for url, _, what in asked])
    settle(judge_exposures([(done.get(), signature, what)
                            for done, (_, signature, what) in zip(answers, asked)]))


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
    # probe: every owner reads each of its objects, and every other identity tries to
    reads = []
    for owner in idents:
        for obj in owner.owns:
            url = obj if "://" in obj else endpoint.base + obj.lstrip("/")
            own = http.get(url, accept="application/json", auth=cred(owner.credential),
                           note=f"{owner.credential} reads its own object")
            others = [(other, http.get(url, accept="application/json",
                                       auth=cred(other.credential),
                                       note=f"{other.credential} reads {owner.credential}'s "
                                            "object"))
                      for other in idents if other is not owner]
            reads.append((owner, obj, own, others))
    # judge: pure, over the recorded reads
    for owner, obj, own, others in reads:
        if not 200 <= own.status < 300:
            raise Inconclusive(f"{owner.credential} cannot read its own object {obj} "
                               f"(HTTP {own.status}); the target file's owns list is wrong",
                               evidence=own, decide="correct identities[].owns in the "
                                                    "target file")
        for other, ex in others:
            settle(judge_object_access(own, ex, owner.credential, other.credential))


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
