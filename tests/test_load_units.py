"""Load pillar units, offline: SLO judgements and the step search over step figures, the
profile's load block, the scenario catalogue against the locustfiles (no locust imported here:
gevent would patch the test process)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from oupcheck.errors import UsageError
from oupcheck.load import slo as slomod
from oupcheck.load import steps as stepsmod
from oupcheck.load.runner import is_loopback, judge_capacity
from oupcheck.load.scenarios import SCENARIOS, effective_tasks
from oupcheck.profile import SLO, LoadSteps, load_profile
from oupcheck.verdicts import Verdict

from .support.cli import REPO_ROOT


def step(users: int, requests: int = 500, failures: int = 0, rps: float = 100.0,
         p95: float = 50.0, p99: float = 80.0, ok: bool | None = None) -> dict:
    s = {"users": users, "requests": requests, "failures": failures, "rps": rps,
         "p95_ms": p95, "p99_ms": p99, "errors": []}
    if ok is not None:
        s["ok"] = ok
    return s


P95 = SLO(metric="p95_ms", max=100, at_users=4)
P99 = SLO(metric="p99_ms", max=200, at_users=4)
ERR = SLO(metric="error_rate", max=0.01, at_users=4)
RPS = SLO(metric="throughput_rps", min=50, at_users=4)


@pytest.mark.parametrize("slo, good, bad", [
    (P95, step(4, p95=99), step(4, p95=101)),
    (P99, step(4, p99=200), step(4, p99=250)),
    (ERR, step(4, failures=5), step(4, failures=6)),
    (RPS, step(4, rps=50), step(4, rps=49.9)),
])
def test_each_slo_passes_and_fails_on_its_figure(slo, good, bad):
    ok = slomod.judge(slo, [step(2), good])
    ko = slomod.judge(slo, [step(2), bad])
    assert ok.verdict is Verdict.PASS and ok.step == 1
    assert ko.verdict is Verdict.FAIL and ko.step == 1
    # a FAIL cites the threshold and the measured figures
    assert slomod.bound_text(slo) == ko.expected and "requests" in ko.actual


def test_slo_is_judged_at_its_own_concurrency_only():
    steps = [step(2, p95=10), step(4, p95=500), step(6, p95=10)]
    assert slomod.judge(P95, steps).verdict is Verdict.FAIL
    assert slomod.judge(P95, [step(2), step(6)]).verdict is Verdict.INCONCLUSIVE


def test_too_few_requests_for_a_p99_is_inconclusive_with_the_reason():
    j = slomod.judge(P99, [step(4, requests=60)])
    assert j.verdict is Verdict.INCONCLUSIVE and "needs at least 100" in j.message
    assert slomod.judge(SLO(metric="p99_ms", max=200, at_users=4, min_requests=50),
                        [step(4, requests=60)]).verdict is Verdict.PASS


def test_every_request_failed_is_an_error_for_latency_and_a_fail_for_errors():
    dead = step(4, requests=100, failures=100)
    dead["errors"] = [{"request": "GET items", "error": "ConnectionRefusedError", "occurrences": 100}]
    assert slomod.judge(P95, [dead]).verdict is Verdict.ERROR
    assert "ConnectionRefusedError" in slomod.judge(P95, [dead]).message
    assert slomod.judge(ERR, [dead]).verdict is Verdict.FAIL


def test_step_search_stops_after_a_break_beyond_every_slo_concurrency():
    slos = [P95, ERR, RPS]
    assert not stepsmod.should_stop(slos, [step(2, p95=500)])      # 4 users not measured yet
    assert stepsmod.should_stop(slos, [step(2), step(4, p95=500)])
    assert not stepsmod.should_stop(slos, [step(2), step(4, rps=1)])  # throughput never stops it


def test_knee_is_the_highest_throughput_step_that_held():
    steps = [step(2, rps=100), step(4, rps=180), step(6, rps=210, p95=150), step(8, rps=190)]
    kn = stepsmod.knee([P95], steps)
    assert kn["users"] == 8 and kn["rps"] == 190
    assert stepsmod.first_break([P95], steps) == 2
    assert stepsmod.knee([P95], [step(2, p95=900)]) is None


def test_user_steps_include_every_slo_concurrency():
    cfg = LoadSteps(start_users=2, step_users=4, max_users=12)
    assert stepsmod.user_steps(cfg, [8, 20]) == [2, 6, 8, 10, 12, 20]


def test_histogram_difference_keeps_only_the_step():
    assert stepsmod.histogram_diff({"10": 5, "20": 1}, {"10": 7, "20": 1, "30": 2}) == \
        {10: 2, 30: 2}


def test_capacity_row_needs_every_slo_to_hold_up_to_min_users():
    steps = [step(2, ok=True), step(4, ok=True, rps=180), step(6, ok=False)]
    kn = {"step": 1, "users": 4, "rps": 180.0, "p95_ms": 50.0, "p99_ms": 80.0}
    assert judge_capacity({"min_users": 4}, steps, kn, 2, "x").verdict is Verdict.PASS
    ko = judge_capacity({"min_users": 6}, steps, kn, 2, "x")
    assert ko.verdict is Verdict.FAIL and "first broken at 6 users" in ko.message
    assert judge_capacity({"min_users": 1}, [step(2, ok=False)], None, 0, "x").verdict \
        is Verdict.FAIL


def test_write_tasks_run_only_where_writes_are_allowed():
    tasks = {"query_type": 3, "batch_upsert": 1}
    assert effective_tasks("ngsi-ld", tasks, False)[0] == {"query_type": 3}
    assert effective_tasks("ngsi-ld", tasks, True)[0] == tasks


def test_loopback_names():
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("192.0.2.1") and not is_loopback("city.example")


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_catalogue_matches_the_locustfile(name):
    """Every task of the catalogue is a method of the scenario's user class, and back."""
    sc = SCENARIOS[name]
    tree = ast.parse((REPO_ROOT / "load" / sc.file).read_text("utf-8"))
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == sc.user_class)
    public = {f.name for f in cls.body if isinstance(f, ast.FunctionDef)
              and not f.name.startswith("_") and f.name not in ("on_start", "on_stop")}
    assert public == set(sc.tasks)


@pytest.mark.parametrize("pid", ["load-ogc-api-features", "load-ngsi-ld", "load-sensorthings",
                                 "load-mqtt"])
def test_bundled_load_profiles_have_every_slo_kind(pid):
    prof = load_profile(pid)
    metrics = {prof.slo(r).metric for r in prof.load.slos}
    assert metrics == {"p95_ms", "p99_ms", "error_rate", "throughput_rps"}
    assert prof.load.capacity == "EIPSCC-RS-ARCH-4"


def _profile(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "p.yaml"
    p.write_text("id: bad\nversion: 1.0.0\ntitle: t\nextends: [load-ogc-api-features]\n" + body)
    return p


@pytest.mark.parametrize("body, needle", [
    ("load:\n  scenario: ogc-api-features\n  tasks: {fly: 1}\n  slos: [EIPSCC-RS-ARCH-4]\n",
     "unknown task(s) fly"),
    ("load:\n  scenario: ogc-api-features\n  tasks: {item: 1}\n  slos: [nope]\n",
     "SLO 'nope' is not a requirement"),
    ("load:\n  scenario: ogc-api-features\n  tasks: {item: 1}\n  slos: [EIPSCC-RS-ARCH-4]\n",
     "thresholds of EIPSCC-RS-ARCH-4: metric"),
    ("load:\n  scenario: ogc-api-features\n  tasks: {item: 1}\n  steps: {start_users: 0}\n"
     "  slos: [EIPSCC-RS-ARCH-4]\n", "start_users"),
])
def test_bad_load_blocks_name_file_line_and_field(tmp_path, body, needle):
    with pytest.raises(UsageError) as exc:
        load_profile(str(_profile(tmp_path, body)))
    assert needle in str(exc.value) and "p.yaml:" in str(exc.value)


def test_each_locustfile_is_the_one_place_of_its_users_and_tasks():
    """The scenario catalogue is read from the locustfiles (SCENARIO, USER, TASKS, WRITES):
    every task it lists is a method of that file's User class, and every interface kind
    with a load profile has its file."""
    import ast

    from oupcheck.load.scenarios import SCENARIOS
    from oupcheck.resources import root_dir
    assert set(SCENARIOS) == {"ogc-api-features", "ngsi-ld", "sensorthings", "mqtt"}
    for sc in SCENARIOS.values():
        tree = ast.parse((root_dir("load") / sc.file).read_text("utf-8"))
        cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == sc.user_class)
        methods = {n.name for n in cls.body if isinstance(n, ast.FunctionDef)}
        assert set(sc.tasks) <= methods, (sc.file, set(sc.tasks) - methods)
        assert sc.writes <= set(sc.tasks)
