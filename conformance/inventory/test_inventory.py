"""Open interface inventory: which standard APIs the platform exposes, and whether each is
described in a machine-readable document anyone can fetch without a contract.

Every interface the target names is probed as its standard (a landing page and conformance
declaration, an NGSI-LD type list, a SensorThings service root, an MQTT CONNACK, a CKAN status,
a DCAT document). Each row's message is the inventory, one entry per interface (on a FAIL, the
"actual" holds it).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

import pytest
import yaml

from oupcheck.errors import TransportError
from oupcheck.http import BodyUnusable, EvidenceClient
from oupcheck.verdicts import CheckFailed, NotApplicable

OGC_CORE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
DATA_KINDS = ("ogc-api-features", "ngsi-ld", "sensorthings", "mqtt", "ckan", "dcat")
RDF_TYPES = ("text/turtle", "application/ld+json", "application/rdf+xml", "application/n-triples")


def requirement(name):
    return pytest.mark.requirement("inventory:" + name)


def _base(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def _doc(ex) -> Any:
    """A JSON or YAML document from an exchange, or None."""
    if ex.status != 200:
        return None
    try:
        return EvidenceClient.json(ex)
    except BodyUnusable:
        pass
    try:
        doc = yaml.safe_load(ex.body.decode("utf-8", "replace"))
    except yaml.YAMLError:
        return None
    return doc if isinstance(doc, dict) else None


class Probe:
    def __init__(self, run, http):
        self.run, self.http = run, http

    def get(self, url, note, *, anonymous=False, iface=None, accept="application/json"):
        cred = None if anonymous or iface is None else self.run.target.credential(iface.credential)
        return self.http.get(url, accept=accept, auth=cred or False, note=note)

    # -- does the interface answer as its standard? -------------------------------------
    def answers(self, iface) -> tuple[bool, str]:
        kind, base = iface.kind, _base(iface.url)
        if kind == "mqtt":
            from oupcheck.mqttclient import Broker
            broker = Broker.for_interface(self.run.target, iface, self.run.store,
                                          tag="inventory",
                                          timeout=float(self.run.param("timeout_s", 5)))
            return broker.accepts_connect("inventory: does the MQTT interface answer CONNECT?")
        if kind == "ogc-api-features":
            ex = self.get(base + "conformance", "inventory: OGC conformance", iface=iface)
            doc = _doc(ex)
            ok = isinstance(doc, dict) and OGC_CORE in (doc.get("conformsTo") or [])
            return ok, ("declares Features core" if ok else
                        f"conformance: HTTP {ex.status}, Features core not declared")
        if kind == "ngsi-ld":
            ex = self.get(base + "ngsi-ld/v1/types", "inventory: NGSI-LD types", iface=iface,
                          accept="application/json")
            doc = _doc(ex) if ex.status == 200 else None
            ok = ex.status == 200 and (isinstance(doc, (list, dict)))
            return ok, f"GET ngsi-ld/v1/types: HTTP {ex.status}"
        if kind == "sensorthings":
            ex = self.get(base, "inventory: SensorThings service root", iface=iface)
            doc = _doc(ex)
            ok = isinstance(doc, dict) and isinstance(doc.get("value"), list) and any(
                isinstance(v, dict) and v.get("name") == "Things" for v in doc["value"])
            return ok, "service root lists Things" if ok else f"service root: HTTP {ex.status}"
        if kind == "ckan":
            ex = self.get(urljoin(base, "api/3/action/status_show"), "inventory: CKAN status",
                          iface=iface)
            doc = _doc(ex)
            ok = isinstance(doc, dict) and doc.get("success") is True
            return ok, "status_show success" if ok else f"status_show: HTTP {ex.status}"
        if kind == "dcat":
            ex = self.get(iface.url, "inventory: DCAT catalogue", iface=iface,
                          accept=", ".join(RDF_TYPES))
            text = ex.body[:200_000].decode("utf-8", "replace")
            ok = ex.status == 200 and ex.content_type in RDF_TYPES and "dcat" in text.lower()
            return ok, f"HTTP {ex.status} {ex.content_type or '(no type)'}"
        return False, f"{kind} is not a standard data interface"

    # -- is it described in a machine-readable document, without credentials? -----------
    def described(self, iface) -> tuple[bool, str]:
        if iface.description:
            ex = self.get(iface.description, f"inventory: description of the {iface.kind} "
                          "interface, without credentials", anonymous=True,
                          accept="application/json, application/yaml, */*")
            doc = _doc(ex)
            for key in ("openapi", "asyncapi", "swagger"):
                if isinstance(doc, dict) and isinstance(doc.get(key), str):
                    return True, f"{key} {doc[key]} at {iface.description}"
            return False, f"{iface.description}: HTTP {ex.status}, not an OpenAPI/AsyncAPI document"
        base = _base(iface.url)
        if iface.kind == "ogc-api-features":
            ex = self.get(base, "inventory: landing page, without credentials", anonymous=True)
            doc = _doc(ex)
            links = doc.get("links", []) if isinstance(doc, dict) else []
            desc = next((lk.get("href") for lk in links if isinstance(lk, dict)
                         and lk.get("rel") == "service-desc"), None)
            if not desc:
                return False, "the landing page links no service-desc (API definition)"
            dx = self.get(urljoin(base, desc), "inventory: API definition, without credentials",
                          anonymous=True,
                          accept="application/vnd.oai.openapi+json;version=3.0, application/json")
            d = _doc(dx)
            ok = isinstance(d, dict) and isinstance(d.get("openapi"), str)
            return ok, (f"OpenAPI {d['openapi']} at {desc}" if ok else
                        f"service-desc {desc}: HTTP {dx.status}, not OpenAPI")
        if iface.kind == "sensorthings":
            ex = self.get(base, "inventory: service root, without credentials", anonymous=True)
            doc = _doc(ex)
            settings = doc.get("serverSettings") if isinstance(doc, dict) else None
            conf = settings.get("conformance") if isinstance(settings, dict) else None
            ok = isinstance(conf, list) and bool(conf)
            return ok, ("serverSettings.conformance lists the classes" if ok else
                        "no serverSettings.conformance in the service root")
        if iface.kind == "ckan":
            ex = self.get(urljoin(base, "api/3/action/status_show"),
                          "inventory: CKAN status, without credentials", anonymous=True)
            doc = _doc(ex)
            ok = isinstance(doc, dict) and bool((doc.get("result") or {}).get("ckan_version"))
            return ok, "status_show names the CKAN API version" if ok else f"HTTP {ex.status}"
        if iface.kind == "dcat":
            return self.answers_anonymously(iface)
        hint = "AsyncAPI" if iface.kind == "mqtt" else "OpenAPI"
        return False, (f"the {iface.kind} standard defines no self-description endpoint and the "
                       f"target names none (interfaces[].description: the {hint} document URL)")

    def answers_anonymously(self, iface) -> tuple[bool, str]:
        ex = self.get(iface.url, "inventory: DCAT catalogue, without credentials",
                      anonymous=True, accept=", ".join(RDF_TYPES))
        ok = ex.status == 200 and ex.content_type in RDF_TYPES
        return ok, f"the catalogue itself, HTTP {ex.status}"


def _inventory(oup_run, http, fn) -> tuple[list[str], list[str]]:
    probe, lines, bad = Probe(oup_run, http), [], []
    for iface in oup_run.target.spec.interfaces:
        if iface.kind not in DATA_KINDS:
            continue
        try:
            ok, why = fn(probe, iface)
        except (TransportError, ValueError) as exc:
            ok, why = False, f"no answer: {exc}"
        line = f"{iface.kind} {iface.url}: {'yes' if ok else 'NO'} ({why})"
        lines.append(line)
        if not ok:
            bad.append(line)
    return lines, bad


@requirement("standard-interfaces")
def test_standard_interfaces_answer(oup_run, http):
    lines, bad = _inventory(oup_run, http, Probe.answers)
    if not lines:
        raise CheckFailed("the target names no standard data interface",
                          expected=f"one of {', '.join(DATA_KINDS)}",
                          actual=[i.kind for i in oup_run.target.spec.interfaces])
    if bad:
        raise CheckFailed("a named interface does not answer as its standard",
                          expected="each interface answers as the standard it is named for",
                          actual=lines)
    oup_run.observe("standard interfaces: " + "; ".join(lines))


@requirement("machine-readable-description")
def test_interfaces_are_described_without_contract(oup_run, http):
    lines, bad = _inventory(oup_run, http, Probe.described)
    if not lines:
        raise NotApplicable("the target names no standard data interface to describe")
    if bad:
        raise CheckFailed("an interface has no machine-readable description reachable without "
                          "credentials", expected="OpenAPI / AsyncAPI / conformance declaration "
                          "for every interface", actual=lines)
    oup_run.observe("described without a contract: " + "; ".join(lines))


@requirement("catalogue")
def test_datasets_are_catalogued(oup_run, http):
    probe = Probe(oup_run, http)
    tried = []
    for iface in oup_run.target.spec.interfaces:
        if iface.kind in ("ckan", "dcat"):
            ok, why = probe.answers(iface)
            if ok:
                oup_run.observe(f"catalogue: {iface.kind} {iface.url} ({why})")
                return
            tried.append(f"{iface.kind}: {why}")
        elif iface.kind == "ogc-api-features":
            ex = probe.get(_base(iface.url) + "collections", "inventory: collections as a "
                           "catalogue", iface=iface)
            doc = _doc(ex)
            cols = doc.get("collections") if isinstance(doc, dict) else None
            if isinstance(cols, list) and cols:
                thin = [c.get("id") for c in cols if not (isinstance(c, dict) and c.get("title")
                                                          and c.get("extent"))]
                if not thin:
                    oup_run.observe(f"catalogue: {len(cols)} OGC collections with title and "
                                    f"extent at {iface.url}")
                    return
                tried.append(f"collections without title or extent: {thin[:5]}")
            else:
                tried.append(f"collections: HTTP {ex.status}, none listed")
    raise CheckFailed("the datasets are not listed in an open catalogue with machine-readable "
                      "metadata", expected="a CKAN/DCAT catalogue, or OGC collections with "
                      "title and extent", actual=tried or "no catalogue interface named")
