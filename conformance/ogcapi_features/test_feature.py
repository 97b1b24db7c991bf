"""Clause 7.16 Feature (/collections/{collectionId}/items/{featureId})."""

from oupcheck.verdicts import Inconclusive, expect

from .api import GEOJSON, HTML, CONF, requirement
from .checks import alternate_covers, links_have_rel_and_type, require_rel


def _features(oaf, per_collection=2):
    out = []
    for c in oaf.sample_collections():
        ex, ids = oaf.feature_ids(c["id"])
        out.extend((c["id"], fid, ex) for fid in ids[:per_collection])
    if not out:
        raise Inconclusive("the sampled collections returned no features with an id")
    return out


@requirement("/req/core/f-op")
def test_feature_supports_get(oaf):
    for cid, fid, list_ex in _features(oaf):
        ex = oaf.get(f"collections/{cid}/items/{fid}", accept=GEOJSON)
        expect(ex.status is not None and ex.status not in (404, 405, 501) and ex.status < 500,
               f"GET of feature {fid} listed in {cid} is not supported",
               expected="a successful answer", actual=ex.status, evidence=[list_ex, ex])


@requirement("/req/core/f-success")
def test_feature_success(oaf):
    for cid, fid, list_ex in _features(oaf):
        ex = oaf.get(f"collections/{cid}/items/{fid}", accept=GEOJSON)
        expect(ex.status == 200, f"feature {fid} of {cid} is not answered with 200", expected=200,
               actual=ex.status, evidence=[list_ex, ex])


@requirement("/req/core/f-links")
def test_feature_links(oaf, oup_run):
    supported = {GEOJSON} | ({HTML} if oup_run.claimed(CONF + "html") else set())
    for cid, fid, _ in _features(oaf, 1):
        ex = oaf.get(f"collections/{cid}/items/{fid}", accept=GEOJSON)
        doc = oaf.ok_json(ex, f"feature {fid}")
        require_rel(doc, "self", ex, f"feature {fid}")
        alternate_covers(doc, ex, supported, f"feature {fid}")
        require_rel(doc, "collection", ex, f"feature {fid}")
        links_have_rel_and_type(doc.get("links", []), ex, f"feature {fid}")
