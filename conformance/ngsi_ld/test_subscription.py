"""Subscriptions and notifications (clause 5.8; ETSI TPs 028, 046, 058): the suite starts a
receiver on the callback host, subscribes, changes an entity and waits for the notification."""

from __future__ import annotations

from urllib.parse import urlsplit

from oupcheck.marks import requirement
from oupcheck.receivers import mqtt_listener, since
from oupcheck.verdicts import decide

from . import judges
from .api import TYPE, Inconclusive, ids_of


def _subscribe(ngsi, endpoint: str, note: str):
    ngsi.need_writes()
    sid = ngsi.new_id("Subscription")
    ngsi.subscriptions.add(sid)
    body = {"id": sid, "type": "Subscription", "entities": [{"type": TYPE}],
            "notification": {"endpoint": {"uri": endpoint, "accept": "application/json"}}}
    return sid, ngsi.send("POST", "/subscriptions", body, note=note)


def _wait(ngsi, inbox, sid: str, eid: str, what: str):
    timeout = float(ngsi.run.param("notification_timeout_s", 10))
    return inbox.wait_for(lambda r: isinstance(r.json, dict) and _about(r.json, sid, eid),
                          timeout, what)


def _about(doc: dict, sid: str, eid: str) -> bool:
    note = doc.get("body", doc)  # the MQTT binding wraps the notification in {metadata, body}
    return isinstance(note, dict) and note.get("subscriptionId") == sid and \
        eid in ids_of(note.get("data"))


@requirement("ngsi-ld:5.8.1/create-subscription")
def test_create_subscription(ngsi):
    sid, ex = _subscribe(ngsi, ngsi.receiver.url("notify/create-check"), "create subscription")
    got = ngsi.send("GET", f"/subscriptions/{sid}", note="retrieve the subscription")
    de = ngsi.send("DELETE", f"/subscriptions/{sid}", accept=None, note="delete subscription")
    if de.status == 204:
        ngsi.subscriptions.discard(sid)
    decide(judges.subscription_lifecycle, sid, ex, got, de)


def _created(ex) -> None:
    if ex.status != 201:
        raise Inconclusive(f"the subscription could not be created (HTTP {ex.status})",
                           evidence=ex)


@requirement("ngsi-ld:5.8.6/http-notification")
def test_http_notification(ngsi):
    endpoint = ngsi.receiver.url("notify/http-check")
    sid, ex = _subscribe(ngsi, endpoint, "subscribe (HTTP)")
    _created(ex)
    ent = ngsi.entity()
    created = ngsi.create(ent)
    found, rec = _wait(ngsi, ngsi.receiver, sid, ent["id"], endpoint)
    decide(judges.notified, ex, ent["id"], found, rec,
           float(ngsi.run.param("notification_timeout_s", 10)), since(created, found), endpoint,
           typed=True, observe=ngsi.run.observe)


@requirement("ngsi-ld:5.8.6/mqtt-notification")
def test_mqtt_notification(ngsi, oup_run):
    mqtt = oup_run.target.interface("mqtt")
    if mqtt is None:
        raise Inconclusive("the target file names no MQTT broker (an interface of kind mqtt) "
                           "for notifications", decide="add the broker the platform publishes "
                           "notifications to as an interface of kind mqtt in the target file")
    u = urlsplit(mqtt.url)
    topic = f"oupcheck/{ngsi.tag}/notifications"
    listener = mqtt_listener(oup_run, u.hostname, u.port or 1883, topic)
    try:
        sid, ex = _subscribe(ngsi, f"mqtt://{u.hostname}:{u.port or 1883}/{topic}",
                             "subscribe (MQTT endpoint)")
        _created(ex)
        ent = ngsi.entity()
        created = ngsi.create(ent)
        found, rec = _wait(ngsi, listener, sid, ent["id"], f"mqtt://{u.hostname}/{topic}")
    finally:
        listener.stop()
    decide(judges.notified, ex, ent["id"], found, rec,
           float(ngsi.run.param("notification_timeout_s", 10)), since(created, found), topic,
           typed=False, observe=ngsi.run.observe)
