"""The CLI side of a load run (no locust here): validate everything, pre-flight and discover
on the target, start the engine's process group, judge the SLO rows, build the report.

The engine runs in child processes of one process group of its own (master or local runner
first, the local workers joined to its group); the group is ended on every way out, Ctrl-C
included.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TextIO
from urllib.parse import urlsplit

from ..errors import TransportError, UsageError
from ..evidence import EvidenceStore, Redactor
from ..http import BodyUnusable, EvidenceClient, is_loopback
from ..profile import Profile, load_profile
from ..report import (EvidenceSummary, Row, add_rows, assemble, row_base, staging_dir,
                      write_outputs)
from ..target import Interface, Target, load_target
from ..verdicts import Verdict
from . import slo as slomod
from . import steps as stepsmod
from .model import Knee, LoadSection
from .scenarios import SCENARIOS, NothingToLoad, discover, effective_tasks

ENGINE = [sys.executable, "-m", "oupcheck.load.engine"]
MAX_WORKERS = 64
NOTHING_TO_LOAD = "nothing to load"


class LoadStore(EvidenceStore):
    """Evidence of a load run: IDs L00001... (apart from a conformance run's E00001...)."""

    def next_id(self) -> tuple[str, int]:
        eid, seq = super().next_id()
        return "L" + eid[1:], seq


@dataclass
class LoadJob:
    """A validated load run, before anything is sent."""
    profile: Profile
    target: Target
    interface: Interface
    workers: int = 0
    duration: float | None = None
    master_bind: str = "127.0.0.1"
    master_port: int | None = None
    remote_workers: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def redactor(self) -> Redactor:
        """The target's secrets, redacted from every file and line the load run writes."""
        return Redactor(self.target.secrets)



def prepare(profile_ref: str, target_ref: str, *, profile_paths: list[str] | None = None,
            workers: int = 0, duration: float | None = None, allow_remote: bool = False,
            master_bind: str = "127.0.0.1", master_port: int | None = None,
            remote_workers: int = 0) -> LoadJob:
    """Every input checked (UsageError: one line, exit 2) before anything is sent."""
    prof = load_profile(profile_ref, [Path(p) for p in profile_paths or []])
    if prof.load is None:
        raise UsageError(f"profile {prof.id} has no 'load:' block (a load profile is e.g. "
                         "load-ogc-api-features)", field="--profile")
    kind = SCENARIOS[prof.load.scenario].kind
    target = load_target(target_ref, kind)
    iface = target.interface(kind) or (target.interface(None) if "://" in target_ref else None)
    if iface is None:
        raise UsageError(f"target has no {kind} interface (it lists: "
                         f"{', '.join(i.kind for i in target.spec.interfaces)})",
                         source=target.source, field="interfaces")
    if (kind == "mqtt") != iface.url.startswith("mqtt"):
        raise UsageError(f"scenario {prof.load.scenario} needs a "
                         f"{'mqtt://' if kind == 'mqtt' else 'http(s)://'} URL, not {iface.url}",
                         field="--target")
    cred = target.credential(iface.credential)
    if cred is not None and cred.scheme == "query":
        raise UsageError("the load users send credentials as headers (bearer, basic, header); "
                         "a query-parameter credential is not supported", source=target.source,
                         field="credentials")
    if cred is not None and kind == "mqtt" and cred.scheme != "basic":
        raise UsageError("the MQTT load user authenticates with username and password "
                         "(scheme basic) only", source=target.source, field="credentials")
    host = urlsplit(iface.url).hostname or ""
    if not is_loopback(host) and not allow_remote:
        raise UsageError(f"{host} is not a loopback address: load runs only against targets "
                         "you name; add --allow-remote to load it", field="--target")
    if not 0 <= workers <= MAX_WORKERS:
        raise UsageError(f"must be between 0 and {MAX_WORKERS}", field="--workers")
    if not 0 <= remote_workers <= 10_000:
        raise UsageError("must be 0 or more", field="--remote-workers")
    if duration is not None and not 0 < duration <= 86_400:
        raise UsageError("must be more than 0 and at most 86400 seconds", field="--duration")
    if master_port is not None and not 0 < master_port < 65536:
        raise UsageError("not a TCP port", field="--master-port")
    return LoadJob(prof, target, iface, workers, duration, master_bind, master_port,
                   remote_workers)


# -- the plan for the engine -------------------------------------------------------------------

def make_plan(job: LoadJob, data: dict[str, Any], run_id: str) -> dict[str, Any]:
    ld = job.profile.load
    tasks, notes = effective_tasks(ld.scenario, ld.tasks, job.target.spec.writes_allowed)
    job.notes += notes
    if not tasks:
        raise NothingToLoad("no task of the mix may run against this target")
    steps = ld.steps.model_dump()
    bound = ld.max_duration_s
    if job.duration is not None:
        bound = job.duration
        users = stepsmod.user_steps(ld.steps, [job.profile.slo(r).at_users for r in ld.slos])
        per = bound / len(users) - ld.steps.settle_s - max(users) / ld.steps.spawn_rate
        if per < ld.steps.step_duration_s:
            steps["step_duration_s"] = max(1.0, round(per, 1))
            job.notes.append(f"--duration {bound:g} s: steps shortened to "
                             f"{steps['step_duration_s']:g} s")
    return {
        "scenario": ld.scenario, "base_url": job.interface.url.rstrip("/"), "tasks": tasks,
        "data": data, "wait_s": list(ld.wait_s), "steps": steps, "max_duration_s": bound,
        "max_requests": ld.max_requests, "request_timeout_s": ld.request_timeout_s,
        "slos": [job.profile.slo(r).model_dump() for r in ld.slos], "run_id": run_id,
        "workers": job.workers + job.remote_workers, "insecure": not job.target.spec.tls.verify,
        # the credential by its environment variable names only: each engine process (and a
        # remote worker) reads the secret from its own environment, never from the plan
        "auth": cred.model_dump() if (cred := job.target.credential(job.interface.credential))
        else None,
    }


# -- the engine's process group ----------------------------------------------------------------

class EngineFailed(Exception):
    pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _follow(log: Path, stop: threading.Event, quiet: bool,
            redactor: Redactor | None = None) -> None:
    """Echo the engine's progress lines while it runs (secrets redacted)."""
    pos = 0
    while True:
        done = stop.is_set()
        try:
            with log.open(encoding="utf-8", errors="replace") as fh:
                fh.seek(pos)
                for line in fh.readlines():
                    if not line.endswith("\n"):
                        break
                    pos += len(line.encode("utf-8", errors="replace"))
                    if not quiet and line.startswith("oupcheck load:"):
                        text = line.rstrip()
                        print(redactor.text(text) if redactor else text, file=sys.stderr,
                              flush=True)
        except OSError:
            pass
        if done:
            return
        stop.wait(0.3)


def run_engine(job: LoadJob, plan: dict[str, Any], work: Path, quiet: bool) -> dict[str, Any]:
    plan_file, result_file, log = work / "plan.json", work / "result.json", work / "engine.log"
    plan_file.write_text(json.dumps(plan), encoding="utf-8")
    n_workers = job.workers + job.remote_workers
    common = ["--watch-parent"]
    procs: list[subprocess.Popen] = []
    logf = log.open("ab")
    stop = threading.Event()
    follower = threading.Thread(target=_follow, args=(log, stop, quiet, job.redactor),
                                daemon=True)
    follower.start()
    try:
        if n_workers == 0:
            procs.append(subprocess.Popen(
                ENGINE + ["local", "--plan", str(plan_file), "--result", str(result_file)]
                + common, stdout=logf, stderr=subprocess.STDOUT, process_group=0))
        else:
            port = job.master_port or _free_port()
            procs.append(subprocess.Popen(
                ENGINE + ["master", "--plan", str(plan_file), "--result", str(result_file),
                          "--bind", job.master_bind, "--port", str(port),
                          "--expect-workers", str(n_workers),
                          "--worker-wait", "30" if not job.remote_workers else "300"] + common,
                stdout=logf, stderr=subprocess.STDOUT, process_group=0))
            if job.remote_workers:
                print(f"oupcheck load: master waits for {job.remote_workers} remote worker(s) at "
                      f"{job.master_bind}:{port} (oupcheck load-worker --master HOST:{port})",
                      file=sys.stderr, flush=True)
            for _ in range(job.workers):
                procs.append(subprocess.Popen(
                    ENGINE + ["worker", "--master-host", "127.0.0.1", "--master-port", str(port)]
                    + common, stdout=logf, stderr=subprocess.STDOUT,
                    process_group=procs[0].pid))
        hard = plan["max_duration_s"] + (330 if job.remote_workers else 60)
        try:
            code = procs[0].wait(timeout=hard)
        except subprocess.TimeoutExpired:
            raise EngineFailed(f"the load engine did not finish within {hard:g} s") from None
        if code != 0 or not result_file.is_file():
            tail = [ln for ln in log.read_text("utf-8", errors="replace").splitlines()
                    if ln.strip()][-1:] or ["(no output)"]
            raise EngineFailed(f"the load engine exited with {code}: {tail[0][:300]}")
        return json.loads(result_file.read_text("utf-8"))
    finally:
        stop_group(procs)
        logf.close()
        stop.set()
        follower.join(timeout=2)


def stop_group(procs: list[subprocess.Popen]) -> None:
    """End the engine's process group: SIGTERM, then SIGKILL; wait for every child."""
    if not procs:
        return
    pgid = procs[0].pid
    for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + wait
        for p in procs:
            try:
                p.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        if all(p.poll() is not None for p in procs):
            return


# -- a whole load phase: pre-flight, discovery, engine, rows -----------------------------------

@dataclass
class LoadOutcome:
    rows: list[Row]
    section: LoadSection
    unreachable: str | None
    requests: int


def _record(store: EvidenceStore, sink: TextIO | None, *, url: str, note: str, data: Any,
            error: str | None = None, curl: str = "") -> str:
    return store.probe("load-step", "LOAD", url, note=note, data=data, error=error, curl=curl,
                       started=datetime.now(timezone.utc).isoformat(timespec="seconds")).id


def _preflight(job: LoadJob, client: EvidenceClient, store: EvidenceStore,
               sink: TextIO | None) -> tuple[str | None, str | None]:
    url = job.interface.url
    if url.startswith("mqtt"):
        u = urlsplit(url)
        try:
            with socket.create_connection((u.hostname, u.port or 1883),
                                          timeout=job.target.spec.limits.connect_timeout):
                pass
            return None, _record(store, sink, url=url, note="pre-flight: the broker accepts a "
                                 "TCP connection", data={"connect": "ok"})
        except OSError as exc:
            reason = f"cannot connect to {u.hostname}:{u.port or 1883}: {exc}"
            return reason, _record(store, sink, url=url, note="pre-flight", data=None,
                                   error=reason)
    try:
        ex = client.get(url, note="pre-flight: is the target reachable before loading it?")
        return None, ex.id
    except TransportError as exc:
        return str(exc), exc.exchange_id


def load_phase(job: LoadJob, sink: TextIO | None, *, quiet: bool = False) -> LoadOutcome:
    ld = job.profile.load
    store = LoadStore(sink, redactor=job.redactor)
    client = EvidenceClient(store, job.target.spec.limits, base_url=job.interface.url,
                            credential=job.target.credential(job.interface.credential),
                            secrets=job.target.secrets,
                            verify=job.target.spec.tls.ca_file or job.target.spec.tls.verify)
    run_id = uuid.uuid4().hex[:8]
    section = LoadSection(profile=job.profile.id, scenario=ld.scenario,
                          target_url=job.interface.url, tasks=dict(ld.tasks), mode="not run")
    unreachable, pre_id = _preflight(job, client, store, sink)
    result = None
    if unreachable:
        section.error = f"target unreachable at pre-flight: {unreachable}"
    else:
        try:
            data = discover(ld.scenario, client, ld.data)
            plan = make_plan(job, data, run_id)
            section.tasks = plan["tasks"]
            with tempfile.TemporaryDirectory(prefix="oupcheck-load-") as work:
                result = run_engine(job, plan, Path(work), quiet)
        except (BodyUnusable, NothingToLoad) as exc:
            # the target's data gives the scenario nothing to request: undecided, not broken
            section.error = f"{NOTHING_TO_LOAD}: {exc}"
        except (TransportError, EngineFailed) as exc:
            section.error = f"load could not run: {exc}"
        finally:
            _cleanup(job, client, run_id)
    section.notes = job.notes
    if result is not None:
        for i, step in enumerate(result["steps"]):
            step["evidence"] = _record(
                store, sink, url=job.interface.url, data=step,
                note=f"load step {i + 1}: {step['users']} users for {step['duration_s']} s")
        section = LoadSection.model_validate({
            **section.model_dump(), "mode": result["mode"], "workers": result["workers"],
            "stopped": result["stopped"], "timeline": result["timeline"],
            "totals": result["totals"], "steps": result["steps"]})
    rows = judge_rows(job.profile, section, pre_id, store)
    n = (result or {}).get("totals", {}).get("requests", 0)
    return LoadOutcome(rows, section, unreachable, store.count + n)


def _cleanup(job: LoadJob, client: EvidenceClient, run_id: str) -> None:
    """Delete the NGSI-LD entities a batch_upsert task created (run-owned ids)."""
    ld = job.profile.load
    if ld.scenario != "ngsi-ld" or "batch_upsert" not in ld.tasks or \
            not job.target.spec.writes_allowed:
        return
    for etype in ld.data.get("types") or []:
        ids = [f"urn:ngsi-ld:{etype}:oupcheck-load-{run_id}-{n}" for n in range(1000)]
        try:
            client.request("POST", "ngsi-ld/v1/entityOperations/delete", json_body=ids,
                           note="load clean-up: delete the entities the run upserted")
        except TransportError:
            job.notes.append(f"clean-up of {etype} entities failed")


def judge_rows(prof: Profile, section: LoadSection, pre_id: str | None,
               store: EvidenceStore) -> list[Row]:
    ld = prof.load
    steps = [s.model_dump() for s in section.steps]
    slos = [prof.slo(r) for r in ld.slos]
    kn = stepsmod.knee(slos, steps)
    br = stepsmod.first_break(slos, steps)
    section.knee = Knee(**kn) if kn else None
    section.breaking_step = br
    rows = []
    for rid, req in prof.requirements.items():
        base = row_base(prof, rid)
        if not req.testable:
            rows.append(Row(**base, coverage="not-testable", verdict=Verdict.INCONCLUSIVE,
                            message=f"not black-box testable: {req.reason}"))
            continue
        if rid not in ld.slos and rid != ld.capacity:
            rows.append(Row(**base, coverage="not-covered", verdict=Verdict.INCONCLUSIVE,
                            message="not covered: not an SLO or capacity row of the load block"))
            continue
        if section.error:
            rows.append(Row(**base, coverage="checked", verdict=Verdict.INCONCLUSIVE if
                            section.error.startswith(NOTHING_TO_LOAD) else Verdict.ERROR,
                            message=section.error, evidence=[pre_id] if pre_id else [],
                            evidence_summary=_summaries(store, [pre_id])))
            continue
        if rid in ld.slos:
            j = slomod.judge(prof.slo(rid), steps, stopped=section.stopped)
        else:
            j = judge_capacity(req.thresholds, steps, kn, br, section.stopped)
        ev = [section.steps[j.step].evidence] if j.step is not None else []
        ev = [e for e in ev + ([pre_id] if pre_id else []) if e]
        rows.append(Row(**base, coverage="checked", verdict=j.verdict, message=j.message,
                        expected=j.expected, actual=j.actual, evidence=ev,
                        evidence_summary=_summaries(store, ev)
                        if j.verdict in (Verdict.FAIL, Verdict.ERROR) else []))
    return rows


def judge_capacity(thresholds: dict[str, Any], steps: list[dict[str, Any]],
                   kn: dict[str, Any] | None, br: int | None, stopped: str | None
                   ) -> slomod.Judgement:
    """The scalability row: every SLO held up to at least ``min_users`` concurrent users."""
    need = int(thresholds.get("min_users", 1))
    expected = f"every latency and error SLO holds up to at least {need} users"
    if not steps:
        return slomod.Judgement(Verdict.INCONCLUSIVE, f"no step ran ({stopped})",
                                expected=expected)
    held = [s["users"] for s in steps if s["ok"]]
    top = 0
    for s in steps:          # the concurrency up to which every step held
        if not s["ok"]:
            break
        top = s["users"]
    broke = f"; first broken at {steps[br]['users']} users ({slomod.summary(steps[br])})" \
        if br is not None else f"; no SLO broke ({stopped})"
    if kn is None:
        return slomod.Judgement(Verdict.FAIL, f"no step met every SLO{broke}",
                                expected=expected, actual="no step held", step=br)
    text = (f"knee: {kn['rps']:.1f} req/s at {kn['users']} users (p95 "
            f"{slomod.fmt('p95_ms', kn['p95_ms'])}); SLOs held up to {top} users{broke}")
    if top >= need:
        return slomod.Judgement(Verdict.PASS, text, expected=expected,
                                actual=f"held up to {top} users", step=kn["step"])
    return slomod.Judgement(Verdict.FAIL, text, expected=expected,
                            actual=f"held up to {top} users" if held else "no step held",
                            step=br if br is not None else kn["step"])


def _summaries(store: EvidenceStore, ids: list[str | None]) -> list[EvidenceSummary]:
    out = []
    for eid in ids:
        ex = store.by_id.get(eid) if eid else None
        if ex is not None:
            out.append(EvidenceSummary(id=ex.id, request=f"{ex.method} {ex.url}",
                                       status=ex.status, error=ex.error, curl=ex.curl))
    return out


# -- oupcheck load -----------------------------------------------------------------------------

def run_load(job: LoadJob, out: Path, *, quiet: bool = False) -> int:
    staging = staging_dir(out)
    started = datetime.now(timezone.utc)
    try:
        write_load_inputs(staging, job)
        with (staging / "evidence.jsonl").open("w", encoding="utf-8") as sink:
            outcome = load_phase(job, sink, quiet=quiet)
        doc = assemble(job.profile, job.target, job.interface.url, started, outcome.rows,
                       requests=outcome.requests, unreachable=outcome.unreachable,
                       load=outcome.section)
        doc = write_outputs(doc, staging, out, redactor=job.redactor)
    finally:
        import shutil
        shutil.rmtree(staging, ignore_errors=True)
    print_result(doc, out)
    return int(doc["summary"]["exit_code"])


def write_load_inputs(staging: Path, job: LoadJob, judged_again_from: str | None = None) -> None:
    """run-inputs.json of a load run: what ``oupcheck rejudge`` needs to judge its recorded
    steps again under another version of the load profile (no secret values)."""
    doc = {"kind": "load", "profile": job.profile.id, "profile_version": job.profile.version,
           "profile_source": str(job.profile.source), "target_source": job.target.source,
           "target": job.target.spec.model_dump(mode="json"),
           "secret_names": sorted(job.target.secrets), "interface_url": job.interface.url,
           "judged_again_from": judged_again_from}
    (staging / "run-inputs.json").write_text(
        json.dumps(job.redactor.document(doc), ensure_ascii=False, indent=1) + "\n",
        encoding="utf-8")


def rejudge_load(run_dir: Path, out: Path, before: dict[str, Any], inputs: dict[str, Any],
                 profile: Profile) -> dict[str, Any]:
    """Judge a load run's recorded steps again (no load, no network): each step's figures are
    held against the SLOs of ``profile``, then the SLO and capacity rows are judged as a run
    judges them. Writes the report into ``out``; returns it."""
    import shutil

    from ..replay import evidence_file, evidence_records, recorded_exchange, replay_target
    from .slo import step_ok
    if profile.load is None:
        raise UsageError(f"{profile.id} is not a load profile, and the judged run is a load "
                         "run", field="--profile")
    if before.get("load") is None:
        raise UsageError("report.json has no load section", source=str(run_dir))
    target = replay_target(run_dir, inputs)
    section = LoadSection.model_validate(before["load"])
    slos = [profile.slo(r) for r in profile.load.slos]
    for step in section.steps:
        step.ok = step_ok(slos, step.model_dump())
    store = EvidenceStore()
    pre_id = None
    records = list(evidence_records(evidence_file(run_dir)))
    for rec in records:
        store.by_id[rec["id"]] = recorded_exchange(rec)
        if pre_id is None and (rec.get("note") or "").startswith("pre-flight"):
            pre_id = rec["id"]
    rows = judge_rows(profile, section, pre_id, store)
    staging = staging_dir(out)
    try:
        (staging / "evidence.jsonl").write_text(
            "".join(json.dumps(rec, ensure_ascii=False) + "\n" for rec in records),
            encoding="utf-8")
        job = SimpleNamespace(profile=profile, target=target, redactor=Redactor(),
                              interface=SimpleNamespace(url=inputs.get("interface_url")
                                                        or section.target_url))
        write_load_inputs(staging, job, judged_again_from=str(run_dir))  # type: ignore[arg-type]
        doc = assemble(profile, target, section.target_url, datetime.now(timezone.utc), rows,
                       requests=before["run"]["requests"],
                       unreachable=before["run"].get("unreachable"), load=section)
        return write_outputs(doc, staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def print_result(doc: dict[str, Any], out: Path) -> None:
    ld = doc.get("load") or {}
    kn = ld.get("knee")
    if ld.get("error"):
        print(f"oupcheck load: {ld['error']}", file=sys.stderr)
    elif kn:
        print(f"oupcheck load: knee {kn['rps']:.1f} req/s at {kn['users']} users "
              f"({ld.get('stopped')})", file=sys.stderr)
    from ..report import outcome_lines
    lines = outcome_lines(doc)
    for extra in lines[1:]:
        print(extra, file=sys.stderr)
    print(f"{lines[0]} Report: {out / 'report.html'} ({out / 'report.json'}, evidence.jsonl, "
          "junit.xml)")


def merge_into(report_doc: dict[str, Any], outcome: LoadOutcome) -> dict[str, Any]:
    """Add the load rows and section to a conformance report (``run --with-load``)."""
    return add_rows(report_doc, outcome.rows, outcome.requests,
                    unreachable=outcome.unreachable, load=outcome.section)
