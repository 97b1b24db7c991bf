"""Pure judgements of the OWASP API Security Top 10 (2023) probes: functions of recorded
exchanges and the profile's parameters, without I/O (the probes are in test_owasp.py). Each
returns a ``Judgement`` that the check settles, so the same answer gives the same verdict when
a run is judged again."""

from __future__ import annotations

import re
from typing import Any

from oupcheck.evidence import Exchange
from oupcheck.http import EvidenceClient
from oupcheck.verdicts import Judgement, Verdict

REFUSED = {401, 403, 405, 501}
# a 4xx whose text names the write itself as refused (not the payload): pygeoapi's
# "Collection is not editable", "read-only", "forbidden", "authentication required" ...
REFUSAL_TEXT = re.compile(r"not editable|read[- ]only|forbidden|unauthori[sz]ed|authenticat|"
                          r"permission|not permitted|access denied|method not allowed|"
                          r"credential", re.I)


def judge_write(ex: Exchange, valid: bool) -> str:
    """"accepted", "refused" or "undecided" for one write answer. 401/403/405/501 refuse by
    their HTTP meaning whatever the body; another 4xx refuses only when the payload was valid
    for the interface and the answer's text names the write itself as refused (a 400 to a
    malformed payload, a 404 for an absent id or a 415/422 say nothing about credentials)."""
    status = ex.status or 0
    if 200 <= status < 300:
        return "accepted"
    if status in REFUSED:
        return "refused"
    if valid and 400 <= status < 500 and status not in (404, 409, 415, 422) \
            and REFUSAL_TEXT.search(ex.body_excerpt or ""):
        return "refused"
    return "undecided"


def judge_page_size(ex: Exchange, control: Exchange, *, huge: int, cap: int,
                    ngsi: bool) -> Judgement:
    """API4 (unrestricted resource consumption), the page size: a huge ``limit`` is refused
    with a 4xx (while the same read with a normal page size, ``control``, is answered), or
    answered with a page of at most ``cap`` items and a next page. A whole collection in one
    page shows no cap when it is not larger than the cap: INCONCLUSIVE."""
    status = ex.status or 0
    if 400 <= status < 500:
        return Judgement(Verdict.PASS, f"limit={huge} is refused with HTTP {status}, while the "
                         f"same read with a normal page size is answered HTTP {control.status}",
                         counted=[("huge page sizes refused (a normal one answered)", 1)])
    if status != 200:
        return Judgement(Verdict.FAIL, "a huge page size was not answered with a page or a 4xx",
                         expected="200 with a capped page, or 400", actual=f"HTTP {ex.status}",
                         evidence=ex, assertions=1)
    if ex.body_capped:
        return Judgement(Verdict.FAIL, "the response to a huge page size exceeds the body cap",
                         expected=f"<= {cap} items", actual=f">{ex.body_bytes} bytes",
                         evidence=ex, assertions=1)
    doc = EvidenceClient.json(ex)  # an unusable body: BodyUnusable, the plugin's verdict
    if ngsi:
        items = doc if isinstance(doc, list) else []
        total: Any = ex.header("ngsild-results-count")
        more = "rel=\"next\"" in (ex.header("link") or "").replace("'", '"')
    else:
        items = (doc.get("features") or []) if isinstance(doc, dict) else []
        total = doc.get("numberMatched") if isinstance(doc, dict) else None
        more = any(isinstance(ln, dict) and ln.get("rel") == "next"
                   for ln in (doc.get("links") or [] if isinstance(doc, dict) else []))
    n = len(items)
    counted = [("items in the huge page", n)]
    if n > cap:
        return Judgement(Verdict.FAIL, "a huge page size is not capped",
                         expected=f"<= {cap} items per page", actual=f"{n} items", evidence=ex,
                         counted=counted, assertions=2)
    try:
        total = int(total) if total is not None else None
    except (TypeError, ValueError):
        total = None
    if more or (total is not None and total > n):
        return Judgement(Verdict.PASS, f"limit={huge} is capped: {n} items returned"
                         + (f" of {total}" if total is not None else "") + " with a next page",
                         counted=counted, assertions=2)
    return Judgement(Verdict.INCONCLUSIVE, f"limit={huge} returned {n} items and no further page"
                     + (f" ({total} matched)" if total is not None else "")
                     + ": the whole collection fits in one page, so a cap is not shown",
                     evidence=ex, counted=counted, assertions=2,
                     decide="point the target at a collection with more items than "
                            "max_page_size, or lower max_page_size")


def judge_body_size(control: Exchange, ex: Exchange, *, size: int,
                    decide: str | None) -> Judgement:
    """API4, the request body: the same POST with a small body (``control``) decides what a
    refusal of the big one means. It counts as a limit when the small one is answered
    otherwise (a 401, 404 or 405 to both is no limit), or when the big one gets 413, which by
    its meaning (RFC 9110 15.5.14) refuses the size."""
    status = ex.status or 0
    if 200 <= status < 300:
        return Judgement(Verdict.FAIL, "an oversized request body was accepted",
                         expected="413 (or another 4xx)", actual=f"HTTP {ex.status}",
                         evidence=[control, ex], assertions=1)
    if ex.status == control.status:
        return Judgement(Verdict.INCONCLUSIVE, f"the oversized body got HTTP {ex.status}, and so "
                         "did the same POST with a small body: the answer is not about the "
                         "size, so no limit is shown", evidence=[control, ex], decide=decide,
                         assertions=1)
    if status == 413:
        return Judgement(Verdict.PASS, f"a {size}-byte body is refused with HTTP 413 (the same "
                         f"POST with a small body: HTTP {control.status})",
                         counted=[("oversized bodies refused with 413", 1)], assertions=1)
    if 400 <= status < 500:
        return Judgement(Verdict.PASS, "", assertions=2)  # the ledger says what was judged
    return Judgement(Verdict.FAIL, "an oversized request body was not refused",
                     expected="413 (or another 4xx)",
                     actual=f"HTTP {ex.status} (a small body: HTTP {control.status})",
                     evidence=[control, ex], assertions=2)


def judge_exposures(answers: list[tuple[Exchange, Any, str]]) -> Judgement:
    """API9 (improper inventory management): none of the well-known debug and admin paths
    answers 200 with what a real exposure of it looks like (``answers``: the exchange, the
    signature of an exposure, what it is)."""
    for n, (ex, signature, what) in enumerate(answers, 1):
        if ex.status == 200 and signature.search(ex.body_excerpt or ""):
            return Judgement(Verdict.FAIL, f"{what} is reachable without authentication",
                             expected="404 / 401 / 403",
                             actual=f"HTTP {ex.status} with {what} content", evidence=ex,
                             assertions=n)
    return Judgement(Verdict.PASS, "", assertions=len(answers))


def judge_object_access(own: Exchange, other: Exchange, owner: str, reader: str) -> Judgement:
    """API1 (broken object level authorisation): an object its owner reads (``own``) is
    refused to another identity (401, 403 or 404)."""
    if other.status in (401, 403, 404):
        return Judgement(Verdict.PASS, "", assertions=1)
    return Judgement(Verdict.FAIL, f"{reader} can read an object of {owner}",
                     expected="401, 403 or 404", actual=f"HTTP {other.status}",
                     evidence=[own, other], assertions=1)
