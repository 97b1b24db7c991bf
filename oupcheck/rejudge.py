"""``oupcheck rejudge`` and ``oupcheck impact``: stored runs judged again, offline.

``rejudge RUN_DIR --out DIR`` runs the checks of the run's profile (or another version of it,
``--profile``) with every request answered from RUN_DIR/evidence.jsonl (see ``replay.py``),
writes a complete report in DIR and ``changes.json``: the rows whose verdict differs from the
judged run's. ``impact --profile NEW RUN_DIR…`` does that for many runs and writes one table
(impact.json, impact.html) of outcomes before and after and the rows that flip.
"""

from __future__ import annotations

import json
import tempfile
from html import escape
from pathlib import Path
from typing import Any

from .errors import UsageError, printable
from .replay import INPUTS, read_inputs


def _report(run_dir: Path) -> dict[str, Any]:
    path = run_dir / "report.json"
    if not path.is_file():
        raise UsageError("no report.json in it (is it the --out folder of an oupcheck run?)",
                         source=str(run_dir))
    try:
        return json.loads(path.read_text("utf-8"))
    except json.JSONDecodeError as exc:
        raise UsageError(f"not JSON: {exc.msg}", source=str(path), line=exc.lineno) from None


def changed_rows(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows whose verdict differs, and rows only one of the reports has."""
    old = {r["requirement"]: r for r in before.get("rows") or []}
    new = {r["requirement"]: r for r in after.get("rows") or []}
    out = []
    for rid in list(old) + [r for r in new if r not in old]:
        a, b = old.get(rid), new.get(rid)
        va = a["verdict"] if a else None
        vb = b["verdict"] if b else None
        if va != vb:
            out.append({"requirement": rid, "level": (b or a or {}).get("level"),
                        "before": va, "after": vb,
                        "message": (b or {}).get("message") if b else "not in the new profile"})
    return out


def rejudge(run_dir: Path, out: Path, *, profile: str | None = None,
            data_dirs: list[str] | None = None, profile_paths: list[str] | None = None,
            quiet: bool = True) -> tuple[int, dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """Judge RUN_DIR again into OUT: (exit code, report before, report after, changed rows)."""
    from .cli import run as run_checks
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise UsageError("is not a run folder (it does not exist)" if not run_dir.exists()
                         else "is not a folder", source=str(run_dir))
    before = _report(run_dir)
    inputs = read_inputs(run_dir)
    if Path(out).resolve() == run_dir.resolve():
        raise UsageError("must not be the run folder that is judged again", field="--out")
    # the judged run's profile: its file where it still is (a profile of one's own), else its ID
    source = Path(str(inputs.get("profile_source") or ""))
    same = profile is None  # judged with its own profile: the run's --only holds too
    profile = profile or (str(source) if source.suffix in (".yaml", ".yml") and source.is_file()
                          else inputs["profile"])
    if inputs.get("kind") == "load":
        # a load run: its recorded steps are held against the (new) profile's SLOs
        from .load.runner import rejudge_load
        from .profile import load_profile
        from .report import check_out_dir
        check_out_dir(Path(out))
        prof = load_profile(profile, [Path(p) for p in profile_paths or []])
        after = rejudge_load(run_dir, Path(out), before, inputs, prof)
        code = int(after["summary"]["exit_code"])
    else:
        code = run_checks(profile=profile, target=str(run_dir / INPUTS),
                          # another profile is judged whole; the same one keeps the run's --only
                          out=Path(out), only=(inputs.get("only") or None) if same else None,
                          data_dirs=data_dirs, profile_paths=profile_paths, quiet=quiet,
                          replay=run_dir)
    after_path = Path(out) / "report.json"
    if not after_path.is_file():
        return code, before, {}, []
    after = json.loads(after_path.read_text("utf-8"))
    changes = changed_rows(before, after)
    doc = {"judged_run": str(run_dir), "profile_before": before["run"].get("profile"),
           "profile_after": after["run"].get("profile"),
           "outcome_before": before["summary"]["outcome"],
           "outcome_after": after["summary"]["outcome"], "changed": changes}
    (Path(out) / "changes.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n",
                                            encoding="utf-8")
    return code, before, after, changes


def cmd_rejudge(args: Any) -> int:
    code, before, after, changes = rejudge(Path(args.run_dir), Path(args.out),
                                           profile=args.profile, data_dirs=args.data_dir,
                                           profile_paths=args.profile_path)
    if not after:
        return code
    print(f"judged again from {args.run_dir}: {before['summary']['outcome']} -> "
          f"{after['summary']['outcome']}; {len(changes)} row(s) changed")
    for c in changes:
        print(f"  {c['requirement']}: {c['before']} -> {c['after']}"
              + (f" ({printable(str(c['message']))[:160]})" if c.get("message") else ""))
    print(f"Report: {Path(args.out) / 'report.html'} (changes.json)")
    return code


def cmd_impact(args: Any) -> int:
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError("exists and is not a folder", field="--out", source=str(out))
    if not out.parent.is_dir():
        raise UsageError("its parent folder does not exist", field="--out", source=str(out))
    for d in args.run_dirs:  # every input checked before any run is judged
        _report(Path(d))
        read_inputs(Path(d))
    rows = []
    with tempfile.TemporaryDirectory(prefix="oupcheck-impact-") as tmp:
        for i, d in enumerate(args.run_dirs):
            code, before, after, changes = rejudge(Path(d), Path(tmp) / f"run{i}",
                                                   profile=args.profile,
                                                   data_dirs=args.data_dir,
                                                   profile_paths=args.profile_path)
            rows.append({"run": str(d), "target": before["run"].get("target"),
                         "profile_before": before["run"].get("profile"),
                         "outcome_before": before["summary"]["outcome"],
                         "profile_after": after.get("run", {}).get("profile"),
                         "outcome_after": after.get("summary", {}).get("outcome", "not judged"),
                         "flips": changes})
    out.mkdir(exist_ok=True)
    doc = {"profile": args.profile, "runs": rows}
    (out / "impact.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n",
                                     encoding="utf-8")
    (out / "impact.html").write_text(render_impact(doc), encoding="utf-8")
    for r in rows:
        print(f"{r['run']}: {r['outcome_before']} -> {r['outcome_after']}; "
              f"{len(r['flips'])} row(s) flip")
    print(f"Impact: {out / 'impact.html'} ({out / 'impact.json'})")
    return 0


def render_impact(doc: dict[str, Any]) -> str:
    parts = ["<!doctype html><html lang='en'><meta charset='utf-8'>",
             f"<title>oupcheck impact of {escape(str(doc['profile']))}</title>",
             "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
             "td,th{border:1px solid #bbb;padding:.3em .6em;text-align:left}"
             ".FAIL{background:#fdd}.PASS{background:#dfd}</style>",
             f"<h1>How stored runs grade under {escape(str(doc['profile']))}</h1>",
             "<table><tr><th>run</th><th>target</th><th>before</th><th>after</th>"
             "<th>rows that flip</th></tr>"]
    for r in doc["runs"]:
        flips = "".join(
            f"<li>{escape(str(c['requirement']))}: <span class='{escape(str(c['before']))}'>"
            f"{escape(str(c['before']))}</span> → <span class='{escape(str(c['after']))}'>"
            f"{escape(str(c['after']))}</span></li>" for c in r["flips"])
        parts.append(f"<tr><td>{escape(r['run'])}</td><td>{escape(str(r['target']))}</td>"
                     f"<td>{escape(str(r['profile_before']))}: {escape(r['outcome_before'])}</td>"
                     f"<td>{escape(str(r['profile_after']))}: {escape(r['outcome_after'])}</td>"
                     f"<td><ul>{flips}</ul></td></tr>")
    parts.append("</table></html>\n")
    return "".join(parts)

