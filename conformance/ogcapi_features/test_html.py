"""Clause 8.2 Requirements class HTML."""

from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from oupcheck.http import BodyUnusable
from oupcheck.marks import requirement
from oupcheck.verdicts import expect, judged

from .api import GEOJSON, HTML, JSON, media


def _resources(oaf):
    c = oaf.sample_collections()[0]
    paths = ["", "conformance", "collections", f"collections/{c['id']}",
             f"collections/{c['id']}/items"]
    _, ids = oaf.feature_ids(c["id"])
    if ids:
        paths.append(f"collections/{c['id']}/items/{ids[0]}")
    return paths


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.doctype = None
        self.in_body = False
        self.body_seen = False
        self.hrefs = []
        self.text = []

    def handle_decl(self, decl):
        self.doctype = decl

    def handle_starttag(self, tag, attrs):
        if tag == "body":
            self.in_body = self.body_seen = True
        if tag == "a" and self.in_body:
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)

    def handle_data(self, data):
        if self.in_body:
            self.text.append(data)


def _resource(url):
    parts = urlsplit(url)
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k != "f"])
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/") or "/", query, ""))


@requirement("/req/html/definition")
def test_html_available(oaf):
    paths = _resources(oaf)
    oaf.each(lambda path: oaf.get(path, accept=HTML), paths)
    for path in paths:
        ex = oaf.get(path, accept=HTML)
        expect(ex.status == 200 and media(ex.content_type) == HTML,
               f"/{path} is not available as text/html", expected=f"200 {HTML}",
               actual=f"{ex.status} {ex.content_type}", evidence=ex)
    judged("resources", len(paths))


@requirement("/req/html/content")
def test_html_content(oaf):
    """ "Every 200-response of the server with the media type text/html": pages that are not a
    200 text/html answer are /req/html/definition's."""
    n = 0
    paths = _resources(oaf)
    # probe: each resource as HTML and as JSON (the JSON says what the page must hold)
    oaf.each(lambda path: oaf.get(path, accept=HTML), paths)
    oaf.each(lambda path: oaf.get(path, accept=GEOJSON if "/items" in path else JSON), paths)
    for path in paths:
        ex = oaf.get(path, accept=HTML)
        if ex.status != 200 or media(ex.content_type) != HTML:
            continue
        n += 1
        page = _Page()
        page.feed(ex.body.decode("utf-8", "replace"))
        expect((page.doctype or "").strip().lower() == "doctype html",
               f"/{path} is not an HTML 5 document", expected="<!DOCTYPE html>",
               actual=page.doctype, evidence=ex)
        expect(page.body_seen, f"/{path} has no <body>", expected="<body>", actual=None, evidence=ex)
        # the JSON representation's ids must appear in the body (its information)
        jex = oaf.get(path, accept=GEOJSON if "/items" in path else JSON)
        try:
            doc = oaf.json(jex) if jex.status == 200 else None
        except BodyUnusable:
            doc = None  # no JSON representation to compare with: its own rows judge that
        text = " ".join(page.text)
        ids = []
        if isinstance(doc, dict):
            ids += [str(x["id"]) for x in doc.get("collections", []) if isinstance(x, dict) and "id" in x]
            ids += [str(x["id"]) for x in doc.get("features", []) if isinstance(x, dict) and "id" in x]
        missing = [i for i in ids if i not in text and not any(i in h for h in page.hrefs)]
        expect(not missing, f"/{path} as HTML lacks items of its JSON representation",
               expected="every id of the JSON representation", actual=missing[:5],
               evidence=[ex, jex])
        # a link names a resource; the HTML page may point at that resource's HTML representation
        # (pygeoapi and others select it with the f query parameter), so f is not compared
        anchors = {_resource(urljoin(ex.url, h)) for h in page.hrefs}
        links = [lk.get("href") for lk in (doc.get("links", []) if isinstance(doc, dict) else [])
                 if isinstance(lk, dict) and lk.get("rel") not in ("self", "alternate")]
        gone = [h for h in links if h and _resource(urljoin(jex.url, h)) not in anchors]
        expect(not gone, f"/{path} as HTML lacks links of its JSON representation in <a> elements",
               expected="every link as <a href>", actual=gone[:5], evidence=[ex, jex])
    judged("HTML pages", n)
