"""Clause 7.2 API landing page; 9.1 links to the API definition (OpenAPI 3.0 class)."""

from oupcheck.marks import requirement
from oupcheck.verdicts import expect

from .api import HTML, JSON, OAS30_JSON, CONF, media, rel
from .checks import alternate_covers, require_rel, status_text, validate_ogc_schema


@requirement("/req/core/root-op")
def test_landing_page_supports_get(oaf):
    # abstract test /conf/core/root-op: "Validate that a document was returned with a status
    # code 200" and validate its content (here: that it is a landing page, a JSON object with
    # links; its full content is judged by /req/core/root-success)
    ex = oaf.landing_ex()
    expect(ex.status == 200, f"GET / is not supported: {status_text(ex.status)}",
           expected="HTTP 200 with the landing page", actual=ex.status, evidence=ex)
    oaf.landing(pre=False)


@requirement("/req/core/root-success")
def test_landing_page_content(oaf, oup_run):
    ex = oaf.landing_ex()
    doc = oaf.ok_json(ex, "landing page")
    validate_ogc_schema(doc, "landingPage.yaml", oup_run.data, ex)
    expect(rel(doc, "service-desc") or rel(doc, "service-doc"),
           "landing page links no API definition (rel service-desc or service-doc)",
           expected="rel=service-desc or rel=service-doc", actual=[lk.get("rel") for lk in doc["links"]],
           evidence=ex)
    for relation, path in (("conformance", "/conformance"), ("data", "/collections")):
        found = require_rel(doc, relation, ex, "landing page")
        hrefs = [lk.get("href", "").split("?")[0].rstrip("/") for lk in found]
        expect(any(h.endswith(path) for h in hrefs),
               f"rel={relation} does not point to {path}", expected=f"…{path}", actual=hrefs,
               evidence=ex)


@requirement("/rec/core/root-links")
def test_landing_page_self_and_alternate(oaf, oup_run):
    ex = oaf.landing_ex()
    doc = oaf.landing()  # "A 200-response SHOULD include": the 200 is root-success's
    require_rel(doc, "self", ex, "landing page")
    supported = {JSON} | ({HTML} if oup_run.claimed(CONF + "html") else set())
    alternate_covers(doc, ex, supported, "landing page")


@requirement("/req/oas30/oas-definition-1")
def test_landing_page_links_openapi_definition(oaf):
    ex = oaf.landing_ex()
    doc = oaf.landing()
    norm = lambda t: (t or "").replace(" ", "").lower()  # noqa: E731
    desc = [lk for lk in rel(doc, "service-desc") if norm(lk.get("type")) == norm(OAS30_JSON)]
    expect(desc, "no rel=service-desc link with type " + OAS30_JSON, expected=OAS30_JSON,
           actual=[lk.get("type") for lk in rel(doc, "service-desc")], evidence=ex)
    docs = [lk for lk in rel(doc, "service-doc") if media(lk.get("type")) == HTML]
    expect(docs, "no rel=service-doc link with type text/html", expected=HTML,
           actual=[lk.get("type") for lk in rel(doc, "service-doc")], evidence=ex)
