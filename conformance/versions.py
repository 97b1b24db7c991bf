"""The previous major version of an API: retired, or served with a deprecation notice?

Shared by the OWASP API9 row (security-baseline) and the lock-in deprecation factor.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from oupcheck.verdicts import NotApplicable, expect


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
    """FAIL when the previous major version still answers 200 without Deprecation or Sunset."""
    url, old = previous_version_url(base)
    ex = http.get(url, accept="application/json", note="the previous major version")
    if ex.status != 200:
        return
    announced = ex.header("sunset") or ex.header("deprecation")
    expect(announced, f"an older API version (v{old}) is still served without a deprecation "
           "notice", expected="404/410, or Deprecation/Sunset headers",
           actual=f"HTTP {ex.status} without Deprecation or Sunset", evidence=ex)
