"""MQTT 5.0 additions a city's event channel relies on: subscription options (No Local, Retain As
Published, Retain Handling), user properties and message expiry. NOT_APPLICABLE when the broker
refuses an MQTT 5.0 CONNECT (the check that shows it is kept as evidence)."""

from __future__ import annotations

import time

from oupcheck.marks import requirement
from oupcheck.verdicts import Inconclusive, expect

from .probes import ended_afterwards, granted, subscribe_and_leave

V = 5


@requirement("mqtt-5.0:MQTT-3.8.3-3")
def test_no_local(mqtt5):
    b, topic = mqtt5, mqtt5.topic("nolocal")
    with b.client("subscriber with No Local = 1 that also publishes", version=V) as me, \
            b.client("second subscriber (control)", version=V) as other:
        me.connect()
        other.connect()
        granted(me.subscribe(topic, 1, no_local=True), topic)
        granted(other.subscribe(topic, 1), topic)
        me.publish(topic, b"own-message", qos=1)
        control = other.wait_messages(topic, 1)
        me.settle(b.settle)
        echoed = me.messages(topic)
    if not control:
        raise Inconclusive("the message was not delivered to the control subscriber either")
    expect(not echoed, "a No Local subscription received the client's own message",
           expected="no delivery to the publishing connection",
           actual=[m.brief() for m in echoed])


def _retained_flag(b, *, rap: bool):
    topic = b.topic("rap")
    b.retained.add(topic)
    with b.client(f"established subscriber, Retain As Published = {int(rap)}", version=V) as s:
        s.connect()
        granted(s.subscribe(topic, 1, retain_as_published=rap), topic)
        with b.client("publisher of a retained message", version=V) as p:
            p.connect()
            p.publish(topic, b"rap", qos=1, retain=True)
        got = s.wait_messages(topic, 1)
    if not got:
        raise Inconclusive("the message was not delivered, so its flag cannot be judged")
    return got[0]


@requirement("mqtt-5.0:MQTT-3.3.1-12")
def test_retain_as_published_0_clears_flag(mqtt5):
    m = _retained_flag(mqtt5, rap=False)
    expect(not m.retain, "Retain As Published = 0, yet the forwarded message has RETAIN 1",
           expected="RETAIN 0", actual=m.brief())


@requirement("mqtt-5.0:MQTT-3.3.1-13")
def test_retain_as_published_1_keeps_flag(mqtt5):
    m = _retained_flag(mqtt5, rap=True)
    expect(m.retain, "Retain As Published = 1, yet the forwarded message has RETAIN 0",
           expected="RETAIN 1 (as published)", actual=m.brief())


@requirement("mqtt-5.0:MQTT-3.3.1-11")
def test_retain_handling_2_sends_no_retained(mqtt5):
    b, topic = mqtt5, mqtt5.topic("rh2")
    b.retained.add(topic)
    with b.client("publisher of a retained message", version=V) as p:
        p.connect()
        p.publish(topic, b"kept", qos=1, retain=True)
    with b.client("subscriber with Retain Handling = 2", version=V) as s, \
            b.client("subscriber with Retain Handling = 0 (control)", version=V) as c:
        s.connect()
        c.connect()
        granted(s.subscribe(topic, 1, retain_handling=2), topic)
        granted(c.subscribe(topic, 1, retain_handling=0), topic)
        control = c.wait_messages(topic, 1)
        s.settle(b.settle)
        got = s.messages(topic)
    if not control:
        raise Inconclusive("the retained message was not sent to the control subscription")
    expect(not got, "Retain Handling = 2, yet the retained message was sent at subscribe",
           expected="no retained message", actual=[m.brief() for m in got])


@requirement("mqtt-5.0:MQTT-3.3.2-17")
def test_user_properties_unaltered_in_order(mqtt5):
    b, topic = mqtt5, mqtt5.topic("props")
    props = [("sensor", "aq-7"), ("unit", "µg/m3"), ("sensor", "aq-8")]
    with b.client("subscriber", version=V) as s:
        s.connect()
        granted(s.subscribe(topic, 1), topic)
        with b.client("publisher with three user properties (one name twice)", version=V) as p:
            p.connect()
            p.publish(topic, b"props", qos=1, user_properties=props)
        got = s.wait_messages(topic, 1)
    if not got:
        raise Inconclusive("the message was not delivered")
    expect([tuple(x) for x in got[0].user_properties] == props,
           "user properties were not forwarded unaltered and in order",
           expected=props, actual=got[0].user_properties)


@requirement("mqtt-5.0:MQTT-3.3.2-5")
def test_expired_message_is_not_delivered(mqtt5):
    b = mqtt5
    cid, topic = b.name("expiry"), b.topic("expiry")
    with ended_afterwards(b, cid, version=V):
        subscribe_and_leave(b, cid, "persistent subscriber (session expiry 300 s), then away",
                            [(topic, 1)], version=V, session_expiry=300)
        with b.client("publisher: message expiry 1 s, and a control with 300 s", version=V) as p:
            p.connect()
            p.publish(topic, b"expires", qos=1, expiry=1)
            p.publish(topic, b"control", qos=1, expiry=300)
        time.sleep(2.2)
        with b.client("subscriber back after 2.2 s", version=V, client_id=cid) as s2:
            s2.connect(clean=False, session_expiry=300)
            s2.wait_messages(topic, 1)
            s2.settle(b.settle)
            got = [m.payload for m in s2.messages(topic)]
    if b"control" not in got:
        raise Inconclusive("the broker kept no messages for the away session (control missing)")
    expect(b"expires" not in got, "a message whose expiry interval had passed was delivered",
           expected="only 'control'", actual=got)
