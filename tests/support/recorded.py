"""The recorded runs of real platforms (tests/recordings), as report.json documents, for the
tests that judge certifications from them."""

from __future__ import annotations

import json
from pathlib import Path

RECORDINGS = Path(__file__).resolve().parents[1] / "recordings"


def report(name: str) -> dict:
    return json.loads((RECORDINGS / name / "report.json").read_text("utf-8"))


def nl_gemeente_runs() -> dict[str, list[dict]]:
    """nl-gemeente's pillars as recorded on pygeoapi behind the demo's nginx front."""
    return {"api-design": [report("nginx-pygeoapi-nl-api-design-rules-2.1.0")],
            "secure-connection": [report("nginx-pygeoapi-security-baseline")],
            "lock-in": [report("pygeoapi-lock-in")]}


def certification_folder(folder: Path, scheme_id: str, runs: dict[str, list[str]],
                         target: str, lang: str = "en", key_file: str | None = None) -> dict:
    """A certify --out folder made from recordings, as certify writes it (runs/ with each
    run's report.json and evidence.jsonl, certification.json, the report, the bundle and the
    certificate). ``runs``: pillar -> recording names. Returns certification.json's document."""
    import gzip

    from oupcheck.certification import assess, certification_doc, finish
    from oupcheck.scheme import load_scheme
    scheme = load_scheme(scheme_id)
    reports: dict[str, list[dict]] = {}
    done = []
    n = 0
    for pid, names in runs.items():
        for name in names:
            n += 1
            d = folder / "runs" / f"{n:02d}-{pid}-{name}"
            d.mkdir(parents=True)
            (d / "report.json").write_bytes((RECORDINGS / name / "report.json").read_bytes())
            (d / "evidence.jsonl").write_bytes(
                gzip.decompress((RECORDINGS / name / "evidence.jsonl.gz").read_bytes()))
            r = report(name)
            reports.setdefault(pid, []).append(r)
            done.append({"pillar": pid, "profile": r["run"]["profile"],
                         "interface": r["run"]["target_url"],
                         "report": f"runs/{d.name}/report.json",
                         "outcome": r["summary"]["outcome"]})
    a = assess(scheme, reports)
    doc = certification_doc(scheme, a, target=target, target_source="recorded", runs=done,
                            date="2026-12-03T12:00:00+00:00")
    (folder / "certification.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1)
                                               + "\n", encoding="utf-8")
    finish(folder, doc, scheme, None, lang, key_file)
    return doc
