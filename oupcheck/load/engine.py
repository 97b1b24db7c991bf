"""The load engine: locust's own library API in a process of its own (gevent patches the
interpreter, so it never runs inside the CLI or pytest process).

    python -m oupcheck.load.engine local  --plan PLAN.json --result RESULT.json
    python -m oupcheck.load.engine master --plan PLAN.json --result RESULT.json \\
        --bind 127.0.0.1 --port 5557 --expect-workers N
    python -m oupcheck.load.engine worker --master-host HOST --master-port 5557

The master (or the local runner) runs the step search: users rise step by step, each step is
measured from two snapshots of locust's cumulative stats (the histogram difference gives the
step's percentiles), and the search stops when an SLO breaks at or beyond every SLO
concurrency, or at the time or request bound. Workers get the plan from the master as a
custom message (asked for by the worker, acknowledged before the first step), so a worker on
another machine needs nothing but the master's address.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import gevent
import locust.runners
from locust import between, constant, events
from locust.env import Environment
from locust.stats import calculate_response_time_percentile

from ..profile import SLO, LoadSteps
from ..resources import root_dir
from . import steps as stepsmod
from .scenarios import SCENARIOS
from .slo import step_ok, summary

PLAN_MESSAGE = "oupcheck_plan"            # master -> worker: the plan
PLAN_REQUEST = "oupcheck_plan_request"    # worker -> master: send me the plan
PLAN_READY = "oupcheck_plan_ready"        # worker -> master: configured from it
REPORT_INTERVAL = 1.0   # workers report stats every second (locust's default is 3 s)


# -- the scenario's user class, configured from the plan -----------------------------------------

def user_class(scenario: str) -> type:
    """The locust User class of a scenario, loaded from load/<file>.py."""
    import importlib.util
    sc = SCENARIOS[scenario]
    path = root_dir("load") / sc.file
    spec = importlib.util.spec_from_file_location(f"oupcheck_load_{path.stem}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return getattr(mod, sc.user_class)


def configure(cls: type, plan: dict[str, Any]) -> type:
    """Tasks and weights, think time, host and timeouts from the plan (profile data)."""
    weights = plan["tasks"]
    low = min(weights.values())
    # the list locust's metaclass would build from a {task: weight} dict (each task repeated by
    # its weight): assigned after class creation, a dict would not be expanded and every task
    # would run equally often
    cls.tasks = [getattr(cls, name) for name, w in weights.items()
                 for _ in range(max(1, round(10 * w / low)))]
    lo, hi = plan["wait_s"]
    cls.wait_time = between(lo, hi) if hi > 0 else constant(0)
    cls.host = plan["base_url"]
    cls.plan = plan
    if hasattr(cls, "network_timeout"):
        cls.network_timeout = cls.connection_timeout = plan["request_timeout_s"]
    if plan.get("insecure"):
        cls.insecure = True
    cls.auth = credentials(plan.get("auth"))
    if hasattr(cls, "default_headers"):
        cls.default_headers = cls.auth.get("headers") or None
    return cls


def credentials(auth: dict[str, Any] | None) -> dict[str, Any]:
    """Headers (HTTP) or username/password (MQTT) from the credential's environment
    variables, read in this process: the plan carries names, never secrets."""
    if not auth:
        return {}
    names = [auth.get(k) for k in ("token_env", "username_env", "password_env") if auth.get(k)]
    missing = [n for n in names if not os.environ.get(n)]
    if missing:
        raise SystemExit(f"environment variable {missing[0]} (credential {auth['id']}) is not "
                         "set in this load process")
    env = os.environ
    if auth["scheme"] == "basic":
        raw = f"{env[auth['username_env']]}:{env[auth['password_env']]}".encode()
        return {"headers": {"Authorization": "Basic " + base64.b64encode(raw).decode()},
                "username": env[auth["username_env"]], "password": env[auth["password_env"]]}
    if auth["scheme"] == "bearer":
        return {"headers": {"Authorization": f"Bearer {env[auth['token_env']]}"}}
    return {"headers": {auth["name"]: env[auth["token_env"]]}}


# -- stats -------------------------------------------------------------------------------------

def snapshot(stats: Any) -> dict[str, Any]:
    t = stats.total
    return {
        "t": time.monotonic(), "requests": t.num_requests, "failures": t.num_failures,
        "total_rt": t.total_response_time, "hist": dict(t.response_times),
        "entries": {f"{e.method} {e.name}": (e.num_requests, e.num_failures,
                                             dict(e.response_times))
                    for e in stats.entries.values()},
        "errors": {k: (e.method, e.name, str(e.error), e.occurrences)
                   for k, e in stats.errors.items()},
    }


def pct(hist: dict[int, int], n: int, q: float) -> float | None:
    return float(calculate_response_time_percentile(hist, n, q)) if n else None


def step_figures(users: int, a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """The figures of the requests between snapshots a and b."""
    hist = stepsmod.histogram_diff(a["hist"], b["hist"])
    n_hist = sum(hist.values())
    n = b["requests"] - a["requests"]
    dt = max(b["t"] - a["t"], 1e-6)
    by_name = []
    for key, (req, fail, h) in b["entries"].items():
        r0, f0, h0 = a["entries"].get(key, (0, 0, {}))
        eh = stepsmod.histogram_diff(h0, h)
        if req - r0 > 0:
            by_name.append({"name": key, "requests": req - r0, "failures": fail - f0,
                            "p95_ms": pct(eh, sum(eh.values()), 0.95),
                            "max_ms": float(max(eh)) if eh else None})
    errors = []
    for key, (method, name, err, occ) in b["errors"].items():
        d = occ - a["errors"].get(key, (0, 0, 0, 0))[3]
        if d > 0:
            errors.append({"request": f"{method} {name}", "error": err, "occurrences": d})
    errors.sort(key=lambda e: -e["occurrences"])
    return {
        "users": users, "duration_s": round(dt, 2), "requests": n,
        "failures": b["failures"] - a["failures"], "rps": round(n / dt, 2),
        "avg_ms": round((b["total_rt"] - a["total_rt"]) / n, 2) if n else None,
        "p50_ms": pct(hist, n_hist, 0.5), "p95_ms": pct(hist, n_hist, 0.95),
        "p99_ms": pct(hist, n_hist, 0.99), "max_ms": float(max(hist)) if hist else None,
        "by_request": sorted(by_name, key=lambda e: -e["requests"])[:12],
        "errors": errors[:5],
    }


# -- the step search ---------------------------------------------------------------------------

def say(msg: str) -> None:
    print(f"oupcheck load: {msg}", file=sys.stderr, flush=True)


def step_search(env: Environment, runner: Any, plan: dict[str, Any]) -> dict[str, Any]:
    slos = [SLO.model_validate(s) for s in plan["slos"]]
    cfg = LoadSteps.model_validate(plan["steps"])
    users_seq = stepsmod.user_steps(cfg, [s.at_users for s in slos])
    t0 = time.monotonic()
    deadline = t0 + plan["max_duration_s"]
    timeline: list[dict[str, Any]] = []
    done: list[dict[str, Any]] = []
    stopped = None

    def sample() -> None:
        while True:
            t = env.stats.total
            timeline.append({"t": round(time.monotonic() - t0, 2), "users": runner.user_count,
                             "requests": t.num_requests, "failures": t.num_failures})
            gevent.sleep(1.0)

    sampler = gevent.spawn(sample)
    try:
        for i, users in enumerate(users_seq):
            ramp = users / cfg.spawn_rate
            if time.monotonic() + ramp + cfg.settle_s + cfg.step_duration_s > deadline:
                stopped = f"time bound of {plan['max_duration_s']:g} s reached before the step " \
                          f"at {users} users"
                break
            if env.stats.total.num_requests >= plan["max_requests"]:
                stopped = f"request bound of {plan['max_requests']} reached"
                break
            runner.start(users, spawn_rate=cfg.spawn_rate)
            gevent.sleep(ramp + cfg.settle_s)
            a = snapshot(env.stats)
            end = time.monotonic() + cfg.step_duration_s
            while time.monotonic() < end:
                gevent.sleep(min(0.25, max(0.0, end - time.monotonic())))
                if env.stats.total.num_requests >= plan["max_requests"]:
                    stopped = f"request bound of {plan['max_requests']} reached during the " \
                              f"step at {users} users"
                    break
            fig = step_figures(users, a, snapshot(env.stats))
            fig["ok"] = step_ok(slos, fig)
            done.append(fig)
            say(f"step {i + 1}/{len(users_seq)}: {users} users: {summary(fig)}"
                f" -> {'holds the SLOs' if fig['ok'] else 'breaks an SLO'}")
            if stopped:
                break
            if stepsmod.should_stop(slos, done):
                stopped = f"an SLO broke at {users} users"
                break
        else:
            stopped = stopped or f"every step up to {users_seq[-1]} users ran (the search's " \
                                 "upper bound)"
    finally:
        runner.stop()
        gevent.sleep(REPORT_INTERVAL + 0.2 if plan.get("workers") else 0)
        sampler.kill()
    t = env.stats.total
    return {
        "steps": done, "stopped": stopped, "timeline": timeline,
        "totals": {"requests": t.num_requests, "failures": t.num_failures,
                   "duration_s": round(time.monotonic() - t0, 2),
                   "p95_ms": pct(dict(t.response_times), sum(t.response_times.values()), .95),
                   "p99_ms": pct(dict(t.response_times), sum(t.response_times.values()), .99)},
    }


def _watch_parent() -> None:
    """Leave when the process that started us is gone (no orphans after a hard kill)."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            gevent.sleep(0.5)
            if os.getppid() != parent:
                os._exit(4)
    gevent.spawn(watch)


def run_local(plan: dict[str, Any]) -> dict[str, Any]:
    cls = configure(user_class(plan["scenario"]), plan)
    env = Environment(user_classes=[cls], events=events, host=plan["base_url"])
    runner = env.create_local_runner()
    try:
        result = step_search(env, runner, plan)
    finally:
        runner.quit()
    result["mode"] = "local"
    result["workers"] = []
    return result


def run_master(plan: dict[str, Any], bind: str, port: int, expect: int,
               wait_s: float) -> dict[str, Any]:
    cls = configure(user_class(plan["scenario"]), plan)
    env = Environment(user_classes=[cls], events=events, host=plan["base_url"])
    runner = env.create_master_runner(master_bind_host=bind, master_bind_port=port)
    per_worker: dict[str, int] = {}
    ready: set[str] = set()

    def on_request(environment: Environment, msg: Any, **kw: Any) -> None:
        runner.send_message(PLAN_MESSAGE, plan, msg.node_id)

    def on_ready(environment: Environment, msg: Any, **kw: Any) -> None:
        ready.add(msg.node_id)

    def on_report(client_id: str, data: dict[str, Any]) -> None:
        n = (data.get("stats_total") or {}).get("num_requests", 0)
        per_worker[client_id] = per_worker.get(client_id, 0) + n

    runner.register_message(PLAN_REQUEST, on_request)
    runner.register_message(PLAN_READY, on_ready)
    events.worker_report.add_listener(on_report)
    try:
        deadline = time.monotonic() + wait_s
        while len(ready & {c.id for c in runner.clients.ready}) < expect:
            if time.monotonic() > deadline:
                raise SystemExit(f"only {len(ready)} of {expect} workers connected and got "
                                 f"the plan within {wait_s:g} s")
            gevent.sleep(0.1)
        say(f"{expect} worker(s) connected")
        result = step_search(env, runner, plan)
    finally:
        runner.quit()
    result["mode"] = f"distributed: 1 master, {expect} worker(s)"
    result["workers"] = [{"id": k, "requests": v} for k, v in sorted(per_worker.items())]
    return result


def run_worker(master_host: str, master_port: int) -> None:
    locust.runners.WORKER_REPORT_INTERVAL = REPORT_INTERVAL
    classes = {name: user_class(name) for name in SCENARIOS}
    env = Environment(user_classes=list(classes.values()), events=events)
    runner = env.create_worker_runner(master_host, master_port)

    def on_plan(environment: Environment, msg: Any, **kw: Any) -> None:
        plan = msg.data
        configure(classes[plan["scenario"]], plan)
        environment.host = plan["base_url"]
        runner.send_message(PLAN_READY)

    # asked for only now: a plan pushed before the handler existed would be dropped
    runner.register_message(PLAN_MESSAGE, on_plan)
    runner.send_message(PLAN_REQUEST)
    runner.greenlet.join()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m oupcheck.load.engine")
    p.add_argument("mode", choices=["local", "master", "worker"])
    p.add_argument("--plan")
    p.add_argument("--result")
    p.add_argument("--bind", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5557)
    p.add_argument("--expect-workers", type=int, default=1)
    p.add_argument("--worker-wait", type=float, default=30.0)
    p.add_argument("--master-host", default="127.0.0.1")
    p.add_argument("--master-port", type=int, default=5557)
    p.add_argument("--watch-parent", action="store_true")
    a = p.parse_args(argv)
    if a.watch_parent:
        _watch_parent()
    if a.mode == "worker":
        run_worker(a.master_host, a.master_port)
        return 0
    plan = json.loads(Path(a.plan).read_text("utf-8"))
    if a.mode == "local":
        result = run_local(plan)
    else:
        result = run_master(plan, a.bind, a.port, a.expect_workers, a.worker_wait)
    tmp = Path(a.result + ".tmp")
    tmp.write_text(json.dumps(result), encoding="utf-8")
    os.replace(tmp, a.result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
