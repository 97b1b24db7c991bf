"""Test-only: a TCP proxy that puts one named MQTT fault in front of a real broker.

No real broker can be told to break one MQTT rule at a time, so the self-tests put this proxy
between oupcheck and Mosquitto: packets are decoded (``oupcheck.mqttwire``), a fault rewrites,
drops, delays or adds packets in one direction, and everything else passes through untouched.
``MqttFaultProxy(upstream_port, fault)``; ``fault=None`` is a transparent proxy.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from typing import Callable

from oupcheck.mqttwire import Packet, Reader, WireError, publish, simple, subscribe

UP, DOWN = "c->s", "s->c"


@dataclass
class Conn:
    """One proxied connection: what the faults need to remember."""
    proxy: "MqttFaultProxy"
    version: int = 4
    client_id: str = ""
    connects: int = 0
    acked: set[int] = field(default_factory=set)  # QoS 2 packet ids the proxy completes itself
    held: list[Packet] = field(default_factory=list)
    held_acks: set[int] = field(default_factory=set)
    to_client: Callable[[bytes], None] = lambda b: None
    to_server: Callable[[bytes], None] = lambda b: None


FAULTS: dict[str, Callable[[Conn, str, Packet], list[Packet | bytes] | None]] = {}


def fault(name: str):
    def reg(fn):
        FAULTS[name] = fn
        return fn
    return reg


def _republish(p: Packet, conn: Conn, **changes) -> Packet:
    f = dict(p.fields)
    f.update(changes)
    return publish(f["topic"], f["payload"], qos=f["qos"], retain=bool(f["retain"]),
                   pid=f["pid"], dup=bool(f["dup"]), props=f.get("props"), version=conn.version)


def _flags(p: Packet, *, set_bits: int = 0, clear_bits: int = 0) -> Packet:
    return Packet(p.type, (p.flags | set_bits) & ~clear_bits & 0x0F, p.body, p.fields)


def _connect_flags(p: Packet, *, set_bits: int = 0, clear_bits: int = 0) -> Packet:
    body = bytearray(p.body)
    at = 2 + len(p.fields["protocol"]) + 1  # after the protocol name and level
    body[at] = (body[at] | set_bits) & ~clear_bits & 0xFF
    return Packet(1, p.flags, bytes(body), p.fields)


def _resubscribe(p: Packet, conn: Conn, rewrite: Callable[[str, int], tuple[str, int]]) -> Packet:
    subs = [rewrite(flt, opts) for flt, opts in p.fields["subs"]]
    return subscribe(p.fields["pid"], subs, version=conn.version)


@fault("connack-not-first")
def _(conn, way, p):
    if way == DOWN and p.name == "CONNACK":
        return [simple("PINGRESP"), p]


@fault("second-connect-ignored")
def _(conn, way, p):
    if way == UP and p.name == "CONNECT" and conn.connects > 1:
        return []


@fault("bad-level-accepted")
def _(conn, way, p):
    if way == UP and p.name == "CONNECT" and p.fields["level"] not in (3, 4, 5):
        body = bytearray(p.body)
        body[2 + len(p.fields["protocol"])] = 4
        return [Packet(1, 0, bytes(body))]


@fault("session-present-always")
def _(conn, way, p):
    if way == DOWN and p.name == "CONNACK" and p.fields.get("code") == 0:
        return [Packet(2, 0, bytes([1]) + p.body[1:])]


@fault("session-present-never")
def _(conn, way, p):
    if way == DOWN and p.name == "CONNACK":
        return [Packet(2, 0, bytes([0]) + p.body[1:])]


@fault("persistent-ignored")
def _(conn, way, p):
    if way == UP and p.name == "CONNECT":
        return [_connect_flags(p, set_bits=0x02)]


@fault("clean-ignored")
def _(conn, way, p):
    if way == UP and p.name == "CONNECT":
        return [_connect_flags(p, clear_bits=0x02)]


@fault("no-takeover")
def _(conn, way, p):
    if way == UP and p.name == "CONNECT":
        with conn.proxy.lock:
            taken = conn.client_id in conn.proxy.connected_ids
            conn.proxy.connected_ids.add(conn.client_id)
        if taken:  # let the newcomer in under another id, so the first is never disconnected
            body = bytearray(p.body)
            at = p.fields["payload_at"] - 1
            body[at] = ord("Z") if body[at] != ord("Z") else ord("Y")
            return [Packet(1, 0, bytes(body))]


@fault("graceful-close")  # the network drop reaches the broker as a DISCONNECT
def _(conn, way, p):
    return None


@fault("will-on-disconnect")  # a DISCONNECT is swallowed and the connection dropped instead
def _(conn, way, p):
    if way == UP and p.name == "DISCONNECT":
        return ["drop"]


@fault("no-pingresp")
def _(conn, way, p):
    if way == DOWN and p.name == "PINGRESP":
        return []


@fault("qos-downgraded")  # deliveries at QoS 1/2 reach the client at QoS 0; the proxy acks them
def _(conn, way, p):
    if way == DOWN and p.name == "PUBLISH" and p.fields["qos"] > 0:
        pid, q = p.fields["pid"], p.fields["qos"]
        if q == 1:
            conn.to_server(simple("PUBACK", pid).raw)
        else:
            conn.acked.add(pid)
            conn.to_server(simple("PUBREC", pid).raw)
        return [_republish(p, conn, qos=0, pid=None, dup=0)]
    if way == DOWN and p.name == "PUBREL" and p.fields.get("pid") in conn.acked:
        conn.acked.discard(p.fields["pid"])
        conn.to_server(simple("PUBCOMP", p.fields["pid"]).raw)
        return []


@fault("qos2-duplicated")
def _(conn, way, p):
    if way == DOWN and p.name == "PUBLISH" and p.fields["qos"] == 2:
        return [p, _republish(p, conn, qos=0, pid=None, dup=0)]


@fault("reordered")
def _(conn, way, p):
    if way == DOWN and p.name == "PUBLISH" and "/order-" in p.fields["topic"]:
        if not conn.held:
            conn.held.append(p)
            return []
        first = conn.held.pop()
        return [p, first]


@fault("retain-flag-lost")
def _(conn, way, p):
    if way == DOWN and p.name == "PUBLISH":
        return [_flags(p, clear_bits=0x01)]


@fault("retain-flag-always")
def _(conn, way, p):
    if way == DOWN and p.name == "PUBLISH":
        return [_flags(p, set_bits=0x01)]


@fault("retained-not-sent")
def _(conn, way, p):
    if way == DOWN and p.name == "PUBLISH" and p.fields["retain"]:
        if p.fields["qos"] == 1:
            conn.to_server(simple("PUBACK", p.fields["pid"]).raw)
        return []


@fault("empty-retained-ignored")
def _(conn, way, p):
    if way == UP and p.name == "PUBLISH" and p.fields["retain"] and not p.fields["payload"]:
        if p.fields["qos"] == 1:
            conn.to_client(simple("PUBACK", p.fields["pid"]).raw)
        return []


@fault("hash-no-parent")
def _(conn, way, p):
    if way == UP and p.name == "SUBSCRIBE":
        return [_resubscribe(p, conn, lambda f, o: (f[:-1] + "+/#" if f.endswith("/#") else f, o))]


@fault("plus-multi-level")
def _(conn, way, p):
    if way == UP and p.name == "SUBSCRIBE":
        return [_resubscribe(p, conn, lambda f, o: (f.split("/+/")[0] + "/#" if "/+/" in f else f, o))]


@fault("bad-filter-accepted")
def _(conn, way, p):
    def fix(f, o):
        if f.endswith("#") and not f.endswith("/#"):
            return f[:-1] + "/#", o
        if f.endswith("+") and not f.endswith("/+"):
            return f[:-1] + "/+", o
        return f, o
    if way == UP and p.name == "SUBSCRIBE":
        return [_resubscribe(p, conn, fix)]


@fault("dollar-leak")
def _(conn, way, p):
    if way == UP and p.name == "SUBSCRIBE":
        return [_resubscribe(p, conn, lambda f, o: ("$oupcheck" + f[1:] if f.startswith("+/") else f, o))]


@fault("wildcard-publish-accepted")
def _(conn, way, p):
    if way == UP and p.name == "PUBLISH" and any(c in p.fields["topic"] for c in "+#"):
        topic = p.fields["topic"].replace("+", "x").replace("#", "x")
        return [_republish(p, conn, topic=topic)]


@fault("publish-before-suback")  # allowed (3.8.4): a PUBLISH reaches the client before the SUBACK
def _(conn, way, p):
    if way == UP and p.name == "SUBSCRIBE" and any("/bad-" in f for f, _ in p.fields["subs"]):
        conn.to_client(publish("oupcheck/stray-retained", b"retained", qos=0, retain=True,
                               version=conn.version).raw)


@fault("unsubscribe-ignored")
def _(conn, way, p):
    if way == UP and p.name == "UNSUBSCRIBE":
        conn.to_client(simple("UNSUBACK", p.fields.get("pid")).raw)
        return []


def _v5_options(set_bits: int = 0, clear_bits: int = 0):
    def fn(conn, way, p):
        if way == UP and p.name == "SUBSCRIBE" and conn.version == 5:
            return [_resubscribe(p, conn, lambda f, o: (f, (o | set_bits) & ~clear_bits))]
    return fn


FAULTS["no-local-ignored"] = _v5_options(clear_bits=0x04)
FAULTS["rap-ignored"] = _v5_options(clear_bits=0x08)
FAULTS["rap-forced"] = _v5_options(set_bits=0x08)
FAULTS["retain-handling-ignored"] = _v5_options(clear_bits=0x30)


@fault("user-properties-reordered")
def _(conn, way, p):
    if way == DOWN and p.name == "PUBLISH" and conn.version == 5:
        props = p.fields["props"]
        ups = [x for x in props if x[0] == 38][::-1]
        rest = [x for x in props if x[0] != 38]
        return [_republish(p, conn, props=rest + ups)]


@fault("expiry-stripped")
def _(conn, way, p):
    if way == UP and p.name == "PUBLISH" and conn.version == 5:
        return [_republish(p, conn, props=[x for x in p.fields["props"] if x[0] != 2])]


# -- faults under which a check cannot decide (the probe itself does not work) -----------------
# Each one made an old judgement PASS vacuously or FAIL on something the statement does not
# say; the self-tests expect INCONCLUSIVE (or, where the judgement was too strict, PASS).

def _refuse(conn, code: int) -> list:
    """Answer the client's CONNECT with a refusing CONNACK (MQTT 3.1.1 or 5.0 layout), then
    drop the connection; the broker never sees the CONNECT."""
    body = bytes([0, code]) + (b"\x00" if conn.version == 5 else b"")
    conn.to_client(Packet(2, 0, body).raw)
    return ["drop"]


@fault("connack-withheld-first")  # the CONNACK of the 'first' probe never comes
def _(conn, way, p):
    if way == DOWN and p.name == "CONNACK" and "-first-" in conn.client_id:
        return []


@fault("bad-level-closed")  # an unsupported level is refused by closing, as 5.0 permits
def _(conn, way, p):
    if way == UP and p.name == "CONNECT" and p.fields["level"] not in (3, 4, 5):
        return ["drop"]


@fault("reconnect-refused")  # a ClientId seen before is refused (CONNACK 0x05, not authorized)
def _(conn, way, p):
    if way == UP and p.name == "CONNECT":
        with conn.proxy.lock:
            seen = conn.client_id in conn.proxy.seen_ids
            conn.proxy.seen_ids.add(conn.client_id)
        if seen:
            return _refuse(conn, 0x05)


@fault("connect-refused")  # every CONNECT refused: not authorized (an MQTT server all the same)
def _(conn, way, p):
    if way == UP and p.name == "CONNECT":
        return _refuse(conn, 0x87 if conn.version == 5 else 0x05)


@fault("v5-not-authorized")  # a 5.0 broker that refuses the suite's 5.0 identity
def _(conn, way, p):
    if way == UP and p.name == "CONNECT" and conn.version == 5:
        return _refuse(conn, 0x87)


@fault("no-wills")  # the broker never stores a Will Message (the will fields are stripped)
def _(conn, way, p):
    if way == UP and p.name == "CONNECT" and p.fields["flags"] & 0x04:
        body = bytearray(p.body)
        at = p.fields["payload_at"]
        pos = at
        if p.fields["level"] == 5:  # will properties
            from oupcheck.mqttwire import read_varint
            n, pos = read_varint(bytes(body), pos)
            pos += n
        for _ in range(2):  # will topic, will message
            n = int.from_bytes(body[pos:pos + 2], "big")
            pos += 2 + n
        del body[at:pos]
        flag_at = 2 + len(p.fields["protocol"]) + 1
        body[flag_at] &= ~0x3C & 0xFF  # will flag, will QoS, will retain
        return [Packet(1, p.flags, bytes(body))]


@fault("no-delivery")  # nothing reaches a subscriber: the proxy acknowledges deliveries itself
def _(conn, way, p):
    if way == DOWN and p.name == "PUBLISH":
        pid, q = p.fields["pid"], p.fields["qos"]
        if q == 1:
            conn.to_server(simple("PUBACK", pid).raw)
        elif q == 2:
            conn.acked.add(pid)
            conn.to_server(simple("PUBREC", pid).raw)
        return []
    if way == DOWN and p.name == "PUBREL" and p.fields.get("pid") in conn.acked:
        conn.acked.discard(p.fields["pid"])
        conn.to_server(simple("PUBCOMP", p.fields["pid"]).raw)
        return []


@fault("plus-first-level-dead")  # a filter starting with '+/' is subscribed as one that matches
def _(conn, way, p):                # nothing (a broker whose '+' at the first level is broken)
    if way == UP and p.name == "SUBSCRIBE":
        return [_resubscribe(p, conn, lambda f, o: ("oupcheck-matches-nothing" + f[1:]
                                                    if f.startswith("+/") else f, o))]


@fault("bad-filter-unanswered")  # a malformed filter gets neither a SUBACK nor a close
def _(conn, way, p):
    if way == UP and p.name == "SUBSCRIBE" and any(
            (f.endswith("#") and not f.endswith("/#")) or (f.endswith("+") and not
                                                          f.endswith("/+"))
            for f, _ in p.fields["subs"]):
        return []


@fault("stored-q1-twice")  # a stored QoS 1 message is delivered twice (allowed: at least once)
def _(conn, way, p):
    if way == DOWN and p.name == "PUBLISH" and p.fields["qos"] == 1 \
            and "/store-q1-" in p.fields["topic"]:
        conn.acked.add(p.fields["pid"])
        return [p, _republish(p, conn, dup=1)]
    if way == UP and p.name == "PUBACK" and p.fields.get("pid") in conn.acked:
        # the client acknowledges both copies; the broker sent one
        if p.fields["pid"] in conn.held_acks:
            conn.held_acks.discard(p.fields["pid"])
            conn.acked.discard(p.fields["pid"])
            return []
        conn.held_acks.add(p.fields["pid"])


class _Listener:
    """A loopback TCP port with a thread per connection (``_serve``); ``url`` is
    ``mqtt://127.0.0.1:P``. Usable as a context manager."""

    def _listen(self, name: str) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"mqtt://127.0.0.1:{self.port}"
        self._stop = False
        threading.Thread(target=self._accept, daemon=True, name=name).start()

    def _accept(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self._stop = True
        self.listener.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class MqttFaultProxy(_Listener):
    def __init__(self, upstream_port: int, fault_name: str | None = None,
                 upstream_host: str = "127.0.0.1"):
        if fault_name is not None and fault_name not in FAULTS:
            raise KeyError(f"unknown MQTT fault {fault_name!r}")
        self.fault = FAULTS.get(fault_name) if fault_name else None
        self.fault_name = fault_name
        self.upstream = (upstream_host, upstream_port)
        self.lock = threading.Lock()
        self.connected_ids: set[str] = set()
        self.seen_ids: set[str] = set()
        self._listen("mqtt-fault-proxy")

    def _serve(self, client: socket.socket) -> None:
        try:
            server = socket.create_connection(self.upstream, timeout=5)
        except OSError:
            client.close()
            return
        server.settimeout(None)
        conn = Conn(self)
        send_lock = threading.Lock()

        def to_client(b: bytes) -> None:
            with send_lock:
                client.sendall(b)

        def to_server(b: bytes) -> None:
            server.sendall(b)

        conn.to_client, conn.to_server = to_client, to_server

        def pump(src: socket.socket, way: str) -> None:
            reader = Reader()
            try:
                while True:
                    data = src.recv(65536)
                    if not data:
                        break
                    reader.version = conn.version
                    for p in reader.feed(data):
                        if p.name == "CONNECT" and way == UP:
                            conn.connects += 1
                            if conn.connects == 1:
                                conn.version = p.fields.get("level", 4)
                                conn.client_id = p.fields.get("client_id", "")
                                reader.version = conn.version
                        out = self.fault(conn, way, p) if self.fault else None
                        for item in ([p] if out is None else out):
                            if item == "drop":
                                raise ConnectionAbortedError
                            raw = item.raw if isinstance(item, Packet) else item
                            (to_server if way == UP else to_client)(raw)
            except (OSError, ConnectionAbortedError, WireError):
                pass
            finally:
                if way == UP and self.fault_name == "graceful-close" and conn.connects:
                    try:
                        server.sendall(simple("DISCONNECT").raw)
                    except OSError:
                        pass
                for sock in (client, server):
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                with self.lock:
                    self.connected_ids.discard(conn.client_id) if way == UP else None

        t = threading.Thread(target=pump, args=(server, DOWN), daemon=True)
        t.start()
        pump(client, UP)
        t.join(5)
        client.close()
        server.close()


class DeadPort(_Listener):
    """Test-only: a TCP port that accepts connections and answers nothing useful to MQTT.

    ``mode="silent"`` reads and never sends a byte; ``mode="garbage"`` answers every read with
    bytes that are no MQTT packet (a packet of the reserved type 0, then a
    length field that never ends). ``DeadPort(mode).url`` is ``mqtt://127.0.0.1:P``."""

    # a packet of the reserved type 0, then a length field that never ends (WireError)
    GARBAGE = b"\x00\x00" + b"\xff" * 8

    def __init__(self, mode: str = "silent"):
        if mode not in ("silent", "garbage"):
            raise ValueError(f"unknown mode {mode!r}")
        self.mode = mode
        self._listen(f"dead-port-{mode}")

    def _serve(self, conn: socket.socket) -> None:
        try:
            while conn.recv(65536):
                if self.mode == "garbage":
                    conn.sendall(self.GARBAGE)
        except OSError:
            pass
        finally:
            conn.close()
