"""Hypothesis strategies for malformed query values, built from the standards' own grammars.

Each strategy yields values that the grammar rejects, so a conforming server must answer 4xx.
OGC API - Features Part 1 (clause 7.15.3 bbox, 7.15.4 datetime per RFC 3339 and its interval
grammar, 7.15.2 limit: integer >= 1).
"""

from __future__ import annotations

from hypothesis import strategies as st

_num = st.floats(min_value=-180, max_value=180, allow_nan=False).map(lambda f: repr(f))
_junk = st.sampled_from(["", " ", "a", "NaN", "-Infinity", "1e", "0x1A", "--1", "1..2", "½",
                         "1;DROP", "%00", "null", "[1]", "1,", "∞"])
_lon = st.floats(min_value=-180, max_value=180, allow_nan=False)
_lat = st.floats(min_value=-90, max_value=90, allow_nan=False)


def _bbox_wrong_count():
    return st.sampled_from([1, 2, 3, 5, 7, 8]).flatmap(
        lambda n: st.lists(_num, min_size=n, max_size=n)).map(",".join)


def _bbox_not_numbers():
    return st.tuples(st.lists(_num, min_size=3, max_size=3), _junk, st.integers(0, 3)).map(
        lambda t: ",".join(t[0][: t[2]] + [t[1]] + t[0][t[2]:]))


def _bbox_latitude_out_of_range():
    big = st.floats(min_value=90.000001, max_value=1e6, allow_nan=False)
    return st.tuples(_lon, big, st.booleans()).map(
        lambda t: ",".join(repr(x) for x in (t[0], -t[1] if t[2] else 0.0, t[0], t[1])))


def _bbox_lower_above_upper():
    return st.tuples(_lon, _lat, _lon, _lat).filter(lambda t: t[1] > t[3] + 1e-9).map(
        lambda t: ",".join(repr(x) for x in t))


def ogc_bbox():
    return st.one_of(_bbox_wrong_count(), _bbox_not_numbers(), _bbox_latitude_out_of_range(),
                     _bbox_lower_above_upper())


def _bad_instant():
    year = st.integers(1000, 2999)
    field = st.sampled_from(["month", "day", "hour", "minute", "second", "offset", "sep"])

    def build(t):
        y, which, v = t
        parts = {"month": "06", "day": "15", "hour": "12", "minute": "30", "second": "00",
                 "offset": "Z", "sep": "T"}
        bad = {"month": ["00", "13", "99"], "day": ["00", "32", "99"], "hour": ["24", "25", "99"],
               "minute": ["60", "99"], "second": ["61", "99"], "offset": ["+25:00", "+0x", "ZZ"],
               "sep": ["X", "_"]}[which]
        parts[which] = bad[v % len(bad)]
        return (f"{y:04d}-{parts['month']}-{parts['day']}{parts['sep']}{parts['hour']}:"
                f"{parts['minute']}:{parts['second']}{parts['offset']}")
    return st.tuples(year, field, st.integers(0, 5)).map(build)


def ogc_datetime():
    good = st.just("2020-01-01T00:00:00Z")
    return st.one_of(
        _bad_instant(),
        st.tuples(_bad_instant(), good).map(lambda t: f"{t[1]}/{t[0]}"),
        st.just("2021-01-01T00:00:00Z/2020-01-01T00:00:00Z"),   # end before start
        st.text(alphabet="abcxyz-:/ ", min_size=1, max_size=12).filter(lambda s: s not in ("..",)),
        st.sampled_from(["/", "//", "2020-01-01T00:00:00Z/../..", "now", "yesterday"]),
    )


def ogc_limit():
    return st.one_of(st.integers(max_value=0).map(str),
                     st.floats(min_value=0.01, max_value=1e6, allow_nan=False)
                     .filter(lambda f: not float(f).is_integer()).map(repr),
                     _junk.filter(lambda s: s.strip() != ""))


OGC_PARAMETERS = {"bbox": ogc_bbox, "datetime": ogc_datetime, "limit": ogc_limit}


# -- NGSI-LD (GS CIM 009 clause 4.9 query language, 4.10 geo-queries, 4.6.2 names) ----------
_attr = st.sampled_from(["temperature", "district", "location", "name"])
_op = st.sampled_from(["==", "!=", ">", "<", ">=", "<="])
_val = st.one_of(st.integers(-50, 50).map(str), st.sampled_from(['"Centrum"', "true"]))


def ngsi_q():
    """Malformed q expressions: dangling or unknown operators, missing attribute, unterminated
    string, unbalanced parentheses, empty terms."""
    return st.one_of(
        st.tuples(_attr, _op).map(lambda t: t[0] + t[1]),                       # a>
        st.tuples(_op, _val).map(lambda t: t[0] + t[1]),                        # >5
        st.tuples(_attr, st.sampled_from(["=", "=>", "=<", "<>", "~", "==="]), _val)
        .map(lambda t: "".join(t)),                                             # a=5
        _attr.map(lambda a: f'{a}=="Centrum'),                                  # open quote
        st.tuples(_attr, _op, _val).map(lambda t: "(" + "".join(t)),            # (a>5
        st.tuples(_attr, _op, _val, st.sampled_from([";;", "|", ";", "||"]))
        .map(lambda t: "".join(t[:3]) + t[3]),                                  # a>5;
    )


def ngsi_georel():
    return st.one_of(
        st.sampled_from(["near", "near;", "near;maxDistance", "near;maxDistance=10",
                         "near;maxDistance==", "nearby;maxDistance==10", "within;maxDistance==5",
                         "near;maxDistance==-", "near;distance==10", "NEAR;maxDistance==10"]),
        st.text(alphabet="abcxyz;=", min_size=1, max_size=10)
        .filter(lambda s: s.split(";")[0] not in ("near", "within", "contains", "intersects",
                                                  "equals", "disjoint", "overlaps")),
    )


def ngsi_attrs():
    """Attribute lists with names NGSI-LD forbids (< > \" ' = ; ( ) and white space)."""
    bad = st.tuples(_attr, st.sampled_from(list("<>\"'=;() ")), _attr).map(lambda t: "".join(t))
    return st.one_of(bad, st.tuples(_attr, bad).map(",".join), st.just(",,"))


NGSI_PARAMETERS = {"q": ngsi_q, "georel": ngsi_georel, "attrs": ngsi_attrs}
# what each fuzzed parameter is sent with, so that only the fuzzed value is wrong
NGSI_FIXED = {"q": {"type": "OupcheckProbe"}, "attrs": {"type": "OupcheckProbe"},
              "georel": {"type": "OupcheckProbe", "geometry": "Point",
                         "coordinates": "[5.12,52.09]"}}
