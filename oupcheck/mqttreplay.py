"""MQTT conversations recorded call by call, so that a run can be judged again without the
broker (``oupcheck rejudge``).

A check talks to a broker through a session (``mqttclient.PahoSession`` for ordinary
conversations, ``mqttwire.RawSession`` for byte-level ones). While a run records, ``Logged``
stands between the check and the session and keeps every call the check makes (``connect``,
``subscribe``, ``publish``, ``messages``, ``read``, ``expect``, ...) with what it returned or
raised, and every attribute the check reads (``closed_by_peer``); the conversation's evidence
keeps that log as ``data.calls`` next to its packets. When the run is judged again,
``Replayed`` hands the check the recorded results in the same order; a call the conversation
did not make is ``NotRecorded`` (the row is INCONCLUSIVE "not recorded"), never a verdict.
"""

from __future__ import annotations

import base64
import dataclasses
from typing import Any

from .errors import TransportError

MAX_CALLS = 5000  # per conversation: a check that polls longer keeps the first ones


def encode(value: Any) -> Any:
    """A JSON-safe form of what a session call returns (bytes, tuples, messages, packets)."""
    from .mqttclient import Message
    from .mqttwire import Packet
    if isinstance(value, bytes):
        return {"__bytes": base64.b64encode(value).decode()}
    if isinstance(value, tuple):
        return {"__tuple": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {"__dict": [[encode(k), encode(v)] for k, v in value.items()]}
    if isinstance(value, Message):
        return {"__message": {f.name: encode(getattr(value, f.name))
                              for f in dataclasses.fields(value)}}
    if isinstance(value, Packet):
        return {"__packet": {f.name: encode(getattr(value, f.name))
                             for f in dataclasses.fields(value)}}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return {"__repr": repr(value)}


def decode(value: Any) -> Any:
    from .mqttclient import Message
    from .mqttwire import Packet
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "__bytes" in value:
        return base64.b64decode(value["__bytes"])
    if "__tuple" in value:
        return tuple(decode(v) for v in value["__tuple"])
    if "__dict" in value:
        return {decode(k): decode(v) for k, v in value["__dict"]}
    if "__message" in value:
        return Message(**{k: decode(v) for k, v in value["__message"].items()})
    if "__packet" in value:
        return Packet(**{k: decode(v) for k, v in value["__packet"].items()})
    return value.get("__repr")


def _error(name: str, message: str) -> Exception:
    """What a replayed call raises again: a malformed packet, else the transport's error."""
    if name == "WireError":
        from .mqttwire import WireError
        return WireError(message)
    return TransportError(message)


class Logged:
    """A session whose calls (and attribute reads) the check makes are kept in ``calls``."""

    def __init__(self, session: Any):
        object.__setattr__(self, "_session", session)
        object.__setattr__(self, "calls", [])
        object.__setattr__(self, "_depth", 0)

    def _keep(self, entry: dict[str, Any]) -> None:
        if len(self.calls) < MAX_CALLS:
            self.calls.append(entry)

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._session, name)
        if not callable(value):
            if self._depth == 0:  # a read inside a call (a wait's predicate) is the call's
                self._keep({"attr": name, "value": encode(value)})
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            object.__setattr__(self, "_depth", self._depth + 1)
            try:
                result = value(*args, **kwargs)
            except Exception as exc:
                if self._depth == 1:
                    self._keep({"call": name, "raised": type(exc).__name__, "message": str(exc)})
                raise
            finally:
                object.__setattr__(self, "_depth", self._depth - 1)
            if self._depth == 0:
                self._keep({"call": name, "result": encode(result)})
            return result
        return call

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._session, name, value)


class Replayed:
    """A session answered from a recorded conversation's ``calls``."""

    def __init__(self, record: dict[str, Any], replay: Any):
        data = record.get("data") or {}
        object.__setattr__(self, "_calls", list(data.get("calls") or []))
        object.__setattr__(self, "_record", record)
        object.__setattr__(self, "_replay", replay)
        object.__setattr__(self, "_at", 0)

    def _next(self, kind: str, name: str) -> dict[str, Any]:
        calls, at = self._calls, self._at
        if at < len(calls) and calls[at].get(kind) == name:
            object.__setattr__(self, "_at", at + 1)
            return calls[at]
        seen = calls[at].get("call") or f"a read of {calls[at].get('attr')}" \
            if at < len(calls) else "the end of the conversation"
        raise self._replay.missing(f"MQTT {name}", f"the recorded conversation "
                            f"{self._record.get('note')!r} did not {kind} {name} here (it "
                            f"recorded {seen}): a probe the judged run did not make")

    def __getattr__(self, name: str) -> Any:
        if name in ("lines",):
            return lambda: list((self._record.get("data") or {}).get("packets") or [])
        if name == "close":
            return lambda *a, **kw: None  # nothing to close
        if self._at < len(self._calls) and self._calls[self._at].get("attr") == name:
            return decode(self._next("attr", name)["value"])

        def call(*args: Any, **kwargs: Any) -> Any:
            entry = self._next("call", name)
            if "raised" in entry:
                raise _error(entry["raised"], entry.get("message") or "")
            return decode(entry.get("result"))
        return call

    def __setattr__(self, name: str, value: Any) -> None:
        pass  # a replayed session keeps no state of its own
