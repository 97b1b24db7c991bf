"""Bulk export over the standard API: can the city leave with its data?

Harvests every item of every collection of an OGC API - Features service through the API's
own paging (``rel=next`` links), streamed to disk in constant memory (one page at a time),
and writes open formats (NDJSON of GeoJSON Features, a GeoJSON FeatureCollection, CSV) with
a manifest (counts, the API's own totals, SHA-256 checksums, source URLs, licences, findings).

Guards: a next link that was already followed or a page identical to an earlier one is a
pagination cycle; more items than the API's total (plus slack) or than ``max_items`` is a
runaway; a collection the API definition names but the collection list hides is reported.
Every exchange is recorded (evidence.jsonl) with small excerpts.
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
from .errors import TransportError, printable
from .evidence import EvidenceStore, Redactor
from .http import BodyUnusable, EvidenceClient
from .report import check_out_dir
from .target import Target

GEOJSON = "application/geo+json"
FORMATS = ("ndjson", "geojson", "csv")
EXIT_COMPLETE, EXIT_INCOMPLETE, EXIT_UNREACHABLE = 0, 1, 3


@dataclass
class Finding:
    kind: str          # pagination-cycle | runaway | max-items | count-mismatch | hidden-collection |
    collection: str | None  # unreadable-page | no-total | max-items
    message: str
    evidence: list[str] = field(default_factory=list)


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

    def close(self) -> dict[str, dict[str, Any]]:
        if self.geojson:
            self.geojson.write("\n]}\n")
        for f in (self.ndjson, self.geojson, self.csv_file):
            if f:
                f.close()
        return {fmt: {"file": p.name, "bytes": p.stat().st_size, "sha256": _sha256(p)}
                for fmt, p in self.paths.items()}


def _cell(v: Any) -> Any:
    return json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class Exporter:
    def __init__(self, target: Target, *, page_size: int = 1000, max_items: int = 10_000_000,
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
            self.store = EvidenceStore(evidence_sink, retain=False,
                                       redactor=Redactor(target.secrets))
            self.http = EvidenceClient(self.store, limits, base_url=self.base,
                                       credential=target.credential(iface.credential),
                                       secrets=target.secrets)
        self.page_size, self.max_items = page_size, max_items
        self.formats, self.slack = formats, slack
        # the target's secrets never reach a written file, also where the API echoes them
        # into its items (links, properties) or its URLs
        self.redactor: Redactor = self.http.redactor

    # -- discovery ----------------------------------------------------------------------------
    def collections(self, res: ExportResult) -> list[dict[str, Any]]:
        ex = self.http.get(self.base + "collections", accept="application/json",
                           note="the collections to export")
        if ex.status != 200:
            raise TransportError(f"GET collections answered HTTP {ex.status}", ex.id)
        doc = EvidenceClient.json(ex)
        cols = [c for c in doc.get("collections") or [] if isinstance(c, dict) and c.get("id")]
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
            feats = [f for f in doc.get("features") or [] if isinstance(f, dict)]
            if col.pages == 0:
                nm = doc.get("numberMatched")
                col.number_matched = nm if isinstance(nm, int) else None
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
            nxt = next((lk.get("href") for lk in doc.get("links") or []
                        if isinstance(lk, dict) and lk.get("rel") == "next"), None)
            if not feats or not nxt:
                return
            nxt = urljoin(ex.url, nxt)
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
        try:
            for page in self.pages(col, res):
                for feat in page:
                    writers.add(self.redactor.document(feat))
                col.exported += len(page)
                res.items += len(page)
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
                                                f"({col.exported} read)"))
                    break
        finally:
            col.files = writers.close()
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

    def run(self, out: Path) -> ExportResult:
        t0 = time.monotonic()
        res = ExportResult(target=self.base, started=_now())
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.resolve().parent))
        try:
            for c in self.collections(res):
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


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def export(target: Target, out: Path, **kw: Any) -> tuple[int, ExportResult | None, str]:
    """Run an export; return (exit code, result, one-line summary)."""
    check_out_dir(out)
    evidence = tempfile.NamedTemporaryFile("w", delete=False, suffix=".jsonl",
                                           dir=out.resolve().parent, encoding="utf-8")
    redactor = Redactor(target.secrets)
    try:
        res = Exporter(target, evidence_sink=evidence, **kw).run(out)
    except TransportError as exc:
        return EXIT_UNREACHABLE, None, redactor.text(f"undecided: {exc}")
    except BodyUnusable as exc:  # the collections list itself cannot be read: no export
        ex = exc.exchange
        return EXIT_UNREACHABLE, None, redactor.text(printable(
            f"undecided: {ex.method} {ex.url} answered HTTP {ex.status}, but {exc}", 300))
    finally:
        evidence.close()
        if not out.is_dir():
            Path(evidence.name).unlink(missing_ok=True)
    shutil.move(evidence.name, out / "evidence.jsonl")
    kinds = sorted({f.kind for f in res.findings})
    summary = (f"{'complete' if res.complete else 'INCOMPLETE'}: {res.items} items from "
               f"{len(res.collections)} collections in {res.seconds:g} s "
               f"({res.requests} requests)" + (f"; findings: {', '.join(kinds)}" if kinds else ""))
    return (EXIT_COMPLETE if res.complete else EXIT_INCOMPLETE), res, redactor.text(summary)

