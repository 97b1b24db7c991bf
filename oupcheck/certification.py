"""A certification's judgement over finished runs (issue 14): the outcome of each pillar of a
scheme, the lock-in risk, the load knee, the level reached and what the supplier must fix
first. A pure function of the runs' report.json documents, so a certification can be judged
again from its runs (and the unit tests judge recordings of real platforms)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from .scheme import PillarOutcome, Scheme, Standing, standing

# how the outcomes of a pillar's runs combine: the first present wins
ORDER = ["not-conformant", "incomplete", "conformant-with-waivers", "conformant",
         "not-applicable"]


class PillarResult(BaseModel):
    pillar: str
    title: str
    outcome: PillarOutcome
    why: str | None = Field(default=None, description="Why nothing was run for it")
    runs: list[dict[str, Any]] = Field(description="profile, version, outcome, reason of each "
                                                   "run that judged the pillar")


class Fix(BaseModel):
    pillar: str
    requirement: str
    what: str = Field(description="What the failing MUST row says")


class Assessment(BaseModel):
    scheme: str
    scheme_version: str
    pillars: list[PillarResult]
    lockin_risk: float | None
    knee_users: int | None
    standing: Standing
    waivers: Any = Field(default=None, description="What the platform's waivers did (waived, "
                         "expired, not needed), when a waivers file was given")
    fixes: list[Fix] = Field(description="The MUST rows that fail, those of the lowest level "
                                         "not reached first (at most five)")


def pillar_outcome(reports: list[dict[str, Any]]) -> PillarOutcome:
    from .waivers import outcome_with_waivers
    got = {outcome_with_waivers(r) for r in reports}
    for outcome in ORDER:
        if outcome in got:
            return outcome  # type: ignore[return-value]
    return "not-run"


def assess(scheme: Scheme, runs: dict[str, list[dict[str, Any]]], most: int = 5,
           absent: dict[str, tuple[PillarOutcome, str]] | None = None,
           waivers: Any = None, today: Any = None) -> Assessment:
    """``runs``: pillar id -> the report.json documents of the runs that judged it (none: the
    pillar was not run). ``absent``: pillar id -> (not-applicable or not-run, why) for the
    pillars nothing was run for (the target has no such interface, or does not allow load)."""
    applied = None
    if waivers is not None:  # a FAIL a valid waiver covers is WAIVED (never a PASS)
        from datetime import date

        from .waivers import apply
        runs, applied = apply(runs, waivers, today or date.today())
    results = []
    absent = absent or {}
    for pid, pillar in scheme.pillars.items():
        reports = runs.get(pid, [])
        outcome, why = absent.get(pid, ("not-run", None))
        results.append(PillarResult(
            pillar=pid, title=pillar.title, why=why,
            outcome=pillar_outcome(reports) if reports else outcome,
            runs=[{"profile": r["run"]["profile"], "version": r["run"]["profile_version"],
                   "outcome": r["summary"]["outcome"], "reason": r["summary"].get("reason")}
                  for r in reports]))
    risk = None
    knees: list[int] = []
    for pid, pillar in scheme.pillars.items():
        for r in runs.get(pid, []):
            if pillar.kind == "lock-in" and (r.get("score") or {}).get("value") is not None:
                risk = max(risk or 0.0, float(r["score"]["value"]))
            if pillar.kind == "load":
                knee = (r.get("load") or {}).get("knee")
                knees.append(int(knee["users"]) if knee else 0)
    knee_users = (min(knees) or None) if knees else None  # the weakest interface counts
    st = standing(scheme, {p.pillar: p.outcome for p in results}, risk, knee_users)
    # what to fix first: the failing MUST rows of the pillars the lowest unreached level needs
    order: list[str] = []
    for lv in st.levels:
        if lv.verdict != "reached":
            order += [p for p in scheme.needs(lv.level).pillars if p not in order]
    order += [p for p in scheme.pillars if p not in order]
    fixes: list[Fix] = []
    for pid in order:
        for r in runs.get(pid, []):
            for row in r["rows"]:
                if row.get("level") == "MUST" and row["verdict"] == "FAIL" and \
                        all(f.requirement != row["requirement"] for f in fixes):
                    fixes.append(Fix(pillar=pid, requirement=row["requirement"],
                                     what=row.get("message") or ""))
    return Assessment(scheme=scheme.id, scheme_version=scheme.version, pillars=results,
                      lockin_risk=risk, knee_users=knee_users, standing=st, fixes=fixes[:most],
                      waivers=applied.model_dump() if applied is not None else None)


def certification_doc(scheme: Scheme, a: Assessment, *, target: str, target_source: str,
                      runs: list[dict[str, Any]], date: str | None = None) -> dict[str, Any]:
    """certification.json's document: the assessment with what was run, on what, and when."""
    from datetime import datetime, timezone

    from . import __version__
    return {"certification": "oupcheck", "suite_version": __version__,
            "reached_with_waivers": a.standing.reached_with_waivers,
            "date": date or datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "target": target, "target_source": target_source,
            "profiles": scheme.profile_versions, "runs": runs, **a.model_dump(mode="json")}


# -- oupcheck certify: run the scheme's profiles against one target file -----------------
HTTP_KINDS = ("http", "ogc-api-features", "ngsi-ld", "sensorthings")
RUN_TIMEOUT_S = 3600


def plan(scheme: Scheme, target: Any) -> tuple[list[tuple[str, str, Any]],
                                                dict[str, tuple[PillarOutcome, str]]]:
    """What certify runs: (pillar, profile, interface) for each profile of each pillar that
    applies, and the pillars that do not, with why. A pillar of interface kind K runs on the
    target's first K interface; one of kind "any" on every HTTP interface (each judged); a load
    pillar only when the target file sets allows_load, each load profile on the interface of
    its own kind."""
    from .profile import load_profile
    runs: list[tuple[str, str, Any]] = []
    absent: dict[str, tuple[PillarOutcome, str]] = {}
    ifaces = target.spec.interfaces
    for pid, pillar in scheme.pillars.items():
        if pillar.kind == "load" and not target.spec.allows_load:
            absent[pid] = ("not-run", "the target file does not allow load (allows_load)")
            continue
        planned = []
        for ref in scheme.profiles(pid):
            kind = pillar.interface
            if kind == "any" and pillar.kind == "load":
                kind = load_profile(ref).interface or "http"
            if kind == "any":
                on = [i for i in ifaces if i.kind in HTTP_KINDS]
            else:
                on = [i for i in ifaces if i.kind == kind][:1]
            planned += [(pid, ref, i) for i in on]
        if planned:
            runs += planned
        else:
            absent[pid] = ("not-applicable", f"the target has no {pillar.interface} interface")
    return runs, absent


def certify(scheme_ref: str, target_ref: str, out: Path, *, quiet: bool = False,
            profile_paths: list[str] | None = None, data_dirs: list[str] | None = None,
            waivers_file: str | None = None, lang: str = "en",
            key_file: str | None = None) -> int:
    """Run every applicable profile of the scheme (each in its own process, its report in
    OUT/runs/), judge the certification, and write OUT/certification.json; the folder appears
    only when complete, with the readable report (certification.html and .pdf in ``lang``),
    the evidence bundle (runs/ and profiles/ with manifest.json), badge.svg and
    certificate.json, signed into certificate.jws with ``key_file``. Exit 0: a level is
    reached; 1: none (a MUST fails); 3: undecided."""
    import os
    import shutil
    import subprocess
    import sys

    from .errors import UsageError
    from .report import staging_dir
    from .scheme import load_scheme
    from .target import dump_target, load_target
    scheme = load_scheme(scheme_ref, [Path(p) for p in profile_paths or []])
    if "://" in target_ref:
        raise UsageError("certify needs a target file naming each interface of the platform "
                         "with its kind ('oupcheck discover URL --out target.yaml' writes one)",
                         source=target_ref, field="--target")
    target = load_target(target_ref)
    if key_file:  # a bad key is a usage error before anything runs
        from .certificate import load_key
        load_key(key_file, private=True)
    waivers = None
    if waivers_file:
        from .waivers import load_waivers
        waivers = load_waivers(waivers_file)
    staging = staging_dir(out)
    try:
        todo, absent = plan(scheme, target)
        reports: dict[str, list[dict[str, Any]]] = {}
        done = []
        for n, (pid, ref, iface) in enumerate(todo, 1):
            folder = staging / "runs" / f"{n:02d}-{pid}-{ref}"
            spec = target.spec.model_copy(update={"interfaces": [iface] + [
                i for i in target.spec.interfaces if i is not iface]})
            tfile = staging / "runs" / f"{n:02d}-target.yaml"
            tfile.parent.mkdir(parents=True, exist_ok=True)
            tfile.write_text(dump_target(spec), encoding="utf-8")
            verb = "load" if scheme.pillars[pid].kind == "load" else "run"
            argv = [sys.executable, "-m", "oupcheck.cli", verb, "--profile", ref, "--target",
                    str(tfile), "--out", str(folder), "--quiet"]
            for d in profile_paths or []:
                argv += ["--profile-path", d]
            for d in (data_dirs or []) if verb == "run" else []:
                argv += ["--data-dir", d]
            if not quiet:
                print(f"oupcheck certify: {pid}: {ref} on {iface.url}", file=sys.stderr)
            try:  # each run is bounded by its own budget; this bounds a run that hangs anyway
                proc = subprocess.run(argv, capture_output=True, text=True,
                                      env=dict(os.environ), timeout=RUN_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                raise RuntimeError(f"{ref} on {iface.url} did not finish within "
                                   f"{RUN_TIMEOUT_S} s") from None
            doc = folder / "report.json"
            if not doc.is_file():
                raise RuntimeError(f"{ref} on {iface.url} wrote no report (exit "
                                   f"{proc.returncode}): {proc.stderr.strip()[-300:]}")
            report = json.loads(doc.read_text("utf-8"))
            reports.setdefault(pid, []).append(report)
            done.append({"pillar": pid, "profile": ref, "interface": iface.url,
                         "report": str(Path("runs") / folder.name / "report.json"),
                         "outcome": report["summary"]["outcome"]})
        a = assess(scheme, reports, absent=absent, waivers=waivers)
        doc = certification_doc(scheme, a, target=target.spec.name,
                                target_source=target.source, runs=done)
        (staging / "certification.json").write_text(
            json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        pdf_note = finish(staging, doc, scheme, profile_paths, lang, key_file)
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    reached = a.standing.reached
    lines = [f"{scheme.id} {scheme.version}: " + (f"level {reached} reached" if reached else
                                                  "no level reached")
             + (" with waivers" if a.standing.reached_with_waivers else "")]
    for w in (a.waivers or {}).get("waived", []):
        lines.append(f"  WAIVED {w['requirement']} until {w['expires']} (accepted by "
                     f"{w['accepted_by']}: {w['reason']})")
    for w in (a.waivers or {}).get("expired", []):
        lines.append(f"  waiver expired on {w['expires']}: {w['requirement']} FAILs again")
    for lv in a.standing.levels:
        if lv.verdict != "reached":
            lines.append(f"  {lv.level}: {lv.verdict}: " + "; ".join(lv.reasons[:3]))
    if pdf_note:
        lines.append(f"  no PDF: {pdf_note}")
    signed = " signed in certificate.jws" if key_file else " (not signed: no --sign-key)"
    lines.append(f"Report: {out / 'certification.html'}" + ("" if pdf_note else
                 " (certification.pdf)") + f"; certificate: {out / 'certificate.json'}{signed}")
    print("\n".join(lines) + f"\nCertification: {out / 'certification.json'}")
    if reached:
        return 0
    return 3 if a.standing.levels[0].verdict == "undecided" else 1


def finish(folder: Path, doc: dict[str, Any], scheme: Scheme, profile_paths: list[str] | None,
           lang: str, key_file: str | None) -> str | None:
    """Everything a certification folder holds beside certification.json: the profile and
    scheme files used (profiles/), the manifest of the evidence bundle, the HTML and PDF
    report, the badge, and the (signed) certificate. Returns why no PDF was written, if not."""
    import shutil

    from oupcheck.reports.certification import render_certification, write_pdf

    from .certificate import BADGE, badge_svg, certificate_doc, sign, write_manifest
    from .profile import load_profile
    extra = [Path(p) for p in profile_paths or []]
    used: dict[str, Path] = {}
    pdir = folder / "profiles"
    pdir.mkdir(exist_ok=True)
    sfile = pdir / f"scheme-{scheme.id}-{scheme.version}.yaml"
    shutil.copyfile(scheme.source, sfile)
    used[f"scheme:{scheme.id}@{scheme.version}"] = sfile
    for run in doc["runs"]:
        for ref in load_profile(run["profile"], extra).lineage:
            if ref in used:
                continue
            prof = load_profile(ref.split("@", 1)[0], extra)
            dest = pdir / f"{prof.id}-{prof.version}.yaml"
            shutil.copyfile(prof.source, dest)
            used[ref] = dest
    write_manifest(folder)
    html = render_certification(doc, folder, lang, scheme)
    (folder / "certification.html").write_text(html, encoding="utf-8")
    pdf_note = None
    try:
        write_pdf(html, folder / "certification.pdf", folder)
    except Exception as exc:  # noqa: BLE001 - the PDF is a rendering; the record stands
        # (WeasyPrint needs Pango, Debian libpango-1.0-0: without it, ImportError or OSError)
        first = (str(exc).splitlines() or [type(exc).__name__])[0][:160]
        pdf_note = f"WeasyPrint could not lay it out ({type(exc).__name__}: {first})"
    st = doc["standing"]
    (folder / BADGE).write_text(badge_svg(
        scheme.id, scheme.version, st["reached"], bool(doc.get("reached_with_waivers")),
        bool(st["levels"]) and st["levels"][0]["verdict"] == "undecided"), encoding="utf-8")
    sign(folder, certificate_doc(folder, doc, used), key_file)
    return pdf_note
