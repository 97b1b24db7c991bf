"""The fault proxy itself, against the real pygeoapi."""

from __future__ import annotations

import json

import requests

from .support.faultproxy import FAULTS, FaultProxy, Response, fault


def _hrefs(doc: dict) -> list[str]:
    links = list(doc.get("links", []))
    for c in doc.get("collections", []):
        links += c.get("links", [])
    return [ln["href"] for ln in links]


def test_none_is_upstream_with_urls_rewritten(pygeoapi_url: str, fault_proxy: FaultProxy) -> None:
    upstream = pygeoapi_url.rstrip("/")
    direct = requests.get(pygeoapi_url + "collections?f=json", timeout=10)
    proxied = requests.get(fault_proxy.url("none") + "collections?f=json", timeout=10)
    assert proxied.status_code == direct.status_code == 200
    assert proxied.headers["Content-Type"] == direct.headers["Content-Type"]
    assert int(proxied.headers["Content-Length"]) == len(proxied.content)
    base = fault_proxy.url("none").rstrip("/")
    assert upstream not in proxied.text
    assert proxied.json() == json.loads(direct.text.replace(upstream, base))
    hrefs = _hrefs(proxied.json())
    assert any(h.startswith(base) for h in hrefs)
    # a followed link stays on the fault
    self_link = next(ln["href"] for ln in proxied.json()["links"] if ln["rel"] == "self")
    assert requests.get(self_link, timeout=10).json() == proxied.json()


def test_none_rewrites_the_openapi_document(fault_proxy: FaultProxy, pygeoapi_url: str) -> None:
    r = requests.get(fault_proxy.url("none") + "openapi?f=json", timeout=30)
    assert r.status_code == 200
    assert pygeoapi_url.rstrip("/") not in r.text
    assert r.json()["servers"][0]["url"].startswith(fault_proxy.url("none").rstrip("/"))


def test_head_matches_get(fault_proxy: FaultProxy) -> None:
    url = fault_proxy.url("none") + "collections?f=json"
    head, get = requests.head(url, timeout=10), requests.get(url, timeout=10)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["Content-Length"] == str(len(get.content))


def test_drop_self_links(fault_proxy: FaultProxy) -> None:
    for path in ("", "collections", "collections/utrecht-luchtkwaliteit/items"):
        r = requests.get(fault_proxy.url("drop-self-links") + path, params={"f": "json"}, timeout=10)
        assert r.status_code == 200
        doc = r.json()
        rels = [ln["rel"] for ln in doc.get("links", [])]
        rels += [ln["rel"] for c in doc.get("collections", []) for ln in c.get("links", [])]
        assert rels and "self" not in rels, path


def test_unknown_param_400(fault_proxy: FaultProxy) -> None:
    base = fault_proxy.url("unknown-param-400")
    bad = requests.get(base + "collections?foo=bar", timeout=10)
    assert bad.status_code == 400
    assert bad.json()["code"] == "InvalidParameterValue" and "foo" in bad.json()["description"]
    assert requests.get(base + "collections?f=json", timeout=10).status_code == 200
    items = base + "collections/utrecht-luchtkwaliteit/items"
    assert requests.get(items + "?limit=2&bbox=4,51,6,53", timeout=10).status_code == 200
    assert requests.get(items + "?limit=2&bogus=1", timeout=10).status_code == 400


def test_ignore_limit(fault_proxy: FaultProxy) -> None:
    items = "collections/utrecht-luchtkwaliteit/items?f=json"
    normal = requests.get(fault_proxy.url("none") + items + "&limit=2&offset=3", timeout=10).json()
    faulty = requests.get(fault_proxy.url("ignore-limit") + items + "&limit=2&offset=3",
                          timeout=10).json()
    first = requests.get(fault_proxy.url("none") + items, timeout=10).json()
    assert len(normal["features"]) == 2
    assert faulty["features"] == first["features"] and len(faulty["features"]) > 2


def test_unknown_fault_is_404_json(fault_proxy: FaultProxy) -> None:
    r = requests.get(fault_proxy.base_url + "no-such-fault/collections", timeout=10)
    assert r.status_code == 404
    assert "no-such-fault" in r.json()["description"]


def test_added_fault_and_methods(fault_proxy: FaultProxy) -> None:
    @fault("test-teapot")
    def _(req, resp):
        if req.match(r"^/conformance$") and req.method in ("GET", "HEAD"):
            return Response.exception(418, "Teapot", f"{req.method} {req.path}")
        return None

    try:
        base = fault_proxy.url("test-teapot")
        assert requests.get(base + "conformance", timeout=10).status_code == 418
        assert requests.get(base + "collections", timeout=10).status_code == 200
        assert requests.options(base + "collections", timeout=10).status_code < 500
        assert requests.request("TRACE", base, timeout=10).status_code == 405
        assert requests.post(base + "collections", json={}, timeout=10).status_code in (400, 405)
    finally:
        del FAULTS["test-teapot"]
