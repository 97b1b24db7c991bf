"""Run the ``oupcheck`` command in a subprocess and look at what it left behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class CliResult:
    args: list[str]
    code: int
    stdout: str
    stderr: str
    duration: float                  # seconds, measured with time.monotonic()
    report: dict[str, Any] | None    # <out>/report.json if --out was given and it exists

    @property
    def stderr_lines(self) -> list[str]:
        return self.stderr.strip().splitlines()

    def row(self, requirement_id: str) -> dict[str, Any]:
        if self.report is None:
            raise LookupError(f"no report.json for oupcheck {' '.join(self.args)}")
        for row in self.report.get("rows", []):
            if row.get("requirement") == requirement_id:
                return row
        raise LookupError(f"no report row for {requirement_id}")

    def describe(self) -> str:
        """For assertion messages."""
        return (f"oupcheck {' '.join(self.args)} -> exit {self.code} in {self.duration:.1f} s\n"
                f"--- stdout ---\n{self.stdout[-3000:]}\n--- stderr ---\n{self.stderr[-3000:]}")


def out_dir(args: list[str]) -> Path | None:
    for i, arg in enumerate(args):
        if arg == "--out" and i + 1 < len(args):
            return Path(args[i + 1])
        if arg.startswith("--out="):
            return Path(arg.split("=", 1)[1])
    return None


def run_cli(args: list[str], *, env: dict[str, str], timeout: float) -> CliResult:
    """Raises subprocess.TimeoutExpired (child killed) after ``timeout`` seconds."""
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "oupcheck.cli", *args], cwd=REPO_ROOT,
                          env=dict(os.environ, **env), capture_output=True, text=True,
                          timeout=timeout)
    duration = time.monotonic() - t0
    out = out_dir(args)
    report = None
    if out is not None and (out / "report.json").is_file():
        report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return CliResult(args, proc.returncode, proc.stdout, proc.stderr, duration, report)
