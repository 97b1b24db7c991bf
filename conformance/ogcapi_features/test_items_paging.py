"""Clause 7.15.2 Parameter limit, 7.15.7 next links (recommendations)."""

from urllib.parse import urljoin

from oupcheck.verdicts import Inconclusive, NotApplicable, expect

from .api import GEOJSON, rel, requirement


@requirement("/req/core/fc-limit-definition")
def test_limit_parameter_supported(oaf):
    cid = oaf.sample_collections()[0]["id"]
    for value in (1, 2, 10000):
        ex = oaf.items(cid, limit=value)
        expect(ex.status == 200, f"limit={value} (within 1..10000) is not accepted", expected=200,
               actual=ex.status, evidence=ex)


@requirement("/req/core/fc-limit-response-1")
def test_limit_respected_and_capped(oaf):
    for c in oaf.sample_collections():
        for value in (1, 3):
            ex, doc = oaf.items_doc(c["id"], limit=value)
            n = len(doc.get("features") or [])
            expect(n <= value, f"limit={value} on {c['id']} returned more features",
                   expected=f"<= {value}", actual=n, evidence=ex)
        big = oaf.p("large_limit", 10_000_000)
        ex = oaf.items(c["id"], limit=big)
        expect(ex.status == 200, f"limit={big} above the maximum caused an error instead of a cap",
               expected=200, actual=ex.status, evidence=ex)


def _pageable(oaf):
    """A collection whose first page is full (more features than one page)."""
    limit = oaf.p("page_limit", 10)
    for c in oaf.sample_collections():
        ex, doc = oaf.items_doc(c["id"], limit=limit)
        feats = doc.get("features") or []
        total = doc.get("numberMatched")
        if (isinstance(total, int) and total > len(feats)) or len(feats) == limit:
            big, bdoc = oaf.items_doc(c["id"], limit=limit * 2)
            if len(bdoc.get("features") or []) > len(feats):
                return c, ex, doc
    raise NotApplicable("no sampled collection has more features than one page")


@requirement("/rec/core/fc-next-1")
def test_next_link_when_more(oaf):
    c, ex, doc = _pageable(oaf)
    expect(rel(doc, "next"), f"{c['id']} has more features than returned but no rel=next link",
           expected="rel=next", actual=sorted({str(lk.get('rel')) for lk in doc.get('links', [])}),
           evidence=ex)


@requirement("/rec/core/fc-next-2")
def test_next_link_gives_new_features(oaf):
    c, ex, doc = _pageable(oaf)
    nxt = rel(doc, "next")
    if not nxt:
        raise Inconclusive("no rel=next link to follow", evidence=ex)
    seen = {str(f.get("id")) for f in doc.get("features") or []}
    ex2 = oaf.http.get(urljoin(ex.url, nxt[0].get("href", "")), accept=GEOJSON)
    doc2 = oaf.ok_json(ex2, "next page")
    ids2 = [str(f.get("id")) for f in doc2.get("features") or []]
    expect(ids2, "the next page is empty", expected="more features", actual=0, evidence=[ex, ex2])
    again = sorted(set(ids2) & seen)
    expect(not again, "the next page repeats features of the first page",
           expected="features not yet returned", actual=again[:5], evidence=[ex, ex2])


@requirement("/rec/core/fc-next-3")
def test_next_pages_follow_same_rules(oaf):
    c, ex, doc = _pageable(oaf)
    limit = oaf.p("page_limit", 10)
    total = doc.get("numberMatched")
    collected, pages = [], 0
    for pex, pdoc in oaf.scan(c["id"]):
        n = len(pdoc.get("features") or [])
        expect(n <= limit, "a next page holds more features than the limit",
               expected=f"<= {limit}", actual=n, evidence=pex)
        collected.extend(str(f.get("id")) for f in pdoc.get("features") or [])
        pages += 1
        last = pex, pdoc
    if isinstance(total, int) and len(collected) < total and not rel(last[1], "next") \
            and len(collected) < oaf.p("max_features_scan", 500):
        raise_ex = last[0]
        expect(False, "paging ended before all selected features were returned",
               expected=total, actual=len(collected), evidence=raise_ex)
    dupes = len(collected) - len(set(collected))
    expect(dupes == 0, "paging returned the same feature twice", expected=0, actual=dupes,
           evidence=last[0])
