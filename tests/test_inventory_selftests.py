"""open-protocols inventory rows: each FAILs on a platform that breaks it and PASSes on one
that keeps it (real pygeoapi behind the fault proxy, real Mosquitto, and the bundled AsyncAPI
document served from a plain static file server)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oupcheck.platforms.static import StaticFiles
from oupcheck.profile import load_profile

from .support import inventory_faults, lockin_faults  # noqa: F401  (register faults)
from .support.mqtt_faults import MqttFaultProxy
from .support.split import late, trace_env

PROFILE = "open-protocols"
ASYNCAPI_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "asyncapi"
I = "inventory:"


@pytest.fixture(scope="module")
def asyncapi_url():
    docs = StaticFiles(ASYNCAPI_DIR).start()
    try:
        yield docs.url + "demo-events.yaml"
    finally:
        docs.stop()


def _run(oup, tmp_path, name, interfaces, *only):
    target = tmp_path / f"{name}.yaml"
    target.write_text(json.dumps({"name": name, "interfaces": interfaces}))
    args = ["run", "--profile", PROFILE, "--target", target, "--out", tmp_path / name, "--quiet"]
    for rid in only or [I + "standard-interfaces", I + "machine-readable-description",
                        I + "catalogue"]:
        args += ["--only", rid]
    trace = tmp_path / ("after-judgement-" + name + ".tsv")
    res = oup(*args, env=trace_env(trace))
    assert res.report is not None, res.describe()
    found = late(trace)  # probe, then judge: on the FAIL paths too
    assert not found, "\n".join(found[:10])
    return res


def test_inventory_rows_are_all_self_tested():
    p = load_profile(PROFILE)
    assert {r for r in p.requirements if r.startswith(I)} == {
        I + "standard-interfaces", I + "machine-readable-description", I + "catalogue"}


@pytest.mark.slow
def test_good_platform_passes_every_inventory_row(oup, fault_proxy, mosquitto_url,
                                                  asyncapi_url, tmp_path):
    res = _run(oup, tmp_path, "good", [
        {"kind": "ogc-api-features", "url": fault_proxy.url("none")},
        {"kind": "mqtt", "url": mosquitto_url, "description": asyncapi_url}])
    for rid in ("standard-interfaces", "machine-readable-description", "catalogue"):
        row = res.row(I + rid)
        assert row["verdict"] == "PASS", (rid, row["message"], row["actual"])
    # the inventory itself is the PASS message, one entry per interface
    listed = res.row(I + "standard-interfaces")["message"]
    assert "ogc-api-features" in listed and f"mqtt {mosquitto_url}: yes" in listed, listed
    assert "asyncapi 3.0.0" in res.row(I + "machine-readable-description")["message"]


def _resolve(interfaces: list[dict], fault_proxy, mosquitto_url: str) -> None:
    """The placeholders of the tables: FAULT:<mode> is the fault proxy in that mode, MQTT the
    test's Mosquitto."""
    for i in interfaces:
        if i["url"].startswith("FAULT:"):
            i["url"] = fault_proxy.url(i["url"][6:])
        elif i["url"] == "MQTT":
            i["url"] = mosquitto_url


@pytest.mark.slow
@pytest.mark.parametrize("rid,interfaces", [
    ("standard-interfaces", [{"kind": "ogc-api-features", "url": "FAULT:none"},
                             {"kind": "ngsi-ld", "url": "FAULT:none"}]),
    ("machine-readable-description", [{"kind": "ogc-api-features",
                                       "url": "FAULT:landing-no-description"}]),
    ("catalogue", [{"kind": "ogc-api-features", "url": "FAULT:collections-bare"}]),
], ids=["ngsi-ld-named-but-absent", "ogc-no-service-desc", "collections-bare"])
def test_row_fails_on_broken_platform(rid, interfaces, oup, fault_proxy, mosquitto_url,
                                      tmp_path):
    _resolve(interfaces, fault_proxy, mosquitto_url)
    row = _run(oup, tmp_path, "broken", interfaces, I + rid).row(I + rid)
    assert row["verdict"] == "FAIL", (row["message"], row["actual"])
    assert row["evidence"], row


@pytest.mark.slow
def test_demo_certifies_pygeoapi_and_mosquitto(oup, tmp_path):
    """The README's `oupcheck demo --profile open-protocols`: every row PASSes, with MQTT
    packet logs in the evidence."""
    res = oup("demo", "--profile", "open-protocols", "--out", tmp_path / "demo")
    assert res.code == 0, res.describe()
    report = json.loads((tmp_path / "demo" / "open-protocols" / "report" / "report.json").read_text())
    assert report["summary"]["counts"]["PASS"] == len(load_profile(PROFILE).requirements)
    ev = (tmp_path / "demo" / "open-protocols" / "report" / "evidence.jsonl").read_text()
    assert '"kind": "mqtt"' in ev and "PUBCOMP" in ev


@pytest.mark.slow
def test_sensorthings_server_is_inventoried(oup, tmp_path):
    """A real SensorThings 1.1 server (django-ogc-sensorthings): its service root lists the
    entity sets and its serverSettings.conformance describes it without a contract."""
    from tests.support import sensorthings_server as sensorthings
    proc, url = sensorthings.server(tmp_path / "sta")
    with proc:
        res = _run(oup, tmp_path, "sta", [{"kind": "sensorthings", "url": url}],
                   I + "standard-interfaces", I + "machine-readable-description")
    for rid in ("standard-interfaces", "machine-readable-description"):
        row = res.row(I + rid)
        assert row["verdict"] == "PASS" and "sensorthings" in row["message"], row
    assert "serverSettings.conformance" in res.row(I + "machine-readable-description")["message"]


# -- rows that cannot be decided: no observation, no FAIL --------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("rid,interfaces,why", [
    # the mqtt standard has no self-description endpoint and the target names no document:
    # nothing was probed, so nothing shows the description missing (old: FAIL)
    ("machine-readable-description", [{"kind": "ogc-api-features", "url": "FAULT:none"},
                                      {"kind": "mqtt", "url": "MQTT"}], "AsyncAPI"),
    # every answer is 401 without a credential: whether it is OGC cannot be seen (old: FAIL)
    ("standard-interfaces", [{"kind": "ogc-api-features", "url": "FAULT:auth-everywhere"}],
     "HTTP 401"),
    # the target file names only kinds that are no data interface (old: FAIL, no evidence)
    ("standard-interfaces", [{"kind": "openapi", "url": "FAULT:none"}], "names no standard"),
    ("catalogue", [{"kind": "mqtt", "url": "MQTT"}], "names no catalogue"),
], ids=["mqtt-undescribed", "ogc-behind-401", "no-data-interface", "no-catalogue-named"])
def test_row_is_inconclusive_without_an_observation(rid, interfaces, why, oup, fault_proxy,
                                                    mosquitto_url, tmp_path):
    _resolve(interfaces, fault_proxy, mosquitto_url)
    row = _run(oup, tmp_path, "undecided", interfaces, I + rid).row(I + rid)
    assert row["verdict"] == "INCONCLUSIVE", (row["verdict"], row["message"], row["actual"])
    assert why in row["message"] and row["decide"], row


@pytest.mark.slow
def test_broker_refusing_the_suite_still_answers_as_mqtt(oup, fault_proxy, mosquitto_url,
                                                        tmp_path):
    """A CONNACK that refuses the suite (0x05, not authorized) is an MQTT server answering as
    MQTT: the interface answers as its standard (old: FAIL "does not answer")."""
    from urllib.parse import urlsplit
    proxy = MqttFaultProxy(urlsplit(mosquitto_url).port, "connect-refused")
    try:
        res = _run(oup, tmp_path, "refusing", [
            {"kind": "ogc-api-features", "url": fault_proxy.url("none")},
            {"kind": "mqtt", "url": proxy.url}], I + "standard-interfaces")
    finally:
        proxy.close()
    row = res.row(I + "standard-interfaces")
    assert row["verdict"] == "PASS", (row["message"], row["actual"])
    assert f"mqtt {proxy.url}: yes (answered CONNACK" in row["message"], row["message"]
