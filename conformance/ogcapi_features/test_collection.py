"""Clause 7.14 Feature collection (/collections/{collectionId})."""

from oupcheck.marks import requirement
from oupcheck.verdicts import expect

from .api import HTML, JSON, CONF
from .checks import alternate_covers, require_rel, status_text

SAME = ("id", "title", "description", "extent", "itemType")


@requirement("/req/core/sfc-md-op")
def test_collection_supports_get(oaf):
    # abstract test /conf/core/sfc-md-op: "Validate that a Collection was returned with a status
    # code 200" (its content is judged by /req/core/sfc-md-success; here: that it is that
    # collection)
    cols = oaf.sample_collections()
    oaf.each(lambda c: oaf.get(f"collections/{c['id']}"), cols)
    for c in cols:
        ex = oaf.get(f"collections/{c['id']}")
        expect(ex.status == 200, f"GET /collections/{c['id']} is not supported: "
               f"{status_text(ex.status)}", expected="HTTP 200 with the collection",
               actual=ex.status, evidence=ex)
        doc = oaf.ok_json(ex, f"/collections/{c['id']}")
        expect(doc.get("id") == c["id"], f"GET /collections/{c['id']} did not answer with that "
               "collection", expected={"id": c["id"]}, actual={"id": doc.get("id")}, evidence=ex)


@requirement("/req/core/sfc-md-success")
def test_collection_consistent_with_list(oaf):
    cols = oaf.sample_collections()
    oaf.each(lambda c: oaf.get(f"collections/{c['id']}"), cols)
    for c in cols:
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
    cols = oaf.sample_collections()
    oaf.each(lambda c: oaf.get(f"collections/{c['id']}"), cols)
    for c in cols:
        ex = oaf.get(f"collections/{c['id']}")
        doc = oaf.ok_json(ex, f"/collections/{c['id']}", pre=True,
                          owner="/req/core/sfc-md-success")
        require_rel(doc, "self", ex, f"/collections/{c['id']}")
        alternate_covers(doc, ex, supported, f"/collections/{c['id']}")
