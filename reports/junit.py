"""JUnit XML: one test case per requirement row (CI systems show it natively)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any


def render_junit(report: dict[str, Any]) -> str:
    run = report["run"]
    rows = report["rows"]
    counts = report["summary"]["counts"]
    suite = ET.Element("testsuite", {
        "name": f"{run['profile']}@{run['profile_version']}",
        "tests": str(len(rows)),
        "failures": str(counts.get("FAIL", 0)),
        "errors": str(counts.get("ERROR", 0)),
        "skipped": str(counts.get("NOT_APPLICABLE", 0) + counts.get("INCONCLUSIVE", 0)),
        "time": str(run["duration_s"]),
        "timestamp": run["started"],
    })
    props = ET.SubElement(suite, "properties")
    for key in ("suite_version", "target_url", "profile_version"):
        ET.SubElement(props, "property", {"name": key, "value": str(run[key])})
    for row in rows:
        case = ET.SubElement(suite, "testcase", {
            "classname": (row["conformance_class"] or row["standard"]),
            "name": f"{row['requirement']} [{row['level']}]",
        })
        v = row["verdict"]
        detail = f"{row['standard']} {row['standard_version']} clause {row['clause']}: " \
                 f"{row['message']}"
        if v == "FAIL":
            el = ET.SubElement(case, "failure", {"message": detail[:500], "type": "FAIL"})
            el.text = _failure_text(row)
        elif v == "ERROR":
            el = ET.SubElement(case, "error", {"message": detail[:500], "type": "ERROR"})
            el.text = _failure_text(row)
        elif v in ("NOT_APPLICABLE", "INCONCLUSIVE"):
            ET.SubElement(case, "skipped", {"message": f"{v}: {detail}"[:500]})
    ET.indent(suite)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"


def _failure_text(row: dict[str, Any]) -> str:
    lines = [row["statement"], f"expected: {row.get('expected')}", f"actual:   {row.get('actual')}",
             f"evidence: {', '.join(row['evidence'])}"]
    for ev in row.get("evidence_summary", []):
        lines.append(f"  {ev['id']}: {ev['curl']}")
    return "\n".join(lines)
