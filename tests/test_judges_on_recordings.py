"""The pure judges on what real platforms answered (issue 13): exchanges of the recordings in
tests/recordings/ (real pygeoapi, and nginx before it) are handed to the judges directly. Each
judge PASSes on the real answer and FAILs (or stays undecided) on the same answer with one
defect put in, without any server."""

from __future__ import annotations

import copy
import json
import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from conformance.ogcapi_features.checks import (geometry_bbox, judge_bbox_selection,
                                                separating_box)
from conformance.security.owasp import (judge_body_size, judge_exposures, judge_page_size,
                                        judge_write)
from conformance.security.test_owasp import PROBE_PATHS
from oupcheck.replay import evidence_file, evidence_records, recorded_exchange
from oupcheck.verdicts import Verdict

RECORDINGS = Path(__file__).parent / "recordings"
OGC = "pygeoapi-ogc-api-features-1"
SECURITY = "nginx-pygeoapi-security-baseline"


@lru_cache(maxsize=None)
def records(name: str) -> tuple[dict, ...]:
    return tuple(evidence_records(evidence_file(RECORDINGS / name)))


def exchange(name: str, note: str):
    rec = next(r for r in records(name) if r.get("note") == note)
    return recorded_exchange(rec)


def _items_pages(cid: str, **only):
    """The recorded 200 pages of a collection's items whose query has exactly ``only`` besides
    limit and offset (pygeoapi pages by offset)."""
    out = []
    for rec in records(OGC):
        u = urlsplit(rec["request"]["url"])
        if not u.path.endswith(f"/collections/{cid}/items") or rec["request"]["method"] != "GET":
            continue
        q = {k: v[0] for k, v in parse_qs(u.query).items() if k not in ("limit", "offset")}
        if q == only and (rec.get("response") or {}).get("status") == 200 \
                and "geo+json" in (rec["request"]["headers"].get("Accept") or ""):
            out.append(recorded_exchange(rec))
    return out


def _features(pages):
    seen = {}
    for ex in pages:
        for f in json.loads(ex.body)["features"]:
            seen.setdefault(str(f.get("id")), f)
    return list(seen.values())


@pytest.fixture(scope="module")
def bbox_case():
    """utrecht-luchtkwaliteit as pygeoapi answered it: the whole collection and the selection
    of the quarter box the run sent."""
    cid = "utrecht-luchtkwaliteit"
    everything = _features(_items_pages(cid))
    boxes = {str(f.get("id")): geometry_bbox(f.get("geometry")) for f in everything}
    sent = sorted({parse_qs(urlsplit(r["request"]["url"]).query)["bbox"][0] for r in records(OGC)
                   if f"/collections/{cid}/items" in r["request"]["url"]
                   and "bbox=" in r["request"]["url"] and "datetime" not in r["request"]["url"]})
    # the box of fc-bbox-response's probe: one that selects some features, not all
    for value in sent:
        pages = _items_pages(cid, bbox=value)
        if 0 < len(_features(pages)) < len(everything):
            box = tuple(float(v) for v in value.split(","))
            return cid, box, boxes, _features(pages), pages, len(everything)
    raise AssertionError(f"the recording holds no bbox selection that separates {cid}: {sent}")


def _judge(case, selected=None, complete=True):
    cid, box, boxes, sel, pages, _ = case
    return judge_bbox_selection(cid, box, boxes, sel if selected is None else selected, complete,
                                shown=",".join(map(str, box)), source="its extent",
                                selected_ev=pages, everything_ev=pages)


def test_bbox_judge_passes_pygeoapis_real_selection(bbox_case):
    j = _judge(bbox_case)
    assert j.verdict is Verdict.PASS, j
    assert "all intersecting it" in j.message and j.assertions > 10
    cid, box, boxes, *_ = bbox_case
    # the box separates the features read (some inside, some outside), so a PASS shows
    # filtering: the judge's own box choice finds a separating box on these features too
    assert separating_box([min(b[0] for b in boxes.values() if b),
                           min(b[1] for b in boxes.values() if b),
                           max(b[2] for b in boxes.values() if b),
                           max(b[3] for b in boxes.values() if b)], boxes) is not None
    assert 0 < len(bbox_case[3]) < bbox_case[5]


def test_bbox_judge_fails_a_left_out_feature_and_an_outside_one(bbox_case):
    cid, box, boxes, sel, pages, n = bbox_case
    j = _judge(bbox_case, selected=sel[1:])
    assert j.verdict is Verdict.FAIL and "left out a feature" in j.message, j
    far = copy.deepcopy(sel[0])
    far["geometry"] = {"type": "Point", "coordinates": [box[2] + 1.0, box[3] + 1.0]}
    far["id"] = "far-away"
    j = _judge(bbox_case, selected=sel + [far])
    assert j.verdict is Verdict.FAIL and "does not intersect the box" in j.message, j
    assert j.actual["id"] == "far-away"


def test_bbox_judge_is_undecided_on_an_unfinished_selection(bbox_case):
    j = _judge(bbox_case, complete=False)
    assert j.verdict is Verdict.INCONCLUSIVE and "not read to its end" in j.message


def test_page_size_judge_on_pygeoapi_behind_nginx():
    ex = exchange(SECURITY, "a huge page size must be capped or refused")
    ctl = exchange(SECURITY, "one feature (to learn an id; the control that the items answer)")
    j = judge_page_size(ex, ctl, huge=10_000_000, cap=10_000, ngsi=False)
    assert j.verdict is Verdict.PASS and "capped: 50 items returned of 57" in j.message, j
    # the same page judged against a cap below what pygeoapi returned
    assert judge_page_size(ex, ctl, huge=10_000_000, cap=10, ngsi=False).verdict is Verdict.FAIL
    broken = copy.copy(ex)
    broken.status = 500
    assert judge_page_size(broken, ctl, huge=10_000_000, cap=10_000, ngsi=False).verdict \
        is Verdict.FAIL
    refused = copy.copy(ex)
    refused.status = 400
    assert judge_page_size(refused, ctl, huge=10_000_000, cap=10_000, ngsi=False).verdict \
        is Verdict.PASS


def test_body_size_judge_on_nginxs_413():
    ctl = exchange(SECURITY, "the control: the same POST with a small body")
    big = exchange(SECURITY, "an oversized body (12582912 bytes) must be refused")
    assert big.status == 413 and ctl.status == 400
    assert judge_body_size(ctl, big, size=12582912, decide=None).verdict is Verdict.PASS
    accepted = copy.copy(big)
    accepted.status = 201
    assert judge_body_size(ctl, accepted, size=12582912, decide=None).verdict is Verdict.FAIL
    same = copy.copy(big)
    same.status = 400  # refused as the small body was: not about the size
    assert judge_body_size(ctl, same, size=12582912, decide=None).verdict is Verdict.INCONCLUSIVE


def test_exposure_judge_on_nginxs_404s():
    answers = []
    for path, signature, what in PROBE_PATHS:
        answers.append((exchange(SECURITY, f"must not expose a {what}"), signature, what))
    assert judge_exposures(answers).verdict is Verdict.PASS
    git = next(i for i, a in enumerate(answers) if a[2] == "git repository")
    leaked = copy.copy(answers[git][0])
    leaked.status, leaked.body_excerpt = 200, "[core]\n\trepositoryformatversion = 0\n"
    answers[git] = (leaked, answers[git][1], answers[git][2])
    j = judge_exposures(answers)
    assert j.verdict is Verdict.FAIL and "git repository" in j.message


def test_write_judge_on_pygeoapis_refusals():
    """pygeoapi (a read-only collection) answers a deliberately invalid POST with 400 and a
    PATCH with 405: the 400 says nothing about credentials, the 405 refuses the method."""
    by_method = {r["request"]["method"]: recorded_exchange(r) for r in records(SECURITY)
                 if (r.get("note") or "").endswith("must be refused")
                 or re.search(r"must be refused \(deliberately", r.get("note") or "")}
    assert judge_write(by_method["POST"], valid=False) == "undecided"
    assert judge_write(by_method["PATCH"], valid=True) == "refused"
    created = copy.copy(by_method["POST"])
    created.status = 201
    assert judge_write(created, valid=False) == "accepted"


def test_datetime_judge_on_pygeoapis_real_selection():
    """fc-time-response's judge on utrecht-luchtkwaliteit as pygeoapi answered datetime=../T:
    PASS; a feature left out, or one after T put in, FAILs."""
    from conformance.ogcapi_features.checks import (judge_interval_selection, parse_rfc3339,
                                                    temporal_property)
    cid = "utrecht-luchtkwaliteit"
    everything = _features(_items_pages(cid))
    queries = sorted({parse_qs(urlsplit(r["request"]["url"]).query)["datetime"][0]
                      for r in records(OGC) if f"/collections/{cid}/items" in r["request"]["url"]
                      and "datetime=..%2F" in r["request"]["url"] and "bbox" not in
                      r["request"]["url"]})
    assert queries, "the recording holds no half-bounded datetime selection"
    query = queries[0]
    end = parse_rfc3339(query[3:])
    times = [parse_rfc3339((f.get("properties") or {}).get(p)) for f in everything
             for p in (f.get("properties") or {})]
    prop = temporal_property(everything, min(t for t in times if t), max(t for t in times if t))
    when = {str(f.get("id")): parse_rfc3339((f.get("properties") or {}).get(prop))
            for f in everything}
    pages = _items_pages(cid, datetime=query)
    selected = _features(pages)
    assert 0 < len(selected) < len(everything)

    def judge(sel):
        return judge_interval_selection(cid, query, prop, when, lambda t: t <= end, sel, True,
                                        selected_ev=pages, everything_ev=pages)
    assert judge(selected).verdict is Verdict.PASS
    assert judge(selected[1:]).verdict is Verdict.FAIL
    late = next(f for f in everything if when[str(f.get("id"))] and when[str(f.get("id"))] > end)
    j = judge(selected + [late])
    assert j.verdict is Verdict.FAIL and "outside the interval" in j.message, j


def test_round_trip_judge_on_pygeoapis_export_and_its_reimport(tmp_path):
    """lockin:round-trip: the recorded export of pygeoapi and the recorded export of the second
    pygeoapi loaded with it, replayed through the exporter (no server), are equal: PASS; one
    property changed on the way back FAILs, citing the item pages of that collection."""
    from oupcheck import roundtrip
    from oupcheck.evidence import EvidenceStore
    from oupcheck.export import Exporter
    from oupcheck.replay import Replay, ReplayClient, replay_target
    run_dir = RECORDINGS / "pygeoapi-lock-in"
    replay = Replay(run_dir)
    target = replay_target(run_dir, replay.inputs)
    store = EvidenceStore()

    def client(url):
        return ReplayClient(replay, store, target.spec.limits.model_copy(
            update={"max_requests": 10**6}), base_url=url)
    first = tmp_path / "export"
    Exporter(target, formats=("ndjson", "geojson"), client=client(target.spec.interfaces[0].url)
             ).run(first)
    url = replay.inputs["facts"]["lockin.round_trip_url"]
    again = roundtrip.re_export(url, tmp_path, client=client(url))
    pages = list(store.by_id.values())
    j = roundtrip.judge(roundtrip.compare(first, again), pages)
    assert j.verdict is Verdict.PASS and j.assertions > 100, j
    manifest = json.loads((again / "manifest.json").read_text())
    c = manifest["collections"][0]
    path = again / c["files"]["ndjson"]["file"]
    lines = path.read_text().splitlines()
    feat = json.loads(lines[0])
    feat["properties"] = {**(feat.get("properties") or {}), "changed": "on the way back"}
    path.write_text("\n".join([json.dumps(feat)] + lines[1:]) + "\n")
    j = roundtrip.judge(roundtrip.compare(first, again), pages)
    assert j.verdict is Verdict.FAIL and f"{c['id']} {feat['id']}: content" in j.actual, j
    assert j.evidence and all(f"/collections/{c['id']}/items" in x.url for x in j.evidence)
    # the target's pages and the second pygeoapi's
    assert {x.url.split("/collections")[0] for x in j.evidence} == {
        url.rstrip("/"), target.spec.interfaces[0].url.rstrip("/")}


def test_sensorthings_layer_on_django_ogc_sensorthings_answers():
    """The SensorThings client layer on what django-ogc-sensorthings 1.2 answered: its service
    root lists the 8 entity sets of the sensing core and declares its classes; the Datastream
    the load run discovered is the seeded one, with a UUID id (hence no Datastream 1)."""
    from oupcheck import sensorthings
    name = "sensorthings-load-sensorthings"
    root = json.loads(exchange(name, "pre-flight: is the target reachable before loading it?")
                      .body)
    assert sensorthings.is_service_root(root)
    assert set(sensorthings.entity_sets(root)) >= set(sensorthings.ENTITY_SETS)
    assert {"http://www.opengis.net/spec/iot_sensing/1.1/req/datamodel",
            "http://www.opengis.net/spec/iot_sensing/1.1/req/create-update-delete"} <= set(
        sensorthings.declared_classes(root)), root.get("serverSettings")
    page = json.loads(exchange(name, "load: which Datastreams to read and write").body)
    found = sensorthings.ids(page)
    assert len(found) == 1 and re.fullmatch(r"[0-9a-f-]{36}", str(found[0])), found
    # a root without the Things set is no service root; an id that is a boolean is no id
    assert not sensorthings.is_service_root(
        {"value": [v for v in root["value"] if v.get("name") != "Things"]})
    assert sensorthings.ids({"value": [{"@iot.id": True}]}) == []


# -- NGSI-LD judges on what Scorpio 5.0.3 (built from its public source) answered -----------
SCORPIO = "scorpio-mim1-ngsi-ld"


def scorpio(test: str, skip_writes: bool = True) -> list:
    """The recorded HTTP exchanges of one check on Scorpio, in order (the probe entities it
    created first left out)."""
    out = []
    for rec in records(SCORPIO):
        if rec.get("kind", "http") != "http" or not (rec.get("test") or "").endswith(
                "::" + test):
            continue
        if skip_writes and (rec.get("note") or "").startswith("create a probe entity"):
            continue
        out.append(recorded_exchange(rec))
    return out


def _with(ex, **changes):
    twin = copy.copy(ex)
    for k, v in changes.items():
        setattr(twin, k, v)
    return twin


def test_ngsi_ld_pagination_judge_on_scorpio():
    """6.3.10 on Scorpio: limit=2 gave 2 entities, a Link rel=next, and offset=2 the third:
    PASS; without the Link header, or with the first page repeated, FAIL."""
    from conformance.ngsi_ld import judges
    from oupcheck.verdicts import judgement
    first, second = scorpio("test_pagination")
    assert judgement(judges.pagination, first, second).verdict is Verdict.PASS
    headers = {k: v for k, v in first.response_headers.items() if k.lower() != "link"}
    j = judgement(judges.pagination, _with(first, response_headers=headers), second)
    assert j.verdict is Verdict.FAIL and "rel=\"next\"" in j.message, j
    j = judgement(judges.pagination, first, first)
    assert j.verdict is Verdict.FAIL and "offset" in j.message, j


def test_ngsi_ld_update_judge_on_scorpios_real_deviation():
    """5.6.2 on Scorpio: PATCH .../attrs with an attribute the entity lacks got 204 (the
    attribute silently ignored): FAIL, as in the recording; the same exchanges with the 207 the
    clause asks for: PASS."""
    from conformance.ngsi_ld import judges
    from oupcheck.verdicts import judgement
    patch, read = scorpio("test_update_attributes")
    assert patch.status == 204
    j = judgement(judges.attributes_updated, patch, read)
    assert j.verdict is Verdict.FAIL and "207" in j.message and j.actual == 204, j
    assert judgement(judges.attributes_updated, _with(patch, status=207),
                     read).verdict is Verdict.PASS


def test_ngsi_ld_replace_judge_on_scorpios_real_deviation():
    """5.6.18 on Scorpio: after PUT with {type, humidity} the entity holds id and type only:
    FAIL "lost the attribute it was given"; a read-back holding humidity only: PASS."""
    from conformance.ngsi_ld import judges
    from oupcheck.verdicts import judgement
    put, read = scorpio("test_replace_entity")
    j = judgement(judges.replaced, put, read)
    assert j.verdict is Verdict.FAIL and "lost the attribute it was given" in j.message, j
    doc = json.loads(read.body)
    doc = {"id": doc["id"], "type": doc["type"], "humidity": {"type": "Property", "value": 40}}
    fixed = _with(read, body=json.dumps(doc).encode(), _json=None, _json_done=False)
    assert judgement(judges.replaced, put, fixed).verdict is Verdict.PASS


def test_ngsi_ld_problem_details_judge_on_scorpio():
    """6.3.2 on Scorpio: 404 and 406 are ProblemDetails; the 500 to limit=-1 is named, not
    judged. A 4xx whose body is not ProblemDetails FAILs; only server errors: INCONCLUSIVE."""
    from conformance.ngsi_ld import judges
    from oupcheck.verdicts import judgement
    answers = scorpio("test_errors_are_problem_details")
    assert [a.status for a in answers] == [404, 500, 406]
    j = judgement(judges.problem_details, answers)
    assert j.verdict is Verdict.PASS and "not judged (server errors): HTTP 500" in j.message, j
    plain = _with(answers[0], body=b"not found", _json=None, _json_done=False)
    assert judgement(judges.problem_details, [plain] + answers[1:]).verdict is Verdict.FAIL
    assert judgement(judges.problem_details, answers[1:2]).verdict is Verdict.INCONCLUSIVE


def test_ngsi_ld_batch_and_count_judges_on_scorpio():
    """5.6.7 and 6.3.13 on Scorpio: PASS as recorded; an entity left after the batch delete,
    or a results count below the population, FAILs."""
    from conformance.ngsi_ld import judges
    from oupcheck.verdicts import judgement
    create, listed, upsert, delete, left = scorpio("test_batch_operations")
    ids = sorted(json.loads(delete.request_body))
    assert judgement(judges.batch, ids, create, listed, upsert, delete,
                     left).verdict is Verdict.PASS
    j = judgement(judges.batch, ids, create, listed, upsert, delete, listed)
    assert j.verdict is Verdict.FAIL and j.message == "batch delete left entities", j
    (count,) = scorpio("test_results_count")
    assert judgement(judges.results_count, count, 3).verdict is Verdict.PASS
    assert judgement(judges.results_count, count, 10**6).verdict is Verdict.FAIL
