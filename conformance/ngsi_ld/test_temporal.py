"""Temporal API (clause 5.7.3, 5.7.4; ETSI TPs 020, 021): the history of an attribute, kept by
observedAt, retrieved whole, filtered by timerel/timeAt and queried by type. Judged only when
the target claims the temporal class.

GS CIM 009 sets no time within which an entity write must show in the temporal representation:
a broker may keep the history in a separate store that is fed asynchronously (Scorpio's history
manager writes it about a second later; NOTE 3 of clause 6.2 lets the temporal API be another
subsystem altogether). So each check reads until the expected history is visible, within the
profile parameter ``temporal_wait_s``, and reports how long it waited; it FAILs only when the
bound has passed, with the last read as the evidence and the bound in the message."""

from __future__ import annotations

import pytest

from oupcheck.marks import requirement
from oupcheck.verdicts import decide

from . import judges
from .api import TYPE, Inconclusive, entities_of, ids_of
from .judges import attribute as _attr, instance_values as _values

TIMES = ["2026-01-01T10:00:00Z", "2026-01-01T11:00:00Z", "2026-01-01T12:00:00Z"]


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


def _wait(ngsi, probe, ready):
    return ngsi.poll(probe, ready, float(ngsi.run.param("temporal_wait_s", 10)))


@requirement("ngsi-ld:5.7.3/temporal-retrieve")
def test_temporal_retrieve(ngsi, history, oup_run):
    want = [10.0, 11.0, 12.0]
    got = _wait(ngsi, lambda: _temporal(ngsi, history["id"]),
                lambda ex, doc: ex.status == 200 and
                _values(_attr(doc, "temperature")) == want)
    decide(judges.history_read, got, want, "the temporal representation cannot be retrieved",
           "the temporal representation does not hold every observed instance",
           "the 3 observed instances of temperature", observe=oup_run.observe)


@requirement("ngsi-ld:5.7.3/temporal-timerel")
def test_temporal_timerel(ngsi, history, oup_run):
    want = [11.0, 12.0]
    got = _wait(ngsi, lambda: _temporal(ngsi, history["id"], {"timerel": "after",
                                                             "timeAt": "2026-01-01T10:30:00Z"}),
                lambda ex, doc: ex.status == 200 and
                _values(_attr(doc, "temperature")) == want)
    decide(judges.history_read, got, want, "a temporal retrieve with timerel is not answered 200",
           "timerel=after&timeAt does not select the later instances",
           "timerel=after selects the 2 later instances", observe=oup_run.observe)


@requirement("ngsi-ld:5.7.4/temporal-query")
def test_temporal_query(ngsi, history, oup_run):
    want = [10.0, 11.0]

    def probe():
        ex = ngsi.send("GET", "/temporal/entities",
                       params={"type": TYPE, "idPattern": f".*{ngsi.tag}.*-temporal",
                               "timerel": "before", "timeAt": "2026-01-01T11:30:00Z"},
                       note="temporal query by type")
        return ex, ngsi.json(ex) if ex.status == 200 else None

    def mine(doc):
        return next((e for e in entities_of(doc) if e.get("id") == history["id"]), None)

    got = _wait(ngsi, probe, lambda ex, doc: ex.status == 200 and ids_of(doc) == [history["id"]]
                and _values(_attr(mine(doc), "temperature")) == want)
    decide(judges.history_read, got, want, "a temporal query is not answered 200",
           "the temporal query does not apply timerel=before",
           "the entity with its 2 instances before 11:30", eid=history["id"],
           observe=oup_run.observe)
