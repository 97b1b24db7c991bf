"""Fixtures of the MQTT checks: the broker under test, and whether it speaks MQTT 5.0."""

from __future__ import annotations

import re

import pytest

from oupcheck.errors import TransportError
from oupcheck.mqttclient import Broker
from oupcheck.mqttwire import WireError
from oupcheck.verdicts import Inconclusive, NotApplicable


class MqttTarget(Broker):
    """The broker with the run's knobs, and the retained topics to clear at the end."""

    settle: float = 0.8
    retained: set[str]

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
    try:
        target = MqttTarget.for_interface(oup_run.target, iface, oup_run.store,
                                          tag=oup_run.tag,
                                          timeout=float(oup_run.param("timeout_s", 5)))
    except ValueError as exc:
        raise Inconclusive(str(exc)) from None
    target.settle = float(oup_run.param("settle_s", 0.8))
    target.retained = set()
    try:
        ok, seen = target.accepts_connect("can the suite connect at all?")
    except WireError as exc:
        raise Inconclusive(f"{iface.url} answered a CONNECT with bytes that are not MQTT "
                           f"({exc}): the MQTT rows cannot be judged (inventory:"
                           "standard-interfaces reports it)",
                           decide="point the mqtt interface at the broker's MQTT port") from None
    if not ok and "without CONNACK" in seen:
        raise Inconclusive(f"{iface.url} does not answer an MQTT CONNECT ({seen} within "
                           f"{target.timeout:g} s): the MQTT rows cannot be judged",
                           decide="point the mqtt interface at the broker's MQTT port")
    if not ok:
        raise Inconclusive(f"the broker does not accept the suite's CONNECT ({seen}); with "
                           "authentication, name a credential of scheme basic on the mqtt "
                           "interface", decide="name a credential of scheme basic on the mqtt "
                                               "interface of the target file")
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
    if ok:
        return broker
    # a broker without 5.0 refuses the level: CONNACK 0x01 (3.1.1 [MQTT-3.1.2-2]), 0x84, or a
    # close without CONNACK (5.0 [MQTT-3.1.2-2]: it MAY send 0x84, then MUST close). Any other
    # refusal (not authorized, bad user name or password ...) is a 5.0 broker refusing the suite.
    code = re.search(r"code (\d+)", seen)
    if code is None or int(code.group(1)) in (0x01, 0x84):
        raise NotApplicable(f"the broker does not speak MQTT 5.0: it {seen} to a 5.0 CONNECT")
    raise Inconclusive(f"the broker refused the suite's MQTT 5.0 CONNECT ({seen}), not for its "
                       "protocol version: the 5.0 rows cannot be judged",
                       decide="let the suite's identity connect with MQTT 5.0")
