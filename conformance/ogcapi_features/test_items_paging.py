"""Clause 7.15.2 Parameter limit, 7.15.7 next links (recommendations)."""

from urllib.parse import urljoin

from oupcheck.marks import requirement
from oupcheck.verdicts import Inconclusive, expect, judged

from .api import GEOJSON, find_path, parameter, rel
from .checks import status_text


def _limit_schema(oaf, cid):
    """The schema of ``limit`` of the items operation in the API definition, or None when it
    cannot be read. Its minimum, maximum and default "are only examples and MAY be changed"
    (/per/core/fc-limit-default-minimum-maximum)."""
    _, definition, _ = oaf.definition()
    if definition is None:
        return None
    path = find_path(definition, oaf.local_path(definition, urljoin(oaf.base, oaf.items_url(cid))))
    p = parameter(definition, path, "limit") if path else None
    schema = p.get("schema") if isinstance(p, dict) else None
    return schema if isinstance(schema, dict) else None


def _num(schema, key):
    v = (schema or {}).get(key)
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None


@requirement("/req/core/fc-limit-definition")
def test_limit_parameter_supported(oaf):
    cid = oaf.sample_collections()[0]["id"]
    schema = _limit_schema(oaf, cid)
    minimum = _num(schema, "minimum")
    n = 0
    oaf.each(lambda v: oaf.items(cid, limit=v), (1, 2, 10000))
    for value in (1, 2, 10000):
        ex = oaf.items(cid, limit=value)
        if ex.status == 400 and value < (minimum if minimum is not None else 1):
            continue  # below the minimum the API declares: invalid, rejecting it is right
        if ex.status == 400 and schema is None and value < 10000:
            raise Inconclusive(f"limit={value} was rejected with 400; the API definition cannot "
                               "be read to see whether it raised the minimum of limit (which "
                               "/per/core/fc-limit-default-minimum-maximum permits)", evidence=ex,
                               decide="publish the API definition as OpenAPI 3.0 "
                                      "(rel=service-desc)")
        expect(ex.status == 200, f"limit={value} is not accepted: {status_text(ex.status)}"
               + (f" (the API definition declares minimum {minimum:g})" if minimum is not None else "")
               + (" - a value above the maximum SHALL NOT result in an error "
                  "(/req/core/fc-limit-response-1 C)" if value == 10000 else ""),
               expected=200, actual=ex.status, evidence=ex)
        n += 1
    judged("limit values", n)


@requirement("/req/core/fc-limit-response-1")
def test_limit_respected_and_capped(oaf):
    """A: never more features than limit; B: never more than the maximum the API definition
    declares; C: a limit above the maximum is no error. A cap is only seen on a collection that
    has more features than the limit asked for."""
    capped = 0
    big = oaf.p("large_limit", 10_000_000)
    cols = oaf.sample_collections()
    oaf.each(lambda ask: oaf.items(ask[0], limit=ask[1]),  # probe, then judge
             [(c["id"], value) for c in cols for value in (big, 1, 3)])
    for c in cols:
        schema = _limit_schema(oaf, c["id"])
        maximum = _num(schema, "maximum")
        ex = oaf.items(c["id"], limit=big)
        doc = oaf.selection_answered(ex, c["id"], f"(limit={big})", f"limit={big} above the "
                                     "maximum caused an error instead of a cap")
        available = len(doc["features"])
        if maximum is not None:
            expect(available <= maximum, f"limit={big} on {c['id']} returned {available} features, "
                   f"more than the maximum {maximum:g} the API definition declares",
                   expected=f"<= {maximum:g}", actual=available, evidence=ex)
        total = doc.get("numberMatched")
        if isinstance(total, int) and not isinstance(total, bool):
            available = max(available, total)
        for value in (1, 3):
            lex, ldoc = oaf.items_doc(c["id"], limit=value)
            n = len(ldoc.get("features") or [])
            expect(n <= value, f"limit={value} on {c['id']} returned {n} features",
                   expected=f"<= {value}", actual=n, evidence=lex)
            if available > value:
                capped += 1
    judged("limited responses of larger selections", capped)
    if not capped:
        raise Inconclusive("no sampled collection has more than 3 features, so a limit that "
                           "caps the response was never observed",
                           decide="give the target a collection with more features")


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
    raise Inconclusive(f"no sampled collection has more features than one page "
                       f"(limit={limit}), so paging could not be exercised",
                       decide="give the target a collection with more than page_limit features")


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
        raise Inconclusive("no rel=next link to follow (judged by /rec/core/fc-next-1)", evidence=ex)
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
    scan = oaf.scan(c["id"])
    expect(not scan.cycle, f"{c['id']}: {scan.stopped}", expected="a next link to a new page",
           actual=scan.stopped, evidence=scan.stop_evidence or scan.exchanges[-1:])
    expect(not (scan.stopped or "").startswith("the next page"), f"{c['id']}: {scan.stopped}",
           expected="a next page answered 200 with a FeatureCollection", actual=scan.stopped,
           evidence=scan.stop_evidence or scan.exchanges[-1:])
    for pex, pdoc in scan.pages:
        n = len(pdoc.get("features") or [])
        expect(n <= limit, "a next page holds more features than the limit",
               expected=f"<= {limit}", actual=n, evidence=pex)
    collected = scan.ids()
    if isinstance(total, int) and len(collected) < total and scan.complete:
        expect(False, "paging ended before all selected features were returned",
               expected=total, actual=len(collected), evidence=scan.exchanges[-1])
    dupes = len(collected) - len(set(collected))
    expect(dupes == 0, "paging returned the same feature twice", expected=0, actual=dupes,
           evidence=scan.exchanges[-1])
    judged("pages", len(scan.pages))
