"""Fixtures of the MQTT checks: the broker under test, and whether it speaks MQTT 5.0."""

from __future__ import annotations

import uuid

import pytest

from oupcheck.errors import TransportError
from oupcheck.mqttclient import Broker
from oupcheck.verdicts import NotApplicable


class MqttTarget(Broker):
    """The broker with the run's knobs, and the retained topics to clear at the end."""

    def __init__(self, url: str, store, *, timeout: float, settle: float):
        super().__init__(url, store, tag=uuid.uuid4().hex[:8], timeout=timeout)
        self.settle = settle
        self.retained: set[str] = set()

    def clear_retained(self) -> None:
        if not self.retained:
            return
        with self.client("clean-up: clear retained messages of this run") as c:
            c.connect()
            for t in sorted(self.retained):
                c.publish(t, b"", qos=1, retain=True)


@pytest.fixture(scope="session")
def broker(oup_run):
    iface = oup_run.target.interface("mqtt")
    if iface is None:
        raise NotApplicable("the target names no MQTT interface (interfaces: "
                            f"{', '.join(i.kind for i in oup_run.target.spec.interfaces)})")
    if oup_run.unreachable and oup_run.interface.kind == "mqtt":
        raise TransportError(f"broker unreachable at pre-flight: {oup_run.unreachable}")
    target = MqttTarget(iface.url, oup_run.store, timeout=float(oup_run.param("timeout_s", 5)),
                        settle=float(oup_run.param("settle_s", 0.8)))
    try:
        yield target
    finally:
        oup_run.store.begin("clean-up")
        try:
            target.clear_retained()
        except TransportError:
            pass
        finally:
            oup_run.store.end()


@pytest.fixture(scope="session")
def mqtt5(broker):
    """The broker, once it has shown it accepts an MQTT 5.0 CONNECT (else NOT_APPLICABLE)."""
    ok, seen = broker.accepts_connect("does the broker accept an MQTT 5.0 CONNECT?", version=5)
    if not ok:
        raise NotApplicable(f"the broker does not speak MQTT 5.0: it {seen} to a 5.0 CONNECT")
    return broker
