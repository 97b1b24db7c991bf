"""Lock-in risk: can the city leave with its data, over open standards? Each row is a factor of
the profile's lock-in score (weights and advice are profile data)."""

from __future__ import annotations

import importlib.util
import re
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from oupcheck.errors import TransportError
from oupcheck.http import BodyUnusable, EvidenceClient, json_type
from oupcheck.marks import requirement
from oupcheck.mqttclient import Broker
from oupcheck.mqttwire import WireError
from oupcheck.verdicts import CheckFailed, Inconclusive, NotApplicable, expect, judged, settle

from ..mim2 import models
from ..mim2.sample import Sampler
from ..versions import expect_previous_version_retired

OPEN_MEDIA = {"application/geo+json", "application/json", "application/ld+json", "text/html",
              "text/csv", "application/gml+xml", "application/xml", "text/xml",
              "application/flatgeobuf", "application/vnd.oai.openapi+json", "application/x-ndjson",
              "application/geopackage+sqlite3", "application/schema+json", "image/png",
              "application/rdf+xml", "text/turtle", "application/vnd.geo+json"}


def _base(run):
    url = run.interface.url
    return url if url.endswith("/") else url + "/"


@pytest.fixture(scope="module")
def collections_doc(oup_run, http):
    ex = http.get(_base(oup_run) + "collections", accept="application/json",
                  note="collections (what a city would take with it)")
    if ex.status != 200:
        raise Inconclusive(f"no OGC API collections to judge (HTTP {ex.status})", evidence=ex,
                           decide="point the target at the OGC API - Features landing page")
    try:
        doc = EvidenceClient.json(ex)
    except BodyUnusable as exc:  # lockin:bulk-export judges the list itself
        raise Inconclusive(f"the collections list cannot be read ({exc}); lockin:bulk-export "
                           "judges it", evidence=ex, decide="see lockin:bulk-export") from None
    cols = [c for c in (doc.get("collections") if isinstance(doc, dict) else None) or []
            if isinstance(c, dict) and c.get("id")]
    return ex, cols


@pytest.fixture
def collections(collections_doc, http):
    """The collections, at least one (else the factor judges nothing: INCONCLUSIVE)."""
    ex, cols = collections_doc
    http.store.cite(ex)
    if not cols:
        raise Inconclusive("the collections list names no collection: there is nothing to "
                           "judge", evidence=ex, decide="point the target at an OGC API whose "
                                                        "collections list names its data")
    judged("collections", len(cols))
    return ex, cols


@pytest.fixture(scope="module")
def export(oup_run, http):
    """A bounded export of every collection through the API's own paging (temporary files):
    (folder, ExportResult), or (None, BodyUnusable) when the collections list answered 2xx
    with a body that is not JSON (lockin:bulk-export FAILs on it)."""
    from oupcheck.export import Exporter
    work = Path(tempfile.mkdtemp(prefix="oupcheck-lockin-"))
    exporter = Exporter(oup_run.target, client=http, formats=("ndjson", "geojson"),
                        page_size=int(oup_run.param("export_page_size", 1000)),
                        max_items=int(oup_run.param("export_max_items", 200_000)))
    try:
        try:
            res = exporter.run(work / "export")
        except BodyUnusable as exc:
            yield None, exc
            return
        except TransportError as exc:
            if str(exc).startswith("not sent: run exceeded max_requests"):
                raise Inconclusive(f"the export stopped at the request bound ({exc})",
                                   decide="raise limits.max_requests in the target file") \
                    from None
            ex = oup_run.store.by_id.get(exc.exchange_id or "")
            if ex is not None and ex.status is not None:  # answered, but no collections list
                raise Inconclusive(f"no OGC API collections list to export (HTTP {ex.status})",
                                   evidence=ex, decide="point the target at the OGC API - Features landing page") from None
            raise
        yield work / "export", res
    finally:
        shutil.rmtree(work, ignore_errors=True)


# findings that show the API lets the data go incompletely or wrongly; the others mean the
# export could not decide (a bound of the suite, an optional total the API does not give)
UNDECIDED_FINDINGS = ("max-items", "no-total", "no-collections")


def _undecided_page(oup_run, f) -> bool:
    """An unreadable page the suite capped or the API rate-limited decides nothing."""
    if f.kind != "unreadable-page":
        return False
    exs = [oup_run.store.by_id.get(e) for e in f.evidence]
    return any(x is not None and (x.body_capped or x.status in (429, 503)) for x in exs)


@requirement("lockin:bulk-export")
def test_bulk_export_is_complete(export, oup_run):
    out, res = export
    if isinstance(res, BodyUnusable):
        ex = res.exchange
        raise CheckFailed(f"the collections list cannot be read: {res}", expected="a JSON "
                          "collections list", actual=f"{ex.status} {ex.content_type}: "
                          f"{(ex.body_excerpt or '')[:100]!r}", evidence=ex)
    judged("collections exported", len(res.collections))
    judged("items exported", res.items)
    bad = [f for f in res.findings if f.kind not in UNDECIDED_FINDINGS and not f.bound
           and not _undecided_page(oup_run, f)]
    expect(not bad, "the data cannot be harvested completely through the standard API",
           expected="every item of every collection, counts equal to numberMatched",
           actual="; ".join(f"{f.kind} ({f.collection}): {f.message}" for f in bad)[:500],
           evidence=[e for f in bad for e in f.evidence])
    stopped = [f for f in res.findings if f.bound]
    if stopped:
        raise Inconclusive(f"the bounded export stopped before the end ({stopped[0].kind}: "
                           f"{stopped[0].message})",
                           decide="raise export_max_items in a derived profile (or free disk "
                                  "space) to judge the whole data set")
    if res.findings:  # no-total, or pages the suite could not read
        raise Inconclusive("completeness cannot be confirmed: " + "; ".join(
            f"{f.kind} ({f.collection}): {f.message}" for f in res.findings)[:500],
            evidence=[e for f in res.findings for e in f.evidence])
    if not res.items:
        raise Inconclusive("there was nothing to export (" + (
            "no collection holds an item)" if res.collections else
            "the collections list names no collection)"),
                           decide="point the target at an OGC API whose collections hold "
                                  "its data")


@requirement("lockin:round-trip")
def test_round_trip_into_an_independent_implementation(export, oup_run):
    out, res = export
    if isinstance(res, BodyUnusable):
        raise Inconclusive("there is no export: the collections list cannot be read (see "
                           "lockin:bulk-export)", evidence=res.exchange, decide="see "
                           "lockin:bulk-export")
    # a missing numberMatched leaves completeness open, not what came out of the export
    if any(f.kind != "no-total" for f in res.findings):
        raise Inconclusive("the export is incomplete (see lockin:bulk-export)",
                           decide="see lockin:bulk-export")
    if not res.items:
        raise Inconclusive("there was nothing to export, so nothing to load elsewhere",
                           decide="see lockin:bulk-export")
    from oupcheck import roundtrip
    # pygeoapi is the independent implementation (judging again does not start it)
    if oup_run.replay is None and importlib.util.find_spec("pygeoapi") is None:
        raise Inconclusive("pygeoapi is not installed here: pip install 'oupcheck[demo]'")
    work = Path(tempfile.mkdtemp(prefix="oupcheck-roundtrip-"))
    try:
        again = _re_export_elsewhere(oup_run, out, work)
        rt = roundtrip.compare(out, again)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    settle(roundtrip.judge(rt, list(oup_run.store.by_id.values())), oup_run.observe)


ROUND_TRIP_URL = "lockin.round_trip_url"


def _re_export_elsewhere(oup_run, out: Path, work: Path) -> Path:
    """The probe of lockin:round-trip: serve the export from a second pygeoapi of the suite's
    own and export that again through the run's recording client, so that its answers are
    evidence; judging again answers them from the recording (the pygeoapi is not started)."""
    from oupcheck import roundtrip
    limits = oup_run.target.spec.limits.model_copy(update={"max_requests": 10**7})
    if oup_run.replay is not None:
        from oupcheck.replay import ReplayClient
        url = oup_run.recalled(ROUND_TRIP_URL)
        if not url:
            oup_run.replay.refuse("the round trip's pygeoapi")
            raise Inconclusive("not recorded: the judged run made no round trip")
        return roundtrip.re_export(url, work, client=ReplayClient(
            oup_run.replay, oup_run.store, limits, base_url=url))
    try:
        with roundtrip.serve(out, work / "served") as url:
            oup_run.remember(ROUND_TRIP_URL, url)
            return roundtrip.re_export(url, work, client=EvidenceClient(
                oup_run.store, limits, base_url=url))
    except (RuntimeError, OSError) as exc:
        raise Inconclusive(f"the independent pygeoapi could not be started: {exc}") from None


@requirement("lockin:open-formats")
def test_items_in_open_formats(collections, http, oup_run):
    ex, cols = collections
    items = http.get(_base(oup_run) + f"collections/{cols[0]['id']}/items", params={"limit": 1},
                     accept="application/geo+json", note="items as GeoJSON")
    closed = []
    for c in cols[: int(oup_run.param("max_collections", 20))]:
        types = {str(lk.get("type", "")).split(";")[0].strip().lower()
                 for lk in c.get("links") or [] if isinstance(lk, dict) and lk.get("rel") == "items"}
        if types and not types & OPEN_MEDIA:
            closed.append(f"{c['id']}: {sorted(types)}")
    expect(not closed, "collections offer their items only in non-open formats",
           expected="at least one open format (GeoJSON, JSON, CSV, GML ...)", actual=closed[:5],
           evidence=ex)
    judged("collections with items links", sum(1 for c in cols[: int(oup_run.param(
        "max_collections", 20))] if any(isinstance(lk, dict) and lk.get("rel") == "items"
                                         for lk in c.get("links") or [])))
    expect(items.status == 200 and items.content_type in OPEN_MEDIA,
           "items are not served in an open format when asked for GeoJSON",
           expected="200 application/geo+json", actual=f"{items.status} {items.content_type}",
           evidence=items)


@requirement("lockin:licence")
def test_machine_readable_licence(collections, oup_run):
    ex, cols = collections
    missing = [c["id"] for c in cols if not any(
        isinstance(lk, dict) and lk.get("rel") == "license" and lk.get("href")
        for lk in c.get("links") or [])]
    expect(not missing, "collections without a machine-readable licence link",
           expected='a link rel="license" with href on every collection', actual=missing[:5],
           evidence=ex)


def _description_kind(rel: str, body) -> str | None:
    """What a linked document is, when it is the description its link says it is."""
    if not isinstance(body, dict):
        return None
    if rel in ("service-desc", "describedby") and isinstance(
            body.get("openapi") or body.get("swagger"), str):
        return f"OpenAPI {body.get('openapi') or body.get('swagger')}"
    if rel == "conformance" and isinstance(body.get("conformsTo"), list) and body["conformsTo"]:
        return f"conformance declaration ({len(body['conformsTo'])} classes)"
    return None


@requirement("lockin:open-api-description")
def test_api_description_reachable_without_contract(oup_run, http):
    ex = http.get(_base(oup_run), accept="application/json", auth=False,
                  note="landing page without credentials")
    if ex.status in (401, 403):
        raise CheckFailed("the landing page needs credentials: its description cannot be "
                          "found without a contract", expected="200 without credentials",
                          actual=f"HTTP {ex.status}", evidence=ex)
    try:
        doc = EvidenceClient.json(ex) if ex.status == 200 else None
    except BodyUnusable:
        doc = None
    if not isinstance(doc, dict) or not isinstance(doc.get("links"), list):
        # a landing page has links [OGC 17-069r4 7.2.2]; without one there is nothing to follow
        raise Inconclusive(f"no OGC API landing page to read the description links from (HTTP "
                           f"{ex.status}{', no links' if isinstance(doc, dict) else ''})",
                           evidence=ex,
                           decide="point the target at the OGC API - Features landing page")
    links = [(lk.get("rel"), lk.get("href")) for lk in (doc.get("links") or [])
             if isinstance(lk, dict) and lk.get("href")
             and lk.get("rel") in ("service-desc", "conformance", "describedby")]
    # probe: every description the landing page links, without credentials
    descs = [http.get(urljoin(str(ex.url), href),
                      accept="application/vnd.oai.openapi+json;version=3.0, application/json",
                      auth=False, note=f"{rel} without credentials") for rel, href in links]
    # judge: the first that is the description its link says it is
    expect(links, "the landing page names no machine-readable description",
           expected="service-desc / conformance links", actual=None, evidence=ex)
    tried, cited = [], [ex]
    for (rel, href), desc in zip(links, descs):
        cited.append(desc)
        try:
            body = EvidenceClient.json(desc) if desc.status == 200 else None
        except BodyUnusable:
            body = None
        kind = _description_kind(rel, body)
        if kind:
            judged("descriptions read", 1)
            oup_run.observe(f"{kind} at {href}, read without credentials")
            return
        tried.append(f"{rel} {href}: HTTP {desc.status}" + ("" if desc.status != 200 else
                                                            ", not that description"))
    raise CheckFailed("the API description cannot be read without a contract",
                      expected="an OpenAPI document (service-desc) or a conformance declaration "
                               "(conformsTo), 200 without credentials",
                      actual="; ".join(tried), evidence=cited)


@requirement("lockin:standard-auth")
def test_standard_authentication(oup_run, http):
    base = _base(oup_run)
    probe = http.get(base + "collections", accept="application/json", auth=False,
                     note="is authentication required?")
    if 200 <= probe.status < 300:
        raise NotApplicable("the API answers without credentials: there is no authentication "
                            "to lock users in", evidence=probe)
    if probe.status not in (401, 403):
        raise Inconclusive(f"the collections answered HTTP {probe.status} without credentials: "
                           "whether authentication is required cannot be told", evidence=probe,
                           decide="point the target at the OGC API - Features landing page")
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
                judged("discovery documents", 1)
                oup_run.observe(f"authentication required (HTTP {probe.status}); discovery "
                                f"document at {ex.url} (issuer {doc['issuer']})")
                return
    raise CheckFailed("authentication is required but no OpenID Connect / OAuth 2.0 discovery "
                      "document is published", expected="/.well-known/openid-configuration",
                      actual="not found", evidence=[probe, ex])


@requirement("lockin:open-event-channel")
def test_open_event_channel(oup_run, http):
    channels, tried, undecided = [], [], []
    for iface in oup_run.target.spec.interfaces:
        if iface.kind == "mqtt":
            try:
                broker = Broker.for_interface(oup_run.target, iface, oup_run.store, tag="lockin")
                ok, seen = broker.accepts_connect("open event channel: does the broker accept "
                                                  "CONNECT?")
            except WireError as exc:
                ok, seen = False, f"answered with bytes that are not MQTT ({exc})"
            except (TransportError, ValueError) as exc:
                undecided.append(f"MQTT {iface.url}: {exc}")
                continue
            if not ok and seen.startswith("answered CONNACK"):
                # an MQTT broker that refuses the suite's identity: it is one, but not shown open
                undecided.append(f"MQTT {iface.url}: {seen}")
                continue
            (channels if ok else tried).append(f"MQTT {iface.url}: {seen}")
        elif iface.kind == "ngsi-ld":
            cred = oup_run.target.credential(iface.credential)
            try:
                ex = http.get(iface.url.rstrip("/") + "/ngsi-ld/v1/subscriptions",
                              accept="application/json", auth=cred or False,
                              note="NGSI-LD subscriptions")
            except TransportError as exc:
                undecided.append(f"NGSI-LD {iface.url}: {exc}")
                continue
            line = f"NGSI-LD subscriptions {iface.url}: HTTP {ex.status}"
            if ex.status in (401, 403):
                undecided.append(line + " (credentials)")
            elif ex.status == 200:
                # ETSI GS CIM 009 5.8.4: the answer is a JSON array of Subscriptions
                try:
                    doc = EvidenceClient.json(ex)
                except BodyUnusable as exc:
                    doc = exc
                if isinstance(doc, list):
                    channels.append(line)
                else:
                    what = doc if isinstance(doc, Exception) else f"/ is {json_type(doc)}"
                    tried.append(f"{line}, but the body is not the JSON array of subscriptions "
                                 f"that NGSI-LD 5.8.4 answers ({what})")
            else:
                tried.append(line)
    judged("event channels found", len(channels))
    if channels:
        oup_run.observe("open event channel: " + "; ".join(channels))
        return
    if not tried and not undecided:
        # nothing to probe: the target file names no event channel, which is no observation
        raise Inconclusive("the target names no event channel (an mqtt or ngsi-ld interface): "
                           "the suite cannot discover one from the OGC API",
                           decide="name the platform's MQTT broker or NGSI-LD interface in the "
                                  "target file")
    if not undecided:
        raise CheckFailed("no open event channel (MQTT, NGSI-LD subscriptions) is offered",
                          expected="an MQTT broker that accepts CONNECT or NGSI-LD "
                                   "subscriptions", actual="; ".join(tried))
    raise Inconclusive("no event channel could be judged: " + "; ".join(undecided + tried),
                       decide="name a credential for the event channel in the target file")


@requirement("lockin:versioning")
def test_visible_api_versioning(oup_run, http):
    base = _base(oup_run)
    ex = http.get(base, accept="application/json", note="API version visible?")
    in_path = re.search(r"/v\d+(/|$)", urlsplit(base).path)
    header = ex.header("api-version")
    if ex.status != 200 and not header:
        # a base path that does not answer is the target's URL, not a version the API shows
        raise Inconclusive(f"the API base answered HTTP {ex.status}: no landing page whose "
                           "version could be judged", evidence=ex,
                           decide="point the target at the OGC API - Features landing page")
    expect(in_path or header, "the API shows no version (major version in the URI or an "
           "API-Version header)", expected="/v{major}/ or API-Version",
           actual=f"path {urlsplit(base).path!r}, no API-Version header", evidence=ex)


@requirement("lockin:standard-data-models")
def test_standard_data_models(oup_run, http):
    iface = oup_run.target.interface("ngsi-ld")
    if iface is None:
        raise NotApplicable("the target names no NGSI-LD interface; shared data models (OASC "
                            "MIM2) are judged on NGSI-LD entities")
    sample = Sampler(oup_run, http, iface.url)
    ex, types = sample.types()  # INCONCLUSIVE when the types cannot be listed
    known = models.known_models(str(oup_run.param("known_models", "")))
    res = models.judge(oup_run.data, sample, types, known, 1.0)
    unknown = len(res.unknown)
    total = res.judged + unknown  # a type that is no known model counts as one non-standard entity
    if not total:
        raise Inconclusive("no entities to judge", evidence=ex)
    judged("entities", res.judged)
    judged("types of no known model", unknown)
    share = res.valid / total
    need = float(oup_run.param("min_standard_model_share", 0.8))
    expect(share >= need, f"only {share:.0%} of the sampled entities follow a shared data model",
           expected=f">= {need:.0%} valid against their Smart Data Model",
           actual=" | ".join(res.lines + [f"not a known model: {', '.join(res.unknown[:5])}"]
                             if unknown else res.lines)[:600],
           evidence=[ex, *res.evidence])


@requirement("lockin:deprecation")
def test_previous_version_retired_or_announced(oup_run, http):
    # the probe shared with OWASP API9: 404/410 counts as retired only when the current
    # version answers (the control), other answers are INCONCLUSIVE
    expect_previous_version_retired(http, _base(oup_run))
