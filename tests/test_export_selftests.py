"""oupcheck export / roundtrip against the bundled real pygeoapi: a full export whose counts
equal the API's own totals, a round trip through a second pygeoapi with zero differences, and
test-only faults (pagination cycle, a lying total, a hidden collection) caught and named."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from .support import export_faults  # noqa: F401  (registers the faults)

TOTALS = {"utrecht-luchtkwaliteit": 57, "amsterdam-parken": 23, "eindhoven-lantaarnpalen": 134}


def _manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def exported(tmp_path_factory, pygeoapi_url, oup):
    out = tmp_path_factory.mktemp("export") / "city-data"
    res = oup("export", "--target", pygeoapi_url, "--out", out, "--page-size", "10")
    return out, res


def test_full_export_matches_the_apis_own_totals(exported):
    out, res = exported
    assert res.code == 0, res.describe()
    m = _manifest(out)
    assert m["complete"] and not m["findings"]
    got = {c["id"]: (c["exported"], c["number_matched"]) for c in m["collections"]}
    assert got == {k: (v, v) for k, v in TOTALS.items()}
    for c in m["collections"]:
        assert c["pages"] == -(-TOTALS[c["id"]] // 10)  # paged at 10 through rel=next
        assert c["licence"] and c["licence"][0]["href"].startswith("https://creativecommons.org")
        for fmt, info in c["files"].items():
            path = out / info["file"]
            assert hashlib.sha256(path.read_bytes()).hexdigest() == info["sha256"], fmt
        lines = (out / c["files"]["ndjson"]["file"]).read_text().splitlines()
        assert len(lines) == TOTALS[c["id"]] and json.loads(lines[0])["type"] == "Feature"
        gj = json.loads((out / c["files"]["geojson"]["file"]).read_text())
        assert gj["type"] == "FeatureCollection" and len(gj["features"]) == TOTALS[c["id"]]
        csv_rows = (out / c["files"]["csv"]["file"]).read_text().splitlines()
        assert len(csv_rows) == TOTALS[c["id"]] + 1  # header
    assert (out / "evidence.jsonl").stat().st_size > 0
    assert "complete: 214 items from 3 collections" in res.stdout


@pytest.mark.slow
def test_round_trip_through_a_second_pygeoapi_has_zero_differences(exported, oup, tmp_path):
    out, _ = exported
    res = oup("roundtrip", "--export", out, "--work", tmp_path / "rt")
    assert res.code == 0, res.describe()
    assert "214 items of 3 collections compared, 0 difference(s)" in res.stdout


@pytest.mark.slow
def test_round_trip_names_a_changed_item(exported, oup, tmp_path):
    out, _ = exported
    copy = tmp_path / "tampered"
    copy.mkdir()
    for f in out.iterdir():
        copy.joinpath(f.name).write_bytes(f.read_bytes())
    gj = copy / "amsterdam-parken.geojson"
    doc = json.loads(gj.read_text())
    doc["features"][3]["properties"]["naam"] = "Vondelpark (changed)"
    gj.write_text(json.dumps(doc))
    res = oup("roundtrip", "--export", copy, "--work", tmp_path / "rt2")
    assert res.code == 1, res.describe()
    assert f"amsterdam-parken {doc['features'][3]['id']}: content" in res.stdout


@pytest.mark.parametrize("fault, kind, collection", [
    ("pagination-cycle", "pagination-cycle", None),
    ("total-lies", "count-mismatch", None),
    ("hidden-collection", "hidden-collection", "eindhoven-lantaarnpalen"),
])
def test_export_faults_are_caught_and_named(fault, kind, collection, fault_proxy, oup, tmp_path):
    out = tmp_path / "out"
    res = oup("export", "--target", fault_proxy.url(fault), "--out", out, "--page-size", "10")
    assert res.code == 1, res.describe()
    m = _manifest(out)
    kinds = {(f["kind"], f["collection"]) for f in m["findings"]}
    assert {k for k, _ in kinds} == {kind}, kinds
    if collection:
        assert (kind, collection) in kinds
    else:
        assert {c for _, c in kinds} == set(TOTALS)  # every collection is affected
    assert not m["complete"] and "INCOMPLETE" in res.stdout and kind in res.stdout


def test_more_items_than_the_total_is_a_runaway(fault_proxy, oup, tmp_path):
    out = tmp_path / "out"
    res = oup("export", "--target", fault_proxy.url("total-too-low"), "--out", out,
              "--page-size", "10")
    assert res.code == 1, res.describe()
    kinds = {(f["kind"], f["collection"]) for f in _manifest(out)["findings"]}
    # 57 - 20 = 37 (+ one page of slack): stopped; 134 - 20 likewise; 23 - 20 = 3: stopped too
    assert kinds == {("runaway", c) for c in TOTALS}, kinds


def test_export_is_bounded_by_max_items(pygeoapi_url, oup, tmp_path):
    out = tmp_path / "out"
    res = oup("export", "--target", pygeoapi_url, "--out", out, "--page-size", "10",
              "--max-items", "30")
    assert res.code == 1
    runaway = [f for f in _manifest(out)["findings"] if f["kind"] == "max-items"]
    # 23 parks fit under the bound; the two larger collections are stopped
    assert {f["collection"] for f in runaway} == {"utrecht-luchtkwaliteit",
                                                  "eindhoven-lantaarnpalen"}
    for c in _manifest(out)["collections"]:
        assert c["exported"] <= 30
    assert {f["kind"] for f in _manifest(out)["findings"]} == {"max-items"}


@pytest.mark.parametrize("args", [["--formats", "xlsx"], ["--page-size", "0"]])
def test_bad_export_arguments_are_one_line_errors(args, pygeoapi_url, oup, tmp_path):
    out = tmp_path / "out"
    res = oup("export", "--target", pygeoapi_url, "--out", out, *args)
    assert res.code == 2 and len(res.stderr_lines) == 1 and not out.exists(), res.describe()


def test_unreachable_target_is_undecided_and_writes_nothing(oup, tmp_path):
    out = tmp_path / "out"
    res = oup("export", "--target", "http://127.0.0.1:9/", "--out", out, timeout=60)
    assert res.code == 3 and not out.exists(), res.describe()
    assert not list(tmp_path.glob(".out.partial-*")) and not list(tmp_path.glob("*.jsonl"))
