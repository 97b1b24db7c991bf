"""Clause 7.16 Feature (/collections/{collectionId}/items/{featureId})."""

from oupcheck.marks import requirement
from oupcheck.verdicts import Inconclusive, expect

from .api import GEOJSON, HTML, CONF
from .checks import alternate_covers, links_have_rel_and_type, require_rel, status_text


def _features(oaf, per_collection=2):
    """(collection, feature id, the page that listed it) of the sampled features; the
    features themselves are read at once (probe), then judged one by one."""
    out = []
    cols = oaf.sample_collections()
    for c, listed in zip(cols, oaf.prefetch([lambda c=c: oaf.feature_ids(c["id"]) for c in cols])):
        ex, ids = listed.get()
        out.extend((c["id"], fid, ex) for fid in ids[:per_collection])
    if not out:
        raise Inconclusive("the sampled collections returned no features with an id, so no "
                           "feature can be asked for", evidence=oaf.collections_ex(),
                           decide="give the target features with an id")
    oaf.prefetch([lambda c=cid, f=fid: oaf.feature(c, f) for cid, fid, _ in out])
    return out


@requirement("/req/core/f-op")
def test_feature_supports_get(oaf):
    # abstract test /conf/core/f-op: "Validate that a feature was returned with a status code
    # 200" (its content: /conf/core/f-success); here, that it is a Feature
    for cid, fid, list_ex in _features(oaf):
        ex = oaf.feature(cid, fid)
        expect(ex.status == 200, f"GET of feature {fid} listed in {cid} is not supported: "
               f"{status_text(ex.status)}", expected="HTTP 200 with the feature",
               actual=ex.status, evidence=[list_ex, ex])
        doc = oaf.ok_json(ex, f"feature {fid}")
        expect(doc.get("type") == "Feature", f"GET of feature {fid} did not answer a Feature",
               expected={"type": "Feature"}, actual={"type": doc.get("type")}, evidence=ex)


@requirement("/req/core/f-success")
def test_feature_success(oaf):
    for cid, fid, list_ex in _features(oaf):
        ex = oaf.feature(cid, fid)
        expect(ex.status == 200, f"feature {fid} of {cid} is not answered with 200: "
               f"{status_text(ex.status)}", expected=200, actual=ex.status, evidence=[list_ex, ex])


@requirement("/req/core/f-links")
def test_feature_links(oaf, oup_run):
    supported = {GEOJSON} | ({HTML} if oup_run.claimed(CONF + "html") else set())
    for cid, fid, _ in _features(oaf, 1):
        ex = oaf.feature(cid, fid)
        doc = oaf.ok_json(ex, f"feature {fid}", pre=True, owner="/req/core/f-success")
        require_rel(doc, "self", ex, f"feature {fid}")
        alternate_covers(doc, ex, supported, f"feature {fid}")
        require_rel(doc, "collection", ex, f"feature {fid}")
        links_have_rel_and_type(doc.get("links", []), ex, f"feature {fid}")
