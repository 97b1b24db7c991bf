"""Clause 7.15.4 Parameter datetime."""

from datetime import datetime, timedelta, timezone

from oupcheck.marks import requirement
from oupcheck.verdicts import Inconclusive, expect, judged, settle

from .checks import (collection_extent, judge_interval_selection, parse_rfc3339, rfc3339,
                     temporal_property)


def _temporal(oaf):
    """The first sampled collection with a bounded temporal extent, else None."""
    for c in oaf.sample_collections():
        _, intervals = collection_extent(c)
        if intervals:
            b, e = parse_rfc3339(intervals[0][0]), parse_rfc3339(intervals[0][1])
            if b and e and e > b:
                return c, b, e
    return None


@requirement("/req/core/fc-time-definition")
def test_datetime_parameter_supported(oaf):
    """datetime is part of Core: the operation supports every value of the syntax of
    /req/core/fc-time-response D-F (an RFC 3339 date-time, a bounded interval, half-bounded
    intervals with '..' or an empty string). No requirement limits the value to the
    collection's temporal extent (unlike bbox, whose coordinates must lie within the extent of
    the CRS), so an instant outside it is valid and simply selects nothing (or the features
    without a temporal geometry)."""
    found = _temporal(oaf)
    if found:
        c, b, e = found
        where = f"within and around its temporal extent {rfc3339(b)}/{rfc3339(e)}"
    else:
        # no collection declares a bounded temporal extent: any valid value must still be taken
        c = oaf.sample_collections()[0]
        b, e = datetime(2020, 1, 1, tzinfo=timezone.utc), datetime(2021, 1, 1, tzinfo=timezone.utc)
        where = "(no collection declares a bounded temporal extent: fixed values)"
    mid = b + (e - b) / 2
    before = b - timedelta(days=400)
    values = ((rfc3339(mid), "an instant"), (f"{rfc3339(b)}/{rfc3339(mid)}", "a bounded interval"),
              (f"../{rfc3339(mid)}", "a half-bounded interval"),
              (f"{rfc3339(mid)}/..", "a half-bounded interval"),
              (f"/{rfc3339(mid)}", "a half-bounded interval (empty start)"),
              (f"{rfc3339(mid)}/", "a half-bounded interval (empty end)"),
              (rfc3339(before), "an instant before the temporal extent, which selects nothing"))
    oaf.each(lambda v: oaf.items(c["id"], datetime=v[0]), values)
    for value, kind in values:
        oaf.selection_answered(oaf.items(c["id"], datetime=value), c["id"],
                               f"with datetime={value}", f"datetime={value} ({kind}, valid by "
                               "the syntax of /req/core/fc-time-response) is not accepted on "
                               f"{c['id']}", label="with datetime")
    judged("datetime values", len(values))
    oaf.run.observe(f"met: {len(values)} datetime values on {c['id']} answered 200, {where}")


@requirement("/req/core/fc-time-response")
def test_datetime_selects_matching_features(oaf):
    found = _temporal(oaf)
    if not found:
        raise Inconclusive("no sampled collection declares a bounded temporal extent, so the "
                           "suite cannot tell which times to select by",
                           evidence=oaf.collections_ex(),
                           decide="give a collection with a temporal property a temporal extent")
    c, b, e = found
    everything = oaf.scan(c["id"])
    prop = temporal_property(everything.features, b, e)
    if prop is None:
        raise Inconclusive(f"cannot tell which property of {c['id']} holds its temporal geometry "
                           "(not exactly one date-time property)", evidence=everything.exchanges[:1])
    mid = b + (e - b) / 2
    when = {str(f.get("id")): parse_rfc3339((f.get("properties") or {}).get(prop))
            for f in everything.features}
    timed = sum(1 for t in when.values() if t)
    halves = ((f"../{rfc3339(mid)}", lambda t: t <= mid),
              (f"{rfc3339(mid)}/..", lambda t: t >= mid))
    # an instant selects the feature observed at that instant
    some = next(((i, t) for i, t in when.items() if t), None)
    limit = oaf.p("page_limit", 10)
    # probe: both halves of the interval, and the instant
    oaf.prefetch_scans([(c["id"], {"datetime": query}) for query, _ in halves])
    instant = oaf.items(c["id"], datetime=rfc3339(some[1]), limit=limit) if some else None
    # judge: pure functions of the recorded selections
    for query, keep in halves:
        got = oaf.scan(c["id"], datetime=query)
        settle(judge_interval_selection(c["id"], query, prop, when, keep, got.features,
                                        everything.complete and got.complete,
                                        selected_ev=got.exchanges,
                                        everything_ev=everything.exchanges))
    if instant is not None:
        ex, doc = oaf.items_doc(c["id"], datetime=rfc3339(some[1]), limit=limit)
        ids = {str(f.get("id")) for f in doc.get("features") or []}
        expect(some[0] in ids or len(ids) >= limit,
               f"datetime={rfc3339(some[1])} did not select feature {some[0]} observed at that instant",
               expected=some[0], actual=sorted(ids)[:5], evidence=ex)
    if not timed:
        raise Inconclusive(f"no feature of {c['id']} read has a value of {prop}",
                           evidence=everything.exchanges[:1])
