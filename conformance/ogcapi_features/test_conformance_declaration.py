"""Clause 7.4 Declaration of conformance classes."""

from oupcheck.verdicts import expect

from .api import CONF, requirement
from .checks import validate_ogc_schema


@requirement("/req/core/conformance-op")
def test_conformance_supports_get(oaf):
    ex = oaf.conformance_ex()
    expect(ex.status is not None and ex.status < 400, "GET /conformance is not supported",
           expected="a successful answer", actual=ex.status, evidence=ex)


@requirement("/req/core/conformance-success")
def test_conformance_declaration_content(oaf, oup_run):
    ex = oaf.conformance_ex()
    doc = oaf.ok_json(ex, "/conformance")
    validate_ogc_schema(doc, "confClasses.yaml", oup_run.data, ex)
    expect(CONF + "core" in doc["conformsTo"], "conformsTo does not list the Core class",
           expected=CONF + "core", actual=doc["conformsTo"], evidence=ex)
