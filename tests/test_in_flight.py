"""Requests in flight (issue 13): independent probes go out together, bounded, and the verdicts
do not depend on how many were in flight."""

from __future__ import annotations

import threading
import time

import pytest

from oupcheck.evidence import EvidenceStore
from oupcheck.http import EvidenceClient
from oupcheck.target import Limits


def _client(n: int) -> EvidenceClient:
    c = EvidenceClient(EvidenceStore(), Limits(), base_url="http://127.0.0.1:9/")
    c.in_flight = n
    return c


@pytest.mark.parametrize("n", [1, 3])
def test_fan_out_is_bounded_and_keeps_the_order(n):
    """At most N probes run at once; the outcomes come back in the order of the calls, an
    exception raised again where its outcome is taken."""
    lock, now, peak = threading.Lock(), [0], [0]

    def probe(i):
        def run():
            with lock:
                now[0] += 1
                peak[0] = max(peak[0], now[0])
            time.sleep(0.03 * (8 - i))  # the first calls answer last
            with lock:
                now[0] -= 1
            if i == 5:
                raise ValueError("probe 5 broke")
            return i
        return run

    done = _client(n).fan_out([probe(i) for i in range(8)])
    assert peak[0] == n
    assert [d.value for d in done[:5]] == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="probe 5"):
        done[5].get()
    assert [d.get() for d in done[6:]] == [6, 7]


def test_fan_out_keeps_the_running_check(tmp_path):
    """Exchanges recorded by the probes of a check belong to that check."""
    client = _client(4)
    client.store.begin("check-a")
    client.fan_out([lambda: client.store.probe("test", "GET", "x") for _ in range(6)])
    assert len(client.store.cited["check-a"]) == 6
    assert client.store.current_test == "check-a"


@pytest.mark.slow
def test_verdicts_do_not_depend_on_requests_in_flight(oup, pygeoapi_url, tmp_path):
    """ogc-api-features-1 on the real pygeoapi: --polite (one request at a time) and
    --in-flight 8 give the same verdict and message on every row; the report says how many
    were in flight."""
    runs = {}
    for flag in (["--polite"], ["--in-flight", "8"]):
        res = oup("run", "--profile", "ogc-api-features-1", "--target", pygeoapi_url,
                  "--out", tmp_path / flag[-1], "--quiet", *flag, timeout=300)
        assert res.report is not None, res.describe()
        runs[flag[-1]] = res.report
    assert runs["--polite"]["run"]["in_flight"] == 1 and runs["8"]["run"]["in_flight"] == 8
    rows = {k: {r["requirement"]: (r["verdict"], r["message"]) for r in doc["rows"]}
            for k, doc in runs.items()}
    assert len(rows["--polite"]) > 40
    assert rows["--polite"] == rows["8"]


@pytest.mark.parametrize("args, says", [
    (["--in-flight", "0"], "--in-flight: must be a whole number from 1 to 16, not 0"),
    (["--in-flight", "40"], "--in-flight: must be a whole number from 1 to 16, not 40"),
    (["--in-flight", "2", "--polite"], "not allowed with argument"),
])
def test_in_flight_bad_values_are_usage_errors(oup, tmp_path, args, says):
    res = oup("run", "--profile", "ogc-api-features-1", "--target", "http://127.0.0.1:9/",
              "--out", tmp_path / "out", *args, timeout=60)
    assert res.code == 2, res.describe()
    assert says in res.stderr, res.describe()
    assert not (tmp_path / "out").exists()
