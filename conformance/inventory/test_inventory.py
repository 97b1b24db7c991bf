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

from oupcheck.errors import TransportError
from oupcheck.http import BodyUnusable, EvidenceClient, Unparsable, json_type, parse_yaml
from oupcheck.marks import requirement
from oupcheck.ngsild import api_base, type_names
from oupcheck.sensorthings import is_service_root
from oupcheck.mqttwire import WireError
from oupcheck.verdicts import CheckFailed, Inconclusive, judged

OGC_CORE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
DATA_KINDS = ("ogc-api-features", "ngsi-ld", "sensorthings", "mqtt", "ckan", "dcat")
RDF_TYPES = ("text/turtle", "application/ld+json", "application/rdf+xml", "application/n-triples")
# each probe answers (verdict, why): True yes, False no (observed), None undecided (the probe
# could not see: credentials refused, no answer, or a precondition another row judges)
UNDECIDED = None


def _refused(ex) -> bool:
    return ex.status in (401, 403)


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
        doc = parse_yaml(ex.body)
    except Unparsable:
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
            try:
                ok, seen = broker.accepts_connect("inventory: does the MQTT interface answer "
                                                  "CONNECT?")
            except WireError as exc:
                return False, f"answered CONNECT with bytes that are not MQTT ({exc})"
            # a CONNACK with any return code is an MQTT server answering (a refusal included)
            if ok or seen.startswith("answered CONNACK"):
                return True, seen
            return False, f"no CONNACK to a CONNECT within {broker.timeout:g} s ({seen})"
        if kind == "ogc-api-features":
            ex = self.get(base + "conformance", "inventory: OGC conformance", iface=iface)
            if _refused(ex):
                return UNDECIDED, f"conformance: HTTP {ex.status} (credentials refused or missing)"
            doc = _doc(ex)
            ok = isinstance(doc, dict) and OGC_CORE in (doc.get("conformsTo") or [])
            return ok, ("declares Features core" if ok else
                        f"conformance: HTTP {ex.status}, Features core not declared")
        if kind == "ngsi-ld":
            ex = self.get(api_base(base) + "/types", "inventory: NGSI-LD types", iface=iface,
                          accept="application/json")
            if _refused(ex):
                return UNDECIDED, f"GET ngsi-ld/v1/types: HTTP {ex.status} (credentials)"
            doc = _doc(ex) if ex.status == 200 else None
            # an EntityTypeList (compacted or not), or the detailed form: ngsild.type_names
            ok = ex.status == 200 and type_names(doc)[0] is not None
            return ok, f"GET ngsi-ld/v1/types: HTTP {ex.status}" + ("" if ok or ex.status != 200
                                                                   else ", not an EntityTypeList")
        if kind == "sensorthings":
            ex = self.get(base, "inventory: SensorThings service root", iface=iface)
            if _refused(ex):
                return UNDECIDED, f"service root: HTTP {ex.status} (credentials)"
            ok = is_service_root(_doc(ex))
            return ok, "service root lists Things" if ok else f"service root: HTTP {ex.status}"
        if kind == "ckan":
            ex = self.get(urljoin(base, "api/3/action/status_show"), "inventory: CKAN status",
                          iface=iface)
            if _refused(ex):
                return UNDECIDED, f"status_show: HTTP {ex.status} (credentials)"
            doc = _doc(ex)
            ok = isinstance(doc, dict) and doc.get("success") is True
            return ok, "status_show success" if ok else f"status_show: HTTP {ex.status}"
        if kind == "dcat":
            ex = self.get(iface.url, "inventory: DCAT catalogue", iface=iface,
                          accept=", ".join(RDF_TYPES))
            if _refused(ex):
                return UNDECIDED, f"HTTP {ex.status} (credentials)"
            text = ex.body[:200_000].decode("utf-8", "replace")
            ok = ex.status == 200 and ex.content_type in RDF_TYPES and "dcat" in text.lower()
            return ok, f"HTTP {ex.status} {ex.content_type or '(no type)'}"
        return UNDECIDED, f"{kind} is not a standard data interface"

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
            if _refused(ex):  # the description cannot be found without credentials
                return False, (f"the landing page needs credentials (HTTP {ex.status}), so its "
                               "service-desc cannot be reached without a contract")
            if not isinstance(doc, dict) or not isinstance(doc.get("links"), list):
                # no landing page (it has links, [OGC 17-069r4 7.2.2]): judged by
                # inventory:standard-interfaces, not a missing description
                return UNDECIDED, (f"no landing page with links to read the service-desc link "
                                   f"from (HTTP {ex.status})")
            links = doc["links"]
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
            if _refused(ex):
                return False, f"the service root needs credentials (HTTP {ex.status})"
            if not isinstance(doc, dict):
                return UNDECIDED, f"no service root to read (HTTP {ex.status})"
            settings = doc.get("serverSettings") if isinstance(doc, dict) else None
            conf = settings.get("conformance") if isinstance(settings, dict) else None
            ok = isinstance(conf, list) and bool(conf)
            return ok, ("serverSettings.conformance lists the classes" if ok else
                        "no serverSettings.conformance in the service root")
        if iface.kind == "ckan":
            ex = self.get(urljoin(base, "api/3/action/status_show"),
                          "inventory: CKAN status, without credentials", anonymous=True)
            doc = _doc(ex)
            if _refused(ex):
                return False, f"status_show needs credentials (HTTP {ex.status})"
            if not isinstance(doc, dict):
                return UNDECIDED, f"status_show: HTTP {ex.status}, no status document"
            ok = bool((doc.get("result") or {}).get("ckan_version"))
            return ok, "status_show names the CKAN API version" if ok else \
                "status_show names no ckan_version"
        if iface.kind == "dcat":
            return self.answers_anonymously(iface)
        # nothing to probe: the absence of a description field in the target file is no
        # observation of the platform
        hint = "AsyncAPI" if iface.kind == "mqtt" else "OpenAPI"
        return UNDECIDED, (f"the {iface.kind} standard defines no self-description endpoint "
                           f"and the target names none (interfaces[].description: the {hint} "
                           "document URL)")

    def answers_anonymously(self, iface) -> tuple[bool, str]:
        ex = self.get(iface.url, "inventory: DCAT catalogue, without credentials",
                      anonymous=True, accept=", ".join(RDF_TYPES))
        if ex.status == 200 and ex.content_type in RDF_TYPES:
            return True, f"the catalogue itself, HTTP {ex.status}"
        if _refused(ex):
            return False, f"the catalogue needs credentials (HTTP {ex.status})"
        return UNDECIDED, f"the catalogue itself: HTTP {ex.status} (see standard-interfaces)"


NAMED_NONE = ("the target names no standard data interface (interfaces of kind "
              f"{', '.join(DATA_KINDS)}), so there is nothing to inventory")
NAME_THEM = ("write a target file whose interfaces[] name each standard interface with its kind "
             "(ogc-api-features, ngsi-ld, sensorthings, mqtt, ckan, dcat)")


def _inventory(oup_run, http, fn) -> tuple[list[str], list[str], list[str]]:
    """(every line, the lines that are NO, the undecided lines), one per data interface."""
    probe, lines, bad, open_ = Probe(oup_run, http), [], [], []
    for iface in oup_run.target.spec.interfaces:
        if iface.kind not in DATA_KINDS:
            continue
        try:
            ok, why = fn(probe, iface)
        except (TransportError, ValueError) as exc:
            ok, why = UNDECIDED, f"no answer: {exc}"
        word = {True: "yes", False: "NO", None: "undecided"}[ok]
        line = f"{iface.kind} {iface.url}: {word} ({why})"
        lines.append(line)
        (bad if ok is False else open_ if ok is None else []).append(line)
    return lines, bad, open_


def _judge(oup_run, lines, bad, open_, *, failed: str, expected: str, passed: str) -> None:
    if not lines:
        raise Inconclusive(NAMED_NONE, decide=NAME_THEM)
    judged("interfaces probed", len(lines) - len(open_))
    if bad:
        raise CheckFailed(failed, expected=expected, actual=lines)
    if open_:
        raise Inconclusive("not every interface could be judged: " + "; ".join(open_),
                           decide="name a credential for the interface, or its description "
                                  "URL (interfaces[].description), in the target file")
    oup_run.observe(passed + "; ".join(lines))


@requirement("inventory:standard-interfaces")
def test_standard_interfaces_answer(oup_run, http):
    lines, bad, open_ = _inventory(oup_run, http, Probe.answers)
    _judge(oup_run, lines, bad, open_, failed="a named interface does not answer as its standard",
           expected="each interface answers as the standard it is named for",
           passed="standard interfaces: ")


@requirement("inventory:machine-readable-description")
def test_interfaces_are_described_without_contract(oup_run, http):
    lines, bad, open_ = _inventory(oup_run, http, Probe.described)
    _judge(oup_run, lines, bad, open_, failed="an interface has no machine-readable description "
           "reachable without credentials", expected="OpenAPI / AsyncAPI / conformance "
           "declaration for every interface", passed="described without a contract: ")


@requirement("inventory:catalogue")
def test_datasets_are_catalogued(oup_run, http):
    probe = Probe(oup_run, http)
    tried, seen_bad, named = [], False, False
    for iface in oup_run.target.spec.interfaces:
        try:
            if iface.kind in ("ckan", "dcat"):
                named = True
                ok, why = probe.answers(iface)
                if ok:
                    judged("catalogues", 1)
                    oup_run.observe(f"catalogue: {iface.kind} {iface.url} ({why})")
                    return
                seen_bad = seen_bad or ok is False
                tried.append(f"{iface.kind}: {why}")
            elif iface.kind == "ogc-api-features":
                named = True
                ex = probe.get(_base(iface.url) + "collections", "inventory: collections as a "
                               "catalogue", iface=iface)
                doc = _doc(ex)
                cols = doc.get("collections") if isinstance(doc, dict) else None
                if isinstance(cols, list) and cols:
                    thin = [(c.get("id") if isinstance(c, dict) else f"/collections/{n} is "
                             f"{json_type(c)}") for n, c in enumerate(cols) if not (
                        isinstance(c, dict) and c.get("title") and c.get("extent"))]
                    judged("collections", len(cols))
                    if not thin:
                        oup_run.observe(f"catalogue: {len(cols)} OGC collections with title "
                                        f"and extent at {iface.url}")
                        return
                    seen_bad = True
                    tried.append(f"collections without title or extent: {thin[:5]}")
                else:
                    # no datasets listed (or no list at all): nothing to judge as a catalogue
                    tried.append(f"collections: HTTP {ex.status}, none listed")
        except (TransportError, ValueError) as exc:
            tried.append(f"{iface.kind} {iface.url}: no answer: {exc}")
    if seen_bad:
        raise CheckFailed("the datasets are not listed in an open catalogue with machine-"
                          "readable metadata", expected="a CKAN/DCAT catalogue, or OGC "
                          "collections with title and extent", actual=tried)
    if not named:
        raise Inconclusive("the target names no catalogue (ckan, dcat) and no OGC API "
                           "collections list to read", decide="name the catalogue (an interface "
                           "of kind ckan or dcat) in the target file")
    raise Inconclusive("no catalogue could be judged: " + "; ".join(tried),
                       decide="name the platform's catalogue (ckan or dcat, with a credential "
                              "if it needs one) in the target file, or point the OGC API "
                              "interface at a collections list that names the datasets")
