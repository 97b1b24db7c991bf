"""The one requirement marker of the checks.

``@requirement(ID, ...)`` names the profile rows a check verifies. An ID is written as the
profile key, so that grepping the checks for a key a report or a profile shows finds its check.
The namespace of the key comes from the check's folder: the folder's package
(``conformance/<folder>/__init__.py``) declares ``NAMESPACES``, the key prefixes its checks may
verify, and ``NAMESPACE``, which an ID written without one of those prefixes is relative to. Only
``ogcapi_features`` uses a relative form (its keys are the standard's long requirement URIs,
written from ``/req/...`` or ``/rec/...`` as the standard itself abbreviates them).

An ID outside its folder's namespaces is a suite defect: it stops the collection with a line
naming the check's module.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import pytest


def namespaces(package: str) -> tuple[str, tuple[str, ...]]:
    """(the relative namespace, the allowed key prefixes) of a check folder's package."""
    try:
        mod = importlib.import_module(package) if package else None
    except ImportError:
        mod = None
    ns = getattr(mod, "NAMESPACE", "") if mod is not None else ""
    allowed = tuple(getattr(mod, "NAMESPACES", ())) if mod is not None else ()
    return ns, allowed + ((ns,) if ns else ())


def resolve(package: str, ids: tuple[str, ...]) -> list[str]:
    ns, allowed = namespaces(package)
    out = []
    for rid in ids:
        full = rid if rid.startswith(allowed) or not ns else ns + rid
        if allowed and not full.startswith(allowed):
            raise ValueError(f"{package}: requirement {rid!r} is outside the folder's namespaces "
                             f"({', '.join(allowed)})")
        out.append(full)
    return out


def requirement(*ids: str) -> Any:
    """Marker naming the profile keys a check verifies (namespace from the check's folder)."""
    caller = sys._getframe(1).f_globals
    package = caller.get("__package__") or caller.get("__name__", "").rpartition(".")[0]
    return pytest.mark.requirement(*resolve(package, ids))
