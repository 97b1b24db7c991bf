"""Secrets never reach a report (issue 11, item 5).

A test-only server (tests/support/echo_server.py) echoes every credential it receives into its
bodies, links, response headers and error bodies. For each credential kind (bearer, basic, a
named header, a query parameter) ``oupcheck run`` certifies it and every file under ``--out``,
stdout and stderr are searched for the secret in every form a server may echo: plain, percent-
encoded (quote, quote_plus, lower-case hex), JSON-escaped, HTML-escaped, base64 (of the token,
the password and ``user:password``). None may be found; the redaction marker must be, so the
search cannot pass by looking at nothing. Also ``security-baseline`` over TLS, ``oupcheck
export`` and ``oupcheck load``.
"""

from __future__ import annotations

import base64
import html
import json
import re
import secrets
import ssl
from pathlib import Path
from typing import Iterator
from urllib.parse import quote, quote_plus

import pytest

from oupcheck.platforms import certs

from .support.cli import CliResult
from .support.echo_server import EchoServer

HEADER, QUERY = "X-City-Key", "apikey"


def _secret() -> str:
    """24+ random characters with characters that percent-encode (+ / = &)."""
    return (f"{secrets.token_urlsafe(9)}+{secrets.token_hex(4)}/{secrets.token_urlsafe(6)}"
            f"={secrets.token_hex(3)}&{secrets.token_urlsafe(3)}")


USER = f"user-{secrets.token_hex(8)}"
ENV = {"OUP_ECHO_BEARER": _secret(), "OUP_ECHO_USER": USER, "OUP_ECHO_PASS": _secret(),
       "OUP_ECHO_HEADER": _secret(), "OUP_ECHO_QUERY": _secret()}
KINDS = {
    "bearer": {"scheme": "bearer", "token_env": "OUP_ECHO_BEARER"},
    "basic": {"scheme": "basic", "username_env": "OUP_ECHO_USER", "password_env": "OUP_ECHO_PASS"},
    "header": {"scheme": "header", "name": HEADER, "token_env": "OUP_ECHO_HEADER"},
    "query": {"scheme": "query", "name": QUERY, "token_env": "OUP_ECHO_QUERY"},
}


def _b64(s: str) -> list[str]:
    raw = s.encode()
    return [base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()]


def _encodings(s: str) -> set[str]:
    enc = {quote(s, safe=""), quote(s), quote_plus(s), quote_plus(s, safe="/")}
    enc |= {_lower_hex(e) for e in enc}
    return {s, json.dumps(s)[1:-1], s.replace("/", "\\/"), html.escape(s), *enc}


def _lower_hex(s: str) -> str:
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), s)


def forms(kind: str) -> dict[str, str]:
    """Every form of the kind's secret that must not appear: {form: what it is}."""
    cred = KINDS[kind]
    out: dict[str, str] = {}
    values = [ENV[e] for e in (cred.get("token_env"), cred.get("password_env")) if e]
    if kind == "basic":
        values.append(USER)
        values += _b64(f"{USER}:{ENV['OUP_ECHO_PASS']}")  # the Authorization header's value
    for v in list(values):
        values += _b64(v)
    for v in values:
        for f in _encodings(v):
            out.setdefault(f, f"form of {v!r}")
    return out


def target_file(folder: Path, url: str, kind: str, **extra: object) -> Path:
    doc = {"name": f"echo fixture ({kind})",
           "interfaces": [{"kind": "ogc-api-features", "url": url, "credential": kind}],
           "credentials": [{"id": kind, **KINDS[kind]}], **extra}
    path = folder / f"target-{kind}.yaml"
    path.write_text(json.dumps(doc, indent=1), encoding="utf-8")  # JSON is YAML
    return path


def assert_no_secret(kind: str, out: Path, res: CliResult, srv: EchoServer) -> None:
    # the credential really went out (and came back), so the search has something to find
    assert srv.seen, "the echo server was never called"
    sent = json.dumps(srv.seen)
    token = ENV[KINDS[kind].get("token_env") or "OUP_ECHO_PASS"]
    assert any(f in sent for f in (json.dumps(token)[1:-1], *_b64(f"{USER}:{token}"))), \
        "the credential was not sent"
    texts = {"stdout": res.stdout, "stderr": res.stderr}
    files = sorted(p for p in out.rglob("*") if p.is_file())
    assert files, res.describe()
    for p in files:
        texts[str(p.relative_to(out))] = p.read_text(encoding="utf-8", errors="replace")
        if p.name == "evidence.jsonl":  # the full bodies are stored compressed: search them too
            from oupcheck.evidence import unpack_body
            for n, line in enumerate(texts[str(p.relative_to(out))].splitlines(), 1):
                resp = json.loads(line).get("response") or {} if line.strip() else {}
                if resp.get("body_stored"):
                    texts[f"{p.relative_to(out)}:{n} stored body"] = unpack_body(
                        resp["body_stored"], 10**8).decode("utf-8", "replace")
    found = []
    for name, text in texts.items():
        for form, what in forms(kind).items():
            at = text.find(form)
            if at >= 0:
                found.append(f"{name}: {what} as {form!r}: ...{text[max(0, at - 80):at + 40]!r}")
    assert not found, f"{len(found)} leak(s):\n" + "\n".join(found[:30])
    assert any("[REDACTED:" in t for t in texts.values()), "no redaction marker anywhere"


@pytest.fixture(scope="module")
def echo() -> Iterator[EchoServer]:
    with EchoServer(header=HEADER, query=QUERY) as srv:
        yield srv


@pytest.mark.parametrize("kind", list(KINDS))
def test_no_credential_reaches_any_output_of_a_run(kind, echo, oup, tmp_path):
    echo.seen.clear()
    target = target_file(tmp_path, echo.url, kind)
    out = tmp_path / "out"
    res = oup("run", "--profile", "ogc-api-features-1", "--target", target, "--out", out,
              env=ENV, timeout=240)
    assert res.report is not None, res.describe()
    assert {"report.json", "report.html", "junit.xml", "evidence.jsonl"} <= \
        {p.name for p in out.iterdir()}
    assert_no_secret(kind, out, res, echo)
    # the report itself held an echo and was redacted (not merely silent)
    assert f"[REDACTED:{KINDS[kind].get('token_env') or 'OUP_ECHO_PASS'}]" in \
        (out / "report.json").read_text(encoding="utf-8")


def test_no_credential_reaches_the_files_of_an_export(echo, oup, tmp_path):
    echo.seen.clear()
    target = target_file(tmp_path, echo.url, "query")
    out = tmp_path / "data"
    res = oup("export", "--target", target, "--out", out, "--page-size", "2", env=ENV,
              timeout=120)
    assert (out / "manifest.json").is_file(), res.describe()
    assert_no_secret("query", out, res, echo)
    for name in ("manifest.json", "x.ndjson", "x.csv"):  # the licence link, the items' links
        assert "[REDACTED:OUP_ECHO_QUERY]" in (out / name).read_text(encoding="utf-8"), name


def test_no_credential_reaches_a_load_report(echo, oup, tmp_path):
    echo.seen.clear()
    target = target_file(tmp_path, echo.url, "bearer")
    out = tmp_path / "load"
    res = oup("load", "--profile", "load-ogc-api-features", "--target", target, "--out", out,
              "--duration", "8", env=ENV, timeout=180)
    assert res.report is not None, res.describe()
    assert_no_secret("bearer", out, res, echo)


@pytest.fixture(scope="module")
def echo_tls(tmp_path_factory) -> Iterator[tuple[EchoServer, EchoServer, Path]]:
    folder = tmp_path_factory.mktemp("echo-tls")
    ca = certs.make_ca(folder)
    leaf = certs.make_leaf(folder, "echo", ca=ca)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(leaf.cert, leaf.key)
    with EchoServer(header=HEADER, query=QUERY, tls=ctx) as tls_srv, \
            EchoServer(header=HEADER, query=QUERY) as plain:
        yield tls_srv, plain, ca[0]


@pytest.mark.slow
def test_no_credential_reaches_a_security_baseline_report(echo_tls, oup, tmp_path):
    srv, plain, ca = echo_tls
    target = target_file(tmp_path, srv.url, "query", tls={"ca_file": str(ca)},
                         plain_http_url=plain.url)
    out = tmp_path / "sec"
    res = oup("run", "--profile", "security-baseline", "--target", target, "--out", out,
              env=ENV, timeout=300)
    assert res.report is not None, res.describe()
    assert_no_secret("query", out, res, srv)
