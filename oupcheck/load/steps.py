"""The step-load capacity search as pure functions: which user counts to run, the figures of
one step from two snapshots of cumulative counters, and the knee."""

from __future__ import annotations

from typing import Any

from ..profile import SLO, LoadSteps
from .slo import step_ok


def user_steps(steps: LoadSteps, slo_users: list[int]) -> list[int]:
    """start, start+step, ... up to max_users, with every SLO concurrency included (an SLO is
    always measured at its own concurrency, also beyond max_users)."""
    out = list(range(steps.start_users, steps.max_users + 1, steps.step_users))
    if out[-1] != steps.max_users:
        out.append(steps.max_users)
    return sorted(set(out) | set(slo_users))


def histogram_diff(before: dict[str, int], after: dict[str, int]) -> dict[int, int]:
    """Response-time histogram (rounded ms -> count) of the requests between two snapshots."""
    out = {}
    for k, n in after.items():
        d = n - before.get(k, 0)
        if d > 0:
            out[int(k)] = d
    return out


def should_stop(slos: list[SLO], steps: list[dict[str, Any]]) -> bool:
    """Stop raising users once a step breaks an SLO and every SLO concurrency was measured."""
    if not steps or step_ok(slos, steps[-1]):
        return False
    return steps[-1]["users"] >= max((s.at_users for s in slos), default=0)


def knee(slos: list[SLO], steps: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The highest-throughput step that met every latency and error SLO (None: none did)."""
    good = [(s["rps"], i) for i, s in enumerate(steps) if s["requests"] and step_ok(slos, s)]
    if not good:
        return None
    _, i = max(good)
    return {"step": i, "users": steps[i]["users"], "rps": steps[i]["rps"],
            "p95_ms": steps[i].get("p95_ms"), "p99_ms": steps[i].get("p99_ms")}


def first_break(slos: list[SLO], steps: list[dict[str, Any]]) -> int | None:
    """Index of the first step that broke a latency or error SLO."""
    return next((i for i, s in enumerate(steps) if s["requests"] and not step_ok(slos, s)),
                None)
