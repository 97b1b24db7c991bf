"""Suppliers side by side (issue 14): ``oupcheck compare A B … --out DIR`` puts finished runs
(folders with report.json) or certifications (folders with certification.json) in one table,
JSON and HTML: per pillar (certifications) and per requirement, every supplier's verdict, the
rows where they differ marked, with outcome or level, lock-in risk and load knee next to each
other. What a tender committee puts in its evaluation. A pure function of the folders."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .errors import UsageError
from .verdicts import PRECEDENCE


def read_supplier(folder: Path) -> dict[str, Any]:
    """One column: its name, outcome or level, figures, pillars and rows."""
    cert, report = folder / "certification.json", folder / "report.json"
    try:
        if cert.is_file():
            doc = json.loads(cert.read_text("utf-8"))
            rows: dict[str, dict[str, Any]] = {}
            for run in doc.get("runs") or []:
                sub = json.loads((folder / run["report"]).read_text("utf-8"))
                for r in sub["rows"]:
                    prev = rows.get(r["requirement"])
                    # a requirement judged on several interfaces: the worst verdict counts
                    if prev is None or _rank(r["verdict"]) < _rank(prev["verdict"]):
                        rows[r["requirement"]] = dict(r, pillar=run["pillar"])
            return {"name": doc.get("target") or folder.name, "folder": str(folder),
                    "kind": "certification", "scheme": f"{doc['scheme']} {doc['scheme_version']}",
                    "outcome": "level " + doc["standing"]["reached"]
                    if doc["standing"]["reached"] else "no level",
                    "lockin_risk": doc.get("lockin_risk"), "knee_users": doc.get("knee_users"),
                    "pillars": {p["pillar"]: p["outcome"] for p in doc["pillars"]},
                    "pillar_titles": {p["pillar"]: p["title"] for p in doc["pillars"]},
                    "rows": rows}
        if report.is_file():
            doc = json.loads(report.read_text("utf-8"))
            knee = (doc.get("load") or {}).get("knee")
            run = doc["run"]
            return {"name": run.get("target_name") or run.get("target_url") or folder.name,
                    "folder": str(folder), "kind": "run",
                    "scheme": f"{run['profile']} {run['profile_version']}",
                    "outcome": doc["summary"]["outcome"],
                    "lockin_risk": (doc.get("score") or {}).get("value"),
                    "knee_users": knee["users"] if knee else None, "pillars": {},
                    "pillar_titles": {},
                    "rows": {r["requirement"]: r for r in doc["rows"]}}
    except (OSError, KeyError, json.JSONDecodeError) as exc:
        raise UsageError(f"cannot be read as an oupcheck run or certification: {exc}",
                         source=str(folder)) from None
    raise UsageError("has neither report.json nor certification.json (the --out folder of "
                     "'oupcheck run' or 'oupcheck certify')", source=str(folder))


def _rank(verdict: str) -> int:
    """How bad a verdict is (verdicts.PRECEDENCE: FAIL first), for the worst of several."""
    order = [v.value for v in PRECEDENCE]
    return order.index(verdict) if verdict in order else len(order)


def compare(folders: list[Path]) -> dict[str, Any]:
    if len(folders) < 2:
        raise UsageError("compare needs at least two folders", field="RUN")
    sup = [read_supplier(Path(f)) for f in folders]
    schemes = {s["scheme"] for s in sup}
    if len(schemes) > 1:
        raise UsageError("the folders were judged by different profiles or schemes ("
                         + ", ".join(sorted(schemes)) + "): compare like with like",
                         source=sup[-1]["folder"])
    rids = list(dict.fromkeys(rid for s in sup for rid in s["rows"]))
    rows = []
    for rid in rids:
        cells = [s["rows"].get(rid) for s in sup]
        first = next(c for c in cells if c)
        verdicts = [c["verdict"] if c else None for c in cells]
        rows.append({"requirement": rid, "level": first.get("level"),
                     "pillar": first.get("pillar"), "clause": first.get("clause"),
                     "verdicts": verdicts, "messages": [c.get("message") if c else None
                                                        for c in cells],
                     "differs": len(set(verdicts)) > 1})
    pillars = []
    for pid in dict.fromkeys(p for s in sup for p in s["pillars"]):
        outs = [s["pillars"].get(pid) for s in sup]
        title = next((s["pillar_titles"][pid] for s in sup if pid in s["pillar_titles"]), pid)
        pillars.append({"pillar": pid, "title": title, "outcomes": outs,
                        "differs": len(set(outs)) > 1})
    return {"scheme": sup[0]["scheme"],
            "suppliers": [{k: s[k] for k in ("name", "folder", "kind", "outcome",
                                              "lockin_risk", "knee_users")} for s in sup],
            "pillars": pillars, "rows": rows,
            "differing_rows": sum(r["differs"] for r in rows)}


def write(doc: dict[str, Any], out: Path) -> None:
    """compare.json and compare.html into OUT (written aside, then moved into place)."""
    import shutil

    from oupcheck.reports.html import render_compare

    from .report import staging_dir
    staging = staging_dir(out)
    try:
        (staging / "compare.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1)
                                              + "\n", encoding="utf-8")
        (staging / "compare.html").write_text(render_compare(doc), encoding="utf-8")
        out.mkdir(parents=True, exist_ok=True)
        for name in ("compare.json", "compare.html"):
            (staging / name).replace(out / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
