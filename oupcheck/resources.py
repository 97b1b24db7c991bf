"""Where the suite's own files live (checks, profiles, fixtures, templates)."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
ROOT = PACKAGE_DIR.parent


def root_dir(name: str) -> Path:
    """A top-level folder of the oupcheck source tree (conformance, profiles, fixtures...)."""
    path = ROOT / name
    if not path.is_dir():
        raise FileNotFoundError(
            f"{path} is missing: oupcheck runs from its source tree (pip install -e .)")
    return path
