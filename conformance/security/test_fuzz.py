"""Malformed input generated from the standards' grammars (hypothesis): the platform answers
4xx, never 5xx, never a stack trace. Seeded and bounded by profile parameters; hypothesis
shrinks a failure to the smallest failing request, which the FAIL row cites."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.configuration import set_hypothesis_home_dir

from oupcheck.data import default_cache
from oupcheck.marks import requirement
from oupcheck.verdicts import CheckFailed, Inconclusive, judged

from . import grammars
from .leaks import stack_trace
from .surface import discover, need_data

# hypothesis keeps caches (its Unicode tables) in a '.hypothesis' folder of the working
# directory: a run must not leave one wherever the user started it
set_hypothesis_home_dir(str(default_cache() / "hypothesis"))


@pytest.fixture(scope="module")
def items(endpoint, http):
    """The data endpoint, answering a valid read (the control: a 4xx to a malformed value
    means nothing when the endpoint refuses every read)."""
    return need_data(discover(endpoint, http))


def _grammar(kind):
    if kind == "ngsi-ld":
        return grammars.NGSI_PARAMETERS, grammars.NGSI_FIXED
    return grammars.OGC_PARAMETERS, {}


def _campaign(run, http, items, judge):
    """Run the generator for each parameter; raise CheckFailed on the minimal failing request.
    Records how many generated requests were sent per parameter; a parameter the time budget
    left untried makes the row INCONCLUSIVE (a PASS would claim more than was judged)."""
    items_url, kind = items.items_url, items.kind
    examples = int(run.param("fuzz_examples", 40))
    budget = float(run.param("fuzz_seconds", 30))
    t0 = time.monotonic()
    parameters, fixed = _grammar(kind)
    accept = "application/json" if kind == "ngsi-ld" else "application/geo+json"
    tried: dict[str, int] = {}
    for name, strategy in parameters.items():
        sent = []

        def attempt(value):
            if time.monotonic() - t0 > budget:
                return  # bounded: later examples are not sent
            ex = http.get(items_url, params={**fixed.get(name, {}), name: value},
                          accept=accept, note=note)
            sent.append(ex)
            problem = judge(ex)
            if problem:
                raise CheckFailed(f"malformed {name}={value!r}: {problem}",
                                  expected="4xx without a stack trace",
                                  actual=f"HTTP {ex.status}" + (f"; {stack_trace(ex.body_excerpt)}"
                                                                if stack_trace(ex.body_excerpt)
                                                                else ""),
                                  evidence=ex)
        note = f"malformed {name} (generated)"
        replay = getattr(run, "replay", None)
        if replay is not None:
            # judging again: the values the run generated, in its order (hypothesis's search
            # adapts to timing, so it is not asked to generate them twice). Hypothesis ends a
            # failing search by running its minimal example once more: the last failure
            # recorded is the one the run reported
            def probe():
                last = None
                for value in replay.recorded_param(items_url, name, note):
                    try:
                        attempt(value)
                    except CheckFailed as exc:
                        last = exc
                if last is not None:
                    raise last
        else:
            probe = seed(int(run.param("fuzz_seed", 20261127)))(settings(
                max_examples=examples, deadline=None, database=None, derandomize=False,
                suppress_health_check=list(HealthCheck),
                phases=[Phase.explicit, Phase.generate, Phase.shrink])(
                given(value=strategy())(attempt)))
        try:
            probe()
        except CheckFailed as exc:
            # hypothesis re-raises the minimal example's failure: that exchange is the evidence
            exc.message = f"{exc.message} (minimal of {len(sent)} generated requests)"
            raise
        tried[name] = len(sent)
        judged(f"generated {name}= requests", len(sent))
    untried = [n for n, k in tried.items() if k == 0]
    if untried:
        raise Inconclusive(f"the time budget (fuzz_seconds={budget:g}) ran out before any "
                           f"generated value of {', '.join(untried)} was sent (tried: "
                           + ", ".join(f"{n} {k}" for n, k in tried.items()) + ")",
                           evidence=items.evidence, decide="raise fuzz_seconds in the profile")
    run.observe("no failure in " + ", ".join(f"{k} generated {n}= requests"
                                              for n, k in tried.items())
                + f" (seed {run.param('fuzz_seed', 20261127)})")
    return time.monotonic() - t0


def _no_server_error(ex):
    if ex.status >= 500:
        return f"server error HTTP {ex.status}"
    found = stack_trace(ex.body_excerpt)
    return f"stack trace in the answer ({found})" if found else None


def _rejected(ex):
    if not 400 <= ex.status < 500:
        return f"not rejected (HTTP {ex.status})"
    return None


@requirement("owasp-api:API8-malformed-input-no-5xx")
def test_malformed_input_never_breaks_the_server(oup_run, http, items):
    _campaign(oup_run, http, items, _no_server_error)


@requirement("owasp-api:API8-malformed-input-rejected")
def test_malformed_input_rejected(oup_run, http, items):
    _campaign(oup_run, http, items, _rejected)
