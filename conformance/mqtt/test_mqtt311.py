"""MQTT 3.1.1 essentials, one check per normative statement ([MQTT-x.y.z-n]).

Every conversation (paho-mqtt or raw packets) is recorded as an exchange of kind ``mqtt`` with its
packet log, so a FAIL shows the packets that proved it. Topics are unique to the run.
"""

from __future__ import annotations

import pytest

from oupcheck.mqttwire import publish, simple, subscribe
from oupcheck.verdicts import CheckFailed, Inconclusive, expect

from .probes import ended_afterwards, granted, subscribe_and_leave

V = 4


def requirement(*ids):
    return pytest.mark.requirement(*("mqtt-3.1.1:" + i for i in ids))


def _connected(raw, broker, **kw):
    raw.send(broker.connect_packet("raw", **kw))
    ack = raw.read()
    if ack is None or ack.name != "CONNACK" or ack.fields.get("code") != 0:
        seen = ack.describe() if ack else "no answer"
        raise Inconclusive(f"the broker did not accept a plain CONNECT ({seen}); the probe "
                           "cannot go on")
    return ack




@requirement("MQTT-3.2.0-1")
def test_connack_is_first(broker):
    with broker.raw("CONNECT: is CONNACK the first packet back?") as raw:
        raw.send(broker.connect_packet("first"))
        first = raw.read()
    expect(first is not None and first.name == "CONNACK",
           "the first packet from the server is not a CONNACK", expected="CONNACK",
           actual=first.describe() if first else "no packet (connection closed or silent)")


@requirement("MQTT-3.1.0-2")
def test_second_connect_is_a_violation(broker):
    with broker.raw("a second CONNECT on one connection") as raw:
        _connected(raw, broker)
        raw.send(broker.connect_packet("again"))
        closed = raw.closed_within(broker.timeout)
    expect(closed, "the server kept the connection open after a second CONNECT",
           expected="the server closes the connection", actual="connection still open")


@requirement("MQTT-3.1.2-2")
def test_unsupported_protocol_level(broker):
    with broker.raw("CONNECT with protocol level 9 (unsupported)") as raw:
        raw.send(broker.connect_packet("level9", level=9))
        ack = raw.read()
        closed = raw.closed_within(broker.timeout)
    code = ack.fields.get("code") if ack is not None and ack.name == "CONNACK" else None
    expect(code == 1 and closed, "an unsupported protocol level is not refused with CONNACK "
           "0x01 followed by a disconnect", expected="CONNACK return code 0x01, then close",
           actual=f"{ack.describe() if ack else 'no CONNACK'}; "
                  f"{'closed' if closed else 'connection left open'}")


@requirement("MQTT-3.2.2-1")
def test_clean_session_has_no_session_present(broker):
    cid = broker.name("clean")
    subscribe_and_leave(broker, cid, "persistent session first", [(broker.topic("sp"), 1)])
    with broker.client("then CleanSession=1 with the same ClientId", client_id=cid) as b:
        rc, present = b.connect(clean=True)
    expect(rc == 0 and present == 0, "CleanSession=1 was answered with Session Present=1",
           expected="CONNACK session present 0", actual=f"code {rc}, session present {present}")


@requirement("MQTT-3.2.2-2")
def test_persistent_session_is_present(broker):
    cid = broker.name("persist")
    with ended_afterwards(broker, cid):
        subscribe_and_leave(broker, cid, "CleanSession=0, subscribe, disconnect",
                            [(broker.topic("sp"), 1)])
        with broker.client("reconnect with CleanSession=0", client_id=cid) as b:
            rc, present = b.connect(clean=False)
    expect(rc == 0 and present == 1, "a stored session was not reported as present",
           expected="CONNACK session present 1", actual=f"code {rc}, session present {present}")


@requirement("MQTT-3.1.2-5")
def test_persistent_session_stores_qos1_and_qos2(broker):
    cid, t1, t2 = broker.name("store"), broker.topic("store-q1"), broker.topic("store-q2")
    with ended_afterwards(broker, cid):
        subscribe_and_leave(broker, cid, "CleanSession=0: subscribe QoS 1 and 2, then disconnect",
                            [(t1, 1), (t2, 2)])
        with broker.client("publish while the subscriber is away") as p:
            p.connect()
            p.publish(t1, b"stored-q1", qos=1)
            p.publish(t2, b"stored-q2", qos=2)
        with broker.client("reconnect with CleanSession=0", client_id=cid) as b:
            _, present = b.connect(clean=False)
            got = b.wait_messages(None, 2)
    payloads = sorted(m.payload for m in got)
    expect(payloads == [b"stored-q1", b"stored-q2"], "messages published while a persistent "
           "session was disconnected were not delivered on reconnect",
           expected="stored-q1 (QoS 1) and stored-q2 (QoS 2)",
           actual=[m.brief() for m in got] or f"nothing within {broker.timeout:g} s "
                                               f"(CONNACK session present {present})")


@requirement("MQTT-3.1.2-6")
def test_clean_session_discards_the_old_one(broker):
    cid, topic = broker.name("discard"), broker.topic("discard")
    subscribe_and_leave(broker, cid, "CleanSession=0: subscribe, disconnect", [(topic, 1)])
    with broker.client("publish into the stored session") as p:
        p.connect()
        p.publish(topic, b"for-the-old-session", qos=1)
        with broker.client("CleanSession=1 with the same ClientId", client_id=cid) as b:
            b.connect(clean=True)
            p.publish(topic, b"after-clean-start", qos=1)
            b.settle(broker.settle)
            got = b.messages()
    expect(not got, "a CleanSession=1 connection received messages of the previous session's "
           "subscriptions", expected="nothing (old session discarded)",
           actual=[m.brief() for m in got])


@requirement("MQTT-3.1.4-2")
def test_same_client_id_takes_over(broker):
    cid = broker.name("takeover")
    with broker.client("first connection", client_id=cid) as a:
        a.connect()
        with broker.client("second connection, same ClientId", client_id=cid) as b:
            b.connect()
            kicked = a._wait(lambda: a.disconnected)
    expect(kicked, "the existing connection was not disconnected when a client with the same "
           "ClientId connected", expected="first connection closed by the server",
           actual="first connection still open")


def _will_probe(broker, *, graceful: bool):
    wtopic = broker.topic("will")
    with broker.client("subscriber of the will topic") as s:
        s.connect()
        granted(s.subscribe(wtopic, 1), wtopic)
        how = "DISCONNECT, then close" if graceful else "close without DISCONNECT"
        with broker.raw(f"client with a Will Message: {how}") as raw:
            _connected(raw, broker, will=(wtopic, b"gone", 1, False))
            if graceful:
                raw.send(simple("DISCONNECT"))
        got = s.wait_messages(wtopic, 1, broker.settle if graceful else broker.timeout)
    return got


@requirement("MQTT-3.1.2-8")
def test_will_published_when_connection_drops(broker):
    got = _will_probe(broker, graceful=False)
    expect([m.payload for m in got] == [b"gone"], "the Will Message was not published when the "
           "network connection closed without DISCONNECT", expected="one will message 'gone'",
           actual=[m.brief() for m in got] or "nothing")


@requirement("MQTT-3.14.4-3")
def test_will_discarded_on_disconnect(broker):
    got = _will_probe(broker, graceful=True)
    expect(not got, "the Will Message was published although the client sent DISCONNECT",
           expected="no will message", actual=[m.brief() for m in got])


@requirement("MQTT-3.12.4-1")
def test_pingreq_is_answered(broker):
    with broker.raw("PINGREQ") as raw:
        _connected(raw, broker)
        raw.send(simple("PINGREQ"))
        resp = raw.expect("PINGRESP")
    expect(resp is not None, "no PINGRESP to a PINGREQ", expected="PINGRESP",
           actual="nothing within the timeout")


@requirement("MQTT-3.8.4-6")
def test_delivered_qos_is_the_minimum(broker):
    topics = {sq: broker.topic(f"qos-sub{sq}") for sq in (0, 1, 2)}
    wrong, missing, given = [], [], {}
    with broker.client("subscriber at QoS 0, 1 and 2") as s:
        s.connect()
        for sq, t in topics.items():
            given[sq] = granted(s.subscribe(t, sq), t)
        with broker.client("publisher at QoS 0, 1 and 2") as p:
            p.connect()
            for t in topics.values():
                for pq in (0, 1, 2):
                    p.publish(t, f"pub-q{pq}".encode(), qos=pq)
        s.wait_messages(None, 9)
        for sq, t in topics.items():
            got = {m.payload: m.qos for m in s.messages(t)}
            for pq in (0, 1, 2):
                want = min(pq, given[sq])
                q = got.get(f"pub-q{pq}".encode())
                if q is None:
                    missing.append(f"published q{pq} to a q{sq} subscription")
                elif q != want:
                    wrong.append(f"published q{pq}, granted q{given[sq]}: delivered q{q}, "
                                 f"expected q{want}")
    if wrong:
        raise CheckFailed("the delivered QoS is not min(published QoS, granted QoS)",
                          expected="min(published, granted) for each pair", actual=wrong)
    if missing:
        raise Inconclusive("not delivered, so their QoS cannot be judged: " + "; ".join(missing))


@requirement("MQTT-3.3.5-1")
def test_overlapping_subscriptions_get_the_maximum_qos(broker):
    base = broker.topic("overlap")
    with broker.client("subscriber with overlapping filters (QoS 0 and QoS 2)") as s:
        s.connect()
        granted(s.subscribe(base + "/#", 0), base + "/#")
        g = granted(s.subscribe(base + "/x", 2), base + "/x")
        with broker.client("publisher") as p:
            p.connect()
            p.publish(base + "/x", b"overlap", qos=2)
        got = s.wait_messages(base + "/x", 1)
        s.settle(broker.settle / 2)
        got = s.messages(base + "/x")
    if not got:
        raise Inconclusive("the message matching both subscriptions was not delivered")
    best = max(m.qos for m in got)
    expect(best == min(2, g), "overlapping subscriptions: no copy at the maximum QoS of the "
           "matching subscriptions", expected=f"a copy at QoS {min(2, g)}",
           actual=[m.brief() for m in got])


@requirement("MQTT-4.3.3-2")
def test_qos2_resend_is_not_delivered_twice(broker):
    topic = broker.topic("qos2-dup")
    with broker.client("subscriber at QoS 2") as s:
        s.connect()
        granted(s.subscribe(topic, 2), topic)
        with broker.raw("QoS 2 PUBLISH, the same PUBLISH again (DUP) before PUBREL") as raw:
            _connected(raw, broker)
            raw.send(publish(topic, b"exactly-once", qos=2, pid=7))
            rec1 = raw.expect("PUBREC")
            raw.send(publish(topic, b"exactly-once", qos=2, pid=7, dup=True))
            rec2 = raw.expect("PUBREC")
            raw.send(simple("PUBREL", 7))
            comp = raw.expect("PUBCOMP")
        s.wait_messages(topic, 1)
        s.settle(broker.settle)
        got = s.messages(topic)
    expect(rec1 is not None and rec2 is not None and comp is not None,
           "the QoS 2 flow was not acknowledged (PUBREC for both sends, PUBCOMP for the PUBREL)",
           expected="PUBREC, PUBREC, PUBCOMP",
           actual=[x.describe() if x else "missing" for x in (rec1, rec2, comp)])
    expect(len(got) == 1, "a QoS 2 PUBLISH re-sent before PUBREL was delivered to the "
           "subscriber more or less than once", expected="exactly one delivery",
           actual=f"{len(got)} deliveries: {[m.brief() for m in got]}")


@requirement("MQTT-4.6.0-6")
def test_messages_keep_their_order(broker):
    topic, n = broker.topic("order"), 30
    with broker.client("subscriber at QoS 1") as s:
        s.connect()
        granted(s.subscribe(topic, 1), topic)
        with broker.client(f"publisher: {n} QoS 1 messages in sequence") as p:
            p.connect()
            infos = [p.client.publish(topic, f"{i:03d}".encode(), qos=1) for i in range(n)]
            for info in infos:
                info.wait_for_publish(broker.timeout)
        got = [m.payload for m in s.wait_messages(topic, n)]
    sent = [f"{i:03d}".encode() for i in range(n)]
    if len(got) < n:
        raise Inconclusive(f"only {len(got)} of {n} QoS 1 messages arrived; order not judged")
    firsts = list(dict.fromkeys(got))  # re-deliveries may repeat; the first copies keep order
    expect(firsts == sent, "messages on one topic at one QoS were delivered out of order",
           expected="000 ... 029 in order", actual=b" ".join(firsts).decode())


def _retained(broker, topic, payload=b"retained-value"):
    broker.retained.add(topic)
    with broker.client("publisher of a retained message") as p:
        p.connect()
        p.publish(topic, payload, qos=1, retain=True)


def _retained_to_new_subscriber(broker, what):
    """Publish a retained message, then subscribe anew: what arrives."""
    topic = broker.topic(what)
    _retained(broker, topic)
    with broker.client("new subscriber") as s:
        s.connect()
        granted(s.subscribe(topic, 1), topic)
        return s.wait_messages(topic, 1)


@requirement("MQTT-3.3.1-6")
def test_retained_message_goes_to_new_subscribers(broker):
    got = _retained_to_new_subscriber(broker, "retained")
    expect([m.payload for m in got] == [b"retained-value"], "a new subscription did not get "
           "the retained message", expected="retained-value",
           actual=[m.brief() for m in got] or "nothing")


@requirement("MQTT-3.3.1-8")
def test_retained_delivery_has_retain_flag(broker):
    got = _retained_to_new_subscriber(broker, "retained-flag")
    if not got:
        raise Inconclusive("the retained message was not delivered, so its flag cannot be judged")
    expect(got[0].retain, "a message sent because of a new subscription has RETAIN 0",
           expected="RETAIN 1", actual=got[0].brief())


@requirement("MQTT-3.3.1-9")
def test_live_delivery_has_no_retain_flag(broker):
    topic = broker.topic("live-flag")
    with broker.client("established subscriber") as s:
        s.connect()
        granted(s.subscribe(topic, 1), topic)
        _retained(broker, topic)
        got = s.wait_messages(topic, 1)
    if not got:
        raise Inconclusive("the message was not delivered, so its flag cannot be judged")
    expect(not got[0].retain, "a message forwarded to an established subscription has RETAIN 1",
           expected="RETAIN 0", actual=got[0].brief())


@requirement("MQTT-3.3.1-10")
def test_empty_retained_message_clears(broker):
    topic = broker.topic("cleared")
    _retained(broker, topic)
    _retained(broker, topic, b"")
    with broker.client("new subscriber after the clear") as s:
        s.connect()
        granted(s.subscribe(topic, 1), topic)
        s.settle(broker.settle)
        got = s.messages(topic)
    expect(not got, "a zero-byte retained PUBLISH did not remove the retained message",
           expected="no retained message", actual=[m.brief() for m in got])


def _matching(broker, flt_suffix, publish_suffixes):
    base = broker.topic("wild")
    with broker.client(f"subscriber to {base}{flt_suffix}") as s:
        s.connect()
        granted(s.subscribe(base + flt_suffix, 0), base + flt_suffix)
        with broker.client("publisher") as p:
            p.connect()
            for suf in publish_suffixes:
                p.publish(base + suf, suf.encode() or b"(parent)", qos=1)
        s.settle(broker.settle)
        got = {m.topic[len(base):] for m in s.messages()}
    return got


def _invalid_filter_refused(broker, flt):
    with broker.raw(f"SUBSCRIBE to the malformed filter {flt!r}") as raw:
        _connected(raw, broker)
        raw.send(subscribe(1, [(flt, 0)]))
        ack = raw.read()
        closed = ack is None and raw.closed_by_peer
    refused = closed or (ack is not None and ack.name == "SUBACK"
                         and ack.fields.get("codes") == [0x80])
    return refused, (ack.describe() if ack else ("closed" if closed else "no answer"))


def _wildcard_row(broker, flt_suffix, published, matching, rule, bad_suffix, bad_rule):
    got = _matching(broker, flt_suffix, published)
    expect(got == matching, f"the {rule} wildcard matched the wrong topics",
           expected=sorted(matching), actual=sorted(got))
    refused, seen = _invalid_filter_refused(broker, broker.topic("bad") + bad_suffix)
    expect(refused, f"a filter with {bad_rule} was accepted",
           expected="SUBACK 0x80 or the connection closed", actual=seen)


@requirement("MQTT-4.7.1-2")
def test_multi_level_wildcard(broker):
    # '#' matches the parent and every level below it, not /ab or /x/a
    _wildcard_row(broker, "/a/#", ["/a", "/a/b", "/a/b/c", "/ab", "/x/a"],
                  {"/a", "/a/b", "/a/b/c"}, "multi-level", "/a#", "'#' not after a separator")


@requirement("MQTT-4.7.1-3")
def test_single_level_wildcard(broker):
    # '+' matches exactly one level, also an empty one
    _wildcard_row(broker, "/+/c", ["/b/c", "//c", "/b/x/c", "/c", "/b/c/d"], {"/b/c", "//c"},
                  "single-level", "/a+", "'+' not occupying a whole level")


@requirement("MQTT-4.7.2-1")
def test_wildcards_do_not_match_dollar_topics(broker):
    tail = f"{broker.tag}/dollar"
    name = f"$oupcheck/{tail}"
    with broker.client("subscriber to +/" + tail) as wild, \
            broker.client("subscriber to " + name) as exact:
        wild.connect()
        exact.connect()
        granted(wild.subscribe("+/" + tail, 1), "+/" + tail)
        granted(exact.subscribe(name, 1), name)
        with broker.client("publisher to a $ topic") as p:
            p.connect()
            p.publish(name, b"dollar", qos=1)
        routed = exact.wait_messages(name, 1)
        wild.settle(broker.settle)
        leaked = wild.messages()
    if leaked:
        raise CheckFailed("a filter starting with a wildcard matched a topic beginning with $",
                          expected="no delivery to +/...", actual=[m.brief() for m in leaked])
    if not routed:
        raise Inconclusive(f"the broker does not route client messages on {name!r}, so the rule "
                           "cannot be shown either way")


@requirement("MQTT-3.3.2-2")
def test_wildcard_topic_name_is_a_violation(broker):
    name = broker.topic("pub") + "/+"
    with broker.client("subscriber to everything under the probe's topic") as s:
        s.connect()
        granted(s.subscribe(name[:-2] + "/#", 0), "probe #")
        with broker.raw(f"PUBLISH to the topic name {name!r} (a wildcard)") as raw:
            _connected(raw, broker)
            raw.send(publish(name, b"wild", qos=1, pid=3))
            closed = raw.closed_within(broker.timeout)
        s.settle(broker.settle / 2)
        leaked = s.messages()
    expect(closed, "a PUBLISH with a wildcard in its topic name did not close the connection",
           expected="connection closed [MQTT-4.8.0-1]",
           actual="connection left open" + (f"; forwarded: {[m.brief() for m in leaked]}"
                                            if leaked else ""))


@requirement("MQTT-3.10.4-2")
def test_unsubscribe_stops_delivery(broker):
    topic = broker.topic("unsub")
    with broker.client("subscriber that unsubscribes") as s:
        s.connect()
        granted(s.subscribe(topic, 1), topic)
        with broker.client("publisher") as p:
            p.connect()
            p.publish(topic, b"before", qos=1)
            s.wait_messages(topic, 1)
            acked = s.unsubscribe(topic)
            p.publish(topic, b"after", qos=1)
        s.settle(broker.settle)
        got = [m.payload for m in s.messages(topic)]
    if b"before" not in got:
        raise Inconclusive("the message before UNSUBSCRIBE was not delivered")
    expect(acked, "no UNSUBACK for an UNSUBSCRIBE [MQTT-3.10.4-4]", expected="UNSUBACK",
           actual="nothing within the timeout")
    expect(b"after" not in got, "messages were still delivered after UNSUBSCRIBE",
           expected="only 'before'", actual=got)
