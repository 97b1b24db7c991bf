"""MQTT 3.1.1 essentials, one check per normative statement ([MQTT-x.y.z-n]).

Every conversation (paho-mqtt or raw packets) is recorded as an exchange of kind ``mqtt`` with its
packet log, so a FAIL shows the packets that proved it. Topics are unique to the run.
"""

from __future__ import annotations

import time

from oupcheck.marks import requirement
from oupcheck.mqttwire import publish, simple, subscribe
from oupcheck.verdicts import CheckFailed, Inconclusive, expect, judged

from .probes import accepted, acknowledged, ended_afterwards, granted, subscribe_and_leave

V = 4


def _connected(raw, broker, **kw):
    raw.send(broker.connect_packet("raw", **kw))
    ack = raw.read()
    if ack is None or ack.name != "CONNACK" or ack.fields.get("code") != 0:
        seen = ack.describe() if ack else "no answer"
        raise Inconclusive(f"the broker did not accept a plain CONNECT ({seen}); the probe "
                           "cannot go on")
    return ack




@requirement("mqtt-3.1.1:MQTT-3.2.0-1")
def test_connack_is_first(broker):
    with broker.raw("CONNECT: is CONNACK the first packet back?") as raw:
        raw.send(broker.connect_packet("first"))
        first = raw.read()
    if first is None:
        # nothing was sent, so no packet came before the CONNACK; a server may also close
        # without CONNACK when it does not accept the CONNECT [MQTT-3.1.4-1], [MQTT-3.2.2-6]
        raise Inconclusive("the server sent no packet after the CONNECT (connection "
                           f"{'closed' if raw.closed_by_peer else 'silent'} within "
                           f"{broker.timeout:g} s): which packet comes first cannot be judged")
    expect(first.name == "CONNACK", "the first packet from the server is not a CONNACK",
           expected="CONNACK", actual=first.describe())


@requirement("mqtt-3.1.1:MQTT-3.1.0-2")
def test_second_connect_is_a_violation(broker):
    with broker.raw("a second CONNECT on one connection") as raw:
        _connected(raw, broker)
        raw.send(broker.connect_packet("again"))
        closed = raw.closed_within(broker.timeout)
    expect(closed, "the server kept the connection open after a second CONNECT",
           expected="the server closes the connection", actual="connection still open")


@requirement("mqtt-3.1.1:MQTT-3.1.2-2")
def test_unsupported_protocol_level(broker):
    with broker.raw("CONNECT with protocol level 9 (unsupported)") as raw:
        raw.send(broker.connect_packet("level9", level=9))
        ack = raw.read()
        closed = raw.closed_within(broker.timeout)
    code = ack.fields.get("code") if ack is not None and ack.name == "CONNACK" else None
    seen = (f"{ack.describe() if ack else 'no CONNACK'}; "
            f"{'closed' if closed else 'connection left open'}")
    if closed and (ack is None or code == 0x84):
        # MQTT 5.0 [MQTT-3.1.2-2]: "If the Protocol Version is not 5 and the Server does not
        # want to accept the CONNECT packet, the Server MAY send a CONNACK packet with Reason
        # Code 0x84 (Unsupported Protocol Version) and then MUST close the Network Connection"
        speaks5, _ = broker.accepts_connect("does the broker speak MQTT 5.0 (whose rule for an "
                                            "unsupported level differs)?", version=5)
        if speaks5:
            raise Inconclusive(f"level 9 refused by closing the connection ({seen}): MQTT 3.1.1 "
                               "asks for CONNACK 0x01 first, MQTT 5.0 [MQTT-3.1.2-2] lets a "
                               "server close without it (it MAY send 0x84); this broker speaks "
                               "both editions, so it may follow either rule")
    expect(code == 1 and closed, "an unsupported protocol level is not refused with CONNACK "
           "0x01 followed by a disconnect", expected="CONNACK return code 0x01, then close",
           actual=seen)


@requirement("mqtt-3.1.1:MQTT-3.2.2-1")
def test_clean_session_has_no_session_present(broker):
    cid = broker.name("clean")
    subscribe_and_leave(broker, cid, "persistent session first", [(broker.topic("sp"), 1)])
    with broker.client("then CleanSession=1 with the same ClientId", client_id=cid) as b:
        # "If the Server accepts a connection with CleanSession set to 1 ..."
        present = accepted(b.connect(clean=True), "the CleanSession=1 CONNECT")
    expect(present == 0, "CleanSession=1 was answered with Session Present=1",
           expected="CONNACK session present 0", actual=f"code 0, session present {present}")


@requirement("mqtt-3.1.1:MQTT-3.2.2-2")
def test_persistent_session_is_present(broker):
    cid = broker.name("persist")
    with ended_afterwards(broker, cid):
        subscribe_and_leave(broker, cid, "CleanSession=0, subscribe, disconnect",
                            [(broker.topic("sp"), 1)])
        with broker.client("reconnect with CleanSession=0", client_id=cid) as b:
            present = accepted(b.connect(clean=False), "the CleanSession=0 reconnection")
    expect(present == 1, "a stored session was not reported as present",
           expected="CONNACK session present 1", actual=f"code 0, session present {present}")


@requirement("mqtt-3.1.1:MQTT-3.1.2-5")
def test_persistent_session_stores_qos1_and_qos2(broker):
    cid, t1, t2 = broker.name("store"), broker.topic("store-q1"), broker.topic("store-q2")
    with ended_afterwards(broker, cid):
        subscribe_and_leave(broker, cid, "CleanSession=0: subscribe QoS 1 and 2, then disconnect",
                            [(t1, 1), (t2, 2)])
        with broker.client("publish while the subscriber is away") as p:
            p.connect()
            acks = [p.publish(t1, b"stored-q1", qos=1), p.publish(t2, b"stored-q2", qos=2)]
        acknowledged(all(acks), "both publications made while the subscriber was away")
        with broker.client("reconnect with CleanSession=0", client_id=cid) as b:
            present = accepted(b.connect(clean=False), "the CleanSession=0 reconnection")
            b._wait(lambda: {m.topic for m in b.messages()} >= {t1, t2})
            got = [m for m in b.messages() if m.topic in (t1, t2)]
    # QoS 1 is "at least once": a re-delivered copy is allowed, so judge the set of payloads
    payloads = sorted({m.payload for m in got})
    expect(payloads == [b"stored-q1", b"stored-q2"], "messages published while a persistent "
           "session was disconnected were not delivered on reconnect",
           expected="stored-q1 (QoS 1) and stored-q2 (QoS 2)",
           actual=[m.brief() for m in got] or f"nothing within {broker.timeout:g} s "
                                               f"(CONNACK session present {present})")


@requirement("mqtt-3.1.1:MQTT-3.1.2-6")
def test_clean_session_discards_the_old_one(broker):
    cid, topic = broker.name("discard"), broker.topic("discard")
    subscribe_and_leave(broker, cid, "CleanSession=0: subscribe, disconnect", [(topic, 1)])
    with broker.client("control subscriber: the messages are routed") as c:
        c.connect()
        granted(c.subscribe(topic, 1), topic)
        with broker.client("publish into the stored session") as p:
            p.connect()
            acks = [p.publish(topic, b"for-the-old-session", qos=1)]
            with broker.client("CleanSession=1 with the same ClientId", client_id=cid) as b:
                accepted(b.connect(clean=True), "the CleanSession=1 CONNECT")
                acks.append(p.publish(topic, b"after-clean-start", qos=1))
                control = c.wait_messages(topic, 2)
                b.settle(broker.settle)
                got = b.messages(topic)
    acknowledged(all(acks), "both publications")
    # the absence counts only when the same messages reached a live subscription
    if len({m.payload for m in control}) < 2:
        raise Inconclusive("the control subscriber did not get both messages either "
                           f"({[m.brief() for m in control] or 'nothing'}): the absence at the "
                           "CleanSession=1 connection shows nothing")
    expect(not got, "a CleanSession=1 connection received messages of the previous session's "
           "subscriptions", expected="nothing (old session discarded)",
           actual=[m.brief() for m in got])


@requirement("mqtt-3.1.1:MQTT-3.1.4-2")
def test_same_client_id_takes_over(broker):
    cid = broker.name("takeover")
    with broker.client("first connection", client_id=cid) as a:
        accepted(a.connect(), "the first connection")
        with broker.client("second connection, same ClientId", client_id=cid) as b:
            # [MQTT-3.1.4-2] is a step of accepting the second CONNECT
            accepted(b.connect(), "the second connection")
            kicked = a._wait(lambda: a.disconnected)
    expect(kicked, "the existing connection was not disconnected when a client with the same "
           "ClientId connected", expected="first connection closed by the server",
           actual="first connection still open")


def _will_client(broker, wtopic, payload, *, graceful: bool) -> None:
    how = "DISCONNECT, then close" if graceful else "close without DISCONNECT"
    with broker.raw(f"client with a Will Message {payload.decode()!r}: {how}") as raw:
        _connected(raw, broker, will=(wtopic, payload, 1, False))
        if graceful:
            raw.send(simple("DISCONNECT"))


def _will_subscriber(broker, s, wtopic) -> None:
    """Subscribe to the will topic and show that a message published there arrives (the
    control: without it a will that does not arrive shows nothing)."""
    s.connect()
    granted(s.subscribe(wtopic, 1), wtopic)
    with broker.client("control: an ordinary message on the will topic") as p:
        p.connect()
        p.publish(wtopic, b"routed", qos=1)
    if not s.wait_messages(wtopic, 1):
        raise Inconclusive(f"an ordinary message on {wtopic!r} did not reach its subscriber "
                           "either: will delivery cannot be judged")


@requirement("mqtt-3.1.1:MQTT-3.1.2-8")
def test_will_published_when_connection_drops(broker):
    wtopic = broker.topic("will")
    with broker.client("subscriber of the will topic") as s:
        _will_subscriber(broker, s, wtopic)
        _will_client(broker, wtopic, b"gone", graceful=False)
        s.wait_messages(wtopic, 2)
        got = [m for m in s.messages(wtopic) if m.payload != b"routed"]
    expect([m.payload for m in got] == [b"gone"], "the Will Message was not published when the "
           "network connection closed without DISCONNECT", expected="one will message 'gone'",
           actual=[m.brief() for m in got] or f"nothing within {broker.timeout:g} s (an "
                                               "ordinary message on the topic did arrive)")


@requirement("mqtt-3.1.1:MQTT-3.14.4-3")
def test_will_discarded_on_disconnect(broker):
    wtopic = broker.topic("will")
    with broker.client("subscriber of the will topic") as s:
        _will_subscriber(broker, s, wtopic)
        _will_client(broker, wtopic, b"after-disconnect", graceful=True)
        s.settle(broker.settle)
        # the control in the same conversation: the broker does publish the will of a client
        # whose connection drops, so the absence after DISCONNECT is the rule, not a broker
        # that publishes no wills at all
        _will_client(broker, wtopic, b"dropped", graceful=False)
        s._wait(lambda: any(m.payload == b"dropped" for m in s.messages(wtopic)))
        got = s.messages(wtopic)
    leaked = [m.brief() for m in got if m.payload == b"after-disconnect"]
    if leaked:
        raise CheckFailed("the Will Message was published although the client sent DISCONNECT",
                          expected="no will message 'after-disconnect'", actual=leaked)
    if not any(m.payload == b"dropped" for m in got):
        raise Inconclusive("the broker did not publish the Will Message of a connection closed "
                           "without DISCONNECT either: the absence after DISCONNECT shows "
                           "nothing (see MQTT-3.1.2-8)")
    expect(not leaked, "the Will Message was published although the client sent DISCONNECT",
           expected="no will message 'after-disconnect' (the control will 'dropped' arrived)",
           actual=leaked)


@requirement("mqtt-3.1.1:MQTT-3.12.4-1")
def test_pingreq_is_answered(broker):
    with broker.raw("PINGREQ") as raw:
        _connected(raw, broker)
        raw.send(simple("PINGREQ"))
        resp = raw.expect("PINGRESP")
    expect(resp is not None, "no PINGRESP to a PINGREQ", expected="PINGRESP",
           actual="nothing within the timeout")


@requirement("mqtt-3.1.1:MQTT-3.8.4-6")
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
    judged("published/granted QoS pairs delivered", 9 - len(missing))
    expect(not wrong, "the delivered QoS is not min(published QoS, granted QoS)",
           expected="min(published, granted) for each pair", actual=wrong)
    if missing:
        raise Inconclusive("not delivered, so their QoS cannot be judged: " + "; ".join(missing))


@requirement("mqtt-3.1.1:MQTT-3.3.5-1")
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


@requirement("mqtt-3.1.1:MQTT-4.3.3-2")
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
    if not got:
        # the statement forbids duplicates; a message that never arrived is no duplicate
        raise Inconclusive("the QoS 2 message was not delivered to the subscriber at all, so "
                           "whether the re-send was delivered twice cannot be judged")
    expect(len(got) == 1, "a QoS 2 PUBLISH re-sent before PUBREL was delivered to the "
           "subscriber more than once", expected="exactly one delivery",
           actual=f"{len(got)} deliveries: {[m.brief() for m in got]}")


@requirement("mqtt-3.1.1:MQTT-4.6.0-6")
def test_messages_keep_their_order(broker):
    topic, n = broker.topic("order"), 30
    with broker.client("subscriber at QoS 1") as s:
        s.connect()
        granted(s.subscribe(topic, 1), topic)
        with broker.client(f"publisher: {n} QoS 1 messages in sequence") as p:
            p.connect()
            p.publish_in_sequence(topic, [f"{i:03d}".encode() for i in range(n)], qos=1)
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
        acknowledged(p.publish(topic, payload, qos=1, retain=True),
                     f"the retained publication on {topic!r}")


def _retained_to_new_subscriber(broker, what, *, control: bool = False):
    """Publish a retained message, then subscribe anew: what arrives (and, with ``control``,
    whether a live message sent after the subscription arrives too)."""
    topic = broker.topic(what)
    _retained(broker, topic)
    with broker.client("new subscriber") as s:
        s.connect()
        granted(s.subscribe(topic, 1), topic)
        got = s.wait_messages(topic, 1)
        live = []
        if control and not got:
            with broker.client("control: a live message after the subscription") as p:
                p.connect()
                p.publish(topic, b"live-control", qos=1)
            live = [m for m in s.wait_messages(topic, 1) if m.payload == b"live-control"]
        return [m for m in got if m.payload != b"live-control"], live


@requirement("mqtt-3.1.1:MQTT-3.3.1-6")
def test_retained_message_goes_to_new_subscribers(broker):
    got, live = _retained_to_new_subscriber(broker, "retained", control=True)
    if not got and not live:
        raise Inconclusive("nothing reached the new subscription, not even a live message "
                           "published after it: whether the retained message is sent cannot be "
                           "judged")
    expect([m.payload for m in got] == [b"retained-value"], "a new subscription did not get "
           "the retained message", expected="retained-value",
           actual=[m.brief() for m in got] or "nothing (a live message published after the "
                                              "subscription did arrive)")


@requirement("mqtt-3.1.1:MQTT-3.3.1-8")
def test_retained_delivery_has_retain_flag(broker):
    got, _ = _retained_to_new_subscriber(broker, "retained-flag")
    if not got:
        raise Inconclusive("the retained message was not delivered, so its flag cannot be judged")
    expect(got[0].retain, "a message sent because of a new subscription has RETAIN 0",
           expected="RETAIN 1", actual=got[0].brief())


@requirement("mqtt-3.1.1:MQTT-3.3.1-9")
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


@requirement("mqtt-3.1.1:MQTT-3.3.1-10")
def test_empty_retained_message_clears(broker):
    topic, kept = broker.topic("cleared"), broker.topic("kept")
    _retained(broker, topic)
    _retained(broker, topic, b"")
    _retained(broker, kept, b"kept-value")  # the control: a retained message not cleared
    with broker.client("new subscriber after the clear (and to the control topic)") as s:
        s.connect()
        granted(s.subscribe(topic, 1), topic)
        granted(s.subscribe(kept, 1), kept)
        control = s.wait_messages(kept, 1)
        s.settle(broker.settle)
        got = s.messages(topic)
    if not control:
        raise Inconclusive("the retained message of the control topic (not cleared) was not "
                           "sent to the new subscriber either: the absence of the cleared one "
                           "shows nothing (see MQTT-3.3.1-6)")
    expect(not got, "a zero-byte retained PUBLISH did not remove the retained message",
           expected="no retained message (the control topic's retained message did arrive)",
           actual=[m.brief() for m in got])


def _matching(broker, flt_suffix, publish_suffixes, expect_count):
    base = broker.topic("wild")
    with broker.client(f"subscriber to {base}{flt_suffix}") as s:
        s.connect()
        granted(s.subscribe(base + flt_suffix, 0), base + flt_suffix)
        with broker.client("publisher") as p:
            p.connect()
            for suf in publish_suffixes:
                p.publish(base + suf, suf.encode() or b"(parent)", qos=1)
        # the matching ones, then time for any extra; only topics under the probe's base are
        # judged (a stray delivery of another topic is no matter of wildcard matching)
        s.wait_messages(None, expect_count)
        s.settle(broker.settle)
        got = {m.topic[len(base):] for m in s.messages()
               if m.topic == base or m.topic.startswith(base + "/")}
    return got


def _invalid_filter_refused(broker, flt):
    with broker.raw(f"SUBSCRIBE to the malformed filter {flt!r}") as raw:
        _connected(raw, broker)
        raw.send(subscribe(1, [(flt, 0)]))
        # "The Server is permitted to start sending PUBLISH Packets matching the Subscription
        # before the Server sends the SUBACK Packet" (3.8.4): the answer is the first packet
        # that is not a PUBLISH (a retained message may come first)
        deadline = time.monotonic() + broker.timeout
        delivered = []
        while True:
            ack = raw.read(max(0.0, deadline - time.monotonic()))
            if ack is None or ack.name != "PUBLISH":
                break
            delivered.append(ack)
        closed = ack is None and raw.closed_by_peer
    if ack is None and not closed:
        raise Inconclusive(f"neither a SUBACK nor a close within {broker.timeout:g} s after "
                           f"SUBSCRIBE to the malformed filter {flt!r}: whether it is refused "
                           "cannot be judged")
    # a malformed filter is a protocol violation: the server closes the connection
    # [MQTT-4.8.0-1]; a SUBACK 0x80 (Failure, [MQTT-3.8.4-5]) refuses it as well
    refused = closed or (ack.name == "SUBACK" and ack.fields.get("codes") == [0x80])
    seen = ack.describe() if ack else "closed"
    if delivered:
        seen = (f"{seen}, after {len(delivered)} PUBLISH packet(s) first: "
                + ", ".join(d.describe() for d in delivered[:3]))
    return refused, seen


def _wildcard_row(broker, flt_suffix, published, matching, rule, bad_suffix, bad_rule):
    # probe: what the wildcard filter gets, and how a malformed one is answered
    got = _matching(broker, flt_suffix, published, len(matching))
    try:
        refused, seen = _invalid_filter_refused(broker, broker.topic("bad") + bad_suffix)
    except Inconclusive as exc:  # the malformed filter's answer decides nothing
        undecided = exc
    else:
        undecided = None
    # judge
    judged("topics published", len(published))
    expect(got == matching, f"the {rule} wildcard matched the wrong topics",
           expected=sorted(matching), actual=sorted(got))
    if undecided is not None:
        raise undecided
    expect(refused, f"a filter with {bad_rule} was accepted",
           expected="SUBACK 0x80 or the connection closed", actual=seen)


@requirement("mqtt-3.1.1:MQTT-4.7.1-2")
def test_multi_level_wildcard(broker):
    # '#' matches the parent and every level below it, not /ab or /x/a
    _wildcard_row(broker, "/a/#", ["/a", "/a/b", "/a/b/c", "/ab", "/x/a"],
                  {"/a", "/a/b", "/a/b/c"}, "multi-level", "/a#", "'#' not after a separator")


@requirement("mqtt-3.1.1:MQTT-4.7.1-3")
def test_single_level_wildcard(broker):
    # '+' matches exactly one level, also an empty one
    _wildcard_row(broker, "/+/c", ["/b/c", "//c", "/b/x/c", "/c", "/b/c/d"], {"/b/c", "//c"},
                  "single-level", "/a+", "'+' not occupying a whole level")


@requirement("mqtt-3.1.1:MQTT-4.7.2-1")
def test_wildcards_do_not_match_dollar_topics(broker):
    tail = f"{broker.tag}/dollar"
    name, plain = f"$oupcheck/{tail}", f"oupcheck/{tail}"
    with broker.client("subscriber to +/" + tail) as wild, \
            broker.client("subscriber to " + name) as exact:
        wild.connect()
        exact.connect()
        granted(wild.subscribe("+/" + tail, 1), "+/" + tail)
        granted(exact.subscribe(name, 1), name)
        with broker.client("publisher to a $ topic, and (control) to the same topic "
                           "without $") as p:
            p.connect()
            p.publish(name, b"dollar", qos=1)
            p.publish(plain, b"plain-control", qos=1)
        routed = exact.wait_messages(name, 1)
        control = wild.wait_messages(plain, 1)
        wild.settle(broker.settle)
        leaked = wild.messages(name)
    if leaked:
        raise CheckFailed("a filter starting with a wildcard matched a topic beginning with $",
                          expected="no delivery to +/...", actual=[m.brief() for m in leaked])
    # the absence counts only when the $ message was routed (its exact subscriber got it) and
    # the wildcard subscription works (it got the same topic without $)
    if not routed:
        raise Inconclusive(f"the broker does not route client messages on {name!r}, so the rule "
                           "cannot be shown either way")
    if not control:
        raise Inconclusive(f"the wildcard subscription +/{tail} did not get {plain!r} either: "
                           "its silence on the $ topic shows nothing")
    expect(not leaked, "a filter starting with a wildcard matched a topic beginning with $",
           expected="no delivery to +/... (it got the topic without $)", actual=[])


@requirement("mqtt-3.1.1:MQTT-3.3.2-2")
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


@requirement("mqtt-3.1.1:MQTT-3.10.4-2")
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
