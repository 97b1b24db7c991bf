"""The terminal line, report.json, the HTML banner and junit.xml tell the same outcome.

Three selections of ogc-api-features-1 on the bundled real pygeoapi give the three outcomes:
a MUST row it meets (conformant), one it breaks (not conformant: pygeoapi answers items with
application/json when asked for GeoJSON's media type) and one the suite cannot decide
(incomplete: the OpenAPI document's external references are not dereferenced offline)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

OAF = "http://www.opengis.net/spec/ogcapi-features-1/1.0"
CASES = {
    "conformant": ([OAF + "/req/core/root-success"], 0),
    "not-conformant": ([OAF + "/req/core/root-success", OAF + "/req/geojson/definition"], 1),
    "incomplete": ([OAF + "/req/core/root-success", OAF + "/req/oas30/oas-definition-2"], 3),
}


@pytest.mark.slow
@pytest.mark.parametrize("outcome", list(CASES))
def test_every_view_tells_the_same_outcome(oup, pygeoapi_url, tmp_path, outcome):
    only, code = CASES[outcome]
    out = tmp_path / "out"
    args = ["run", "--profile", "ogc-api-features-1", "--target", pygeoapi_url, "--out", out]
    for rid in only:
        args += ["--only", rid]
    res = oup(*args, timeout=120)
    assert res.code == code, res.describe()
    summary = res.report["summary"]
    assert summary["outcome"] == outcome, res.describe()
    assert res.stdout.strip().splitlines()[-1].startswith(f"{outcome}: "), res.describe()
    html = (out / "report.html").read_text("utf-8")
    assert re.search(rf'class="banner {outcome}"', html), "HTML banner disagrees"
    suite = ET.parse(out / "junit.xml").getroot()
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["outcome"] == outcome and props["exit_code"] == str(code)
    must = [r for r in res.report["rows"] if r["level"] == "MUST"]
    assert int(suite.get("failures")) == sum(r["verdict"] == "FAIL" for r in must)
    assert int(suite.get("errors")) == len(summary["undecided_must"])
    assert (int(suite.get("failures")) > 0) == (outcome == "not-conformant")
    assert (int(suite.get("errors")) > 0) == (outcome == "incomplete")
    if outcome == "incomplete":
        undecided = summary["undecided_must"]
        assert undecided and all(u["decide"] for u in undecided)
        assert 'id="undecided"' in html and undecided[0]["requirement"] in html
        assert html.index('id="undecided"') < html.index("All requirements")
        assert any("undecided MUST" in line for line in res.stderr_lines), res.describe()
