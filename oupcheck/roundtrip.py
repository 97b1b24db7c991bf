"""Portability proven by round trip: load an export into an independent open implementation
(a second pygeoapi, started on 127.0.0.1 from the exported GeoJSON files), export that again
through its own API, and compare item by item (id, geometry, properties)."""

from __future__ import annotations

import hashlib
import json
import string
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from .evidence import Exchange
from .export import Exporter
from .http import EvidenceClient
from .platforms import pygeoapi
from .platforms.base import free_port
from .resources import root_dir
from .target import Interface, Target, TargetFile
from .verdicts import Judgement, Verdict


@dataclass
class Difference:
    collection: str
    id: str | None
    what: str  # missing | extra | geometry | properties


@dataclass
class RoundTrip:
    collections: int = 0
    compared: int = 0
    differences: list[Difference] = field(default_factory=list)


def _config(export_dir: Path, manifest: dict[str, Any], port: int) -> str:
    head = (root_dir("fixtures") / "pygeoapi" / "config.template.yml").read_text("utf-8")
    head = head[: head.index("\nresources:")]
    head = string.Template(head).safe_substitute(PORT=port, PUBLIC_URL=f"http://127.0.0.1:{port}",
                                                 DATA_DIR=str(export_dir))
    lines = [head, "resources:"]
    for c in manifest["collections"]:
        gj = export_dir / c["files"]["geojson"]["file"]
        lines += [f"  {json.dumps(c['id'])}:", "    type: collection",
                  f"    title: {json.dumps(c.get('title') or c['id'])}",
                  f"    description: {json.dumps('round trip of ' + c['source'])}",
                  "    keywords: [round trip]",
                  "    extents:", "      spatial:", "        bbox: [-180, -90, 180, 90]",
                  "        crs: http://www.opengis.net/def/crs/OGC/1.3/CRS84",
                  "    providers:", "      - type: feature", "        name: GeoJSON",
                  f"        data: {json.dumps(str(gj))}", "        id_field: id"]
    return "\n".join(lines) + "\n"


def _index(path: Path) -> tuple[dict[str, str], list[str]]:
    """feature id -> digest of (geometry, properties), and the ids used more than once (such
    items cannot be told apart, so they cannot be compared item by item)."""
    out: dict[str, str] = {}
    dup: list[str] = []
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f):
            feat = json.loads(line)
            fid = feat.get("id")
            key = str(fid) if fid is not None else f"(no id, item {n + 1})"
            if key in out:
                dup.append(key)
            out[key] = _digest(feat)
    return out, dup


def _digest(feat: dict[str, Any]) -> str:
    props = {k: v for k, v in (feat.get("properties") or {}).items()}
    return hashlib.sha256(json.dumps([feat.get("geometry"), props], sort_keys=True,
                                     ensure_ascii=False).encode()).hexdigest()


@contextmanager
def serve(export_dir: Path, workdir: Path) -> Iterator[str]:
    """A second pygeoapi, on 127.0.0.1, serving the exported GeoJSON files: its URL while the
    block runs."""
    manifest = json.loads((export_dir / "manifest.json").read_text("utf-8"))
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = pygeoapi.configure(workdir, _config(export_dir.resolve(), manifest, port),
                             stem="roundtrip")
    proc, url = pygeoapi.gunicorn(workdir, port, env, stem="roundtrip-pygeoapi")
    with proc:
        yield url


def re_export(url: str, workdir: Path, page_size: int = 1000,
              client: EvidenceClient | None = None) -> Path:
    """Export the independent implementation at URL again, through its own API (through
    ``client`` when given: a run's recording client, or the replay of one). The folder."""
    spec = TargetFile(name="round-trip pygeoapi",
                      interfaces=[Interface(kind="ogc-api-features", url=url)])
    again = workdir / "re-export"
    Exporter(Target(spec=spec, source=url), page_size=page_size, formats=("ndjson",),
             client=client).run(again)
    return again


def compare(export_dir: Path, again: Path) -> RoundTrip:
    """Item by item, the first export against the export of the independent implementation
    (both folders as ``Exporter`` wrote them; no network)."""
    manifest = json.loads((export_dir / "manifest.json").read_text("utf-8"))
    second = json.loads((again / "manifest.json").read_text("utf-8"))
    files = {c["id"]: again / c["files"]["ndjson"]["file"] for c in second["collections"]}
    rt = RoundTrip(collections=len(manifest["collections"]))
    for c in manifest["collections"]:
        a, dup = _index(export_dir / c["files"]["ndjson"]["file"])
        b = _index(files[c["id"]])[0] if c["id"] in files else {}
        rt.compared += len(a) + len(dup)
        for fid in sorted(set(dup)):
            rt.differences.append(Difference(c["id"], fid, "id used by more than one item"))
        for fid in sorted(set(a) - set(b)):
            rt.differences.append(Difference(c["id"], fid, "missing"))
        for fid in sorted(set(b) - set(a)):
            rt.differences.append(Difference(c["id"], fid, "extra"))
        for fid in sorted(set(a) & set(b)):
            if a[fid] != b[fid]:
                rt.differences.append(Difference(c["id"], fid, "content"))
    return rt


def judge(rt: RoundTrip, exchanges: list[Exchange]) -> Judgement:
    """lockin:round-trip over a comparison: every exported item comes back the same (id,
    geometry, properties) from the independent implementation. ``exchanges``: the run's
    recorded exchanges, of which a FAIL cites the item pages of the first differing collection
    (the target's and the independent implementation's)."""
    counted = [("items compared", rt.compared)]
    if not rt.compared:
        return Judgement(Verdict.INCONCLUSIVE, "no item was compared", counted=counted)
    if rt.differences:
        cid = rt.differences[0].collection
        pages = [x for x in exchanges if f"/collections/{cid}/items" in x.url]
        return Judgement(
            Verdict.FAIL, "the exported data does not come back the same from an independent "
            "open implementation", expected=f"{rt.compared} items equal",
            actual=[f"{d.collection} {d.id}: {d.what}" for d in rt.differences[:5]],
            evidence=pages[:4] + pages[-4:] if len(pages) > 8 else pages, counted=counted,
            assertions=rt.compared)
    return Judgement(Verdict.PASS, f"met: the {rt.compared} items of {rt.collections} "
                     "collection(s) come back the same (id, geometry, properties) from a second, "
                     "independent pygeoapi loaded with the export", counted=counted,
                     assertions=rt.compared)


def round_trip(export_dir: Path, workdir: Path, page_size: int = 1000) -> RoundTrip:
    """Serve the export from a second pygeoapi, export that again, and compare."""
    with serve(export_dir, workdir) as url:
        again = re_export(url, workdir, page_size)
    return compare(export_dir, again)
