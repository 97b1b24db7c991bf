"""nginx (Debian package) as a TLS front before a platform, with good or deliberately weak
settings. Used by ``oupcheck demo --profile security-baseline`` and by the self-tests.

Every setting of a front is data (``Front``), so a test can name exactly which weaknesses a
front plants. Certificates are made at start time (``certs.py``); nothing leaves loopback.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from . import certs
from .base import ServerProcess, free_port

# NCSC-NL TLS guidelines: "good" suites only (ECDHE + AEAD); TLS 1.3 suites are OpenSSL's defaults
GOOD_CIPHERS = ("ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
                "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256")
GOOD_CURVES = "X25519:prime256v1:secp384r1"
HSTS_ONE_YEAR = "max-age=31536000; includeSubDomains"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}


@dataclass(frozen=True)
class Front:
    name: str
    protocols: str = "TLSv1.2 TLSv1.3"
    ciphers: str = GOOD_CIPHERS
    curves: str = GOOD_CURVES
    cert: str = "ca-issued"            # or "self-signed-expired"
    key_kind: str = "ec-p256"           # rsa-3072 where RSA key exchange must be possible
    cert_hosts: tuple[str, ...] = ("127.0.0.1", "localhost")
    cert_hash: str = "sha256"
    early_data: bool = False            # TLS 1.3 0-RTT (needs session tickets)
    session_tickets: bool = False
    conf_commands: tuple[str, ...] = ()  # ssl_conf_command lines, e.g. "Options -ExtendedMasterSecret"
    hsts: str | None = HSTS_ONE_YEAR
    server_tokens: bool = False
    headers: dict[str, str] = field(default_factory=lambda: dict(SECURITY_HEADERS))
    hide_upstream: tuple[str, ...] = ("X-Powered-By",)
    redirect_http: bool = True          # plain-HTTP port answers 301 to https
    # NL API Design Rules gateway settings (off for the plain TLS fronts)
    prefix: str = "/"                   # path under which the platform is published, e.g. /v1/
    api_version: str | None = None      # API-Version header on every answer
    openapi_alias: str | None = None    # upstream path served as {prefix}openapi.json (CORS *)
    openapi_file: str | None = None     # or a static file served there (a bundled document)
    openapi_cors: bool = True           # Access-Control-Allow-Origin: * on openapi.json
    cors_allowlist: tuple[str, ...] | None = None  # None: pass the platform's own CORS headers
    problem_errors: bool = False        # 4xx/5xx answered as application/problem+json
    trailing_slash_404: bool = False    # /path/ -> 404 instead of being served
    old_prefix: str | None = None       # an older version still served (e.g. /v1/ beside /v2/)
    # users (HTTP basic authentication) and what they own, for the authorisation probes
    users: tuple[tuple[str, str], ...] = ()          # (name, password)
    owned: tuple[tuple[str, str], ...] = ()          # (path under prefix, owning user)
    enforce_owners: bool = True                      # false: any user reads any owned path
    read_only: bool = False                          # every write method answered 403

    def replace(self, **kw: object) -> "Front":
        return dataclasses.replace(self, **kw)


GOOD = Front(name="good")
# Exactly the planted weaknesses; everything else as GOOD (the self-tests rely on this).
WEAK = GOOD.replace(
    name="weak",
    protocols="TLSv1 TLSv1.1 TLSv1.2",                                 # phase-out versions
    ciphers="ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA:AES256-GCM-SHA384:@SECLEVEL=0",  # RSA kex
    cert="self-signed-expired", key_kind="rsa-3072",                   # untrusted and expired
    hsts=None,                                                         # no HSTS
    server_tokens=True,                                                # Server: nginx/1.x
    headers={**SECURITY_HEADERS, "X-Powered-By": "PHP/7.4.3"},         # version-leaking header
    hide_upstream=("X-Powered-By",),
)
WEAK_PLANTED = ("protocol versions TLS 1.0/1.1", "RSA key exchange suites",
                "self-signed certificate", "expired certificate", "no HSTS",
                "version-leaking Server and X-Powered-By headers")


def nginx_bin() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if not found:
        raise RuntimeError("nginx is not installed (apt-get install -y nginx)")
    return found


PROBLEM_STATUSES = {400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
                    500: "Internal Server Error", 502: "Bad Gateway"}


def _headers(front: Front) -> str:
    lines = []
    for k, v in front.headers.items():
        lines.append(f'        add_header {k} "{v}" always;')
    if front.hsts:
        lines.append(f'        add_header Strict-Transport-Security "{front.hsts}" always;')
    if front.api_version:
        lines.append(f'        add_header API-Version "{front.api_version}" always;')
    lines += [f"        proxy_hide_header {h};" for h in front.hide_upstream]
    if front.cors_allowlist is not None:
        lines.append("        proxy_hide_header Access-Control-Allow-Origin;")
        lines.append('        add_header Access-Control-Allow-Origin $oup_cors always;')
    return "\n".join(lines)


def render_conf(front: Front, prefix_dir: Path, cert: certs.CertFiles, upstream: str,
                https_port: int, http_port: int) -> str:
    up = upstream.rstrip("/") + "/"
    hdr = _headers(front)
    proxy = ("        proxy_set_header Host $http_host;\n"
             "        proxy_set_header X-Forwarded-Proto https;\n"
             "        proxy_http_version 1.1;\n")
    extra = ""
    if front.trailing_slash_404:
        extra += f"    location ~ ^{front.prefix}.+/$ {{\n{hdr}\n        return 404;\n    }}\n"
    oas_hdr = _headers(front.replace(cors_allowlist=None))
    oas_cors = ('        add_header Access-Control-Allow-Origin "*" always;\n'
                if front.openapi_cors else "")
    if front.openapi_alias:
        extra += (f"    location = {front.prefix}openapi.json {{\n{oas_hdr}\n{oas_cors}"
                  f"        proxy_hide_header Access-Control-Allow-Origin;\n{proxy}"
                  f"        proxy_pass {up}{front.openapi_alias.lstrip('/')};\n    }}\n")
    elif front.openapi_file:
        extra += (f"    location = {front.prefix}openapi.json {{\n{oas_hdr}\n{oas_cors}"
                  f"        default_type application/json;\n"
                  f"        alias {front.openapi_file};\n    }}\n")
    problems = ""
    if front.problem_errors:
        for code, title in PROBLEM_STATUSES.items():
            body = ('{\\"type\\":\\"about:blank\\",\\"title\\":\\"' + title +
                    '\\",\\"status\\":' + str(code) + '}')
            problems += f"        error_page {code} @problem{code};\n"
            extra += (f"    location @problem{code} {{\n{hdr}\n"
                      f"        default_type application/problem+json;\n"
                      f"        return {code} \"{body}\";\n    }}\n")
        problems += "        proxy_intercept_errors on;\n"
    cors_map = ""
    if front.cors_allowlist is not None:
        entries = "".join(f'        "{o}" $http_origin;\n' for o in front.cors_allowlist)
        cors_map = f"    map $http_origin $oup_cors {{\n{entries}        default \"\";\n    }}\n"
    conf_cmds = "".join(f"        ssl_conf_command {c};\n" for c in front.conf_commands)
    if front.old_prefix:
        extra += (f"    location {front.old_prefix} {{\n{hdr}\n{proxy}"
                  f"        proxy_pass {up};\n    }}\n")
    guard = ("        limit_except GET HEAD OPTIONS { deny all; }\n" if front.read_only else "")
    for path, owner in front.owned:
        check = (f'        if ($remote_user != "{owner}") {{ return 403; }}\n'
                 if front.enforce_owners else "")
        extra += (f"    location {front.prefix}{path.strip('/')} {{\n{hdr}\n{check}{guard}{proxy}"
                  f"        proxy_pass {up}{path.strip('/')};\n    }}\n")
    auth = ""
    if front.users:
        (prefix_dir / "htpasswd").write_text(
            "".join(f"{u}:{{PLAIN}}{pw}\n" for u, pw in front.users), encoding="utf-8")
        auth = f'        auth_basic "oupcheck";\n        auth_basic_user_file {prefix_dir}/htpasswd;\n'
    redirect = (f"        return 301 https://127.0.0.1:{https_port}$request_uri;"
                if front.redirect_http else f"        location / {{\n{proxy}            proxy_pass {up};\n        }}")
    tmp = prefix_dir / "tmp"
    # started as root (CI containers), workers would drop to 'nobody' and could not read the
    # files under a private temporary directory: keep them as the invoking user
    user = "user root;\n" if os.geteuid() == 0 else ""
    return f"""# oupcheck TLS front '{front.name}' (generated; loopback only)
{user}daemon off;
master_process on;
worker_processes 1;
pid {prefix_dir}/nginx.pid;
error_log {prefix_dir}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {prefix_dir}/access.log;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server_tokens {"on" if front.server_tokens else "off"};
    client_max_body_size 1m;
{cors_map}    server {{
        listen 127.0.0.1:{http_port};
{redirect}
    }}
    server {{
        listen 127.0.0.1:{https_port} ssl;
        ssl_certificate {cert.cert};
        ssl_certificate_key {cert.key};
        ssl_protocols {front.protocols};
        ssl_ciphers {front.ciphers};
        ssl_ecdh_curve {front.curves};
        ssl_prefer_server_ciphers on;
        ssl_session_tickets {"on" if front.session_tickets else "off"};
        ssl_early_data {"on" if front.early_data else "off"};
{conf_cmds}{problems}{auth}{extra}        location {front.prefix} {{
{hdr}
{guard}{proxy}            proxy_pass {up};
        }}
    }}
}}
"""


class NginxFront:
    """One nginx process: an HTTPS port before ``upstream`` and a plain-HTTP port."""

    def __init__(self, front: Front, workdir: Path, upstream: str,
                 ca: tuple[Path, object, object] | None = None, https_port: int | None = None):
        self.front = front
        self.dir = workdir / f"nginx-{front.name}"
        (self.dir / "tmp").mkdir(parents=True, exist_ok=True)
        self.https_port, self.http_port = https_port or free_port(), free_port()
        if front.cert == "self-signed-expired":
            self.cert = certs.make_leaf(self.dir, "server", key_kind=front.key_kind,
                                        hosts=front.cert_hosts, hash_name=front.cert_hash,
                                        not_before_days=-400, not_after_days=-10)
        else:
            ca = ca or certs.make_ca(self.dir)
            self.cert = certs.make_leaf(self.dir, "server", key_kind=front.key_kind, ca=ca,
                                        hosts=front.cert_hosts, hash_name=front.cert_hash)
        self.ca_file = ca[0] if ca else None
        conf = self.dir / "nginx.conf"
        conf.write_text(render_conf(front, self.dir, self.cert, upstream, self.https_port,
                                    self.http_port), encoding="utf-8")
        self.proc = ServerProcess([nginx_bin(), "-c", str(conf), "-p", str(self.dir)],
                                  cwd=self.dir, log=self.dir / "stderr.log",
                                  ready_url=f"tcp://127.0.0.1:{self.https_port}", ready_timeout=20)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}{self.front.prefix}"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}{self.front.prefix}"

    def start(self) -> "NginxFront":
        self.proc.start()
        return self

    def stop(self) -> None:
        self.proc.stop()

    def __enter__(self) -> "NginxFront":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# -- a fast static endpoint (load benchmark and load self-tests) ---------------------------------

STATIC_OGC = {
    "landing.json": {"title": "static OGC API - Features (nginx)", "links": [
        {"rel": "data", "href": "/collections", "type": "application/json"}]},
    "collections.json": {"collections": [{
        "id": "static", "title": "static collection", "links": [],
        "extent": {"spatial": {"bbox": [[4.0, 52.0, 5.0, 53.0]]},
                   "temporal": {"interval": [["2024-01-01T00:00:00Z", "2024-12-31T00:00:00Z"]]}}}]},
    "collection.json": {"id": "static", "title": "static collection", "links": []},
    "items.json": {"type": "FeatureCollection", "numberReturned": 1, "links": [], "features": [
        {"type": "Feature", "id": "1", "properties": {"name": "lamp 1"},
         "geometry": {"type": "Point", "coordinates": [4.5, 52.5]}}]},
    "item.json": {"type": "Feature", "id": "1", "properties": {"name": "lamp 1"},
                  "geometry": {"type": "Point", "coordinates": [4.5, 52.5]}},
}


class NginxStatic:
    """nginx serving a fixed OGC API - Features tree from files on plain HTTP (loopback): every
    path of the load scenario answers from disk, so the server is as fast as nginx gets."""

    def __init__(self, workdir: Path, worker_processes: int = 1):
        import json
        self.dir = workdir / "nginx-static"
        (self.dir / "tmp").mkdir(parents=True, exist_ok=True)
        (self.dir / "www").mkdir(exist_ok=True)
        for name, doc in STATIC_OGC.items():
            (self.dir / "www" / name).write_text(json.dumps(doc), encoding="utf-8")
        self.port = free_port()
        user = "user root;\n" if os.geteuid() == 0 else ""
        tmp = self.dir / "tmp"
        conf = self.dir / "nginx.conf"
        conf.write_text(f"""# oupcheck static endpoint (generated; loopback only)
{user}daemon off;
worker_processes {worker_processes};
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    keepalive_requests 1000000;
    default_type application/json;
    server {{
        listen 127.0.0.1:{self.port};
        root {self.dir}/www;
        location = / {{ try_files /landing.json =404; }}
        location = /collections {{ try_files /collections.json =404; }}
        location ~ ^/collections/[^/]+$ {{ try_files /collection.json =404; }}
        location ~ ^/collections/[^/]+/items$ {{ try_files /items.json =404; }}
        location ~ ^/collections/[^/]+/items/[^/]+$ {{ try_files /item.json =404; }}
    }}
}}
""", encoding="utf-8")
        self.proc = ServerProcess([nginx_bin(), "-c", str(conf), "-p", str(self.dir)],
                                  cwd=self.dir, log=self.dir / "stderr.log",
                                  ready_url=f"http://127.0.0.1:{self.port}/", ready_timeout=20)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> "NginxStatic":
        self.proc.start()
        return self

    def stop(self) -> None:
        self.proc.stop()

    def __enter__(self) -> "NginxStatic":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
