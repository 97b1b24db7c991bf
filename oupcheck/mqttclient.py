"""MQTT conversations for the checks, each kept as packet-level evidence.

Ordinary conversations go through paho-mqtt (its packet log, "Sending PUBLISH (d0, q1, r0, m1)",
becomes the evidence); deliberate protocol violations go through ``mqttwire.RawSession``, whose
log also holds the bytes. Every conversation is bounded by a timeout and recorded as one
exchange of kind ``mqtt`` when it ends, whatever happened.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator
from urllib.parse import urlsplit

from .errors import TransportError
from .evidence import EvidenceStore, Exchange
from .mqttwire import RawSession

VERSIONS = {4: "3.1.1", 5: "5.0"}


@dataclass
class Message:
    topic: str
    payload: bytes
    qos: int
    retain: bool
    dup: bool
    t: float
    user_properties: list[tuple[str, str]] = field(default_factory=list)

    def brief(self) -> str:
        return (f"{self.topic} q{self.qos} r{int(self.retain)} d{int(self.dup)} "
                f"{self.payload[:40]!r}")


class PahoSession:
    """One client connection through paho-mqtt, with its packet log and inbox."""

    def __init__(self, host: str, port: int, client_id: str, *, version: int = 4,
                 timeout: float = 5.0, label: str = "", login: tuple[str, str] | None = None,
                 tls: Any = None):
        import paho.mqtt.client as mqtt
        self.mqtt = mqtt
        self.host, self.port, self.version = host, port, version
        self.client_id, self.timeout, self.label = client_id, timeout, label or client_id
        self.t0 = time.monotonic()
        self.log: list[str] = []
        self.inbox: list[Message] = []
        self.cond = threading.Condition()
        self.connack: tuple[int, int] | None = None  # (reason code, session present)
        self.disconnected: str | None = None
        self.subacks: dict[int, list[int]] = {}
        self.unsubacks: set[int] = set()
        self.client: Any = None
        self.login, self.tls = login, tls

    def _make(self, clean: bool) -> None:
        mqtt = self.mqtt
        if self.version == 5:
            c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=self.client_id,
                            protocol=mqtt.MQTTv5, reconnect_on_failure=False)
        else:
            c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=self.client_id,
                            protocol=mqtt.MQTTv311, clean_session=clean,
                            reconnect_on_failure=False)
        c.on_log = self._on_log
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_message = self._on_message
        c.on_subscribe = self._on_subscribe
        c.on_unsubscribe = self._on_unsubscribe
        if self.login:
            c.username_pw_set(*self.login)
        if self.tls is not None:
            c.tls_set_context(self.tls)
        self.client = c

    # ---- paho callbacks ----------------------------------------------------------------
    def _stamp(self) -> str:
        return f"{time.monotonic() - self.t0:7.3f}"

    def _on_log(self, client: Any, userdata: Any, level: int, buf: str) -> None:
        if buf.startswith("Sending "):
            line = f"{self._stamp()} -> {buf[8:]}"
        elif buf.startswith("Received "):
            line = f"{self._stamp()} <- {buf[9:]}"
        else:
            line = f"{self._stamp()} -- {buf}"
        with self.cond:
            if len(self.log) < 400:
                self.log.append(line[:400])

    def _on_connect(self, client: Any, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        with self.cond:
            self.connack = (int(getattr(rc, "value", rc)), int(bool(flags.session_present)))
            self.cond.notify_all()

    def _on_disconnect(self, client: Any, userdata: Any, flags: Any, rc: Any,
                       props: Any = None) -> None:
        with self.cond:
            self.disconnected = str(rc)
            self.cond.notify_all()

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        props = getattr(msg, "properties", None)
        ups = list(getattr(props, "UserProperty", []) or []) if props else []
        m = Message(msg.topic, bytes(msg.payload), msg.qos, bool(msg.retain), bool(msg.dup),
                    round(time.monotonic() - self.t0, 3), ups)
        with self.cond:
            self.inbox.append(m)
            self.cond.notify_all()

    def _on_subscribe(self, client: Any, userdata: Any, mid: int, codes: Any,
                      props: Any = None) -> None:
        with self.cond:
            self.subacks[mid] = [int(getattr(c, "value", c)) for c in codes]
            self.cond.notify_all()

    def _on_unsubscribe(self, client: Any, userdata: Any, mid: int, *rest: Any) -> None:
        with self.cond:
            self.unsubacks.add(mid)
            self.cond.notify_all()

    # ---- operations --------------------------------------------------------------------
    def _wait(self, pred: Callable[[], Any], timeout: float | None = None) -> Any:
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        with self.cond:
            while True:
                got = pred()
                if got:
                    return got
                left = deadline - time.monotonic()
                if left <= 0:
                    return got
                self.cond.wait(left)

    def connect(self, *, clean: bool = True, will: tuple[str, bytes, int, bool] | None = None,
                session_expiry: int | None = None, keepalive: int = 30) -> tuple[int, int]:
        """Connect and wait for the CONNACK: returns (reason code, session present)."""
        self._make(clean)
        if will is not None:
            self.client.will_set(will[0], will[1], qos=will[2], retain=will[3])
        kw: dict[str, Any] = {}
        if self.version == 5:
            from paho.mqtt.packettypes import PacketTypes
            from paho.mqtt.properties import Properties
            kw["clean_start"] = clean
            if session_expiry is not None:
                p = Properties(PacketTypes.CONNECT)
                p.SessionExpiryInterval = session_expiry
                kw["properties"] = p
        try:
            self.client.connect(self.host, self.port, keepalive=keepalive, **kw)
        except OSError as exc:
            raise TransportError(f"MQTT connect to {self.host}:{self.port} failed: {exc}") from None
        self.client.loop_start()
        self._wait(lambda: self.connack or self.disconnected)
        if self.connack is None:
            raise TransportError(f"no CONNACK from {self.host}:{self.port} within "
                                 f"{self.timeout:g} s ({self.disconnected or 'silent'})")
        return self.connack

    def subscribe(self, topic: str, qos: int = 0, *, no_local: bool = False,
                  retain_as_published: bool = False, retain_handling: int = 0) -> list[int]:
        """Subscribe and wait for the SUBACK: returns its return/reason codes ([] if none)."""
        if self.version == 5:
            from paho.mqtt.subscribeoptions import SubscribeOptions
            opts = SubscribeOptions(qos=qos, noLocal=no_local,
                                    retainAsPublished=retain_as_published,
                                    retainHandling=retain_handling)
            rc, mid = self.client.subscribe(topic, options=opts)
        else:
            rc, mid = self.client.subscribe(topic, qos)
        if rc != 0:
            return []
        return self._wait(lambda: self.subacks.get(mid)) or []

    def unsubscribe(self, topic: str) -> bool:
        rc, mid = self.client.unsubscribe(topic)
        return rc == 0 and bool(self._wait(lambda: mid in self.unsubacks))

    def publish(self, topic: str, payload: bytes, qos: int = 0, retain: bool = False,
                user_properties: list[tuple[str, str]] | None = None,
                expiry: int | None = None) -> bool:
        """Publish and wait for the QoS flow to complete (PUBACK / PUBCOMP)."""
        kw: dict[str, Any] = {}
        if self.version == 5 and (user_properties or expiry is not None):
            from paho.mqtt.packettypes import PacketTypes
            from paho.mqtt.properties import Properties
            p = Properties(PacketTypes.PUBLISH)
            if user_properties:
                p.UserProperty = list(user_properties)
            if expiry is not None:
                p.MessageExpiryInterval = expiry
            kw["properties"] = p
        info = self.client.publish(topic, payload, qos=qos, retain=retain, **kw)
        if qos == 0:
            return info.rc == 0
        try:
            info.wait_for_publish(self.timeout)
        except (RuntimeError, ValueError):
            return False
        return info.is_published()

    def publish_in_sequence(self, topic: str, payloads: list[bytes], qos: int = 1) -> int:
        """Send the publications back to back (without waiting for each flow), then wait for
        their flows to complete; returns how many completed."""
        infos = [self.client.publish(topic, p, qos=qos) for p in payloads]
        done = 0
        for info in infos:
            try:
                info.wait_for_publish(self.timeout)
            except (RuntimeError, ValueError):
                continue
            done += int(info.is_published())
        return done

    def messages(self, topic: str | None = None) -> list[Message]:
        with self.cond:
            return [m for m in self.inbox if topic is None or m.topic == topic]

    def wait_messages(self, topic: str | None, count: int,
                      timeout: float | None = None) -> list[Message]:
        """Wait until ``count`` messages on ``topic`` arrived (or the timeout passed)."""
        self._wait(lambda: len([m for m in self.inbox
                                if topic is None or m.topic == topic]) >= count, timeout)
        return self.messages(topic)

    def settle(self, seconds: float) -> None:
        """Give the broker time to deliver what it should not (absence checks)."""
        time.sleep(seconds)

    def close(self) -> None:
        if self.client is None:
            return
        try:
            if self.connack is not None and self.disconnected is None:
                self.client.disconnect()
        except Exception:  # noqa: BLE001 - closing must never raise
            pass
        self.client.loop_stop()

    def lines(self) -> list[str]:
        with self.cond:
            return list(self.log)


class Broker:
    """The MQTT interface under test: opens recorded conversations with unique ids.

    Every conversation keeps, besides its packets, the calls the check made on it and what
    they returned (``data.calls``, see ``mqttreplay``). While a run is judged again
    (``Broker.replay`` is the run's ``replay.Replay``) the conversations are answered from
    those recordings and nothing is sent."""

    replay: Any = None

    def __init__(self, url: str, store: EvidenceStore, *, tag: str, timeout: float = 5.0,
                 login: tuple[str, str] | None = None, tls: Any = None,
                 server_name: str | None = None):
        u = urlsplit(url)
        if u.scheme not in ("mqtt", "mqtts", "tcp"):
            raise ValueError(f"not an MQTT URL: {url}")
        if u.scheme == "mqtts" and tls is None:
            import ssl
            tls = ssl.create_default_context()
        self.url, self.host = url, u.hostname or "127.0.0.1"
        self.port = u.port or (8883 if u.scheme == "mqtts" else 1883)
        self.store, self.tag, self.timeout = store, tag, timeout
        self.login, self.tls, self.server_name = login, tls, server_name
        self._n = 0

    @classmethod
    def for_interface(cls, target: Any, iface: Any, store: EvidenceStore, *, tag: str,
                      timeout: float = 5.0) -> "Broker":
        """The broker of a target's mqtt interface, with its credential (scheme basic: user
        name and password) and TLS settings (tls.ca_file, tls.verify, tls.server_name)."""
        login = None
        cred = target.credential(iface.credential)
        if cred is not None:
            if cred.scheme != "basic":
                raise ValueError(f"credential {cred.id}: an MQTT broker takes a user name and "
                                 "password (scheme basic)")
            login = (target.secrets[cred.username_env], target.secrets[cred.password_env])
        tls = None
        if iface.url.startswith("mqtts:"):
            import ssl
            spec = target.spec.tls
            tls = ssl.create_default_context(cafile=spec.ca_file)
            if not spec.verify:
                tls.check_hostname = False
                tls.verify_mode = ssl.CERT_NONE
        return cls(iface.url, store, tag=tag, timeout=timeout, login=login, tls=tls,
                   server_name=target.spec.tls.server_name)

    def connect_packet(self, what: str, **kw: Any) -> Any:
        """A CONNECT for a new run-owned ClientId, with the interface's login."""
        from .mqttwire import connect
        return connect(self.name(what), login=self.login, **kw)

    def name(self, what: str) -> str:
        self._n += 1
        return f"oupcheck-{self.tag}-{what}-{self._n}"

    def topic(self, what: str) -> str:
        return f"oupcheck/{self.tag}/{what}-{self._next()}"

    def _next(self) -> int:
        self._n += 1
        return self._n

    def record(self, label: str, client_id: str, version: int, lines: list[str],
               extra: dict[str, Any] | None = None, error: str | None = None) -> Exchange:
        data = {"client_id": client_id, "protocol": f"MQTT {VERSIONS.get(version, version)}",
                "packets": lines}
        data.update(extra or {})
        return self.store.probe("mqtt", "MQTT", f"{self.url} ({client_id})", data=data,
                                note=label, error=error)

    def accepts_connect(self, label: str, version: int = 4) -> tuple[bool, str]:
        """Does the broker accept a plain CONNECT? (ok, what it answered); raises
        TransportError when nothing listens."""
        from .mqttwire import simple
        with self.raw(label, version=version) as raw:
            raw.send(self.connect_packet("probe", level=version))
            ack = raw.expect("CONNACK")
            ok = ack is not None and ack.name == "CONNACK" and ack.fields.get("code") == 0
            if ok:
                raw.send(simple("DISCONNECT"))
        if ok:
            return True, "CONNACK accepted"
        return False, ("the connection closed without CONNACK" if ack is None else
                       f"answered {ack.describe()}")

    def _recorded(self, label: str, *client_ids: str) -> dict[str, Any]:
        """The judged run's conversation with this label (and one of these client ids)."""
        for cid in client_ids:
            rec = self.replay.take_probe("mqtt", f"{self.url} ({cid})", note=label)
            if rec is not None:
                return rec
        raise self.replay.missing(f"MQTT {label}", f"the run had no MQTT conversation "
                                  f"{label!r} (a probe this profile needs that the judged run "
                                  "did not make)")

    @contextmanager
    def _again(self, label: str, client_id: str, version: int,
               rec: dict[str, Any]) -> Iterator[Any]:
        """A conversation of the judged run, answered from its recording and recorded again."""
        from .mqttreplay import Replayed
        again = Replayed(rec, self.replay)
        try:
            yield again
        finally:
            self.record(label, client_id, version, again.lines(),
                        {k: v for k, v in (rec.get("data") or {}).items()
                         if k in ("received", "calls")})

    @contextmanager
    def client(self, label: str, *, version: int = 4, client_id: str | None = None
               ) -> Iterator[PahoSession]:
        from .mqttreplay import Logged
        cid = client_id or self.name(label.split()[0])
        if self.replay is not None:
            with self._again(label, cid, version, self._recorded(label, cid)) as again:
                yield again
            return
        sess = PahoSession(self.host, self.port, cid, version=version, timeout=self.timeout,
                           label=label, login=self.login, tls=self.tls)
        logged = Logged(sess)
        try:
            yield logged  # type: ignore[misc]
        finally:
            sess.close()
            inbox = [m.brief() for m in sess.messages()]
            self.record(label, cid, version, sess.lines(), {"received": inbox[:100],
                                                            "calls": logged.calls})

    @contextmanager
    def raw(self, label: str, *, version: int = 4) -> Iterator[RawSession]:
        from .mqttreplay import Logged
        if self.replay is not None:
            rec = self._recorded(label, "(raw)", "-")
            if rec.get("error"):
                self.record(label, "-", version, [], error=rec["error"])
                raise TransportError(f"MQTT connect to {self.host}:{self.port} failed: "
                                     f"{rec['error']}")
            with self._again(label, "(raw)", version, rec) as again:
                yield again
            return
        try:
            sess = RawSession(self.host, self.port, timeout=self.timeout, version=version,
                              label=label, tls=self.tls, server_name=self.server_name)
        except OSError as exc:
            self.record(label, "-", version, [], error=str(exc))
            raise TransportError(f"MQTT connect to {self.host}:{self.port} failed: {exc}") from None
        logged = Logged(sess)
        try:
            yield logged  # type: ignore[misc]
        finally:
            sess.close()
            self.record(label, "(raw)", version, sess.lines(), {"calls": logged.calls})
