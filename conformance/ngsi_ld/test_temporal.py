"""Temporal API (clause 5.7.3, 5.7.4; ETSI TPs 020, 021): the history of an attribute, kept by
observedAt, retrieved whole, filtered by timerel/timeAt and queried by type. Judged only when
the target claims the temporal class."""

from __future__ import annotations

import pytest

from .api import TYPE, Inconclusive, expect, ids_of, requirement

TIMES = ["2026-01-01T10:00:00Z", "2026-01-01T11:00:00Z", "2026-01-01T12:00:00Z"]


def _values(attr) -> list:
    items = attr if isinstance(attr, list) else [attr] if attr else []
    return sorted(i.get("value") for i in items if isinstance(i, dict))


@pytest.fixture(scope="module")
def history(ngsi):
    """One probe entity whose temperature was observed three times."""
    ent = ngsi.entity(temperature={"type": "Property", "value": 10.0, "observedAt": TIMES[0]})
    ent["id"] = ent["id"] + "-temporal"
    ngsi.create(ent)
    for value, at in ((11.0, TIMES[1]), (12.0, TIMES[2])):
        ex = ngsi.send("PATCH", f"/entities/{ent['id']}/attrs",
                       {"temperature": {"type": "Property", "value": value, "observedAt": at}},
                       accept=None, note=f"a new observation at {at}")
        if ex.status not in (204, 207):
            raise Inconclusive(f"the observations could not be written (HTTP {ex.status})",
                               evidence=ex)
    return ent


def _temporal(ngsi, eid, params=None):
    ex = ngsi.send("GET", f"/temporal/entities/{eid}", params=params,
                   note="temporal representation of the probe entity")
    return ex, ngsi.json(ex) if ex.status == 200 else None


@requirement("5.7.3/temporal-retrieve")
def test_temporal_retrieve(ngsi, history):
    ex, doc = _temporal(ngsi, history["id"])
    ngsi.ok(ex, 200, "the temporal representation cannot be retrieved")
    expect(_values((doc or {}).get("temperature")) == [10.0, 11.0, 12.0],
           "the temporal representation does not hold every observed instance",
           expected=[10.0, 11.0, 12.0], actual=_values((doc or {}).get("temperature")),
           evidence=ex)


@requirement("5.7.3/temporal-timerel")
def test_temporal_timerel(ngsi, history):
    ex, doc = _temporal(ngsi, history["id"], {"timerel": "after",
                                              "timeAt": "2026-01-01T10:30:00Z"})
    ngsi.ok(ex, 200, "a temporal retrieve with timerel is not answered 200")
    expect(_values((doc or {}).get("temperature")) == [11.0, 12.0],
           "timerel=after&timeAt does not select the later instances", expected=[11.0, 12.0],
           actual=_values((doc or {}).get("temperature")), evidence=ex)


@requirement("5.7.4/temporal-query")
def test_temporal_query(ngsi, history):
    ex = ngsi.send("GET", "/temporal/entities",
                   params={"type": TYPE, "idPattern": f".*{ngsi.tag}.*-temporal",
                           "timerel": "before", "timeAt": "2026-01-01T11:30:00Z"},
                   note="temporal query by type")
    ngsi.ok(ex, 200, "a temporal query is not answered 200")
    doc = ngsi.json(ex)
    expect(ids_of(doc) == [history["id"]], "the temporal query does not return the entity",
           expected=[history["id"]], actual=ids_of(doc), evidence=ex)
    expect(_values(doc[0].get("temperature")) == [10.0, 11.0],
           "the temporal query does not apply timerel=before", expected=[10.0, 11.0],
           actual=_values(doc[0].get("temperature")), evidence=ex)
