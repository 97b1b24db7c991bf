"""The bounds of issue 12, one at a time and in-process, against the hostile test servers
(``tests/support/hostile.py``): the exchange deadline, redirects, the run budget, the JSON
shape checks and the export's byte, disk and item bounds. The end-to-end runs of every command
are ``tests/test_hostile_targets.py``."""

from __future__ import annotations

import errno
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from oupcheck import export as export_mod
from oupcheck.errors import BudgetSpent, TransportError
from oupcheck.evidence import EvidenceStore
from oupcheck.http import EvidenceClient, json_at
from oupcheck.target import Limits, load_target
from tests.support.hostile import HostileServer, target_file


def _client(url: str, **limits) -> EvidenceClient:
    return EvidenceClient(EvidenceStore(), Limits(**limits), base_url=url)


def test_a_dripping_answer_is_cut_at_the_exchange_deadline():
    """Old: the deadline was looked at between 64 KiB chunks, so one byte every 0.5 s never
    tripped it (the read timeout restarts with every byte)."""
    with HostileServer("drip", drip_s=0.3) as srv:
        client = _client(srv.url, connect_timeout=1, read_timeout=2, exchange_deadline=2)
        t0 = time.monotonic()
        with pytest.raises(TransportError, match="not complete within the exchange deadline"):
            client.get("/")
        took = time.monotonic() - t0
    assert 1.9 < took < 3.5, took
    assert client.store.by_id["E00001"].error.startswith("answer not complete")


def test_a_quick_correct_answer_is_not_cut():
    with HostileServer("paging-cycle") as srv:
        ex = _client(srv.url, exchange_deadline=2).get("/conformance")
    assert ex.status == 200 and EvidenceClient.json(ex)["conformsTo"]


@pytest.mark.parametrize("kind,said", [("redirect-loop", "a redirect loop: "),
                                       ("redirect-offsite", "a redirect that leaves the host")])
def test_a_redirect_that_leads_nowhere_says_why(kind, said):
    with HostileServer(kind) as srv:
        client = _client(srv.url)
        ex = client.get("/collections")
    assert ex.status == 302 and ex.redirect.startswith(said), ex.redirect
    record = client.store.by_id[ex.id].record()
    assert record["response"]["redirect"] == ex.redirect  # kept in the evidence
    if kind == "redirect-loop":  # /collections -> ?loop=1 -> /collections: two requests
        assert client.store.count == 2
        assert client.store.by_id["E00001"].redirect.endswith("(followed)")


def test_the_run_budget_refuses_requests_but_not_the_clean_up():
    with HostileServer("paging-cycle") as srv:
        client = _client(srv.url)
        client.budget_s, client.budget_ends = 5, time.monotonic() - 1
        with pytest.raises(BudgetSpent, match="run budget spent"):
            client.get("/collections")
        ex = client.request("DELETE", "/collections/c/items/1")
    # sent: a spent budget never keeps the run from cleaning up
    assert ex.method == "DELETE" and ex.status is not None and not ex.error


def test_json_at_never_raises_on_a_wrong_shape():
    doc = {"collections": ["c", {"id": 5, "extent": "world"}]}
    assert json_at(doc, "collections", 0, "id") is None
    assert json_at(doc, "collections", 1, "extent", "spatial", "bbox", 0) is None
    assert json_at(doc, "collections", 1, "id") == 5
    assert json_at("text", "a") is None and json_at([1], 5) is None


def test_entity_shape_names_the_json_pointers():
    from conformance.ngsi_ld.judges import entity_problems
    good = {"id": "urn:ngsi-ld:Lamp:1", "type": "Lamp", "@context": "https://x/ctx.jsonld",
            "name": {"type": "Property", "value": "lamp"},
            "multi": [{"type": "Property", "value": 1, "datasetId": "urn:a"}]}
    assert entity_problems(good, "") == []
    assert entity_problems({"id": "urn:x", "type": "Lamp", "name": "lamp"}, "", False) == []
    bad = {"id": 5, "type": {}, "name": "lamp", "@context": 7}
    assert entity_problems(bad, "/1") == [
        "/1/id is a number (5), not a URI string",
        "/1/type is an object, not a string or an array of strings",
        "/1/@context is a number (7), not a JSON-LD context",
        "/1/name is a string (\"lamp\"), not an attribute object"]
    assert entity_problems("urn:x", "/0") == ['/0 is a string ("urn:x"), not an entity object']


# -- the export's bounds -------------------------------------------------------------------

def _export(srv: HostileServer, tmp_path: Path, **kw):
    target = load_target(str(target_file(srv.url, tmp_path, ("ogc-api-features",))))
    return export_mod.export(target, tmp_path / "out", **kw)


def test_an_implausible_total_stops_the_export_after_the_first_page(tmp_path):
    """Old: 10^12 claimed items were harvested until the disk or a file-size limit gave out."""
    with HostileServer("endless-paging") as srv:
        code, res, summary = _export(srv, tmp_path, page_size=50)
    assert code == 1 and [f.kind for f in res.findings] == ["runaway"], summary
    assert res.items == 50 and "more than the" in res.findings[0].message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "target.yaml"]


def test_the_byte_budget_stops_an_endless_export(tmp_path):
    with HostileServer("endless-paging", no_total=True) as srv:
        code, res, summary = _export(srv, tmp_path, page_size=100, max_bytes=200_000)
    kinds = [f.kind for f in res.findings]
    assert code == 1 and "max-bytes" in kinds and res.findings[0].bound, summary
    written = sum(f["bytes"] for c in res.collections for f in c.files.values())
    assert 200_000 <= written < 200_000 + 3 * 100 * 300, written  # within one page of it


def test_low_disk_space_stops_the_export(tmp_path, monkeypatch):
    with HostileServer("endless-paging", no_total=True) as srv:
        # enough free space before the export starts, too little at the first look during it
        free = iter([10**12] + [export_mod.DISK_RESERVE - 1] * 1000)
        monkeypatch.setattr(export_mod, "free_bytes", lambda p: next(free))
        code, res, summary = _export(srv, tmp_path, page_size=100)
    stop = [f for f in res.findings if f.kind == "disk-space"]
    assert code == 1 and stop and stop[0].bound and res.items == 100, summary
    assert "MiB left on the disk" in stop[0].message


def test_no_free_disk_space_at_all_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(export_mod, "free_bytes", lambda p: 1024)
    with HostileServer("paging-cycle") as srv:
        code, res, summary = _export(srv, tmp_path)
    assert code == 3 and res is None and "MiB free on the disk" in summary
    assert sorted(p.name for p in tmp_path.iterdir()) == ["target.yaml"]


def test_a_failing_write_leaves_nothing_behind(tmp_path, monkeypatch):
    def full(self, feature):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(export_mod._Writers, "add", full)
    with HostileServer("paging-cycle") as srv:
        code, res, summary = _export(srv, tmp_path)
    assert code == 3 and "could not be written (No space left on device)" in summary
    assert sorted(p.name for p in tmp_path.iterdir()) == ["target.yaml"]


def test_a_file_size_limit_is_one_line_and_no_stray_file(tmp_path, shared_data):
    """Old: an OSError traceback, with .partial and tmp*.jsonl files left beside --out."""
    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a kill
        resource.setrlimit(resource.RLIMIT_FSIZE, (2_000_000, 2_000_000))

    with HostileServer("endless-paging", no_total=True) as srv:
        target = target_file(srv.url, tmp_path, ("ogc-api-features",))
        proc = subprocess.run([sys.executable, "-m", "oupcheck.cli", "export", "--target",
                               str(target), "--out", str(tmp_path / "out"), "--page-size",
                               "100"], capture_output=True, text=True, timeout=120,
                              preexec_fn=limit, cwd=tmp_path)
    assert proc.returncode == 3, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "could not be written (File too large)" in proc.stdout, proc.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["target.yaml"]


LAUGHS = "".join(f"{c}: &{c} [{', '.join(['*' + p] * 9) if p.strip() else ', '.join('x' * 9)}]\n"
                 for p, c in zip(" abcdefg", "abcdefgh"))


@pytest.mark.parametrize("text,said", [
    (LAUGHS, "expand past 1000000 nodes"),           # 'billion laughs': 9^8 leaves
    ("a: &a [1, *a]\n", "a cycle"),                    # an anchor holding an alias to itself
    ("[" * 5000 + "]" * 5000, "nested deeper than"),  # the parser's own stack
])
def test_target_yaml_past_the_bounds_is_refused_not_walked(text, said):
    from oupcheck.http import Unparsable, parse_yaml
    with pytest.raises(Unparsable, match=said) as caught:
        parse_yaml(text.encode())
    assert caught.value.limit  # a bound of the suite, so the rows are INCONCLUSIVE


def test_shared_yaml_nodes_and_plain_json_still_parse():
    from oupcheck.http import parse_json, parse_yaml
    assert parse_yaml(b"x: &x {k: 1}\ny: *x\n") == {"x": {"k": 1}, "y": {"k": 1}}
    assert parse_json(b'{"a": [1, {"b": null}]}') == {"a": [1, {"b": None}]}


def test_discover_knows_an_ngsi_ld_types_answer_from_any_other_200():
    """GET /types decides whether a path is an NGSI-LD broker: an EntityTypeList (typeList is a
    string when compaction turned a one-element list into its element), an array of EntityType
    objects, or a refusal; a server that answers 200 on every path is not one."""
    from oupcheck.discover import _ngsi_ld_types

    assert _ngsi_ld_types(200, {"id": "urn:x", "type": "EntityTypeList", "typeList": ["A", "B"]})
    assert _ngsi_ld_types(200, {"type": "EntityTypeList", "typeList": "WeatherObserved"})
    assert _ngsi_ld_types(200, [{"id": "x", "type": "EntityType", "typeName": "A"}])
    assert _ngsi_ld_types(401, None)
    assert not _ngsi_ld_types(200, {"title": "a landing page"})
    assert not _ngsi_ld_types(200, [{"name": "a feature"}])
    assert not _ngsi_ld_types(200, {"typeList": 3})
    assert not _ngsi_ld_types(404, {"typeList": []})
