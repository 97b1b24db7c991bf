"""Faults for the security-baseline self-tests (test fixtures, in front of real pygeoapi).

Used only for behaviour that neither pygeoapi nor nginx can be configured to show: an
accepting write endpoint, a TRACE echo, a stack trace, an exposed .env, a crash on malformed
input, and (the good side of one row) strict validation of every query value.
"""

from __future__ import annotations

import re
from datetime import datetime

from requests.structures import CaseInsensitiveDict

from .faultproxy import FAULTS, Fault, Request, Response, request_fault

TRACEBACK = ('Traceback (most recent call last):\n  File "/srv/app/views.py", line 42, in items\n'
             '    x, y = bbox\nValueError: too many values to unpack\n')


@request_fault("accept-writes")
def _(req: Request) -> Response | None:
    """Every POST/PUT/PATCH/DELETE is accepted without credentials (201/200/204)."""
    if req.method == "POST":
        return Response.from_json(201, {"id": "created"}, Location=req.base + req.path + "/created")
    if req.method in ("PUT", "PATCH"):
        return Response.from_json(200, {"updated": True})
    if req.method == "DELETE":
        return Response(204, CaseInsensitiveDict())
    return None


@request_fault("trace-echo")
def _(req: Request) -> Response | None:
    """TRACE is answered 200 with the request echoed (message/http)."""
    if req.method == "TRACE":
        lines = [f"TRACE {req.path} HTTP/1.1"] + [f"{k}: {v}" for k, v in req.headers.items()]
        return Response(200, CaseInsensitiveDict({"Content-Type": "message/http"}),
                        "\r\n".join(lines).encode())
    return None


@request_fault("stack-trace-404")
def _(req: Request) -> Response | None:
    """Unknown resources are answered 404 with a Python traceback in the body."""
    if "oupcheck-no-such-resource" in req.path:
        return Response(404, CaseInsensitiveDict({"Content-Type": "text/plain"}),
                        TRACEBACK.encode())
    return None


@request_fault("dotenv-exposed")
def _(req: Request) -> Response | None:
    """A deployment's .env file is served."""
    if req.path.endswith("/.env"):
        return Response(200, CaseInsensitiveDict({"Content-Type": "text/plain"}),
                        b"DATABASE_URL=postgres://app:secret@db/app\nDEBUG=1\n")
    return None


@request_fault("crash-on-malformed-bbox")
def _(req: Request) -> Response | None:
    """A bbox with other than 4 or 6 numbers crashes the server (500 with a traceback)."""
    b = req.param("bbox")
    if req.is_items and b is not None and len(b.split(",")) not in (4, 6):
        return Response(500, CaseInsensitiveDict({"Content-Type": "text/plain"}),
                        TRACEBACK.encode())
    return None


@request_fault("problem-500-on-unknown")
def _(req: Request) -> Response | None:
    """An unknown resource is answered 500 with a generic problem document (no trace): a
    server error, not the client error the request is."""
    if "oupcheck-no-such" in req.path:
        resp = Response.from_json(500, {"type": "about:blank", "title": "Internal Server Error",
                                        "status": 500})
        resp.headers["Content-Type"] = "application/problem+json"
        return resp
    return None


@request_fault("tiny-collection")
def _(req: Request) -> None:
    """The items of every collection are those in a small area (nine features of the first
    collection): a real pygeoapi answer of a collection too small to show a page-size cap."""
    if req.is_items and req.param("bbox") is None:
        req.query["bbox"] = ["5.04,52.05,5.09,52.075"]


_NUM = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")
_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def _instant_ok(v: str) -> bool:
    if v in ("..", ""):
        return True
    if not _INSTANT.match(v):
        return False
    try:
        datetime.fromisoformat(v.replace("Z", "+00:00"))
        return True
    except ValueError:
        return False


def _bbox_ok(v: str) -> bool:
    parts = v.split(",")
    if len(parts) not in (4, 6) or not all(_NUM.match(p) for p in parts):
        return False
    n = [float(p) for p in parts]
    lo_lat, hi_lat = (n[1], n[4]) if len(n) == 6 else (n[1], n[3])
    return -90 <= lo_lat <= hi_lat <= 90


def _datetime_ok(v: str) -> bool:
    if "/" not in v:
        return v != ".." and _instant_ok(v)
    parts = v.split("/")
    if len(parts) != 2 or all(p in ("..", "") for p in parts) or \
            not all(_instant_ok(p) for p in parts):
        return False
    a, b = parts
    if a not in ("..", "") and b not in ("..", ""):
        return datetime.fromisoformat(a.replace("Z", "+00:00")) <= \
            datetime.fromisoformat(b.replace("Z", "+00:00"))
    return True


@request_fault("strict-params")
def _(req: Request) -> Response | None:
    """Good side: every malformed bbox, datetime or limit is rejected with 400."""
    if not req.is_items:
        return None
    checks = {"bbox": _bbox_ok, "datetime": _datetime_ok,
              "limit": lambda v: v.isdigit() and int(v) >= 1}
    for name, ok in checks.items():
        v = req.param(name)
        if v is not None and not ok(v):
            return Response.exception(400, "InvalidParameterValue", f"invalid {name}")
    return None


assert all(n in FAULTS for n in ("accept-writes", "trace-echo", "strict-params"))
_ = Fault  # re-exported type for readers of this module
