"""SLO judgements: pure functions over the figures of load steps (no network, no locust).

A step's figures are a dict: ``users``, ``requests``, ``failures``, ``rps``, ``p95_ms``,
``p99_ms`` ... (see ``engine.step_figures``). An SLO is the validated ``thresholds`` of its
requirement row (``profile.SLO``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..profile import SLO
from ..verdicts import Verdict

# fewest requests for a figure to mean something: a p95 needs 20 (one request beyond it), a
# p99 100; an error rate 20 (a profile row may ask for more with 'min_requests')
DEFAULT_MIN_REQUESTS = {"p95_ms": 20, "p99_ms": 100, "error_rate": 20, "throughput_rps": 1}
UNITS = {"p95_ms": "ms", "p99_ms": "ms", "error_rate": "", "throughput_rps": "req/s"}
LABEL = {"p95_ms": "p95", "p99_ms": "p99", "error_rate": "error rate",
         "throughput_rps": "throughput"}


@dataclass
class Judgement:
    verdict: Verdict
    message: str
    expected: str | None = None
    actual: str | None = None
    step: int | None = None   # index of the judged step
    extra: dict[str, Any] = field(default_factory=dict)


def measured(metric: str, step: dict[str, Any]) -> float | None:
    if metric == "error_rate":
        return step["failures"] / step["requests"] if step["requests"] else None
    if metric == "throughput_rps":
        return step["rps"]
    return step.get(metric)


def fmt(metric: str, value: float | None) -> str:
    if value is None:
        return "n/a"
    if metric == "error_rate":
        return f"{100 * value:.2f}%"
    return f"{value:.1f} {UNITS[metric]}".strip()


def bound_text(slo: SLO) -> str:
    op, value = ("≥", slo.min) if slo.metric == "throughput_rps" else ("≤", slo.max)
    return f"{LABEL[slo.metric]} {op} {fmt(slo.metric, value)} at {slo.at_users} users"


def meets(slo: SLO, step: dict[str, Any]) -> bool | None:
    """Whether one step meets the bound (None: not measurable in this step)."""
    value = measured(slo.metric, step)
    if value is None:
        return None
    return value >= slo.min if slo.metric == "throughput_rps" else value <= slo.max


def step_ok(slos: list[SLO], step: dict[str, Any]) -> bool:
    """A step holds when every latency and error SLO holds at its load (throughput bounds
    belong to one concurrency and do not stop the search)."""
    return all(meets(s, step) is not False for s in slos if s.metric != "throughput_rps")


def judge(slo: SLO, steps: list[dict[str, Any]], *, stopped: str | None = None) -> Judgement:
    """The row verdict: the SLO at its concurrency, from the step that ran at ``at_users``."""
    expected = bound_text(slo)
    idx = next((i for i, s in enumerate(steps) if s["users"] == slo.at_users), None)
    if idx is None:
        why = f" ({stopped})" if stopped else ""
        return Judgement(Verdict.INCONCLUSIVE, f"no step ran at {slo.at_users} users{why}; "
                         "nothing measured at the SLO's concurrency", expected=expected)
    step = steps[idx]
    need = slo.min_requests or DEFAULT_MIN_REQUESTS[slo.metric]
    figures = summary(step)
    if step["requests"] and step["failures"] == step["requests"] and slo.metric != "error_rate":
        sample = (step.get("errors") or [{}])[0].get("error", "?")
        return Judgement(Verdict.ERROR, f"every request of the step at {step['users']} users "
                         f"failed ({step['requests']}; e.g. {sample}): nothing to measure",
                         expected=expected, actual=figures, step=idx)
    if step["requests"] < need:
        return Judgement(Verdict.INCONCLUSIVE, f"only {step['requests']} requests in the step at "
                         f"{step['users']} users; {'an' if slo.metric == 'error_rate' else 'a'} "
                         f"{LABEL[slo.metric]} needs at least {need}",
                         expected=expected, actual=figures, step=idx)
    value = measured(slo.metric, step)
    ok = meets(slo, step)
    text = f"{LABEL[slo.metric]} {fmt(slo.metric, value)} at {step['users']} users"
    if ok:
        return Judgement(Verdict.PASS, f"{text} meets {expected} ({figures})",
                         expected=expected, actual=figures, step=idx)
    return Judgement(Verdict.FAIL, f"{text} breaks {expected} ({figures})",
                     expected=expected, actual=figures, step=idx)


def summary(step: dict[str, Any]) -> str:
    return (f"{step['requests']} requests, {step['failures']} failed, {step['rps']:.1f} req/s, "
            f"p95 {fmt('p95_ms', step.get('p95_ms'))}, p99 {fmt('p99_ms', step.get('p99_ms'))}")
