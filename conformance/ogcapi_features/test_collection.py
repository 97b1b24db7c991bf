"""Clause 7.14 Feature collection (/collections/{collectionId})."""

from oupcheck.verdicts import expect

from .api import HTML, JSON, CONF, requirement
from .checks import alternate_covers, require_rel

SAME = ("id", "title", "description", "extent", "itemType")


@requirement("/req/core/sfc-md-op")
def test_collection_supports_get(oaf):
    for c in oaf.sample_collections():
        ex = oaf.get(f"collections/{c['id']}")
        expect(ex.status is not None and ex.status < 400,
               f"GET /collections/{c['id']} is not supported", expected="a successful answer",
               actual=ex.status, evidence=ex)


@requirement("/req/core/sfc-md-success")
def test_collection_consistent_with_list(oaf):
    for c in oaf.sample_collections():
        ex = oaf.get(f"collections/{c['id']}")
        doc = oaf.ok_json(ex, f"/collections/{c['id']}")
        for key in SAME:
            expect(doc.get(key) == c.get(key), f"'{key}' of {c['id']} differs from /collections",
                   expected=c.get(key), actual=doc.get(key), evidence=[oaf.collections_ex(), ex])
        have = {(lk.get("rel"), lk.get("href"), lk.get("type")) for lk in doc.get("links", [])}
        missing = [lk for lk in c.get("links", [])
                   if (lk.get("rel"), lk.get("href"), lk.get("type")) not in have]
        expect(not missing, f"links of {c['id']} in /collections are missing from its own page",
               expected="all links of the /collections entry", actual=missing[:3],
               evidence=[oaf.collections_ex(), ex])


@requirement("/rec/core/sfc-md-links")
def test_collection_self_and_alternate(oaf, oup_run):
    supported = {JSON} | ({HTML} if oup_run.claimed(CONF + "html") else set())
    for c in oaf.sample_collections():
        ex = oaf.get(f"collections/{c['id']}")
        doc = oaf.ok_json(ex, f"/collections/{c['id']}")
        require_rel(doc, "self", ex, f"/collections/{c['id']}")
        alternate_covers(doc, ex, supported, f"/collections/{c['id']}")
