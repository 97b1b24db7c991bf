"""The previous major version of an API: retired, or served with a deprecation notice?

Shared by the OWASP API9 row (security-baseline) and the lock-in deprecation factor.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from oupcheck.verdicts import Inconclusive, NotApplicable, expect, judged


def previous_version_url(base: str) -> tuple[str, int]:
    """The URL of the major version before the one in ``base`` (NotApplicable without /vN)."""
    path = urlsplit(base).path
    m = re.search(r"/v(\d+)(/|$)", path)
    if not m:
        raise NotApplicable(f"the base path {path!r} has no major-version segment (/vN): there "
                            "are no older versions to look for")
    n = int(m.group(1))
    old = path[: m.start()] + f"/v{max(n - 1, 0)}" + path[m.end() - (1 if m.group(2) else 0):]
    p = urlsplit(base)
    return urlunsplit((p.scheme, p.netloc, old, "", "")), max(n - 1, 0)


def expect_previous_version_retired(http, base: str) -> None:
    """FAIL when the previous major version still answers 200 without Deprecation or Sunset.

    A 404/410 counts as retired only when the current version answers 2xx (the control: a
    target that answers 404 everywhere shows no retirement); a redirect away from the old
    version counts as retired; any other answer (401, 403, 5xx) does not show whether the old
    version is still served."""
    url, old = previous_version_url(base)
    ex = http.get(url, accept="application/json", note="the previous major version")
    old_path = urlsplit(url).path
    moved = not urlsplit(ex.url).path.startswith(old_path)
    if ex.status == 200 and not moved:
        announced = ex.header("sunset") or ex.header("deprecation")
        expect(announced, f"an older API version (v{old}) is still served without a "
               "deprecation notice", expected="404/410, or Deprecation/Sunset headers",
               actual=f"HTTP {ex.status} without Deprecation or Sunset", evidence=ex)
        judged(f"previous version (v{old}) served with a retirement notice", 1)
        return
    if ex.status == 200 and moved:
        judged(f"previous version (v{old}) redirected to {urlsplit(ex.url).path}", 1)
        return
    if ex.status in (404, 410):
        cur = http.get(base, accept="application/json",
                       note="the current version (control: it answers, the old one does not)")
        from .security.endpoint import has_content
        if not 200 <= (cur.status or 0) < 300 or not has_content(cur):
            served = (f"HTTP {cur.status}" if not 200 <= (cur.status or 0) < 300
                      else f"HTTP {cur.status} with an empty document")
            raise Inconclusive(f"v{old} answers HTTP {ex.status}, and the current version "
                               f"serves nothing either ({base}: {served}): a target that "
                               "answers nothing shows no retirement", evidence=[ex, cur],
                               decide="give the URL of the API's current version, where it "
                                      "answers 2xx, as the target")
        judged(f"previous version (v{old}) retired (HTTP {ex.status})", 1)
        return
    raise Inconclusive(f"the previous major version {url} answers HTTP {ex.status}: whether "
                       "it is still served is not shown (retired is 404/410, announced is "
                       "Deprecation/Sunset on a 200)", evidence=ex)
