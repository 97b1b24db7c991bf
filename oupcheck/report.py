"""report.json: the truth of a run. Every other output is rendered from it.

One row per selected requirement of the profile, in profile order, with the
combined verdict of its checks, the message, expected/actual for a FAIL and
the IDs of the exchanges (evidence.jsonl) behind it.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Literal

from pydantic import BaseModel, Field

from . import __version__
from .errors import UsageError, printable
from .load.model import LoadSection
from .verdicts import Verdict, combine

SCHEMA_VERSION = "2.0"
EXIT_CONFORMANT, EXIT_NOT_CONFORMANT, EXIT_USAGE, EXIT_UNDECIDED = 0, 1, 2, 3


class CheckResult(BaseModel):
    test: str
    verdict: Verdict
    observed: Verdict = Field(description="Verdict before applicability was applied")
    message: str
    evidence: list[str]


class EvidenceSummary(BaseModel):
    id: str
    request: str
    status: int | None
    error: str | None
    curl: str


class Row(BaseModel):
    """One requirement of the profile, with its combined verdict."""
    requirement: str
    title: str | None = None
    title_nl: str | None = None
    next_step: str | None = Field(default=None, description="What to change when it FAILs")
    next_step_nl: str | None = None
    standard: str
    standard_version: str
    standard_url: str | None = None
    clause: str
    level: Literal["MUST", "SHOULD", "MAY"]
    conformance_class: str | None
    statement: str
    coverage: Literal["checked", "not-covered", "not-testable"]
    verdict: Verdict
    message: str
    expected: Any = None
    actual: Any = None
    evidence: list[str] = Field(default_factory=list)
    evidence_summary: list[EvidenceSummary] = Field(default_factory=list,
                                                    description="The cited exchanges, for FAIL rows")
    decide: str | None = Field(default=None, description="For an undecided row: what would "
                               "decide it (a target-file setting, writes allowed, ...)")
    judged: str | None = Field(default=None, description="What the checks judged (items, "
                               "requests, inputs, assertions); a PASS always rests on something")
    checks: list[CheckResult] = Field(default_factory=list)


Outcome = Literal["conformant", "not-conformant", "incomplete"]


class ClassStatus(BaseModel):
    uri: str
    title: str
    applicability: Literal["mandatory", "if-claimed"]
    declared: bool = Field(description="In the target's own conformance declaration")
    claimed_in_target_file: bool
    observed: Literal["pass", "fail", "undecided", "not-run"] = Field(
        description="What the MUST checks observed, before applicability (a class that is not "
                    "declared is still observed)")
    outcome: Literal["conformant", "not-conformant", "incomplete", "not-applicable",
                     "not-run"] = Field(description="The certification rule over the class's "
                                        "rows (as for the whole run)")
    reason: str


class Finding(BaseModel):
    kind: Literal["declared-but-failing", "implemented-not-declared", "mandatory-not-declared",
                  "declaration-unreadable", "clean-up-incomplete", "run-budget-spent",
                  "slow-target"]
    conformance_class: str | None
    message: str
    requirements: list[str] = Field(default_factory=list)


class Undecided(BaseModel):
    requirement: str
    verdict: Verdict
    message: str
    decide: str


class Summary(BaseModel):
    outcome: Outcome = Field(description="conformant: every applicable MUST row PASSes; "
                             "not-conformant: an applicable MUST row FAILs; incomplete: no MUST "
                             "row FAILs but one is INCONCLUSIVE or ERROR, or none was judged")
    exit_code: int
    reason: str
    counts: dict[str, int] = Field(description="Rows of every level (MUST, SHOULD, MAY) by verdict")
    must_counts: dict[str, int] = Field(description="MUST rows by verdict (not-testable ones "
                                        "included, as INCONCLUSIVE)")
    counts_by_level: dict[str, dict[str, int]] = Field(default_factory=dict,
                                                       description="level -> verdict -> rows")
    not_testable_must: list[str] = Field(default_factory=list, description="MUST rows that are "
                                         "not black-box testable: outside what a run certifies")
    undecided_must: list[Undecided] = Field(default_factory=list, description="Applicable MUST "
                                            "rows that are INCONCLUSIVE or ERROR, with what "
                                            "would decide each")


class RunInfo(BaseModel):
    suite: str = "oupcheck"
    suite_version: str
    report_schema: str
    profile: str
    profile_version: str
    profile_lineage: list[str]
    profile_source: str
    target_name: str
    target_url: str
    target_source: str
    started: str
    finished: str
    duration_s: float
    requests: int
    selection: list[str] | None = Field(description="--only requirement IDs, if the run was narrowed")
    unreachable: str | None
    declared_classes: list[str] | None
    declaration_evidence: str | None
    data_sources: dict[str, str]
    run_budget_s: float | None = Field(default=None, description="Bound on the whole run "
                                       "(--budget, run_budget_s); rows not decided in time are "
                                       "INCONCLUSIVE")
    median_answer_s: float | None = Field(default=None, description="Median time the target "
                                          "took to answer, over its last 20 answers")
    in_flight: int | None = Field(default=None, description="Requests the run had in flight at "
                                  "once at most (--in-flight, --polite, max_in_flight)")


class ScoreRow(BaseModel):
    requirement: str
    weight: float
    verdict: Verdict | None = Field(description="None: the row was not part of this run")
    risk: float = Field(description="Weight counted as risk: all of it for FAIL, "
                                    "unknown_counts_as of it for INCONCLUSIVE/ERROR, none for PASS")
    message: str
    evidence: list[str] = Field(default_factory=list)
    lowers_risk: str


class ScoreResult(BaseModel):
    name: str
    description: str | None
    value: float | None = Field(description="0 (no risk found) .. 100 (every factor at risk); "
                                            "None when no factor could be judged")
    judged_weight: float
    unknown_counts_as: float
    factors: list[ScoreRow]


class Report(BaseModel):
    run: RunInfo
    summary: Summary
    classes: list[ClassStatus]
    findings: list[Finding]
    rows: list[Row]
    score: ScoreResult | None = None
    load: LoadSection | None = Field(default=None, description="Load runs: steps, knee, "
                                     "timeline (the SLO rows are in 'rows')")


def build_score(profile: Any, rows: list[Row]) -> ScoreResult | None:
    """The profile's composite score: risk-weighted share of its factors (NOT_APPLICABLE
    factors leave the denominator)."""
    sc = profile.score
    if sc is None:
        return None
    by_id = {r.requirement: r for r in rows}
    factors, total, risk = [], 0.0, 0.0
    for f in sc.factors:
        row = by_id.get(f.requirement)
        verdict = row.verdict if row else None
        share = {Verdict.FAIL: 1.0, Verdict.INCONCLUSIVE: sc.unknown_counts_as,
                 Verdict.ERROR: sc.unknown_counts_as, Verdict.PASS: 0.0}.get(verdict)
        if share is not None:
            total += f.weight
            risk += f.weight * share
        factors.append(ScoreRow(requirement=f.requirement, weight=f.weight, verdict=verdict,
                                risk=round(f.weight * (share or 0.0), 2),
                                message=row.message if row else "not part of this run",
                                evidence=row.evidence[:6] if row else [],
                                lowers_risk=f.lowers_risk))
    value = round(100 * risk / total, 1) if total else None
    return ScoreResult(name=sc.name, description=sc.description, value=value,
                       judged_weight=total, unknown_counts_as=sc.unknown_counts_as,
                       factors=factors)


def build_report(run: Any) -> dict[str, Any]:
    profile = run.profile
    by_req: dict[str, list[dict]] = {}
    for res in run.results:
        for rid in res["requirements"]:
            if res["pinned_requirement"] and res["pinned_requirement"] != rid \
                    and rid in profile.requirements and res["verdict"] == "FAIL":
                # the failure names another requirement of this check; this one was not
                # judged to the end (a PASS needs an observation of its own)
                res_for = dict(res, verdict="INCONCLUSIVE", observed="INCONCLUSIVE",
                               message=f"not judged to the end: the check stopped at its "
                                       f"failure on {res['pinned_requirement']}",
                               decide=f"fix {res['pinned_requirement']} and run again")
            else:
                res_for = res
            by_req.setdefault(rid, []).append(res_for)
    rows: list[Row] = []
    for rid in run.selected:
        req = profile.requirements[rid]
        results = by_req.get(rid, [])
        base = row_base(profile, rid)
        if not req.testable:
            rows.append(Row(**base, coverage="not-testable", verdict=Verdict.INCONCLUSIVE,
                            message=f"not black-box testable: {req.reason}"))
            continue
        if not results and run.unreachable:
            rows.append(Row(**base, coverage="checked", verdict=Verdict.ERROR,
                            message=f"not judged: the target was unreachable at pre-flight "
                                    f"({run.unreachable})",
                            evidence=[run.preflight_id] if run.preflight_id else [],
                            decide="make the target reachable from this machine and run again"))
            continue
        if not results:
            rows.append(Row(**base, coverage="not-covered", verdict=Verdict.INCONCLUSIVE,
                            message=f"not covered: no check in oupcheck {__version__} "
                                    "verifies this requirement",
                            decide="needs a check in oupcheck (not covered yet)"))
            continue
        verdict = combine(Verdict(r["verdict"]) for r in results)
        lead = next(r for r in results if r["verdict"] == verdict.value)
        evidence = list(lead["evidence"]) if verdict in (Verdict.FAIL, Verdict.ERROR,
                                                           Verdict.INCONCLUSIVE) else \
            _unique(e for r in results for e in r["cited"])
        summary = []
        if verdict in (Verdict.FAIL, Verdict.ERROR):
            for eid in evidence[:6]:
                ex = run.store.by_id.get(eid)
                if ex is not None:
                    summary.append(EvidenceSummary(id=ex.id, request=f"{ex.method} {ex.url}",
                                                   status=ex.status, error=ex.error, curl=ex.curl))
        rows.append(Row(
            **base, coverage="checked", verdict=verdict,
            message=lead["message"] if verdict is not Verdict.PASS else
            (lead["message"] if len(results) == 1 else f"met in {len(results)} checks"),
            expected=lead.get("expected"), actual=lead.get("actual"), evidence=evidence,
            evidence_summary=summary,
            decide=(lead.get("decide") or default_decide(lead["message"], verdict))
            if verdict in (Verdict.INCONCLUSIVE, Verdict.ERROR) else None,
            judged="; ".join(_unique(r["judged"] for r in results if r.get("judged"))) or None,
            checks=[CheckResult(test=r["test"], verdict=Verdict(r["verdict"]),
                                observed=Verdict(r["observed"]), message=r["message"],
                                evidence=r["evidence"]) for r in results]))
    classes, findings = _classes(run, rows, by_req)
    left = getattr(run, "cleanup_left", None)
    if left:
        findings.append(Finding(kind="clean-up-incomplete", conformance_class=None,
                                message=f"{len(left)} test object(s) the run created could not "
                                        f"be deleted: {', '.join(left[:5])}"))
    findings.extend(_pace_findings(run))
    return assemble(profile, run.target, run.interface.url, run.started, rows,
                    requests=run.store.count, unreachable=run.unreachable, classes=classes,
                    findings=findings, selection=sorted(run.only) or None,
                    declared_classes=run.declared, declaration_evidence=run.declaration_id,
                    data_sources=dict(run.data.used), run_budget_s=getattr(run, "budget_s", None),
                    median_answer_s=round(run.pace()[1], 3) if hasattr(run, "pace") else None,
                    in_flight=getattr(run, "in_flight", None))


def assemble(profile: Any, target: Any, url: str, started: datetime, rows: list[Row], *,
             requests: int, unreachable: str | None, classes: list[ClassStatus] | None = None,
             findings: list[Finding] | None = None, load: Any = None,
             **run_fields: Any) -> dict[str, Any]:
    """report.json of a run, conformance or load (the one report builder): the run's facts,
    the certification rule's summary over the rows, the lock-in score where the profile
    weighs its rows. ``run_fields``: the RunInfo fields only one kind of run has."""
    finished = datetime.now(timezone.utc)
    info = RunInfo(
        suite_version=__version__, report_schema=SCHEMA_VERSION, profile=profile.id,
        profile_version=profile.version, profile_lineage=profile.lineage,
        profile_source=_rel(profile.source), target_name=target.spec.name, target_url=url,
        target_source=_rel(target.source), started=started.isoformat(timespec="seconds"),
        finished=finished.isoformat(timespec="seconds"),
        duration_s=round((finished - started).total_seconds(), 2), requests=requests,
        unreachable=unreachable, **({"selection": None, "declared_classes": None,
                                     "declaration_evidence": None, "data_sources": {}}
                                    | run_fields))
    report = Report(run=info, summary=summarise(rows, unreachable), classes=classes or [],
                    findings=findings or [], rows=rows, load=load,
                    score=build_score(profile, rows))
    return json.loads(report.model_dump_json())


def add_rows(doc: dict[str, Any], rows: list[Row], requests: int, *,
             unreachable: str | None = None, load: Any = None) -> dict[str, Any]:
    """A finished report with more rows (``run --with-load``: the load rows and section after
    the conformance rows), its summary judged again over all of them."""
    every = [Row.model_validate(r) for r in doc["rows"]] + rows
    gone = doc["run"].get("unreachable") or unreachable
    out = dict(doc)
    out["rows"] = [json.loads(r.model_dump_json()) for r in every]
    out["summary"] = json.loads(summarise(every, gone).model_dump_json())
    if load is not None:
        out["load"] = json.loads(load.model_dump_json())
    out["run"] = dict(doc["run"], requests=doc["run"]["requests"] + requests)
    return out


def _pace_findings(run: Any) -> list[Finding]:
    """The run budget and a slow target, said once each (the rows say it per row)."""
    out = []
    spent_at = getattr(run, "budget_spent_at", None)
    budget_rows = [r["test"] for r in run.results if "run budget spent" in (r["message"] or "")]
    if spent_at is not None or budget_rows:
        when = f"after {spent_at:g} s" if spent_at is not None else "while a check ran"
        out.append(Finding(kind="run-budget-spent", conformance_class=None, message=(
            f"run budget of {run.budget_s:g} s spent {when}: {len(budget_rows)} check(s) "
            f"undecided ({len(getattr(run, 'not_run', []))} never started); raise it with "
            "--budget or the profile's run_budget_s")))
    slow, median, n = run.pace() if hasattr(run, "pace") else (False, 0.0, 0)
    reduced = getattr(run, "reduced", {})
    if slow or reduced:
        cut = ", ".join(f"{k} {a}->{b}" for k, (a, b) in sorted(reduced.items()))
        out.append(Finding(kind="slow-target", conformance_class=None, message=(
            f"slow target: median answer {median:.1f} s over its last {n} answers "
            f"(slow_response_s={run.profile.param('slow_response_s', 1.0):g}); sampled less to "
            f"fit the run budget" + (f": {cut}" if cut else ""))))
    return out


def _unique(items: Any) -> list[str]:
    out: list[str] = []
    for i in items:
        if i not in out:
            out.append(i)
    return out


def _rel(path: str) -> str:
    if "://" in path:
        return path
    try:
        return os.path.relpath(path)
    except ValueError:
        return path


def _classes(run: Any, rows: list[Row], by_req: dict[str, list[dict]]):
    profile = run.profile
    classes, findings = [], []
    if run.declaration_note and not run.unreachable:
        findings.append(Finding(kind="declaration-unreadable", conformance_class=None,
                                message=run.declaration_note))
    for uri, cc in profile.conformance_classes.items():
        must = [r for r in rows if r.conformance_class == uri and r.level == "MUST"
                and r.coverage == "checked"]
        observed_verdicts = [Verdict(res["observed"]) for r in must
                             for res in by_req.get(r.requirement, [])]
        if not must:
            observed = "not-run"
        elif Verdict.FAIL in observed_verdicts:
            observed = "fail"
        elif observed_verdicts and all(v is Verdict.PASS for v in observed_verdicts):
            observed = "pass"
        else:
            observed = "undecided"
        declared = uri in (run.declared or [])
        in_file = uri in run.claimed_by_file
        class_rows = [r for r in rows if r.conformance_class == uri]
        if not class_rows:
            c_outcome, c_reason = "not-run", "no row of this class was selected"
        elif all(r.verdict is Verdict.NOT_APPLICABLE for r in class_rows):
            c_outcome, c_reason = "not-applicable", class_rows[0].message
        else:
            rule = certify([(r.requirement, r.level, r.verdict.value, r.coverage)
                            for r in class_rows])
            c_outcome, c_reason = rule.outcome, rule.reason
        classes.append(ClassStatus(uri=uri, title=cc.title, applicability=cc.applicability,
                                   declared=declared, claimed_in_target_file=in_file,
                                   observed=observed, outcome=c_outcome, reason=c_reason))
        failing = [r.requirement for r in must if any(
            res["observed"] == "FAIL" for res in by_req.get(r.requirement, []))]
        if (declared or in_file) and observed == "fail":
            findings.append(Finding(
                kind="declared-but-failing", conformance_class=uri, requirements=failing,
                message=f"the target declares {cc.title} but {len(failing)} of its MUST "
                        "requirements fail"))
        if cc.applicability == "if-claimed" and not (declared or in_file) and observed == "pass":
            findings.append(Finding(
                kind="implemented-not-declared", conformance_class=uri,
                requirements=[r.requirement for r in must],
                message=f"{cc.title} is implemented (all its MUST checks pass) but the target "
                        "does not declare it"))
        if cc.applicability == "mandatory" and run.declared is not None and not declared:
            findings.append(Finding(
                kind="mandatory-not-declared", conformance_class=uri,
                message=f"the mandatory class {cc.title} is missing from the target's "
                        "conformance declaration"))
    return classes, findings


class Rule(BaseModel):
    outcome: Outcome
    exit_code: int
    reason: str
    undecided: list[str]
    not_testable: list[str]


def certify(rows: list[tuple[str, str, str, str]], unreachable: str | None = None) -> Rule:
    """The certification rule, a pure function of (requirement, level, verdict, coverage).

    conformant     every applicable MUST row PASSes (and at least one MUST row was judged);
    not-conformant an applicable MUST row FAILs (a FAIL decides, whatever else is undecided);
    incomplete     otherwise: a MUST row is INCONCLUSIVE or ERROR, the target was unreachable,
                   or no MUST row applied at all, so nothing was certified.
    A MUST row marked not black-box testable is outside what a run can certify: it is listed,
    never counted as met. SHOULD and MAY rows never change the outcome."""
    must = [(rid, v, cov) for rid, level, v, cov in rows if level == "MUST"]
    not_testable = [rid for rid, _, cov in must if cov == "not-testable"]
    judged = [(rid, v) for rid, v, cov in must if cov != "not-testable"]
    failing = [rid for rid, v in judged if v == "FAIL"]
    undecided = [rid for rid, v in judged if v in ("INCONCLUSIVE", "ERROR")]
    passing = [rid for rid, v in judged if v == "PASS"]
    if failing:
        return Rule(outcome="not-conformant", exit_code=EXIT_NOT_CONFORMANT,
                    reason=f"{len(failing)} MUST requirement(s) FAIL"
                           + (f"; {len(undecided)} more undecided" if undecided else ""),
                    undecided=undecided, not_testable=not_testable)
    if unreachable:
        return Rule(outcome="incomplete", exit_code=EXIT_UNDECIDED,
                    reason=f"target unreachable: {unreachable}", undecided=undecided,
                    not_testable=not_testable)
    if undecided:
        return Rule(outcome="incomplete", exit_code=EXIT_UNDECIDED,
                    reason=f"{len(undecided)} MUST requirement(s) undecided "
                           f"({len(passing)} of {len(passing) + len(undecided)} applicable MUST "
                           "requirements PASS, none FAILs)",
                    undecided=undecided, not_testable=not_testable)
    if not passing:
        return Rule(outcome="incomplete", exit_code=EXIT_UNDECIDED,
                    reason="no applicable MUST requirement was judged: nothing was certified",
                    undecided=undecided, not_testable=not_testable)
    na = sum(1 for _, v in judged if v == "NOT_APPLICABLE")
    return Rule(outcome="conformant", exit_code=EXIT_CONFORMANT,
                reason=f"all {len(passing)} applicable MUST requirements PASS"
                       + (f" ({na} not applicable)" if na else "")
                       + (f"; {len(not_testable)} MUST requirement(s) are not black-box "
                          "testable and were not judged" if not_testable else ""),
                undecided=[], not_testable=not_testable)


# what would decide an undecided row, when its check did not say (matched on its message)
DECIDE_HINTS = (
    ("identities", "add two identities (credentials and the objects each owns) to the target "
                   "file"),
    ("writes_allowed", "set writes_allowed: true in the target file (the run deletes what it "
                       "creates)"),
    ("not black-box testable", "a person must judge it (documentation or code review)"),
    ("allowed_origins", "list the intended browser clients as allowed_origins in the target "
                        "file"),
    ("credential", "add the interface's credential to the target file"),
    ("judged nothing", "give the target data the check can judge (see the message), or a "
                       "target file naming it"),
    ("not sent", "the target stopped answering during the run: make it reachable and run "
                 "again"),
    ("budget", "raise the profile's time or example budget for this check"),
)


def default_decide(message: str, verdict: Verdict) -> str:
    low = message.lower()
    for key, hint in DECIDE_HINTS:
        if key.lower() in low:
            return hint
    if verdict is Verdict.ERROR:
        return "the network or the suite broke: see the message, fix it and run again"
    return "see the message: the target did not show what the check needs"


def summarise(rows: list[Row], unreachable: str | None) -> Summary:
    return _summary(SimpleNamespace(unreachable=unreachable), rows)


def _summary(run: Any, rows: list[Row]) -> Summary:
    counts = {v.value: 0 for v in Verdict}
    by_level = {lv: {v.value: 0 for v in Verdict} for lv in ("MUST", "SHOULD", "MAY")}
    for r in rows:
        counts[r.verdict.value] += 1
        by_level[r.level][r.verdict.value] += 1
    rule = certify([(r.requirement, r.level, r.verdict.value, r.coverage) for r in rows],
                   run.unreachable)
    by_id = {r.requirement: r for r in rows}
    # an unreachable target: the reason says it once, no per-row list
    undecided = [] if run.unreachable else [Undecided(requirement=rid, verdict=by_id[rid].verdict,
                           message=by_id[rid].message,
                           decide=by_id[rid].decide or default_decide(by_id[rid].message,
                                                                     by_id[rid].verdict))
                 for rid in rule.undecided]
    return Summary(outcome=rule.outcome, exit_code=rule.exit_code, reason=rule.reason,
                   counts=counts, must_counts=by_level["MUST"], counts_by_level=by_level,
                   not_testable_must=rule.not_testable, undecided_must=undecided)


def outcome_lines(report: dict[str, Any]) -> list[str]:
    """The terminal's verdict on a run: the outcome line, then one line per undecided MUST
    row with what would decide it. Target text in them is escaped (no raw control bytes)."""
    s = report["summary"]
    lines = [f"{s['outcome']}: {s['reason']}."]
    undecided = s.get("undecided_must") or []
    for u in undecided[:UNDECIDED_SHOWN]:
        lines.append(f"  undecided MUST {u['requirement']} ({u['verdict']}): {u['decide']}")
    if len(undecided) > UNDECIDED_SHOWN:
        lines.append(f"  ... and {len(undecided) - UNDECIDED_SHOWN} more undecided MUST "
                     "requirements (listed at the top of report.html)")
    for f in report.get("findings") or []:
        if f["kind"] in ("run-budget-spent", "slow-target"):
            lines.append(f"  {f['message']}")
    return [printable(line) for line in lines]


UNDECIDED_SHOWN = 8


def exit_code(report: dict[str, Any]) -> int:
    return int(report["summary"]["exit_code"])


def write_outputs(report: dict[str, Any], staging: Path, out: Path,
                  redactor: Any = None) -> dict[str, Any]:
    """Render every view into the staging dir, then move the set into ``out``.

    With ``redactor`` (an ``evidence.Redactor``: the run's secrets) the report document and
    evidence.jsonl go through ``Redactor.document`` first, so report.json, junit.xml and
    report.html are rendered from the redacted document. Returns the document as written."""
    if redactor is not None:
        report = redactor.document(report)
        redactor.jsonl(staging / "evidence.jsonl")
    from oupcheck.reports import render_html, render_junit
    (staging / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n",
                                         encoding="utf-8")
    (staging / "junit.xml").write_text(render_junit(report), encoding="utf-8")
    evidence = load_evidence(staging / "evidence.jsonl")
    (staging / "report.html").write_text(render_html(report, evidence), encoding="utf-8")
    out.mkdir(parents=True, exist_ok=True)
    for name in ("evidence.jsonl", "report.json", "junit.xml", "report.html", "run-inputs.json"):
        if (staging / name).exists():
            os.replace(staging / name, out / name)
    shutil.rmtree(staging, ignore_errors=True)
    return report


def load_evidence(path: Path) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    if path.is_file():
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    rec = json.loads(line)
                    out[rec["id"]] = rec
    return out


def json_schema() -> dict[str, Any]:
    schema = Report.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "urn:oupcheck:schema:report:" + SCHEMA_VERSION
    schema["title"] = "oupcheck report"
    return schema


def check_out_dir(out: Path) -> None:
    """``--out`` can be written: not an existing file, and its parent folder exists."""
    if out.exists() and not out.is_dir():
        raise UsageError("exists and is not a directory", source=str(out), field="--out")
    if not out.resolve().parent.is_dir():
        raise UsageError("parent directory does not exist", source=str(out), field="--out")


def staging_dir(out: Path) -> Path:
    """A fresh sibling of ``out`` to write into; renamed into place only when complete."""
    check_out_dir(out)
    import tempfile
    return Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.resolve().parent))


def row_base(profile: Any, rid: str) -> dict[str, Any]:
    """The fields every report row of requirement ``rid`` carries from the profile."""
    req = profile.requirements[rid]
    std = profile.standards[req.standard]
    return dict(requirement=rid, title=req.title, title_nl=req.title_nl,
                next_step=req.next_step, next_step_nl=req.next_step_nl, standard=std.id,
                standard_version=std.version, standard_url=std.url, clause=req.clause,
                level=req.level.value,
                conformance_class=req.conformance_class, statement=req.statement)
