"""Waivers (issue 14): a per-platform expectations file lists requirements a city has accepted
to fail for now, each with the expected verdict, the reason, who accepted it and until when.

    platform: Gemeente X data platform
    waivers:
      - requirement: nlgov-adr:/core/version-header
        expected: FAIL
        reason: the API gateway adds the header in release 4.2 (Q3)
        accepted_by: J. de Vries, CIO office
        expires: 2027-06-30

A FAIL a waiver covers becomes WAIVED: shown apart, named on the certification, and never
counted as a PASS (a pillar whose only failing MUST rows are waived is "conformant with
waivers", and a level reached that way says so). A waiver past its expiry date falls back to
FAIL, and says so; one whose requirement did not FAIL is reported as not needed."""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from . import yamlsrc
from .errors import UsageError
from .profile import Strict


class Waiver(Strict):
    requirement: str
    expected: Literal["FAIL"] = Field(description="The verdict the waiver accepts")
    reason: str = Field(min_length=1)
    accepted_by: str = Field(min_length=1, description="Who accepted it (name, role)")
    expires: date = Field(description="The last day the waiver holds (YYYY-MM-DD)")


class WaiverFile(Strict):
    platform: str
    waivers: list[Waiver] = Field(default_factory=list)


class Applied(BaseModel):
    """What the waivers did to a certification's rows."""
    waived: list[dict[str, Any]] = Field(default_factory=list, description="FAIL rows now "
                                         "WAIVED, each with its waiver")
    expired: list[dict[str, Any]] = Field(default_factory=list, description="Waivers past their "
                                          "date: their rows stay FAIL")
    not_needed: list[dict[str, Any]] = Field(default_factory=list, description="Waivers whose "
                                             "requirement did not FAIL")


def load_waivers(path: str) -> WaiverFile:
    wf, lines = yamlsrc.read_as(Path(path), WaiverFile, "a waivers file")
    seen: set[str] = set()
    for i, w in enumerate(wf.waivers):
        if w.requirement in seen:
            raise UsageError(f"a second waiver for {w.requirement!r}", source=path,
                             line=yamlsrc.line_for(lines, ("waivers", i)),
                             field=f"waivers[{i}].requirement")
        seen.add(w.requirement)
    return wf


def apply(runs: dict[str, list[dict[str, Any]]], waivers: WaiverFile,
          today: date) -> tuple[dict[str, list[dict[str, Any]]], Applied]:
    """The runs with every FAIL row a valid waiver covers turned WAIVED (a copy; the run's own
    report.json is not changed), and what happened to each waiver."""
    out = copy.deepcopy(runs)
    applied = Applied()
    by_req = {w.requirement: w for w in waivers.waivers}
    failed: set[str] = set()
    for reports in out.values():
        for report in reports:
            for row in report["rows"]:
                w = by_req.get(row["requirement"])
                if w is None or row["verdict"] != "FAIL":
                    continue
                failed.add(w.requirement)
                entry = {"requirement": w.requirement, "reason": w.reason,
                         "accepted_by": w.accepted_by, "expires": w.expires.isoformat(),
                         "message": row.get("message")}
                if w.expires < today:
                    if entry not in applied.expired:
                        applied.expired.append(entry)
                    continue
                row["verdict"] = "WAIVED"
                row["waiver"] = entry
                if entry not in applied.waived:
                    applied.waived.append(entry)
    applied.not_needed = [{"requirement": w.requirement, "expires": w.expires.isoformat()}
                          for w in waivers.waivers if w.requirement not in failed]
    return out, applied


def outcome_with_waivers(report: dict[str, Any]) -> str:
    """A run's outcome once waived rows are taken into account: not-conformant while a MUST
    row still FAILs; conformant-with-waivers when only waived MUST rows kept it from
    conformant (and nothing is undecided); else the run's own outcome."""
    musts = [r for r in report["rows"] if r.get("level") == "MUST"]
    if any(r["verdict"] == "FAIL" for r in musts):
        return "not-conformant"
    if any(r["verdict"] == "WAIVED" for r in musts):
        undecided = any(r["verdict"] in ("INCONCLUSIVE", "ERROR") for r in musts)
        return "incomplete" if undecided else "conformant-with-waivers"
    return report["summary"]["outcome"]
