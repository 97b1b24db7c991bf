"""Benchmark: every command that talks to a target, against every hostile test server
(``tests/support/hostile.py``), with wall time, peak RSS, exit code and the final message.
Not a timed test: ``tests/test_hostile_targets.py`` asserts the bounds in CI; this prints the
whole table (issue 12).

    .venv/bin/python bench/hostile_matrix.py [--kinds a,b] [--commands x,y] [--markdown]

Each command runs in its own child process with the target file's limits lowered (connect 1 s,
read 2 s, exchange deadline 4 s; ``tests.support.hostile.LIMITS``) and a run budget of 30 s,
as a CI pipeline pointed at a broken platform would.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.hostile import (COMMANDS, DESCRIPTIONS, HostileServer,  # noqa: E402
                                   command_argv, run_measured)

BUDGET_S = 30


def run_one(kind: str, command: str, env: dict[str, str], timeout: float = 300,
            keep: Path | None = None) -> dict:
    """One command against one hostile server (wall time, peak RSS, stray files)."""
    with tempfile.TemporaryDirectory() as tmp, HostileServer(kind, slow_s=1) as srv:
        folder = Path(tmp)
        res = run_measured(command_argv(command, srv.url, folder, BUDGET_S), cwd=folder, env=env,
                           timeout=timeout)
        text = res["out"] + res["err"]
        res["traceback"] = "Traceback" in text or "INTERNALERROR" in text
        res["final"] = final_line(res["out"]) or final_line(res["err"])
        res["stray"] = sorted(p.name for p in folder.iterdir()
                              if p.name not in ("target.yaml", "out", "discovered.yaml"))
        report = folder / "out" / "report.json"
        res["report"] = report.exists()
        if keep is not None and report.exists():
            keep.mkdir(parents=True, exist_ok=True)
            (keep / f"{kind}-{command.replace(' ', '-')}.json").write_bytes(report.read_bytes())
        res["kind"], res["command"] = kind, command
        return res


def final_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kinds", default=",".join(sorted(DESCRIPTIONS)))
    ap.add_argument("--commands", default=",".join(COMMANDS))
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    ap.add_argument("--json", help="also write the rows to this JSON file")
    ap.add_argument("--keep", help="copy each run's report.json into this folder")
    args = ap.parse_args()
    env = dict(os.environ)
    env.setdefault("OUPCHECK_DATA_DIR", str(ROOT.parent / "shared" / "data"))
    rows = []
    for kind in args.kinds.split(","):
        for command in args.commands.split(","):
            r = run_one(kind, command, env, keep=Path(args.keep) if args.keep else None)
            rows.append(r)
            msg = re.sub(r"\s+", " ", r["final"])[:150]
            if args.markdown:
                print(f"| {kind} | {command} | {r['wall_s']} | {r['rss_kb'] // 1024} | "
                      f"{r['code']} | {'yes' if r['traceback'] else 'no'} | "
                      f"{', '.join(r['stray']) or '-'} | {msg.replace('|', '/')} |", flush=True)
            else:
                print(f"{kind:16} {command:34} {r['wall_s']:6.1f} s {r['rss_kb'] // 1024:5} MiB "
                      f"exit {r['code']} tb={r['traceback']} stray={r['stray']}  {msg}",
                      flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1), encoding="utf-8")
    bad = [r for r in rows if r["traceback"] or r["code"] is None or r["stray"]]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
