"""JUnit XML: one test case per requirement row (CI systems show it natively).

It agrees with the outcome and the exit code: ``failures`` are the MUST rows that FAIL (the
run is not conformant exactly when there is one), ``errors`` are the applicable MUST rows that
are undecided (INCONCLUSIVE or ERROR: the run is incomplete), and everything else that did not
pass is ``skipped`` with its verdict and level in the message: NOT_APPLICABLE rows, MUST rows
that are not black-box testable, and SHOULD/MAY rows that FAIL or are undecided (a
recommendation, which never changes the outcome). The suite's properties carry the outcome,
the exit code and the counts per level."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any


def case_kind(row: dict[str, Any]) -> str:
    """'failure', 'error', 'skipped' or 'passed' for one report row."""
    v, must = row["verdict"], row["level"] == "MUST"
    if v == "PASS":
        return "passed"
    if must and v == "FAIL":
        return "failure"
    if must and v in ("INCONCLUSIVE", "ERROR") and row.get("coverage") != "not-testable":
        return "error"
    return "skipped"


def render_junit(report: dict[str, Any]) -> str:
    run = report["run"]
    rows = report["rows"]
    summary = report["summary"]
    kinds = [case_kind(r) for r in rows]
    suite = ET.Element("testsuite", {
        "name": f"{run['profile']}@{run['profile_version']}",
        "tests": str(len(rows)),
        "failures": str(kinds.count("failure")),
        "errors": str(kinds.count("error")),
        "skipped": str(kinds.count("skipped")),
        "time": str(run["duration_s"]),
        "timestamp": run["started"],
    })
    props = ET.SubElement(suite, "properties")
    values = {"outcome": summary["outcome"], "exit_code": summary["exit_code"],
              "reason": summary["reason"], "suite_version": run["suite_version"],
              "target_url": run["target_url"], "profile_version": run["profile_version"]}
    for level, counts in (summary.get("counts_by_level") or {}).items():
        values[f"counts.{level}"] = ", ".join(f"{k} {n}" for k, n in counts.items())
    for key, value in values.items():
        ET.SubElement(props, "property", {"name": key, "value": str(value)})
    for row, kind in zip(rows, kinds):
        case = ET.SubElement(suite, "testcase", {
            "classname": (row["conformance_class"] or row["standard"]),
            "name": f"{row['requirement']} [{row['level']}]",
        })
        v = row["verdict"]
        detail = f"{row['standard']} {row['standard_version']} clause {row['clause']}: " \
                 f"{row['message']}"
        if kind == "failure":
            el = ET.SubElement(case, "failure", {"message": detail[:500], "type": "FAIL"})
            el.text = _failure_text(row)
        elif kind == "error":
            el = ET.SubElement(case, "error", {"message": f"{v}: {detail}"[:500], "type": v})
            el.text = _failure_text(row) + (f"\nto decide it: {row['decide']}"
                                            if row.get("decide") else "")
        elif kind == "skipped":
            note = ("a recommendation: does not change the outcome" if row["level"] != "MUST"
                    else "outside the certification" if v != "NOT_APPLICABLE" else
                    "not applicable")
            ET.SubElement(case, "skipped", {"message": f"{v} [{row['level']}, {note}]: "
                                                       f"{detail}"[:500]})
    out = ET.SubElement(suite, "system-out")
    out.text = f"{summary['outcome']}: {summary['reason']}"
    ET.indent(suite)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"


def _failure_text(row: dict[str, Any]) -> str:
    lines = [row["statement"], f"expected: {row.get('expected')}", f"actual:   {row.get('actual')}",
             f"evidence: {', '.join(row['evidence'])}"]
    for ev in row.get("evidence_summary", []):
        lines.append(f"  {ev['id']}: {ev['curl']}")
    return "\n".join(lines)
