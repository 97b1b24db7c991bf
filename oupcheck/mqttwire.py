"""MQTT control packets at byte level, for the probes a client library will not send.

paho-mqtt does the ordinary conversations of the MQTT checks. A conformance suite also has to
send what a well-behaved client never sends (a second CONNECT, a wildcard in a topic name, an
unknown protocol level, a QoS 2 re-send before PUBREL) and to show the exact bytes as evidence;
no maintained synchronous Python library exposes that, so this module encodes and decodes the
fixed header, the MQTT 3.1.1 packets, and the MQTT 5.0 properties of PUBLISH and SUBSCRIBE.
"""

from __future__ import annotations

import socket
import struct
import time
from dataclasses import dataclass, field
from typing import Any

TYPES = {1: "CONNECT", 2: "CONNACK", 3: "PUBLISH", 4: "PUBACK", 5: "PUBREC", 6: "PUBREL",
         7: "PUBCOMP", 8: "SUBSCRIBE", 9: "SUBACK", 10: "UNSUBSCRIBE", 11: "UNSUBACK",
         12: "PINGREQ", 13: "PINGRESP", 14: "DISCONNECT", 15: "AUTH"}
CODES = {v: k for k, v in TYPES.items()}

# MQTT 5.0 property identifiers -> value encoding (2.2.2.2)
PROPS = {1: "byte", 2: "int4", 3: "str", 8: "str", 9: "bin", 11: "varint", 17: "int4",
         18: "str", 19: "int2", 21: "str", 22: "bin", 23: "byte", 24: "int4", 25: "byte",
         26: "str", 28: "str", 31: "str", 33: "int2", 34: "int2", 35: "int2", 36: "byte",
         37: "byte", 38: "pair", 39: "int4", 40: "byte", 41: "byte", 42: "byte"}


class WireError(Exception):
    """The bytes are not a well-formed MQTT packet."""


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        n, digit = divmod(n, 128)
        out.append(digit | (0x80 if n else 0))
        if not n:
            return bytes(out)


def read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    value, mult = 0, 1
    for i in range(4):
        if pos + i >= len(buf):
            raise WireError("variable byte integer runs past the end")
        b = buf[pos + i]
        value += (b & 0x7F) * mult
        if not b & 0x80:
            return value, pos + i + 1
        mult *= 128
    raise WireError("variable byte integer longer than 4 bytes")


def s(text: str | bytes) -> bytes:
    raw = text.encode("utf-8") if isinstance(text, str) else text
    return struct.pack("!H", len(raw)) + raw


def read_s(buf: bytes, pos: int) -> tuple[bytes, int]:
    if pos + 2 > len(buf):
        raise WireError("string length runs past the end")
    (n,) = struct.unpack_from("!H", buf, pos)
    if pos + 2 + n > len(buf):
        raise WireError("string runs past the end")
    return buf[pos + 2:pos + 2 + n], pos + 2 + n


def encode_props(props: list[tuple[int, Any]]) -> bytes:
    body = bytearray()
    for pid, value in props:
        kind = PROPS[pid]
        body += varint(pid)
        if kind == "byte":
            body.append(value)
        elif kind == "int2":
            body += struct.pack("!H", value)
        elif kind == "int4":
            body += struct.pack("!I", value)
        elif kind == "varint":
            body += varint(value)
        elif kind in ("str", "bin"):
            body += s(value)
        else:  # pair
            body += s(value[0]) + s(value[1])
    return varint(len(body)) + bytes(body)


def decode_props(buf: bytes, pos: int) -> tuple[list[tuple[int, Any]], int]:
    length, pos = read_varint(buf, pos)
    end = pos + length
    if end > len(buf):
        raise WireError("properties run past the end")
    props: list[tuple[int, Any]] = []
    while pos < end:
        pid, pos = read_varint(buf, pos)
        kind = PROPS.get(pid)
        if kind is None:
            raise WireError(f"unknown property identifier {pid}")
        if kind == "byte":
            value, pos = buf[pos], pos + 1
        elif kind == "int2":
            (value,), pos = struct.unpack_from("!H", buf, pos), pos + 2
        elif kind == "int4":
            (value,), pos = struct.unpack_from("!I", buf, pos), pos + 4
        elif kind == "varint":
            value, pos = read_varint(buf, pos)
        elif kind == "str":
            raw, pos = read_s(buf, pos)
            value = raw.decode("utf-8", "replace")
        elif kind == "bin":
            value, pos = read_s(buf, pos)
        else:
            k, pos = read_s(buf, pos)
            v, pos = read_s(buf, pos)
            value = (k.decode("utf-8", "replace"), v.decode("utf-8", "replace"))
        props.append((pid, value))
    return props, end


@dataclass
class Packet:
    """One control packet: the fixed header, its raw bytes and what the checks read from it."""
    type: int
    flags: int
    body: bytes
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return TYPES.get(self.type, f"reserved({self.type})")

    @property
    def raw(self) -> bytes:
        return bytes([(self.type << 4) | self.flags]) + varint(len(self.body)) + self.body

    def describe(self) -> str:
        f = self.fields
        if self.type == 3:
            return (f"PUBLISH (d{f['dup']}, q{f['qos']}, r{f['retain']}"
                    f"{', m' + str(f['pid']) if f.get('pid') else ''}) {f['topic']!r} "
                    f"({len(f['payload'])} bytes)")
        if self.type == 2:
            return f"CONNACK (session present {f.get('session_present')}, code {f.get('code')})"
        if self.type == 9:
            return f"SUBACK (m{f.get('pid')}) codes {f.get('codes')}"
        if self.type == 1 and "level" in f:
            fl = f["flags"]
            return (f"CONNECT (level {f['level']}, clean {(fl >> 1) & 1}, will {(fl >> 2) & 1}"
                    f"{', user name and password' if fl & 0xC0 == 0xC0 else ''}"
                    f"{', reserved bit set' if fl & 1 else ''}) client_id={f['client_id']!r}")
        if self.type == 8 and "subs" in f:
            return f"SUBSCRIBE (m{f['pid']}) {f['subs']}"
        if f.get("pid") is not None:
            return f"{self.name} (m{f['pid']})"
        return self.name


def parse(ptype: int, flags: int, body: bytes, version: int = 4) -> Packet:
    """Decode the fields the probes need (server-to-client packets, and PUBLISH/SUBSCRIBE/CONNECT
    both ways for the test proxy)."""
    p = Packet(ptype, flags, body)
    f = p.fields
    try:
        if ptype == 2 and len(body) >= 2:
            f["session_present"], f["code"] = body[0] & 1, body[1]
        elif ptype == 3:
            f["dup"], f["qos"], f["retain"] = (flags >> 3) & 1, (flags >> 1) & 3, flags & 1
            topic, pos = read_s(body, 0)
            f["topic"] = topic.decode("utf-8", "replace")
            f["pid"] = None
            if f["qos"]:
                (f["pid"],), pos = struct.unpack_from("!H", body, pos), pos + 2
            f["props"] = []
            if version == 5:
                f["props"], pos = decode_props(body, pos)
            f["payload"] = body[pos:]
        elif ptype in (4, 5, 6, 7, 11) and len(body) >= 2:
            (f["pid"],) = struct.unpack_from("!H", body, 0)
        elif ptype == 9 and len(body) >= 2:
            (f["pid"],) = struct.unpack_from("!H", body, 0)
            pos = 2
            if version == 5:
                _, pos = decode_props(body, pos)
            f["codes"] = list(body[pos:])
        elif ptype == 8:
            (f["pid"],) = struct.unpack_from("!H", body, 0)
            pos = 2
            if version == 5:
                f["props"], pos = decode_props(body, pos)
            subs = []
            while pos < len(body):
                flt, pos = read_s(body, pos)
                subs.append((flt.decode("utf-8", "replace"), body[pos]))
                pos += 1
            f["subs"] = subs
        elif ptype == 1:
            name, pos = read_s(body, 0)
            f["protocol"], f["level"], f["flags"] = name.decode("latin-1"), body[pos], body[pos + 1]
            (f["keepalive"],) = struct.unpack_from("!H", body, pos + 2)
            pos += 4
            if f["level"] == 5:
                f["props"], pos = decode_props(body, pos)
            cid, pos = read_s(body, pos)
            f["client_id"] = cid.decode("utf-8", "replace")
            f["payload_at"] = pos
    except (struct.error, IndexError) as exc:
        raise WireError(f"{p.name} body too short: {exc}") from None
    return p


def publish(topic: str, payload: bytes = b"", qos: int = 0, retain: bool = False,
            pid: int | None = None, dup: bool = False,
            props: list[tuple[int, Any]] | None = None, version: int = 4) -> Packet:
    body = s(topic)
    if qos:
        body += struct.pack("!H", pid or 1)
    if version == 5:
        body += encode_props(props or [])
    flags = (int(dup) << 3) | (qos << 1) | int(retain)
    return parse(3, flags, body + payload, version)


def connect(client_id: str, *, clean: bool = True, keepalive: int = 30, level: int = 4,
            will: tuple[str, bytes, int, bool] | None = None, reserved: bool = False,
            protocol: str = "MQTT", props: list[tuple[int, Any]] | None = None,
            login: tuple[str, str] | None = None) -> Packet:
    flags = (int(clean) << 1) | int(reserved)
    payload = s(client_id)
    if will is not None:
        wtopic, wmsg, wqos, wretain = will
        flags |= 0x04 | (wqos << 3) | (int(wretain) << 5)
        if level == 5:
            payload += encode_props([])
        payload += s(wtopic) + s(wmsg)
    if login is not None:  # user name and password (3.1.2.8, 3.1.2.9)
        flags |= 0xC0
        payload += s(login[0]) + s(login[1])
    body = s(protocol) + bytes([level, flags]) + struct.pack("!H", keepalive)
    if level == 5:
        body += encode_props(props or [])
    return parse(1, 0, body + payload, level)


def subscribe(pid: int, filters: list[tuple[str, int]], version: int = 4) -> Packet:
    body = struct.pack("!H", pid)
    if version == 5:
        body += encode_props([])
    for flt, opts in filters:
        body += s(flt) + bytes([opts])
    return Packet(8, 2, body, {"pid": pid, "subs": filters})


def simple(name: str, pid: int | None = None) -> Packet:
    code = CODES[name]
    flags = 2 if name in ("PUBREL", "SUBSCRIBE", "UNSUBSCRIBE") else 0
    body = struct.pack("!H", pid) if pid is not None else b""
    return Packet(code, flags, body, {"pid": pid} if pid is not None else {})


class Reader:
    """Splits a byte stream into packets."""

    def __init__(self, version: int = 4):
        self.buf = b""
        self.version = version

    def feed(self, data: bytes) -> list[Packet]:
        self.buf += data
        out = []
        while len(self.buf) >= 2:
            try:
                length, pos = read_varint(self.buf, 1)
            except WireError:
                if len(self.buf) < 5:
                    break
                raise
            if len(self.buf) < pos + length:
                break
            first, body = self.buf[0], self.buf[pos:pos + length]
            self.buf = self.buf[pos + length:]
            out.append(parse(first >> 4, first & 0x0F, body, self.version))
        return out


@dataclass
class Line:
    t: float
    direction: str  # "->" client to server, "<-" server to client, "--" connection event
    text: str
    hex: str = ""

    def record(self) -> str:
        tail = f"  [{self.hex}]" if self.hex else ""
        return f"{self.t:7.3f} {self.direction} {self.text}{tail}"


class RawSession:
    """A TCP connection that speaks MQTT byte by byte, logging every packet with its bytes."""

    HEX_LIMIT = 96  # bytes of each packet shown as hex in the evidence

    def __init__(self, host: str, port: int, timeout: float = 5.0, version: int = 4,
                 label: str = "raw", tls: Any = None, server_name: str | None = None):
        self.label = label
        self.t0 = time.monotonic()
        self.log: list[Line] = []
        self.reader = Reader(version)
        self.pending: list[Packet] = []
        self.closed_by_peer = False
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self._note("--", f"TCP connected to {host}:{port}")
        if tls is not None:  # an ssl.SSLContext: mqtts
            try:
                self.sock = tls.wrap_socket(self.sock, server_hostname=server_name or host)
            except OSError:
                self.sock.close()
                raise
            self._note("--", f"TLS {self.sock.version()} established")

    def _note(self, direction: str, text: str, raw: bytes = b"") -> None:
        hx = raw[:self.HEX_LIMIT].hex(" ") + (" ..." if len(raw) > self.HEX_LIMIT else "")
        self.log.append(Line(round(time.monotonic() - self.t0, 3), direction, text, hx))

    def send(self, packet: Packet | bytes, text: str | None = None) -> None:
        raw = packet.raw if isinstance(packet, Packet) else packet
        desc = text or (packet.describe() if isinstance(packet, Packet) else "bytes")
        secret = isinstance(packet, Packet) and packet.type == 1 and \
            packet.fields.get("flags", 0) & 0x40
        self._note("->", desc + (" [bytes withheld: they hold the password]" if secret else ""),
                   b"" if secret else raw)
        try:
            self.sock.sendall(raw)
        except OSError as exc:
            self.closed_by_peer = True
            self._note("--", f"send failed: {exc}")

    def read(self, timeout: float | None = None) -> Packet | None:
        """The next packet, or None when the peer closed or nothing came within the timeout."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while not self.pending:
            left = deadline - time.monotonic()
            if left <= 0 or self.closed_by_peer:
                return None
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                return None
            except OSError as exc:
                self.closed_by_peer = True
                self._note("--", f"connection reset by the server ({exc.__class__.__name__})")
                return None
            if not data:
                self.closed_by_peer = True
                self._note("--", "connection closed by the server")
                return None
            try:
                packets = self.reader.feed(data)
            except WireError as exc:
                # the bytes are kept as evidence; the connection is of no further use
                self.closed_by_peer = True
                self._note("<-", f"malformed packet: {exc}", bytes(self.reader.buf[:4096]))
                raise WireError(f"malformed packet from the server: {exc} (first bytes: "
                                f"{bytes(self.reader.buf[:16]).hex(' ')})") from None
            for p in packets:
                self._note("<-", p.describe(), p.raw)
                self.pending.append(p)
        return self.pending.pop(0)

    def expect(self, name: str, timeout: float | None = None) -> Packet | None:
        """Read packets until one of type ``name`` (others stay logged); None if none came."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            p = self.read(max(0.0, deadline - time.monotonic()))
            if p is None or p.name == name:
                return p

    def closed_within(self, seconds: float) -> bool:
        """True when the server closes the connection within ``seconds`` (packets are logged)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.read(max(0.0, deadline - time.monotonic())) is None and self.closed_by_peer:
                return True
        return self.closed_by_peer

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass
        self._note("--", "client closed the TCP connection")

    def lines(self) -> list[str]:
        return [ln.record() for ln in self.log]
