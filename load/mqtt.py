"""MQTT load scenario: every sensor reporting at once, a dashboard listening.

A locust user on paho-mqtt: each user is a sensor with its own connection that publishes
readings to ``<topic_prefix>/<run>/<user>`` and subscribes to its own topic; locust request
events record ``publish`` (time to PUBACK at QoS 1, to the socket write at QoS 0) and
``receive`` (publish to delivery back from the broker). Data (``load.data``): ``qos``,
``payload_bytes``, ``topic_prefix``. Task: publish.
"""

from __future__ import annotations

import itertools
import json
import time
from urllib.parse import urlsplit

import paho.mqtt.client as paho
from locust import User

# The scenario's catalogue entry, read (as literals, without importing locust) by
# oupcheck/load/scenarios.py: the interface kind it loads, its User class, its tasks (each a
# method of that class) with what they do, and which of them write.
SCENARIO = "mqtt"
USER = "MqttUser"
TASKS = {
    "publish": "PUBLISH a sensor reading to the user's topic (receipt is measured by a "
               "subscription on the same topic tree)",
}
WRITES = ()


class MqttUser(User):
    plan: dict = {}
    _ids = itertools.count()

    def on_start(self) -> None:
        d = self.plan["data"]
        self.qos = int(d.get("qos", 1))
        self.pad = "x" * int(d.get("payload_bytes", 64))
        n = next(self._ids)
        self.topic = f"{d.get('topic_prefix', 'oupcheck/load')}/{self.plan['run_id']}/{n}"
        u = urlsplit(self.host)
        self.timeout = float(self.plan["request_timeout_s"])
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2,
                                  client_id=f"oupcheck-load-{self.plan['run_id']}-{n}")
        if u.scheme == "mqtts":
            self.client.tls_set()
        auth = getattr(self, "auth", None) or {}
        if auth.get("username"):
            self.client.username_pw_set(auth["username"], auth["password"])
        self.client.on_message = self._on_message
        t0 = time.perf_counter()
        try:
            self.client.connect(u.hostname, u.port or (8883 if u.scheme == "mqtts" else 1883),
                                keepalive=30)
            self.client.loop_start()
            self.client.subscribe(self.topic, qos=self.qos)
            self._fire("connect", t0, 0, None)
        except OSError as exc:
            self._fire("connect", t0, 0, exc)
            raise

    def on_stop(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()

    def _fire(self, name: str, t0: float, length: int, exc: BaseException | None) -> None:
        self.environment.events.request.fire(
            request_type="MQTT", name=name, response_time=(time.perf_counter() - t0) * 1000,
            response_length=length, exception=exc, context={})

    def _on_message(self, client, userdata, msg) -> None:
        try:
            sent = json.loads(msg.payload)["sent"]
        except (ValueError, KeyError, TypeError):
            return
        self.environment.events.request.fire(
            request_type="MQTT", name="receive", response_time=(time.time() - sent) * 1000,
            response_length=len(msg.payload), exception=None, context={})

    def publish(self) -> None:
        payload = json.dumps({"sent": time.time(), "value": 21.5, "pad": self.pad})
        t0 = time.perf_counter()
        info = self.client.publish(self.topic, payload, qos=self.qos)
        try:
            info.wait_for_publish(timeout=self.timeout)
            exc = None if info.is_published() else TimeoutError(
                f"no PUBACK within {self.timeout:g} s (rc {info.rc})")
        except (RuntimeError, ValueError) as e:
            exc = e
        self._fire("publish", t0, len(payload), exc)
