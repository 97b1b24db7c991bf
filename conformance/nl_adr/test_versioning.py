"""ADR chapter 3.7 Versioning: /core/uri-version, /core/semver, /core/version-header."""

from __future__ import annotations

import re
import uuid

from oupcheck.marks import requirement

from .api import SEMVER, base_path, expect, need

MAJOR_SEGMENT = re.compile(r"/v(\d+)(?=/|$)")


@requirement("nlgov-adr:/core/uri-version")
def test_major_version_in_uri(adr):
    ex, doc = adr.openapi()
    servers = adr.server_urls()
    expect(servers, "the OpenAPI document lists no servers", expected="servers[].url with /v{major}",
           actual="none", evidence=ex)
    bad = [u for u in servers if not MAJOR_SEGMENT.search(base_path(u) if "://" in u else u)]
    expect(not bad, "a server URL has no major version segment (/v1) or carries more than the "
           "major version", expected="/v{major} (no minor or patch)", actual=bad[:3], evidence=ex)
    if adr.v21:
        return  # 2.1.0 tests the servers' URLs only
    m = MAJOR_SEGMENT.search(base_path(adr.base))
    expect(m, "the base path has no major version", expected="/v{major} in the base path",
           actual=base_path(adr.base), evidence=ex)
    majors = {MAJOR_SEGMENT.search(base_path(u) if "://" in u else u).group(1) for u in servers}
    expect(majors == {m.group(1)}, "the OpenAPI servers and the base path name different "
           "versions", expected=f"v{m.group(1)}", actual=sorted(majors), evidence=ex)


@requirement("nlgov-adr:/core/semver")
def test_semantic_versioning(adr):
    if adr.v21:  # 2.1.0: info.version of the OpenAPI document
        ex, doc = adr.openapi()
        version = str((doc.get("info") or {}).get("version", ""))
        expect(SEMVER.match(version), "info.version is not a semantic version",
               expected="MAJOR.MINOR.PATCH[-pre]", actual=version or None, evidence=ex)
        return
    ex = adr.root()  # 2.0.2: the API-Version response header
    value = ex.header("api-version")
    need(value, "no API-Version header to judge (see /core/version-header)", evidence=ex)
    expect(SEMVER.match(value.strip()), "the API-Version header is not a semantic version",
           expected="MAJOR.MINOR.PATCH[-pre]", actual=value, evidence=ex)


@requirement("nlgov-adr:/core/version-header")
def test_version_header_on_every_response(adr, http):
    answers = [adr.root(),
               http.get(adr.base + adr.a_resource_path(), accept="application/json",
                        note="a resource (API-Version header)"),
               http.get(f"{adr.base}/oupcheck-no-such-{uuid.uuid4().hex[:8]}",
                        accept="application/json", note="an error answer (API-Version header)")]
    expected = None
    if adr.v21:
        _, doc = adr.openapi()
        expected = str((doc.get("info") or {}).get("version", ""))
    for ex in answers:
        value = ex.header("api-version")
        expect(value, f"no API-Version header on HTTP {ex.status}", expected="API-Version",
               actual=None, evidence=ex)
        if expected is not None:
            expect(value.strip() == expected, "API-Version differs from info.version",
                   expected=expected, actual=value, evidence=ex)
