"""The readable certification report (issue 14): certification.html and certification.pdf,
rendered from certification.json and the runs beside it, in English or Dutch.

The page opens with a summary a city officer reads in two minutes (outcome per pillar and
overall, the level reached, lock-in score, load knee, the five things to fix first); below it
every requirement of every run with its title, clause linked to the standard, what was found,
the next step when it FAILs and its evidence (PASS rows included), bodies pretty-printed and
folded when long. Anchors link the summary to the detail. The PDF is the same HTML laid out by
WeasyPrint with the page's print stylesheet.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from .html import TEMPLATES, _env

LANGS = ("en", "nl")
BODY_LINES_SHOWN = 25          # a longer body is folded: these lines, then "show all"
BODY_CHARS_KEPT = 12_000       # at most this much of a body goes into the page
EXCHANGES_SHOWN = {"FAIL": 5}  # per row; the others show this many
EXCHANGES_DEFAULT = 3


def catalogue(lang: str) -> dict[str, Any]:
    words = yaml.safe_load((TEMPLATES / "certification.i18n.yaml").read_text("utf-8"))
    if lang not in words:
        raise KeyError(lang)
    return words[lang]


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:80]


def pretty_body(body: str | None) -> str:
    """A body as the page shows it: JSON indented, everything else as it came."""
    if not body:
        return ""
    text = body[:BODY_CHARS_KEPT * 4]
    try:
        text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        pass
    return text


def _evidence_view(ex: dict[str, Any]) -> dict[str, Any]:
    from .html import load_step, tls_summary
    req, resp = ex.get("request") or {}, ex.get("response") or {}
    kind = ex.get("kind", "http")
    head = f"{req.get('method', '')} {req.get('url', '')}".strip() or (ex.get("note") or kind)
    if resp:
        head += f" → {resp.get('status')}"
    elif ex.get("error"):
        head += f" → {ex['error']}"
    text = ""
    if kind == "tls-scan":
        text = tls_summary(ex.get("data"))
    elif kind == "load-step":
        text = load_step(ex.get("data"))
    elif kind == "mqtt":
        data = ex.get("data") or {}
        text = "\n".join(data.get("packets") or [])
        text = text.replace(" -> ", " → ").replace(" <- ", " ← ")
    elif resp:
        headers = "".join(f"{k}: {v}\n" for k, v in (resp.get("headers") or {}).items())
        body = pretty_body(resp.get("body"))
        text = f"HTTP {resp.get('status')} {resp.get('reason') or ''}\n{headers}\n{body}"
    lines = text.splitlines()
    if len(text) > BODY_CHARS_KEPT:
        lines = text[:BODY_CHARS_KEPT].splitlines() + ["… (cut here; the whole body is in "
                                                       "evidence.jsonl)"]
    sent = ""
    if req.get("body"):
        sent = pretty_body(req["body"] if isinstance(req["body"], str) else json.dumps(req["body"]))
    return {"id": ex["id"], "head": head, "note": ex.get("note"), "curl": ex.get("curl"),
            "sent": sent, "shown": "\n".join(lines[:BODY_LINES_SHOWN]),
            "rest": "\n".join(lines[BODY_LINES_SHOWN:]), "lines": len(lines)}


def _row_text(row: dict[str, Any], lang: str, profile: Any) -> dict[str, Any]:
    """Title and next step in the report's language: from the row, else from the installed
    profile (runs recorded before rows carried them), else the requirement ID."""
    req = profile.requirements.get(row["requirement"]) if profile is not None else None

    def pick(key: str) -> str | None:
        for k in ((f"{key}_nl", key) if lang == "nl" else (key,)):
            if row.get(k):
                return row[k]
            if req is not None and getattr(req, k, None):
                return getattr(req, k)
        return None
    return {"title": pick("title") or row["requirement"], "next_step": pick("next_step")}


def _profile(ref: str) -> Any:
    from oupcheck.errors import UsageError
    from oupcheck.profile import load_profile
    try:
        return load_profile(ref)
    except UsageError:
        return None


def view(cert: dict[str, Any], folder: Path, lang: str) -> dict[str, Any]:
    """Everything the template shows, from certification.json and its runs."""
    from oupcheck.report import load_evidence
    words = catalogue(lang)
    waived = {w["requirement"]: w for w in (cert.get("waivers") or {}).get("waived", [])}
    runs = []
    # (pillar, requirement) -> the row a fix links to: where it FAILs, else the first
    linked: dict[tuple[str, str], dict[str, Any]] = {}
    for n, run in enumerate(cert.get("runs") or [], 1):
        path = folder / run["report"]
        report = json.loads(path.read_text("utf-8"))
        evidence = load_evidence(path.parent / "evidence.jsonl")
        profile = _profile(report["run"]["profile"])
        rows = []
        for row in report["rows"]:
            verdict = row["verdict"]
            if verdict == "FAIL" and row["requirement"] in waived:
                verdict = "WAIVED"
            ids = row.get("evidence") or []
            shown = EXCHANGES_SHOWN.get(verdict, EXCHANGES_DEFAULT)
            shown_row = {**row, **_row_text(row, lang, profile), "verdict": verdict,
                         "anchor": f"r{n}-{slug(row['requirement'])}",
                         "exchanges": [_evidence_view(evidence[i]) for i in ids[:shown]
                                       if i in evidence],
                         "more": max(0, len(ids) - shown),
                         "evidence_file": f"{Path(run['report']).parent.as_posix()}/"
                                          "evidence.jsonl"}
            rows.append(shown_row)
            key = (run["pillar"], row["requirement"])
            if key not in linked or (verdict == "FAIL" and linked[key]["verdict"] != "FAIL"):
                linked[key] = shown_row
        runs.append({**run, "n": n, "anchor": f"run-{n}", "rows": rows,
                     "title": report["run"].get("profile"),
                     "version": report["run"].get("profile_version"),
                     "summary": report["summary"]})
    fixes = []
    for f in cert.get("fixes") or []:
        row = linked.get((f["pillar"], f["requirement"]), {})
        fixes.append({**f, "title": row.get("title", f["requirement"]),
                      "next_step": row.get("next_step"), "anchor": row.get("anchor")})
    pillars = []
    for p in cert["pillars"]:
        pillars.append({**p, "anchor": f"pillar-{p['pillar']}",
                        "runs": [r for r in runs if r["pillar"] == p["pillar"]]})
    st = cert["standing"]
    if st["reached"]:
        key = "level_reached_waivers" if cert.get("reached_with_waivers") else "level_reached"
        headline, state = words[key].format(level=st["reached"]), "reached"
    elif st["levels"] and st["levels"][0]["verdict"] == "undecided":
        headline, state = words["undecided_level"], "undecided"
    else:
        headline, state = words["no_level"], "none"
    return {"w": words, "lang": lang, "cert": cert, "runs": runs, "pillars": pillars,
            "fixes": fixes, "headline": headline, "state": state,
            "waivers": cert.get("waivers") or {}}


def render_certification(cert: dict[str, Any], folder: Path, lang: str = "en",
                         scheme: Any = None) -> str:
    v = view(cert, folder, lang)
    names = {}
    if scheme is not None:
        for pid, p in scheme.pillars.items():
            names[pid] = (getattr(p, "title_nl", None) if lang == "nl" else None) or p.title
        v["scheme_title"] = (getattr(scheme, "title_nl", None) if lang == "nl" else None) \
            or scheme.title
        v["levels_title"] = {lv.id: (getattr(lv, "title_nl", None) if lang == "nl" else None)
                             or lv.title for lv in scheme.levels}
    else:
        v["scheme_title"] = cert["scheme"]
        v["levels_title"] = {}
    v["pillar_title"] = names
    kinds = {pid: p.kind for pid, p in scheme.pillars.items()} if scheme is not None else {}
    v["load_ran"] = any(kinds.get(p["pillar"]) == "load" and p["runs"] for p in v["pillars"])
    return _env().get_template("certification.html.j2").render(**v)


def write_pdf(html: str, out: Path, base: Path) -> None:
    """The PDF of the same HTML, laid out by WeasyPrint with the page's print stylesheet."""
    import logging

    from weasyprint import HTML
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    HTML(string=html, base_url=str(base)).write_pdf(str(out))
