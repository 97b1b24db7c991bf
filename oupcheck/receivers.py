"""Listeners the suite starts for probes that make the target call back: an HTTP receiver
(notifications, and JSON-LD @context documents the target must fetch) and an MQTT subscriber.

What arrives is recorded as evidence (kind ``notification``), so a report shows the callback
that a verdict rests on. Both listen on loopback unless the target file says otherwise.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

from .evidence import EvidenceStore, Exchange
from .http import Unparsable, parse_json

MAX_BODY = 1_000_000


class Received:
    def __init__(self, channel: str, headers: dict[str, str], body: bytes,
                 at: str | None = None):
        self.channel = channel           # path of the POST, or the MQTT topic
        self.headers = headers
        self.body = body
        self.at = at or datetime.now(timezone.utc).isoformat(timespec="milliseconds")
        try:
            self.json: Any = parse_json(body)
        except Unparsable:
            self.json = None


class _Inbox:
    def __init__(self, store: EvidenceStore, kind: str):
        self.store, self.kind = store, kind
        self.items: list[Received] = []
        self.cond = threading.Condition()

    def put(self, item: Received) -> None:
        with self.cond:
            self.items.append(item)
            self.cond.notify_all()

    def wait_for(self, match: Callable[[Received], bool], timeout: float,
                 what: str) -> tuple[Received | None, Exchange]:
        """Wait until an item matches; record the outcome (or the wait that saw nothing)."""
        deadline = time.monotonic() + timeout
        found = None
        with self.cond:
            while found is None:
                found = next((i for i in self.items if match(i)), None)
                left = deadline - time.monotonic()
                if found is not None or left <= 0:
                    break
                self.cond.wait(left)
        ex = self.receipt(
            what, (f"received at {found.at} on {found.channel}" if found else
                   f"nothing matching arrived within {timeout:g} s "
                   f"({len(self.items)} other message(s) seen)"),
            {"channel": found.channel, "headers": found.headers, "at": found.at,
             "body": found.json if found.json is not None
             else found.body[:4096].decode("utf-8", "replace")} if found else None)
        return found, ex

    def receipt(self, what: str, note: str | None, data: Any,
                started: str | None = None) -> Exchange:
        """Record what a wait saw (or that it saw nothing) as a probe of kind notification."""
        return self.store.probe("notification", f"RECEIVE ({self.kind})", what, note=note,
                                data=data, started=started)


class HttpReceiver(_Inbox):
    """Records POSTs; serves GET /contexts/<name> from ``contexts``."""

    def __init__(self, store: EvidenceStore, host: str = "127.0.0.1", public_host: str | None = None):
        super().__init__(store, "HTTP")
        self.contexts: dict[str, Any] = {}
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                n = min(int(self.headers.get("Content-Length") or 0), MAX_BODY)
                body = self.rfile.read(n)
                inbox.put(Received(self.path, dict(self.headers.items()), body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self) -> None:
                name = self.path.split("?")[0].rsplit("/", 1)[-1]
                doc = inbox.contexts.get(name)
                data = json.dumps(doc).encode() if doc is not None else b""
                self.send_response(200 if doc is not None else 404)
                self.send_header("Content-Type", "application/ld+json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.host = public_host or host
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True,
                                       name="oupcheck-receiver")
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}/{path.lstrip('/')}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class MqttListener(_Inbox):
    """Subscribes to a topic filter on an MQTT broker (paho-mqtt) and records messages."""

    def __init__(self, store: EvidenceStore, host: str, port: int, topic: str,
                 timeout: float = 5.0):
        super().__init__(store, "MQTT")
        import paho.mqtt.client as mqtt
        self.ready = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,
                                  client_id=f"oupcheck-{int(time.time() * 1000) % 10**9}")
        self.client.on_connect = lambda c, u, f, rc, p=None: c.subscribe(topic, qos=1)
        self.client.on_subscribe = lambda *a: self.ready.set()
        self.client.on_message = lambda c, u, m: self.put(Received(m.topic, {}, m.payload))
        self.client.connect(host, port, keepalive=30)
        self.client.loop_start()
        if not self.ready.wait(timeout):
            self.stop()
            raise ConnectionError(f"no MQTT subscription at {host}:{port} within {timeout:g} s")

    def stop(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def since(exchange: Exchange, found: Received | None) -> float:
    """Seconds from the end of a recorded exchange (the write that should notify) to a
    recorded receipt: the same figure when the run is judged again."""
    start = exchange.at()
    if found is None or start is None:
        return 0.0
    sent = start.timestamp() + (exchange.elapsed_ms or 0) / 1000
    return max(0.0, datetime.fromisoformat(found.at).timestamp() - sent)


class ReplayedInbox(_Inbox):
    """A receiver (HTTP) or listener (MQTT) while a run is judged again: it listens on nothing;
    what arrived in the judged run is handed out again from its recorded receipts."""

    def __init__(self, run: Any, kind: str, base: str | None = None):
        super().__init__(run.store, kind)
        self.replay, self.base = run.replay, base or "http://127.0.0.1:0/"
        self.contexts: dict[str, Any] = {}

    def url(self, path: str) -> str:
        return self.base + path.lstrip("/")

    def stop(self) -> None:
        pass

    def wait_for(self, match: Callable[[Received], bool], timeout: float,
                 what: str) -> tuple[Received | None, Exchange]:
        rec = self.replay.take_probe("notification", what)
        if rec is None:
            raise self.replay.missing(f"RECEIVE {what}", f"the run waited for nothing on {what} "
                                      "(a probe this profile needs that the judged run did "
                                      "not make)")
        data = rec.get("data")
        found = None
        if isinstance(data, dict):
            body = data.get("body")
            raw = json.dumps(body).encode() if not isinstance(body, str) else body.encode()
            at = data.get("at") or (rec.get("note") or "").removeprefix("received at ") \
                .split(" on ")[0]
            found = Received(str(data.get("channel")), dict(data.get("headers") or {}), raw,
                             at=at)
            if not match(found):
                found = None  # what the judged run waited for is not what this check waits for
        return found, self.receipt(what, rec.get("note"), data, rec.get("started"))


def http_receiver(run: Any, host: str = "127.0.0.1",
                  public_host: str | None = None) -> HttpReceiver | ReplayedInbox:
    """The run's callback receiver; its address is kept in run-inputs.json, so that a run
    judged again sends (and compares) the same callback URLs."""
    if getattr(run, "replay", None) is not None:
        return ReplayedInbox(run, "HTTP", run.recalled("receiver"))
    rec = HttpReceiver(run.store, host=host, public_host=public_host)
    run.remember("receiver", rec.url(""))
    return rec


def mqtt_listener(run: Any, host: str, port: int, topic: str,
                  timeout: float = 5.0) -> MqttListener | ReplayedInbox:
    if getattr(run, "replay", None) is not None:
        return ReplayedInbox(run, "MQTT")
    return MqttListener(run.store, host, port, topic, timeout)
