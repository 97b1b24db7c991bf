"""Bulk export over the standard API: can the city leave with its data?

Harvests every item of every collection of an OGC API - Features service through the API's
own paging (``rel=next`` links), streamed to disk in constant memory (one page at a time),
and writes open formats (NDJSON of GeoJSON Features, a GeoJSON FeatureCollection, CSV) with
a manifest (counts, the API's own totals, SHA-256 checksums, source URLs, licences, findings).

Guards: a next link that was already followed or a page identical to an earlier one is a
pagination cycle; more items than the API's total (plus slack) is a runaway, and so is a total
that could not be stored on this disk at the size of the first page's items (the export stops
after that page instead of filling the disk); the export stops at ``max_items`` items and at
``max_bytes`` bytes written, and when the disk's free space falls to ``DISK_RESERVE``; a
collection the API definition names but the collection list hides is reported. Every exchange
is recorded (evidence.jsonl) with small excerpts. Everything is written into one staging
folder beside ``out`` that is renamed into place at the end and removed on any failure, so no
file is left outside ``out``.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urljoin

from . import __version__
from .certificate import sha256_file
from .errors import TransportError, printable
from .evidence import EvidenceStore, Redactor
from .http import BodyUnusable, EvidenceClient, json_at, json_type
from .ogcapi import LISTING_CLAUSE, FeaturesClient, next_href
from .report import check_out_dir
from .target import Target

GEOJSON = "application/geo+json"
FORMATS = ("ndjson", "geojson", "csv")
EXIT_COMPLETE, EXIT_INCOMPLETE, EXIT_UNREACHABLE = 0, 1, 3
DEFAULT_MAX_BYTES = 20 * 10**9
DISK_RESERVE = 256 * 2**20  # the export stops before the disk has less than this free
DISK_CHECK_BYTES = 16 * 2**20  # free space is looked at again after this many bytes


def free_bytes(path: Path) -> int:
    return shutil.disk_usage(path).free


@dataclass
class Finding:
    kind: str          # pagination-cycle | runaway | max-items | max-bytes | disk-space |
    collection: str | None  # count-mismatch | hidden-collection | unreadable-page | no-total
    message: str
    evidence: list[str] = field(default_factory=list)
    # the export's own bound stopped it (items, bytes, disk): the data may well be complete
    # on the server, the export only could not afford it
    bound: bool = False


@dataclass
class CollectionExport:
    id: str
    title: str | None
    source: str
    licence: list[dict[str, Any]]
    number_matched: int | None = None
    exported: int = 0
    pages: int = 0
    complete: bool = False
    files: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class ExportResult:
    target: str
    started: str
    finished: str = ""
    seconds: float = 0.0
    items: int = 0
    requests: int = 0
    collections: list[CollectionExport] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.findings and all(c.complete for c in self.collections)


class _Writers:
    """The open-format files of one collection, written as items stream in."""

    def __init__(self, folder: Path, cid: str, formats: tuple[str, ...]):
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", cid)
        self.paths = {f: folder / f"{safe}.{ 'geojson' if f == 'geojson' else f}" for f in formats}
        self.ndjson = self.paths["ndjson"].open("w", encoding="utf-8") if "ndjson" in formats else None
        self.geojson = self.paths["geojson"].open("w", encoding="utf-8") if "geojson" in formats else None
        self.csv_file = self.paths["csv"].open("w", encoding="utf-8", newline="") if "csv" in formats else None
        self.csv = csv.writer(self.csv_file) if self.csv_file else None
        self.csv_header: list[str] | None = None
        self.first = True
        if self.geojson:
            self.geojson.write('{"type": "FeatureCollection", "features": [\n')

    def add(self, feature: dict[str, Any]) -> None:
        line = json.dumps(feature, ensure_ascii=False, sort_keys=True)
        if self.ndjson:
            self.ndjson.write(line + "\n")
        if self.geojson:
            self.geojson.write(("" if self.first else ",\n") + line)
        if self.csv:
            props = feature.get("properties") or {}
            if self.csv_header is None:
                self.csv_header = sorted(props)
                self.csv.writerow(["id", "geometry", *self.csv_header])
            self.csv.writerow([feature.get("id"), json.dumps(feature.get("geometry")),
                               *[_cell(props.get(k)) for k in self.csv_header]])
        self.first = False

    def written(self) -> int:
        return sum(f.tell() for f in (self.ndjson, self.geojson, self.csv_file) if f)

    def close(self) -> dict[str, dict[str, Any]]:
        if self.geojson:
            self.geojson.write("\n]}\n")
        for f in (self.ndjson, self.geojson, self.csv_file):
            if f:
                f.close()
        return {fmt: {"file": p.name, "bytes": p.stat().st_size, "sha256": sha256_file(p)}
                for fmt, p in self.paths.items()}


def _cell(v: Any) -> Any:
    return json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v


class Exporter:
    def __init__(self, target: Target, *, page_size: int = 1000, max_items: int = 10_000_000,
                 max_bytes: int = DEFAULT_MAX_BYTES,
                 formats: tuple[str, ...] = FORMATS, slack: float = 0.0,
                 evidence_sink: Any = None, client: EvidenceClient | None = None):
        self.target = target
        iface = target.interface("ogc-api-features") or target.interface(None)
        self.base = iface.url if iface.url.endswith("/") else iface.url + "/"
        if client is not None:  # inside a certification run: the run's client and evidence
            self.store, self.http = client.store, client
        else:
            limits = target.spec.limits.model_copy(update={
                "excerpt_bytes": 2048,
                "max_requests": max(target.spec.limits.max_requests, 10**7)})
            # the exported files hold the bodies; the export's evidence keeps excerpts only
            self.store = EvidenceStore(evidence_sink, retain=False,
                                       redactor=Redactor(target.secrets), store_bytes=0)
            self.http = EvidenceClient(self.store, limits, base_url=self.base,
                                       credential=target.credential(iface.credential),
                                       secrets=target.secrets)
        self.page_size, self.max_items, self.max_bytes = page_size, max_items, max_bytes
        self.bytes_done = 0  # written by the collections already closed
        self.stop: str | None = None  # a bound of the whole export was reached
        self.formats, self.slack = formats, slack
        # the target's secrets never reach a written file, also where the API echoes them
        # into its items (links, properties) or its URLs
        self.redactor: Redactor = self.http.redactor

    # -- discovery ----------------------------------------------------------------------------
    def collections(self, res: ExportResult) -> list[dict[str, Any]]:
        listing = FeaturesClient(self.http, self.base).collections(
            note="the collections to export")
        ex = listing.exchange
        assert ex is not None
        if ex.status != 200:
            raise TransportError(str(listing.why), ex.id)
        if not listing.has_array:
            # missing: no collection is shown at all (nothing to export, undecided); present
            # with another type: a list the API gives but nobody can read (a defect)
            missing = json_at(EvidenceClient.json(ex), "collections") is None
            res.findings.append(Finding(
                "no-collections" if missing else "unreadable-collection", None,
                f"the collections list holds no 'collections' array ({LISTING_CLAUSE}): "
                f"{listing.why}", [ex.id]))
            return []
        for n, problem in listing.problems:
            res.findings.append(Finding(
                "unreadable-collection", None,
                f"/collections/{n} is not a collection with a string id ({LISTING_CLAUSE}): "
                f"{problem}", [ex.id]))
        cols = listing.collections
        listed = {c["id"] for c in cols}
        for cid in sorted(self._declared_collections() - listed):
            res.findings.append(Finding("hidden-collection", cid,
                                        f"the API definition has /collections/{cid}/items but "
                                        "the collection list does not show it", [ex.id]))
        return cols

    def _declared_collections(self) -> set[str]:
        """Collections the API definition (OpenAPI) names by a concrete items path."""
        try:
            ex = self.http.get(self.base + "api", accept="application/vnd.oai.openapi+json;"
                               "version=3.0, application/json", note="API definition")
            if ex.status != 200:
                ex = self.http.get(self.base + "openapi", params={"f": "json"},
                                   accept="application/json", note="API definition")
            doc = EvidenceClient.json(ex) if ex.status == 200 else {}
        except (TransportError, BodyUnusable):
            return set()
        out = set()
        for path in (doc.get("paths") or {}) if isinstance(doc, dict) else {}:
            m = re.match(r"^/collections/([^/{}]+)/items/?$", path)
            if m:
                out.add(m.group(1))
        return out

    # -- harvesting -------------------------------------------------------------------------
    def pages(self, col: CollectionExport, res: ExportResult) -> Iterator[list[dict[str, Any]]]:
        url = urljoin(self.base, f"collections/{col.id}/items")
        params: dict[str, Any] | None = {"limit": self.page_size}
        seen_urls: set[str] = set()
        seen_pages: set[str] = set()
        while url:
            ex = self.http.get(url, params=params, accept=GEOJSON,
                               note=f"{col.id}: page {col.pages + 1}")
            params = None
            if ex.status != 200:
                res.findings.append(Finding("unreadable-page", col.id,
                                            f"page {col.pages + 1} answered HTTP {ex.status}",
                                            [ex.id]))
                return
            try:
                doc = EvidenceClient.json(ex)
            except BodyUnusable as exc:
                res.findings.append(Finding("unreadable-page", col.id, str(exc), [ex.id]))
                return
            if not isinstance(doc, dict) or not isinstance(doc.get("features"), list):
                where = "/features" if isinstance(doc, dict) else ""
                value = doc.get("features") if isinstance(doc, dict) else doc
                res.findings.append(Finding(
                    "unreadable-page", col.id, f"page {col.pages + 1} is no FeatureCollection "
                    f"(OGC 17-069r4 7.15.7, /req/core/fc-response): {where or '/'} is "
                    f"{json_type(value)}", [ex.id]))
                return
            feats = [f for f in doc["features"] if isinstance(f, dict)]
            if col.pages == 0:
                nm = doc.get("numberMatched")
                col.number_matched = nm if isinstance(nm, int) and not isinstance(nm, bool) \
                    else None
            fingerprint = hashlib.sha256(json.dumps(feats, sort_keys=True).encode()).hexdigest()
            if feats and fingerprint in seen_pages:
                res.findings.append(Finding("pagination-cycle", col.id,
                                            f"page {col.pages + 1} repeats an earlier page "
                                            f"({ex.url})", [ex.id]))
                return
            seen_pages.add(fingerprint)
            seen_urls.add(ex.url)
            col.pages += 1
            yield feats
            nxt = next_href(ex.url, doc)
            if not feats or not nxt:
                return
            if nxt in seen_urls:
                res.findings.append(Finding("pagination-cycle", col.id,
                                            f"the next link of page {col.pages} leads back to "
                                            f"an earlier page ({nxt})", [ex.id]))
                return
            url = nxt

    def export_collection(self, c: dict[str, Any], folder: Path,
                          res: ExportResult) -> CollectionExport:
        licence = [{"href": lk.get("href"), "title": lk.get("title")}
                   for lk in c.get("links") or [] if isinstance(lk, dict)
                   and lk.get("rel") == "license"]
        col = CollectionExport(id=c["id"], title=c.get("title"), licence=licence,
                               source=urljoin(self.base, f"collections/{c['id']}/items"))
        writers = _Writers(folder, col.id, self.formats)
        next_disk_check = 0
        try:
            for page in self.pages(col, res):
                for feat in page:
                    writers.add(self.redactor.document(feat))
                col.exported += len(page)
                res.items += len(page)
                written = self.bytes_done + writers.written()
                if col.pages == 1 and self._implausible(col, writers.written(), folder, res):
                    break
                if written >= self.max_bytes:
                    self.stop = f"stopped at the byte bound of {self.max_bytes} bytes"
                    res.findings.append(Finding("max-bytes", col.id, f"{self.stop} ({written} "
                                                f"bytes written, {col.exported} items of this "
                                                "collection)", bound=True))
                    break
                if written >= next_disk_check:
                    next_disk_check = written + DISK_CHECK_BYTES
                    free = free_bytes(folder)
                    if free < DISK_RESERVE:
                        self.stop = (f"stopped: {free // 2**20} MiB left on the disk of "
                                     f"{folder.parent}, the export keeps "
                                     f"{DISK_RESERVE // 2**20} MiB free")
                        res.findings.append(Finding("disk-space", col.id, self.stop,
                                                    bound=True))
                        break
                if col.number_matched is not None and col.exported > \
                        int(col.number_matched * (1 + self.slack)) + self.page_size:
                    res.findings.append(Finding("runaway", col.id,
                                                f"{col.exported} items read, more than the API's "
                                                f"total {col.number_matched} allows; stopped"))
                    break
                if col.exported >= self.max_items and page and col.exported < (
                        col.number_matched if col.number_matched is not None else col.exported + 1):
                    res.findings.append(Finding("max-items", col.id,
                                                f"stopped at the bound of {self.max_items} items "
                                                f"({col.exported} read)", bound=True))
                    break
        finally:
            col.files = writers.close()
            self.bytes_done += sum(f["bytes"] for f in col.files.values())
        if col.number_matched is None:
            res.findings.append(Finding("no-total", col.id, "the API gives no numberMatched, so "
                                        "completeness cannot be confirmed"))
        elif col.exported != col.number_matched and not any(
                f.collection == col.id and f.kind in ("pagination-cycle", "runaway", "max-items")
                for f in res.findings):
            res.findings.append(Finding("count-mismatch", col.id,
                                        f"exported {col.exported} items, the API's own total "
                                        f"(numberMatched) is {col.number_matched}"))
        col.complete = not any(f.collection == col.id for f in res.findings)
        return col

    def _implausible(self, col: CollectionExport, page_bytes: int, folder: Path,
                     res: ExportResult) -> bool:
        """A total that this disk could not hold at the first page's bytes per item is not
        harvested up to a bound: the export stops after the first page (runaway)."""
        if not col.number_matched or not col.exported:
            return False
        per_item = max(1, page_bytes // col.exported)
        need = col.number_matched * per_item
        free = free_bytes(folder)
        if need <= free:
            return False
        res.findings.append(Finding(
            "runaway", col.id, f"the API claims {col.number_matched} items (numberMatched), "
            f"about {_size(need)} at the first page's {per_item} bytes per item, more than the "
            f"{_size(free)} free on this disk: stopped after the first page", bound=True))
        return True

    def run(self, out: Path, staging: Path | None = None) -> ExportResult:
        """Export into ``staging`` (a new folder beside ``out`` unless given), then rename it
        to ``out``; the staging folder is removed whatever happens."""
        t0 = time.monotonic()
        res = ExportResult(target=self.base, started=_now())
        if staging is None:
            staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-",
                                            dir=out.resolve().parent))
        try:
            for c in self.collections(res):
                if self.stop:
                    res.findings.append(Finding("max-bytes" if "byte" in self.stop else
                                                "disk-space", c["id"], f"not exported: "
                                                f"{self.stop}", bound=True))
                    continue
                res.collections.append(self.export_collection(c, staging, res))
            res.finished, res.seconds = _now(), round(time.monotonic() - t0, 2)
            res.requests = self.store.count
            (staging / "manifest.json").write_text(
                json.dumps(self.redactor.document(manifest(res)), indent=1, ensure_ascii=False),
                "utf-8")
            if out.exists():
                shutil.rmtree(out)
            staging.rename(out)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
        return res


def manifest(res: ExportResult) -> dict[str, Any]:
    return {
        "tool": f"oupcheck {__version__}", "target": res.target, "started": res.started,
        "finished": res.finished, "seconds": res.seconds, "requests": res.requests,
        "complete": res.complete, "items": res.items,
        "collections": [asdict(c) for c in res.collections],
        "findings": [asdict(f) for f in res.findings],
    }


def _size(n: int) -> str:
    for unit, div in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6)):
        if n >= div:
            return f"{n / div:,.0f} {unit}"
    return f"{n} bytes"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def export(target: Target, out: Path, **kw: Any) -> tuple[int, ExportResult | None, str]:
    """Run an export; return (exit code, result, one-line summary). Nothing is left beside
    ``out``: the evidence and the files are written into one staging folder."""
    check_out_dir(out)
    parent = out.resolve().parent
    free = free_bytes(parent)
    if free < DISK_RESERVE:
        return EXIT_UNREACHABLE, None, (f"undecided: only {free // 2**20} MiB free on the disk "
                                        f"of {parent}; the export keeps "
                                        f"{DISK_RESERVE // 2**20} MiB free")
    redactor = Redactor(target.secrets)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=parent))
    try:
        with (staging / "evidence.jsonl").open("w", encoding="utf-8") as evidence:
            res = Exporter(target, evidence_sink=evidence, **kw).run(out, staging)
    except TransportError as exc:
        return EXIT_UNREACHABLE, None, redactor.text(f"undecided: {exc}")
    except BodyUnusable as exc:  # the collections list itself cannot be read: no export
        ex = exc.exchange
        return EXIT_UNREACHABLE, None, redactor.text(printable(
            f"undecided: {ex.method} {ex.url} answered HTTP {ex.status}, but {exc}", 300))
    except OSError as exc:  # the disk is full, a file-size limit, a folder gone
        return EXIT_UNREACHABLE, None, printable(
            f"undecided: the export could not be written ({exc.strerror or exc}); nothing "
            f"was kept", 300)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    kinds = sorted({f.kind for f in res.findings})
    summary = (f"{'complete' if res.complete else 'INCOMPLETE'}: {res.items} items from "
               f"{len(res.collections)} collections in {res.seconds:g} s "
               f"({res.requests} requests)" + (f"; findings: {', '.join(kinds)}" if kinds else ""))
    return (EXIT_COMPLETE if res.complete else EXIT_INCOMPLETE), res, redactor.text(summary)

