"""Steps the MQTT checks of both editions share."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from oupcheck.verdicts import Inconclusive


def granted(codes: list[int], what: str) -> int:
    """The granted QoS of a SUBACK; INCONCLUSIVE when the subscription was refused (a return
    or reason code of 0x80 or above) or not answered: the probe cannot go on."""
    if not codes:
        raise Inconclusive(f"no SUBACK for {what}")
    if codes[0] >= 0x80:
        raise Inconclusive(f"the broker refused the subscription {what} (SUBACK {codes})")
    return codes[0]


def subscribe_and_leave(broker, cid: str, label: str, subs: list[tuple[str, int]],
                        version: int = 4, session_expiry: int | None = None) -> None:
    """Connect with a persistent session, subscribe, and disconnect (the session stays)."""
    with broker.client(label, version=version, client_id=cid) as a:
        a.connect(clean=False, session_expiry=session_expiry)
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
