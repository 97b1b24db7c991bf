"""pytest plugin: selects checks by profile, maps outcomes to verdicts, writes the report.

Inert unless ``--oup-target`` (or ``--oup-lint``) is given, so it can sit in
any pytest run. The CLI (``oupcheck run``) drives it; CI pipelines may call
pytest directly with the same options.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from . import __version__
from .data import DataFiles, DataUnavailable
from .errors import BudgetSpent, NotRecorded, TransportError, UsageError
from .evidence import EvidenceStore
from .http import DEFAULT_IN_FLIGHT, BodyUnusable, EvidenceClient
from .mqttwire import WireError
from .profile import Profile, all_profiles, load_profile
from .report import staging_dir
from .target import Target, load_target
from .verdicts import Inconclusive, Outcome, Verdict, begin_check, end_check, short

RUN_KEY = pytest.StashKey["Run"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    g = parser.getgroup("oupcheck", "oupcheck conformance run")
    g.addoption("--oup-profile", help="profile ID or path to a profile YAML")
    g.addoption("--oup-target", help="target URL or target YAML file")
    g.addoption("--oup-out", help="output directory for report.json and the other files")
    g.addoption("--oup-only", action="append", default=[],
                help="run only this requirement ID (repeatable)")
    g.addoption("--oup-data-dir", action="append", default=[],
                help="directory with published schemas/contexts (repeatable)")
    g.addoption("--oup-profile-path", action="append", default=[],
                help="extra directory to look for profiles in")
    g.addoption("--oup-budget", type=float, default=None,
                help="run budget in seconds (overrides the profile's run_budget_s)")
    g.addoption("--oup-in-flight", type=int, default=None,
                help="requests in flight at once (overrides the profile's max_in_flight)")
    g.addoption("--oup-replay", default=None,
                help="judge again: answer every request from this run folder's evidence, "
                     "send nothing to the network")
    g.addoption("--oup-lint", action="store_true",
                help="collect only: check that every check names known requirements")


MAX_IN_FLIGHT = 16  # a conformance suite probes; it does not load-test by the back door
DEFAULT_BUDGET_S = 600.0  # a conformance run that needs more than ten minutes is not one
SLOW_RESPONSE_S = 1.0
# sampling parameters and their floor on a slow target: one collection, one or two pages,
# a few paths; enough to judge every row once, not every item
SAMPLING_FLOOR = {"max_collections": 1, "max_pages": 1, "max_features_scan": 20,
                  "max_openapi_paths": 3, "max_external_refs": 2, "max_types": 1,
                  "sample_per_type": 2, "fuzz_examples": 10}


class Run:
    """Everything one certification run shares (read-only for the checks)."""

    def __init__(self, profile: Profile, target: Target, out: Path | None, only: list[str],
                 data_dirs: list[Path], budget_s: float | None = None, replay: Any = None,
                 in_flight: int | None = None):
        self.profile = profile
        self.replay = replay  # a replay.Replay: judging a recorded run again
        self.target = target
        self.out = out
        self.only = set(only)
        unknown = self.only - set(profile.requirements)
        if unknown:
            raise UsageError(f"not in profile {profile.id}: {', '.join(sorted(unknown))}",
                             field="--only")
        self.interface = pick_interface(profile, target)
        self.staging: Path | None = None
        sink = None
        if out is not None:
            self.staging = staging_dir(out)
            sink = (self.staging / "evidence.jsonl").open("w", encoding="utf-8")
        self.sink = sink
        self.store = EvidenceStore(sink, store_bytes=target.spec.limits.evidence_store_bytes)
        client_kw = dict(base_url=self.interface.url,
                         credential=target.credential(self.interface.credential),
                         secrets=target.secrets, verify=_verify(target))
        if replay is not None:
            from .replay import ReplayClient
            self.client: EvidenceClient = ReplayClient(replay, self.store, target.spec.limits,
                                                       **client_kw)
        else:
            self.client = EvidenceClient(self.store, target.spec.limits, **client_kw)
        self.store.body_redactor = self.client.redactor
        self.data = DataFiles(profile.resources, data_dirs)
        self.started = datetime.now(timezone.utc)
        self.t0 = time.monotonic()
        self.budget_s = float(budget_s if budget_s is not None else
                              self.param("run_budget_s", DEFAULT_BUDGET_S))
        if self.budget_s <= 0:
            raise UsageError(f"must be a positive number of seconds, not {self.budget_s:g}",
                             field="--budget" if budget_s is not None else "run_budget_s")
        self.client.budget_s = self.budget_s
        self.in_flight = int(in_flight if in_flight is not None else
                             self.param("max_in_flight", DEFAULT_IN_FLIGHT))
        if not 1 <= self.in_flight <= MAX_IN_FLIGHT:
            raise UsageError(f"must be a whole number from 1 to {MAX_IN_FLIGHT}, not "
                             f"{self.in_flight}",
                             field="--in-flight" if in_flight is not None else "max_in_flight")
        # the run's own name in what it creates (MQTT client ids and topics): a run judged
        # again uses the judged run's, so that its conversations are found
        self.tag = (replay.inputs.get("tag") if replay is not None else None) or \
            uuid.uuid4().hex[:8]
        # what the checks learn while running that judging again needs (a receiver's address)
        self.facts: dict[str, Any] = {}
        self.budget_arg = budget_s  # --budget as given (None: the profile's), for run-inputs
        # judging again answers from the recordings: one at a time, in the recorded order
        self.client.in_flight = 1 if replay is not None else self.in_flight
        if self.staging is not None:
            self.write_inputs()
        # judging again takes no time on the target: the recorded refusals are replayed instead
        self.client.budget_ends = None if replay is not None else self.t0 + self.budget_s
        self.budget_spent_at: float | None = None  # seconds into the run
        self.not_run: list[str] = []  # checks that never started: the budget was spent
        self.reduced: dict[str, tuple[Any, Any]] = {}  # sampling parameter -> (profile, used)
        self.unreachable: str | None = None
        self.preflight_id: str | None = None
        self.declared: list[str] | None = None
        self.declaration_id: str | None = None
        self.declaration_note: str | None = None
        self.claimed_by_file = set(target.spec.claims.conformance_classes)
        self.results: list[dict[str, Any]] = []
        self.selected: list[str] = []
        self.report: dict[str, Any] | None = None
        self.cleanup_left: list[str] = []  # ids of test objects a write check could not delete
        self.observations: dict[str, str] = {}  # test -> what a passing check saw (its message)
        self.ledgers: dict[str, Any] = {}  # test -> verdicts.Ledger: what the check judged
        self.exit_code: int | None = None

    def write_inputs(self) -> None:
        """run-inputs.json: what ``oupcheck rejudge`` needs to judge this run again (the target
        file as loaded, without secret values: credentials name environment variables)."""
        assert self.staging is not None
        spec = self.target.spec.model_dump(mode="json")
        doc = {"profile": self.profile.id, "profile_version": self.profile.version,
               "profile_source": str(self.profile.source), "target_source": self.target.source,
               "target": spec, "secret_names": sorted(self.target.secrets),
               "only": sorted(self.only), "budget_s": self.budget_arg,
               "in_flight": self.in_flight,
               "tag": self.tag, "facts": self.facts,
               "judged_again_from": str(self.replay.run_dir) if self.replay else None}
        if self.replay is not None:  # the run judged again keeps the original's inputs
            doc["target"] = self.replay.inputs["target"]
            doc["target_source"] = self.replay.inputs.get("target_source")
            doc["facts"] = self.replay.inputs.get("facts") or {}
        (self.staging / "run-inputs.json").write_text(
            json.dumps(self.client.redactor.document(doc), ensure_ascii=False, indent=1) + "\n",
            encoding="utf-8")

    def remember(self, key: str, value: Any) -> None:
        """Keep a fact of this run in run-inputs.json (for ``oupcheck rejudge``)."""
        self.facts[key] = value
        if self.staging is not None:
            self.write_inputs()

    def recalled(self, key: str) -> Any:
        """A fact the judged run kept (while judging again), else None."""
        return ((self.replay.inputs.get("facts") or {}) if self.replay is not None
                else self.facts).get(key)

    def param(self, name: str, default: Any) -> Any:
        value = self.profile.param(name, default)
        floor = SAMPLING_FLOOR.get(name)
        if floor is not None and isinstance(value, (int, float)) and value > floor \
                and self.pace()[0]:
            self.reduced[name] = (value, floor)
            return floor
        return value

    def pace(self) -> tuple[bool, float, int]:
        """(slow, median seconds, answers counted) over the target's last 20 answers: a
        target is slow when its median answer takes longer than slow_response_s."""
        times = [ex.elapsed_ms / 1000 for ex in list(self.store.by_id.values())[-40:]
                 if ex.kind == "http" and ex.elapsed_ms is not None and ex.status is not None][-20:]
        if len(times) < 3:
            return False, (sorted(times)[len(times) // 2] if times else 0.0), len(times)
        median = sorted(times)[len(times) // 2]
        limit = float(self.profile.param("slow_response_s", SLOW_RESPONSE_S))
        return median > limit, median, len(times)

    def budget_left(self) -> float:
        return self.budget_s - (time.monotonic() - self.t0)

    def observe(self, text: str) -> None:
        """What the running check saw, reported as its message when it passes (a FAIL or
        another verdict keeps its own message)."""
        if self.store.current_test:
            self.observations[self.store.current_test] = short(text, 600)

    def claimed(self, class_uri: str | None) -> bool:
        if class_uri is None:
            return True
        return class_uri in self.claimed_by_file or class_uri in (self.declared or [])

    def preflight(self) -> None:
        if self.interface.kind == "mqtt":
            self._preflight_mqtt()
            return
        try:
            ex = self.client.get(self.interface.url, note="pre-flight: is the target reachable?")
            self.preflight_id = ex.id
        except TransportError as exc:
            self.unreachable = str(exc)
            if "CERTIFICATE_VERIFY_FAILED" in str(exc):
                self.unreachable += (" (to probe it anyway, set tls.verify: false or tls.ca_file "
                                     "in a target file; the TLS rows judge the certificate)")
            self.preflight_id = exc.exchange_id
            self.client.dead_reason = f"unreachable at pre-flight: {exc}"
            return
        decl = self.profile.declaration
        if decl is None:
            return
        try:
            ex = self.client.get(decl.path, accept="application/json",
                                 note="conformance declaration (decides applicability)")
            self.declaration_id = ex.id
            doc = EvidenceClient.json(ex) if ex.status == 200 else None
            value = _pointer(doc, decl.json_pointer) if doc is not None else None
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                self.declared = value
            else:
                self.declaration_note = (f"no list of class URIs at {decl.json_pointer} of "
                                         f"{decl.path} (HTTP {ex.status})")
        except (TransportError, BodyUnusable) as exc:
            self.declaration_note = f"conformance declaration unreadable: {exc}"


    def _preflight_mqtt(self) -> None:
        """An MQTT interface is reachable when its broker answers a CONNECT with a CONNACK."""
        from .mqttclient import Broker
        timeout = float(self.param("timeout_s", 5))
        try:
            broker = Broker.for_interface(self.target, self.interface, self.store,
                                          tag="preflight", timeout=timeout)
            ok, seen = broker.accepts_connect("pre-flight: does the broker answer CONNECT?")
        except WireError as exc:
            # not an MQTT server (or a broken one): no MQTT row can be judged
            self.unreachable = f"{self.interface.url}: answered CONNECT with {exc}"
        except (TransportError, ValueError) as exc:
            self.unreachable = str(exc)
            if "CERTIFICATE_VERIFY_FAILED" in str(exc):
                self.unreachable += (" (to probe it anyway, set tls.verify: false or tls.ca_file "
                                     "in a target file)")
        else:
            if not ok and "without CONNACK" in seen:
                self.unreachable = f"{self.interface.url}: {seen}"
        self.preflight_id = f"E{self.store.count:05d}"
        if self.unreachable:
            self.client.dead_reason = f"unreachable at pre-flight: {self.unreachable}"


def pick_interface(profile: Profile, target: Target) -> Any:
    """The target's interface the profile probes; a usage error when it has none."""
    iface = target.interface(profile.interface) or target.interface(None)
    if profile.interface and iface.kind not in (profile.interface, "http"):
        raise UsageError(f"target has no {profile.interface} interface "
                         f"(it lists: {', '.join(i.kind for i in target.spec.interfaces)})",
                         source=target.source, field="interfaces")
    return iface


def _verify(target: Target) -> bool | str:
    tls = target.spec.tls
    if not tls.verify:
        import urllib3
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        return False
    return tls.ca_file or True


def _pointer(doc: Any, pointer: str) -> Any:
    cur = doc
    for part in [p for p in pointer.split("/") if p]:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            return None
    return cur


def requirement_ids(item: pytest.Item) -> list[str]:
    ids: list[str] = []
    for m in item.iter_markers("requirement"):
        ids.extend(m.args)
    return ids


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "requirement(*ids): requirement IDs this check verifies")
    target_ref = config.getoption("--oup-target", None)
    if not target_ref or config.getoption("--oup-lint", False):
        return
    try:
        extra = [Path(p) for p in config.getoption("--oup-profile-path")]
        profile_ref = config.getoption("--oup-profile")
        if not profile_ref:
            raise UsageError("missing --profile")
        profile = load_profile(profile_ref, extra)
        replay = None
        if config.getoption("--oup-replay", None):
            from .replay import Replay, replay_target
            replay = Replay(Path(config.getoption("--oup-replay")))
            target = replay_target(replay.run_dir, replay.inputs)
        else:
            target = load_target(target_ref, profile.interface)
        out = config.getoption("--oup-out")
        run = Run(profile, target, Path(out) if out else None, config.getoption("--oup-only"),
                  [Path(p) for p in config.getoption("--oup-data-dir")],
                  budget_s=config.getoption("--oup-budget", None), replay=replay,
                  in_flight=config.getoption("--oup-in-flight", None))
    except UsageError as exc:
        raise pytest.UsageError(exc.one_line()) from None
    config.stash[RUN_KEY] = run
    if replay is not None:
        from .replay import NetworkGuard
        replay.current_test = lambda: run.store.current_test
        run.guard = NetworkGuard(replay).__enter__()
        from .mqttclient import Broker
        Broker.replay = replay  # MQTT conversations are answered from the recordings


def get_run(config: pytest.Config) -> Run | None:
    return config.stash.get(RUN_KEY, None)


def pytest_sessionstart(session: pytest.Session) -> None:
    run = get_run(session.config)
    if run is not None:
        run.preflight()


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    lint = config.getoption("--oup-lint", False)
    run = get_run(config)
    if not lint and run is None:
        return
    known: set[str] = set()
    extra = [Path(p) for p in config.getoption("--oup-profile-path")]
    for prof in all_profiles(extra):
        known.update(prof.requirements)
    problems = []
    for item in items:
        ids = requirement_ids(item)
        if not ids:
            problems.append(f"{item.nodeid}: no @requirement marker")
        for rid in ids:
            if rid not in known:
                problems.append(f"{item.nodeid}: unknown requirement {rid}")
    if problems:
        raise pytest.UsageError("; ".join(problems[:5]))
    if run is None:
        return
    wanted = run.only or set(run.profile.requirements)
    keep, drop = [], []
    for item in items:
        # an unreachable target: no check runs, every row says so once (report.py)
        (keep if wanted & set(requirement_ids(item)) and not run.unreachable else drop
         ).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
    items[:] = keep
    run.selected = [rid for rid in run.profile.requirements if rid in wanted]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """A check that would start after the run budget is spent does not start."""
    run = get_run(item.config)
    if run is not None and run.budget_left() <= 0:
        if run.budget_spent_at is None:
            run.budget_spent_at = round(time.monotonic() - run.t0, 1)
        run.not_run.append(item.nodeid)
        raise Inconclusive(
            f"run budget spent after {run.budget_spent_at:g} s (run_budget_s="
            f"{run.budget_s:g}): this check was not run",
            decide="raise the budget (--budget or the profile's run_budget_s), or make the "
                   "target answer faster")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    run = get_run(item.config)
    if run is not None:
        run.store.begin(item.nodeid)
        run.ledgers[item.nodeid] = begin_check()
    yield
    if run is not None:
        end_check()
        run.store.end()


def classify(excinfo: pytest.ExceptionInfo | None) -> dict[str, Any]:
    """Map a check's outcome to a verdict. Only the judgement (``CheckFailed``, or a body the
    platform answered with success but that cannot be read) may FAIL a platform; anything the
    suite's own code or a library raised is ERROR."""
    if excinfo is None:
        return {"verdict": Verdict.PASS, "message": "requirement met"}
    exc = excinfo.value
    if isinstance(exc, Outcome):
        out = {"verdict": exc.verdict, "message": exc.message, "evidence_pinned": exc.evidence,
               "pinned_requirement": exc.requirement, "decide": getattr(exc, "decide", None)}
        if exc.verdict is Verdict.FAIL:
            out["expected"] = short(getattr(exc, "expected", None))
            out["actual"] = short(getattr(exc, "actual", None))
        return out
    if isinstance(exc, NotRecorded):
        return {"verdict": Verdict.INCONCLUSIVE, "message": str(exc),
                "evidence_pinned": [exc.exchange_id] if exc.exchange_id else [],
                "decide": "run the new profile against the platform itself"}
    if isinstance(exc, BudgetSpent):
        return {"verdict": Verdict.INCONCLUSIVE,
                "message": f"run budget spent while the check ran: {exc}",
                "evidence_pinned": [exc.exchange_id] if exc.exchange_id else [],
                "decide": "raise the budget (--budget or the profile's run_budget_s), or make "
                          "the target answer faster"}
    if isinstance(exc, TransportError):
        return {"verdict": Verdict.ERROR, "message": f"network: {exc}",
                "evidence_pinned": [exc.exchange_id] if exc.exchange_id else [],
                "decide": "make the target reachable from this machine and run again"}
    if isinstance(exc, BodyUnusable):
        ex = exc.exchange
        if ex.body_capped:
            return {"verdict": Verdict.INCONCLUSIVE, "message": str(exc),
                    "evidence_pinned": [ex.id],
                    "decide": "raise limits.max_body_bytes in the target file"}
        if exc.limit:
            return {"verdict": Verdict.INCONCLUSIVE, "message": f"{ex.summary()}: {exc}",
                    "evidence_pinned": [ex.id],
                    "decide": "a person must judge the body in the evidence"}
        if ex.status is None or not 200 <= ex.status < 300:
            # a client or server error with an unreadable body: the check's own row judges the
            # status, this one cannot read what it needed
            return {"verdict": Verdict.INCONCLUSIVE,
                    "message": f"{ex.summary()}: could not judge, the answer is not a success "
                               f"and its body cannot be read ({exc})",
                    "evidence_pinned": [ex.id]}
        return {"verdict": Verdict.FAIL, "message": f"{ex.summary()}: {exc}",
                "expected": "a JSON document", "actual": short(ex.body_excerpt, 200),
                "evidence_pinned": [ex.id]}
    if isinstance(exc, WireError):
        # the server's bytes broke the MQTT packet format: the platform's fault, with the bytes
        # kept in the conversation's packet log
        return {"verdict": Verdict.FAIL, "message": str(exc),
                "expected": "well-formed MQTT control packets (MQTT 3.1.1 chapter 2, 5.0 "
                            "chapter 2; a protocol violation closes the connection, 4.8)",
                "actual": short(str(exc), 200)}
    if isinstance(exc, DataUnavailable):
        return {"verdict": Verdict.INCONCLUSIVE, "message": f"reference data missing: {exc}",
                "decide": "give --data-dir with the published files, or allow the download"}
    if isinstance(exc, pytest.skip.Exception):
        return {"verdict": Verdict.INCONCLUSIVE, "message": f"skipped: {exc.msg}"}
    tb = excinfo.traceback[-1] if excinfo.traceback else None
    where = f" at {Path(str(tb.path)).name}:{tb.lineno + 1}" if tb else ""
    # a bare AssertionError is the suite's own assert (or a library's), never a judgement
    return {"verdict": Verdict.ERROR,
            "message": f"suite error{where}: {type(exc).__name__}: {short(str(exc), 200)}",
            "decide": "a defect of oupcheck: report it with evidence.jsonl"}


def name_redirect(message: str, evidence: list[str], store: Any) -> str:
    """A row (FAIL or undecided) that rests on a redirect the client did not follow says so:
    where it led, and whether it loops or leaves the host (the check saw only a 3xx where it
    needed an answer)."""
    for eid in evidence:
        ex = store.by_id.get(eid)
        if ex is not None and ex.redirect and not ex.redirect.endswith("(followed)") \
                and ex.status and 300 <= ex.status < 400:
            if ex.redirect in (message or ""):
                return message
            return f"{message} (HTTP {ex.status} is {ex.redirect})"
    return message


def unobserved(ledger: Any, cited: list[str], store: Any) -> str | None:
    """Why a PASS must not stand: the check judged nothing, or rests on requests that were
    never sent (the circuit breaker or the request cap refused them)."""
    refused = [eid for eid in cited
               if (ex := store.by_id.get(eid)) is not None and (ex.error or "").startswith(
                   "not sent")]
    if refused:
        return (f"{len(refused)} request(s) of this check were not sent "
                f"({store.by_id[refused[0]].error}); a PASS cannot rest on them")
    if ledger is not None and ledger.empty:
        judged = f" (judged {ledger.describe()})" if ledger.items else ""
        return f"the check judged nothing{judged}: no observation supports a PASS"
    return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    run = get_run(item.config)
    if run is None:
        return
    rep = outcome.get_result()
    if call.when == "teardown" or (call.when == "setup" and call.excinfo is None):
        return
    res = classify(call.excinfo)
    ids = requirement_ids(item)
    cited = list(run.store.cited.get(item.nodeid, []))
    ledger = run.ledgers.get(item.nodeid)
    if res["verdict"] is Verdict.PASS:
        why = unobserved(ledger, cited, run.store)
        if why:
            res = {"verdict": Verdict.INCONCLUSIVE, "message": why}
    else:  # a FAIL or an undecided row that rests on a redirect says so
        res["message"] = name_redirect(res["message"],
                                       list(res.get("evidence_pinned") or []) + cited[::-1],
                                       run.store)
    refused = run.replay.refused.get(item.nodeid) if run.replay is not None else None
    if refused and res["verdict"] is not Verdict.INCONCLUSIVE:
        # the check needed the network, which judging again never uses: whatever it concluded
        # from the missing answer is no judgement of the platform
        res = {"verdict": Verdict.INCONCLUSIVE,
               "message": f"not recorded: this check needs {refused[0]}, which judging again "
                          "from evidence cannot replay",
               "evidence_pinned": res.get("evidence_pinned"),
               "decide": "run the profile against the platform itself"}
    raw = res["verdict"]
    final = raw
    classes = {run.profile.requirements[r].conformance_class for r in ids
               if r in run.profile.requirements}
    # applicability needs a declaration: read from the target, or claims in the target file
    known_claims = run.declared is not None or bool(run.claimed_by_file)
    not_claimed = [c for c in classes if known_claims and c and not run.claimed(c)
                   and run.profile.conformance_classes[c].applicability == "if-claimed"]
    message = res["message"]
    if raw is Verdict.PASS:
        if item.nodeid in run.observations:
            message = run.observations[item.nodeid]
        elif ledger is not None:
            message = f"met: judged {ledger.describe()}"
    if not_claimed:
        final = Verdict.NOT_APPLICABLE
        message = (f"class {not_claimed[0]} is not declared by the target; "
                   f"observed anyway: {raw.value} ({res['message']})")
    run.results.append({
        "test": item.nodeid, "requirements": ids, "verdict": final.value,
        "observed": raw.value, "message": message,
        "expected": res.get("expected"), "actual": res.get("actual"),
        "evidence": res.get("evidence_pinned") or cited, "cited": cited,
        "pinned_requirement": res.get("pinned_requirement"),
        "decide": res.get("decide"),
        "judged": ledger.describe() if ledger is not None else None,
        "duration_ms": round(call.duration * 1000, 1),
    })
    if final in (Verdict.NOT_APPLICABLE, Verdict.INCONCLUSIVE):
        rep.outcome = "skipped"
        rep.longrepr = (str(item.path), (item.location[1] or 0) + 1, f"{final.value}: {message}")
    elif final is Verdict.PASS and rep.outcome != "passed":
        rep.outcome = "passed"
        rep.longrepr = None


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    run = get_run(session.config)
    if run is None:
        return
    from .report import build_report, exit_code, write_outputs
    if run.sink:
        run.sink.close()
    # the report as every output shows it: redacted (messages, expected/actual and quoted
    # bodies come from the full bodies the checks read, which may echo a secret)
    run.report = run.client.redactor.document(build_report(run))
    run.exit_code = exit_code(run.report)
    if run.out is not None and run.staging is not None:
        write_outputs(run.report, run.staging, run.out, redactor=run.client.redactor)
    session.exitstatus = run.exit_code


def pytest_unconfigure(config: pytest.Config) -> None:
    run = get_run(config)
    if run is None:
        return
    if run.sink and not run.sink.closed:
        run.sink.close()
    guard = getattr(run, "guard", None)
    if guard is not None:
        guard.__exit__(None, None, None)
        from .mqttclient import Broker
        Broker.replay = None
    if run.staging is not None and run.staging.exists():
        import shutil
        shutil.rmtree(run.staging, ignore_errors=True)  # never leave a half-written report


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    run = get_run(config)
    if run is None:
        return None
    return [f"oupcheck {__version__}: profile {run.profile.id}@{run.profile.version}, "
            f"target {run.interface.url}"]


# -- fixtures available to every check -------------------------------------------------------

@pytest.fixture(scope="session")
def oup_run(request: pytest.FixtureRequest) -> Run:
    run = get_run(request.config)
    if run is None:
        pytest.skip("no --oup-target given")
    return run


@pytest.fixture(scope="session")
def http(oup_run: Run) -> EvidenceClient:
    return oup_run.client


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=1)
