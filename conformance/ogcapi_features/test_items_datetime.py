"""Clause 7.15.4 Parameter datetime."""

from datetime import timedelta

from oupcheck.verdicts import Inconclusive, NotApplicable, expect

from .api import requirement
from .checks import collection_extent, parse_rfc3339, rfc3339, temporal_property


def _temporal(oaf):
    for c in oaf.sample_collections():
        _, intervals = collection_extent(c)
        if intervals:
            b, e = parse_rfc3339(intervals[0][0]), parse_rfc3339(intervals[0][1])
            if b and e and e > b:
                return c, b, e
    raise NotApplicable("no sampled collection declares a bounded temporal extent",
                        evidence=oaf.collections_ex())


@requirement("/req/core/fc-time-definition")
def test_datetime_parameter_supported(oaf):
    c, b, e = _temporal(oaf)
    mid = b + (e - b) / 2
    before = b - timedelta(days=400)  # a valid instant that simply selects nothing
    for value in (rfc3339(mid), f"{rfc3339(b)}/{rfc3339(mid)}", f"../{rfc3339(mid)}", f"{rfc3339(mid)}/..",
                  f"/{rfc3339(mid)}", f"{rfc3339(mid)}/", rfc3339(before)):
        ex = oaf.items(c["id"], datetime=value)
        expect(ex.status == 200, f"datetime={value} (RFC 3339 instant or interval) is not accepted",
               expected=200, actual=ex.status, evidence=ex)


@requirement("/req/core/fc-time-response")
def test_datetime_selects_matching_features(oaf):
    c, b, e = _temporal(oaf)
    everything, complete, all_exs = oaf.all_features(c["id"])
    prop = temporal_property(everything, b, e)
    if prop is None:
        raise Inconclusive(f"cannot tell which property of {c['id']} holds its temporal geometry "
                           "(not exactly one date-time property)", evidence=all_exs[:1])
    mid = b + (e - b) / 2
    when = {str(f.get("id")): parse_rfc3339((f.get("properties") or {}).get(prop))
            for f in everything}
    for query, keep in ((f"../{rfc3339(mid)}", lambda t: t <= mid), (f"{rfc3339(mid)}/..", lambda t: t >= mid)):
        got, _, exs = oaf.all_features(c["id"], datetime=query)
        got_ids = {str(f.get("id")) for f in got}
        wrong = sorted(i for i in got_ids if when.get(i) and not keep(when[i]))
        expect(not wrong, f"datetime={query} on {c['id']} returned features outside the interval "
               f"(by their '{prop}')", expected=f"only features with {prop} in {query}",
               actual=wrong[:5], evidence=exs)
        if complete:
            left_out = sorted(i for i, t in when.items() if t and keep(t) and i not in got_ids)
            expect(not left_out, f"datetime={query} on {c['id']} left out matching features",
                   expected=f"all features with {prop} in {query}", actual=left_out[:5],
                   evidence=exs + all_exs[-1:])
    # an instant selects the feature observed at that instant
    some = next(((i, t) for i, t in when.items() if t), None)
    if some:
        ex, doc = oaf.items_doc(c["id"], datetime=rfc3339(some[1]), limit=oaf.p("page_limit", 10))
        ids = {str(f.get("id")) for f in doc.get("features") or []}
        expect(some[0] in ids or len(ids) >= oaf.p("page_limit", 10),
               f"datetime={rfc3339(some[1])} did not select feature {some[0]} observed at that instant",
               expected=some[0], actual=sorted(ids)[:5], evidence=ex)
