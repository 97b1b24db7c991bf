"""A run's report as W3C EARL 1.0 (the Evaluation and Report Language that OGC TEAM Engine
and the W3C test suites emit), so other conformance tooling can read oupcheck's verdicts
(issue 14). Built with rdflib from report.json: one earl:Assertion per row, asserted by
oupcheck (an earl:Software), about the target (the earl:TestSubject), for the requirement (the
earl:test: the requirement's own URI where it is one, e.g. the OGC requirement URIs, else a
urn:oupcheck:requirement: name of the profile key), with an earl:TestResult whose outcome is
earl:passed, earl:failed, earl:inapplicable or earl:cantTell (INCONCLUSIVE, and ERROR: the
suite could not tell), its message as dct:description and the clause as dct:source."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

OUTCOME = {"PASS": "passed", "FAIL": "failed", "NOT_APPLICABLE": "inapplicable",
           "INCONCLUSIVE": "cantTell", "ERROR": "cantTell"}
SUITE = "https://github.com/oupcheck/oupcheck"  # the assertor's identity (no network use)


def requirement_iri(rid: str) -> str:
    if rid.startswith(("http://", "https://")):
        return rid
    return "urn:oupcheck:requirement:" + quote(rid, safe=":/")


def graph(report: dict[str, Any]) -> Any:
    from rdflib import BNode, Graph, Literal, Namespace, URIRef
    from rdflib.namespace import DCTERMS, FOAF, RDF, XSD

    from . import __version__
    earl = Namespace("http://www.w3.org/ns/earl#")
    doap = Namespace("http://usefulinc.com/ns/doap#")
    g = Graph()
    g.bind("earl", earl)
    g.bind("dct", DCTERMS)
    g.bind("foaf", FOAF)
    g.bind("doap", doap)
    run = report["run"]
    suite = URIRef(SUITE)
    g.add((suite, RDF.type, earl.Software))
    g.add((suite, RDF.type, doap.Project))
    g.add((suite, doap.name, Literal("oupcheck")))
    g.add((suite, doap.release, Literal(run.get("suite_version") or __version__)))
    subject = URIRef(run["target_url"]) if "://" in str(run.get("target_url")) else BNode()
    g.add((subject, RDF.type, earl.TestSubject))
    g.add((subject, DCTERMS.title, Literal(run.get("target_name") or run.get("target_url")
                                           or "")))
    when = run.get("started")
    profile = Literal(f"{run.get('profile')} {run.get('profile_version')}")
    for row in report["rows"]:
        test = URIRef(requirement_iri(row["requirement"]))
        g.add((test, RDF.type, earl.TestRequirement))
        g.add((test, DCTERMS.identifier, Literal(row["requirement"])))
        if row.get("statement"):
            g.add((test, DCTERMS.description, Literal(row["statement"])))
        if row.get("clause"):
            g.add((test, DCTERMS.source, Literal(f"{row.get('standard') or ''} "
                                                 f"{row['clause']}".strip())))
        result = BNode()
        g.add((result, RDF.type, earl.TestResult))
        g.add((result, earl.outcome, earl[OUTCOME[row["verdict"]]]))
        g.add((result, DCTERMS.title, Literal(row["verdict"])))
        if row.get("message"):
            g.add((result, DCTERMS.description, Literal(row["message"])))
        if when:
            g.add((result, DCTERMS.date, Literal(when, datatype=XSD.dateTime)))
        assertion = BNode()
        g.add((assertion, RDF.type, earl.Assertion))
        g.add((assertion, earl.assertedBy, suite))
        g.add((assertion, earl.subject, subject))
        g.add((assertion, earl.test, test))
        g.add((assertion, earl.result, result))
        g.add((assertion, earl.mode, earl.automatic))
        g.add((assertion, DCTERMS.isPartOf, profile))
    return g


def turtle(report: dict[str, Any]) -> str:
    return graph(report).serialize(format="turtle")
