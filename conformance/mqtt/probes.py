"""Steps the MQTT checks of both editions share."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from oupcheck.verdicts import Inconclusive, expect


def granted(codes: list[int], what: str) -> int:
    """The granted QoS of a SUBACK; INCONCLUSIVE when the subscription was refused (a return
    or reason code of 0x80 or above) or not answered: the probe cannot go on."""
    if not codes:
        raise Inconclusive(f"no SUBACK for {what}")
    if codes[0] >= 0x80:
        raise Inconclusive(f"the broker refused the subscription {what} (SUBACK {codes})",
                           decide="let the suite's identity subscribe and publish under "
                                  "oupcheck/# and $oupcheck/# (broker ACL)")
    return codes[0]


def accepted(connack: tuple[int, int], what: str) -> int:
    """Precondition: the broker accepted the connection (CONNACK code 0); returns Session
    Present. A refused connection cannot show what the check is about."""
    rc, present = connack
    expect(rc == 0, f"the broker accepted {what} (CONNACK code {rc})", pre=True)
    return present


def acknowledged(ok: bool, what: str) -> None:
    """Precondition: a QoS 1/2 publication of the probe completed (PUBACK / PUBCOMP): without
    it, a message that never arrives shows nothing about the rule under test."""
    expect(ok, f"the broker acknowledged {what} (PUBACK / PUBCOMP)", pre=True)


def subscribe_and_leave(broker, cid: str, label: str, subs: list[tuple[str, int]],
                        version: int = 4, session_expiry: int | None = None) -> None:
    """Connect with a persistent session, subscribe, and disconnect (the session stays)."""
    with broker.client(label, version=version, client_id=cid) as a:
        accepted(a.connect(clean=False, session_expiry=session_expiry),
                 "the persistent session's CONNECT")
        for topic, qos in subs:
            granted(a.subscribe(topic, qos), topic)


@contextmanager
def ended_afterwards(broker, cid: str, version: int = 4) -> Iterator[None]:
    """End the persistent session of ``cid`` when the check is done, whatever happened."""
    try:
        yield
    finally:
        with broker.client("clean-up: end the persistent session", version=version,
                           client_id=cid) as c:
            c.connect(clean=True, session_expiry=0 if version == 5 else None)
