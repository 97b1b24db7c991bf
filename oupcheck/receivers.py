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
    def __init__(self, channel: str, headers: dict[str, str], body: bytes):
        self.channel = channel           # path of the POST, or the MQTT topic
        self.headers = headers
        self.body = body
        self.at = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
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
        ex = self.store.probe(
            "notification", f"RECEIVE ({self.kind})", what,
            note=(f"received at {found.at} on {found.channel}" if found else
                  f"nothing matching arrived within {timeout:g} s "
                  f"({len(self.items)} other message(s) seen)"),
            data=({"channel": found.channel, "headers": found.headers,
                   "body": found.json if found.json is not None
                   else found.body[:4096].decode("utf-8", "replace")}
                  if found else None))
        return found, ex


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
