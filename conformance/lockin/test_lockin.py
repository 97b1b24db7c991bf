"""Lock-in risk: can the city leave with its data, over open standards? Each row is a factor of
the profile's lock-in score (weights and advice are profile data)."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from oupcheck.errors import TransportError
from oupcheck.http import BodyUnusable, EvidenceClient
from oupcheck.mqttclient import Broker
from oupcheck.verdicts import CheckFailed, Inconclusive, NotApplicable, expect

from ..mim2 import models
from ..mim2.sample import Sampler
from ..versions import expect_previous_version_retired

OPEN_MEDIA = {"application/geo+json", "application/json", "application/ld+json", "text/html",
              "text/csv", "application/gml+xml", "application/xml", "text/xml",
              "application/flatgeobuf", "application/vnd.oai.openapi+json", "application/x-ndjson",
              "application/geopackage+sqlite3", "application/schema+json", "image/png",
              "application/rdf+xml", "text/turtle", "application/vnd.geo+json"}


def requirement(*ids):
    return pytest.mark.requirement(*("lockin:" + i for i in ids))


def _base(run):
    url = run.interface.url
    return url if url.endswith("/") else url + "/"


@pytest.fixture(scope="module")
def collections(oup_run, http):
    ex = http.get(_base(oup_run) + "collections", accept="application/json",
                  note="collections (what a city would take with it)")
    if ex.status != 200:
        raise Inconclusive(f"no OGC API collections to judge (HTTP {ex.status})", evidence=ex)
    doc = EvidenceClient.json(ex)
    cols = [c for c in doc.get("collections") or [] if isinstance(c, dict) and c.get("id")]
    return ex, cols


@pytest.fixture(scope="module")
def export(oup_run, http):
    """A bounded export of every collection through the API's own paging (temporary files)."""
    from oupcheck.export import Exporter
    work = Path(tempfile.mkdtemp(prefix="oupcheck-lockin-"))
    exporter = Exporter(oup_run.target, client=http, formats=("ndjson", "geojson"),
                        page_size=int(oup_run.param("export_page_size", 1000)),
                        max_items=int(oup_run.param("export_max_items", 200_000)))
    try:
        res = exporter.run(work / "export")
        yield work / "export", res
    finally:
        shutil.rmtree(work, ignore_errors=True)


@requirement("bulk-export")
def test_bulk_export_is_complete(export):
    out, res = export
    if any(f.kind == "max-items" for f in res.findings):
        raise Inconclusive("the bounded export stopped at export_max_items before the end "
                           "(raise it in a derived profile to judge the whole data set)")
    bad = [f"{f.kind} ({f.collection}): {f.message}" for f in res.findings]
    expect(not bad, "the data cannot be harvested completely through the standard API",
           expected="every item of every collection, counts equal to numberMatched",
           actual="; ".join(bad)[:500], evidence=[e for f in res.findings for e in f.evidence])
    expect(res.collections and res.items, "there was nothing to export",
           expected="items", actual=0)


@requirement("round-trip")
def test_round_trip_into_an_independent_implementation(export):
    out, res = export
    if not res.complete:
        raise Inconclusive("the export is incomplete (see lockin:bulk-export)")
    try:
        from oupcheck.roundtrip import round_trip
        import pygeoapi  # noqa: F401  (the independent implementation)
    except ImportError:
        raise Inconclusive("pygeoapi is not installed here: pip install 'oupcheck[demo]'") \
            from None
    work = Path(tempfile.mkdtemp(prefix="oupcheck-roundtrip-"))
    try:
        rt = round_trip(out, work)
    except (RuntimeError, OSError) as exc:
        raise Inconclusive(f"the independent pygeoapi could not be started: {exc}") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    expect(not rt.differences, "the exported data does not come back the same from an "
           "independent open implementation", expected=f"{rt.compared} items equal",
           actual=[f"{d.collection} {d.id}: {d.what}" for d in rt.differences[:5]])


@requirement("open-formats")
def test_items_in_open_formats(collections, http, oup_run):
    ex, cols = collections
    closed = []
    for c in cols[: int(oup_run.param("max_collections", 20))]:
        types = {str(lk.get("type", "")).split(";")[0].strip().lower()
                 for lk in c.get("links") or [] if isinstance(lk, dict) and lk.get("rel") == "items"}
        if types and not types & OPEN_MEDIA:
            closed.append(f"{c['id']}: {sorted(types)}")
    expect(not closed, "collections offer their items only in non-open formats",
           expected="at least one open format (GeoJSON, JSON, CSV, GML ...)", actual=closed[:5],
           evidence=ex)
    items = http.get(_base(oup_run) + f"collections/{cols[0]['id']}/items", params={"limit": 1},
                     accept="application/geo+json", note="items as GeoJSON")
    expect(items.status == 200 and items.content_type in OPEN_MEDIA,
           "items are not served in an open format when asked for GeoJSON",
           expected="200 application/geo+json", actual=f"{items.status} {items.content_type}",
           evidence=items)


@requirement("licence")
def test_machine_readable_licence(collections, oup_run):
    ex, cols = collections
    missing = [c["id"] for c in cols if not any(
        isinstance(lk, dict) and lk.get("rel") == "license" and lk.get("href")
        for lk in c.get("links") or [])]
    expect(not missing, "collections without a machine-readable licence link",
           expected='a link rel="license" with href on every collection', actual=missing[:5],
           evidence=ex)


@requirement("open-api-description")
def test_api_description_reachable_without_contract(oup_run, http):
    ex = http.get(_base(oup_run), accept="application/json", auth=False,
                  note="landing page without credentials")
    doc = EvidenceClient.json(ex) if ex.status == 200 else {}
    hrefs = [lk.get("href") for lk in (doc.get("links") or []) if isinstance(lk, dict)
             and lk.get("rel") in ("service-desc", "conformance", "describedby")]
    expect(hrefs, "the landing page names no machine-readable description",
           expected="service-desc / conformance links", actual=None, evidence=ex)
    desc = http.get(hrefs[0], accept="application/vnd.oai.openapi+json;version=3.0, "
                    "application/json", auth=False, note="API description without credentials")
    try:
        body = EvidenceClient.json(desc) if desc.status == 200 else None
    except BodyUnusable:
        body = None
    expect(isinstance(body, dict), "the API description cannot be read without a contract",
           expected="200 with a JSON description", actual=f"HTTP {desc.status}",
           evidence=[ex, desc])


@requirement("standard-auth")
def test_standard_authentication(oup_run, http):
    base = _base(oup_run)
    probe = http.get(base + "collections", accept="application/json", auth=False,
                     note="is authentication required?")
    if probe.status not in (401, 403):
        raise NotApplicable("the API answers without credentials: there is no authentication "
                            "to lock users in", evidence=probe)
    p = urlsplit(base)
    # discovery lives at the issuer's /.well-known/: the origin root, or the API base as issuer
    for root in dict.fromkeys((f"{p.scheme}://{p.netloc}/", base)):
        for path in (".well-known/openid-configuration", ".well-known/oauth-authorization-server"):
            ex = http.get(root + path, accept="application/json", auth=False,
                          note="standard authentication discovery")
            try:
                doc = EvidenceClient.json(ex) if ex.status == 200 else None
            except BodyUnusable:
                doc = None
            if isinstance(doc, dict) and doc.get("issuer") and doc.get("token_endpoint"):
                return
    raise CheckFailed("authentication is required but no OpenID Connect / OAuth 2.0 discovery "
                      "document is published", expected="/.well-known/openid-configuration",
                      actual="not found", evidence=[probe, ex])


@requirement("open-event-channel")
def test_open_event_channel(oup_run, http):
    channels, tried = [], []
    for iface in oup_run.target.spec.interfaces:
        if iface.kind == "mqtt":
            try:
                broker = Broker.for_interface(oup_run.target, iface, oup_run.store, tag="lockin")
                ok, seen = broker.accepts_connect("open event channel: does the broker accept "
                                                  "CONNECT?")
            except (TransportError, ValueError) as exc:
                ok, seen = False, str(exc)
            (channels if ok else tried).append(f"MQTT {iface.url}: {seen}")
        elif iface.kind == "ngsi-ld":
            ex = http.get(iface.url.rstrip("/") + "/ngsi-ld/v1/subscriptions",
                          accept="application/json", note="NGSI-LD subscriptions")
            (channels if ex.status == 200 else tried).append(f"NGSI-LD subscriptions {ex.status}")
    expect(channels, "no open event channel (MQTT, NGSI-LD subscriptions) is offered",
           expected="an MQTT broker or NGSI-LD subscriptions in the target's interfaces",
           actual=tried or [i.kind for i in oup_run.target.spec.interfaces])


@requirement("versioning")
def test_visible_api_versioning(oup_run, http):
    base = _base(oup_run)
    ex = http.get(base, accept="application/json", note="API version visible?")
    in_path = re.search(r"/v\d+(/|$)", urlsplit(base).path)
    header = ex.header("api-version")
    expect(in_path or header, "the API shows no version (major version in the URI or an "
           "API-Version header)", expected="/v{major}/ or API-Version",
           actual=f"path {urlsplit(base).path!r}, no API-Version header", evidence=ex)


@requirement("standard-data-models")
def test_standard_data_models(oup_run, http):
    iface = oup_run.target.interface("ngsi-ld")
    if iface is None:
        raise NotApplicable("the target names no NGSI-LD interface; shared data models (OASC "
                            "MIM2) are judged on NGSI-LD entities")
    sample = Sampler(oup_run, http, iface.url)
    ex, types = sample.types()
    known = models.known_models(str(oup_run.param("known_models", "")))
    res = models.judge(oup_run.data, sample, types, known, 1.0)
    unknown = len(res.unknown)
    total = res.judged + unknown  # a type that is no known model counts as one non-standard entity
    if not total:
        raise Inconclusive("no entities to judge", evidence=ex)
    share = res.valid / total
    need = float(oup_run.param("min_standard_model_share", 0.8))
    expect(share >= need, f"only {share:.0%} of the sampled entities follow a shared data model",
           expected=f">= {need:.0%} valid against their Smart Data Model",
           actual=" | ".join(res.lines + [f"not a known model: {', '.join(res.unknown[:5])}"]
                             if unknown else res.lines)[:600],
           evidence=[ex, *res.evidence])


@requirement("deprecation")
def test_previous_version_retired_or_announced(oup_run, http):
    expect_previous_version_retired(http, _base(oup_run))
