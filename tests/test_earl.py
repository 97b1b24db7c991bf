"""W3C EARL output (issue 14): each run's report written as EARL 1.0 in Turtle parses as RDF,
with one earl:Assertion per row whose outcome is the row's verdict, about the target, by
oupcheck. Checked on the recordings of real platforms and on a fresh run of real pygeoapi."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF

from oupcheck.earl import OUTCOME, requirement_iri

EARL = Namespace("http://www.w3.org/ns/earl#")
RECORDINGS = Path(__file__).parent / "recordings"
NAMES = sorted(p.name for p in RECORDINGS.iterdir() if (p / "report.json").is_file())


def _parsed(path: Path) -> Graph:
    g = Graph()
    g.parse(path, format="turtle")
    return g


def _outcomes(g: Graph) -> dict[str, str]:
    out = {}
    for a in g.subjects(RDF.type, EARL.Assertion):
        test = g.value(a, EARL.test)
        result = g.value(a, EARL.result)
        out[str(g.value(test, DCTERMS.identifier))] = str(g.value(result, EARL.outcome))
    return out


@pytest.mark.parametrize("name", NAMES)
def test_a_recorded_run_as_earl_parses_with_one_assertion_per_row(name, oup, tmp_path):
    res = oup("earl", RECORDINGS / name, "--out", tmp_path / "r.ttl")
    assert res.code == 0, res.stderr
    report = json.loads((RECORDINGS / name / "report.json").read_text("utf-8"))
    g = _parsed(tmp_path / "r.ttl")
    assert _outcomes(g) == {r["requirement"]: str(EARL[OUTCOME[r["verdict"]]])
                            for r in report["rows"]}
    assertions = list(g.subjects(RDF.type, EARL.Assertion))
    assert len(assertions) == len(report["rows"])
    suite = URIRef("https://github.com/oupcheck/oupcheck")
    assert (suite, RDF.type, EARL.Software) in g
    subject = URIRef(report["run"]["target_url"])
    assert all(g.value(a, EARL.assertedBy) == suite and g.value(a, EARL.subject) == subject
               and g.value(a, EARL.mode) == EARL.automatic for a in assertions)


def test_requirement_ids_that_are_no_iris_get_a_urn():
    assert requirement_iri("ngsi-ld:5.6.1/create") == "urn:oupcheck:requirement:ngsi-ld:5.6.1/create"
    ogc = "http://www.opengis.net/spec/ogcapi-features-1/1.0/req/core/root-success"
    assert requirement_iri(ogc) == ogc
    assert " " not in requirement_iri("nlgov-adr:/core/doc openapi")


def test_a_fresh_run_carries_statements_and_clauses(oup, pygeoapi_url, tmp_path):
    rid = "http://www.opengis.net/spec/ogcapi-features-1/1.0/req/core/root-success"
    run = oup("run", "--profile", "ogc-api-features-1", "--target", pygeoapi_url, "--only", rid,
              "--out", tmp_path / "run", "--quiet")
    assert run.report is not None, run.describe()
    res = oup("earl", tmp_path / "run")
    assert res.code == 0 and "EARL: 1 assertions" in res.stdout, res.stderr
    g = _parsed(tmp_path / "run" / "report.earl.ttl")
    test = URIRef(rid)
    assert "7.2.2" in str(g.value(test, DCTERMS.source))
    assert g.value(test, DCTERMS.description)
    assert _outcomes(g) == {rid: str(EARL.passed)}


def test_earl_of_a_folder_without_a_report_is_a_usage_error(oup, tmp_path):
    res = oup("earl", tmp_path)
    assert res.code == 2 and "no report.json" in res.stderr and len(res.stderr_lines) == 1
