"""Clause 7.4 Declaration of conformance classes."""

from urllib.parse import urljoin

from oupcheck.http import BodyUnusable, json_type
from oupcheck.marks import requirement
from oupcheck.verdicts import Inconclusive, expect

from .api import CONF, JSON, rel
from .checks import status_text, validate_ogc_schema


def _declaration(oaf, ex):
    """(``conformsTo`` of an answer or None when it is not a declaration, why not). A body
    past the suite's own bounds (size, depth) is not judged here: it raises."""
    try:
        doc = oaf.json(ex) if ex.status == 200 else None
    except BodyUnusable as exc:
        if exc.limit or ex.body_capped:
            raise
        return None, str(exc)
    if not isinstance(doc, dict):
        return None, f"the document is {json_type(doc)}, not an object"
    conforms = doc.get("conformsTo")
    if not isinstance(conforms, list):
        return None, f"/conformsTo is {json_type(conforms)}, not an array"
    return conforms, None


@requirement("/req/core/conformance-op")
def test_conformance_supports_get(oaf):
    # abstract test /conf/core/conformance-op: every "conformance" link of the landing page and
    # {root}/conformance answer 200 with a conformance declaration (content: conformance-success)
    urls = [("/conformance", oaf.conformance_ex())]
    try:
        landing = oaf.landing()
    except Inconclusive:
        landing = None  # the landing page is root-success's; /conformance is still judged
    for lk in rel(landing, "conformance"):
        href = urljoin(oaf.landing_ex().url, lk.get("href", ""))
        if href.split("?")[0].rstrip("/") != oaf.conformance_ex().url.split("?")[0].rstrip("/"):
            urls.append((f"rel=conformance {href}", oaf.get(href, accept=lk.get("type") or JSON)))
    for what, ex in urls:
        expect(ex.status == 200, f"GET {what} is not supported: {status_text(ex.status)}",
               expected="HTTP 200 with the conformance declaration", actual=ex.status, evidence=ex)
        conforms, why = _declaration(oaf, ex)
        expect(conforms is not None,
               f"GET {what} answered 200 but not with a conformance declaration: {why}",
               expected="a JSON object with a conformsTo array",
               actual=(ex.body_excerpt or "")[:120], evidence=ex)


@requirement("/req/core/conformance-success")
def test_conformance_declaration_content(oaf, oup_run):
    ex = oaf.conformance_ex()
    doc = oaf.ok_json(ex, "/conformance")
    validate_ogc_schema(doc, "confClasses.yaml", oup_run.data, ex)
    expect(CONF + "core" in doc["conformsTo"], "conformsTo does not list the Core class",
           expected=CONF + "core", actual=doc["conformsTo"], evidence=ex)

