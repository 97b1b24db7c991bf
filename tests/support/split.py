"""Probe, then judge: the runs of the self-tests list (OUPCHECK_TRACE_SPLIT) every request a
check sent after it had judged something; ``late`` reads such a list."""

from __future__ import annotations

from pathlib import Path

# checks that may send a request after they judged something, and why: a row whose first
# collection may leave it undecided reads the next one only then (reading all of them first
# would cost every run the scans of collections that are never needed)
JUDGE_THEN_PROBE = {
    "ogcapi_features/test_items_bbox.py::test_bbox_selects_intersecting_features":
        "another collection is read only when the first cannot separate its features",
}


def trace_env(path: Path) -> dict[str, str]:
    return {"OUPCHECK_TRACE_SPLIT": str(path)}


def late(path: Path) -> list[str]:
    """The requests of the trace at PATH sent after a judgement by checks not allowed to."""
    if not path.is_file():
        return []
    return [line for line in path.read_text("utf-8").splitlines()
            if line.split("\t")[0] not in JUDGE_THEN_PROBE]
