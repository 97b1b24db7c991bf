"""HTML report for people (procurement officers included), from report.json via Jinja2."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

TEMPLATES = Path(__file__).resolve().parent / "templates"

OUTCOME_TEXT = {
    "conformant": "Conformant: no mandatory (MUST) requirement fails.",
    "not-conformant": "Not conformant: at least one mandatory (MUST) requirement fails.",
    "undecided": "Undecided: the run could not decide (the target or the network broke, "
                 "or nothing could be checked).",
}
VERDICT_TEXT = {
    "PASS": "met", "FAIL": "not met", "NOT_APPLICABLE": "not applicable",
    "INCONCLUSIVE": "could not be decided", "ERROR": "test could not run",
}


def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)),
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=True,
                      lstrip_blocks=True)
    env.filters["short"] = _short_id
    return env


def _short_id(rid: str) -> str:
    for marker in ("/req/", "/rec/", "/per/"):
        if marker in rid:
            return marker[:-1] + "/" + rid.split(marker, 1)[1]
    return rid


def render_html(report: dict[str, Any], evidence: dict[str, dict[str, Any]]) -> str:
    rows = report["rows"]
    order = {"FAIL": 0, "ERROR": 1, "INCONCLUSIVE": 2, "PASS": 3, "NOT_APPLICABLE": 4}
    problems = sorted((r for r in rows if r["verdict"] in ("FAIL", "ERROR")),
                      key=lambda r: (order[r["verdict"]], r["level"] != "MUST"))
    return _env().get_template("report.html.j2").render(
        report=report, run=report["run"], summary=report["summary"], rows=rows,
        problems=problems, evidence=evidence, outcome_text=OUTCOME_TEXT,
        verdict_text=VERDICT_TEXT)
