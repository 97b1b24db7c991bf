"""Target descriptions: what to probe, how to authenticate, what it claims.

A target is either a URL (one interface, kind guessed from the profile) or a
YAML file validated by the ``TargetFile`` model. Secrets are never in the
file: credentials name the environment variables that hold them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from . import yamlsrc
from .errors import UsageError

INTERFACE_KINDS = ("ogc-api-features", "ngsi-ld", "sensorthings", "mqtt", "ckan", "dcat",
                   "openapi", "oidc", "http")


def check_url(url: str, *, schemes: tuple[str, ...] = ("http", "https")) -> str:
    """Return the URL if usable, else raise ValueError with a short reason."""
    if not isinstance(url, str) or not url.strip():
        raise ValueError("URL is empty")
    if any(c.isspace() for c in url):
        raise ValueError(f"URL {url!r} contains whitespace")
    parts = urlsplit(url)
    if parts.scheme not in schemes:
        raise ValueError(f"URL {url!r} must start with {' or '.join(s + '://' for s in schemes)}")
    if not parts.hostname:
        raise ValueError(f"URL {url!r} has no host")
    try:
        parts.port
    except ValueError:
        raise ValueError(f"URL {url!r} has an invalid port") from None
    return url


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Interface(Strict):
    kind: Literal[INTERFACE_KINDS] = Field(description="Which standard API this is")  # type: ignore[valid-type]
    url: str = Field(description="Base URL (landing page / root resource)")
    credential: str | None = Field(default=None, description="id of an entry in 'credentials'")
    description: str | None = Field(default=None, description="URL of a machine-readable description")

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        return check_url(v, schemes=("http", "https", "mqtt", "mqtts"))


class Credential(Strict):
    id: str
    scheme: Literal["bearer", "basic", "header", "query"]
    token_env: str | None = Field(default=None, description="Environment variable holding the token")
    username_env: str | None = None
    password_env: str | None = None
    name: str | None = Field(default=None, description="Header or query parameter name "
                                                        "(schemes 'header' and 'query')")

    @model_validator(mode="after")
    def _complete(self) -> "Credential":
        if self.scheme == "basic" and not (self.username_env and self.password_env):
            raise ValueError("scheme basic needs username_env and password_env")
        if self.scheme != "basic" and not self.token_env:
            raise ValueError(f"scheme {self.scheme} needs token_env")
        if self.scheme in ("header", "query") and not self.name:
            raise ValueError(f"scheme {self.scheme} needs 'name'")
        return self

    def env_names(self) -> list[str]:
        return [n for n in (self.token_env, self.username_env, self.password_env) if n]


class Claims(Strict):
    conformance_classes: list[str] = Field(default_factory=list,
                                           description="Class URIs the operator claims to implement")


class Limits(Strict):
    connect_timeout: float = Field(default=5.0, gt=0, le=120)
    read_timeout: float = Field(default=15.0, gt=0, le=600)
    exchange_deadline: float | None = Field(
        default=None, gt=0, le=3600, description="Hard wall-clock bound of one exchange, from "
        "connecting to the last body byte, enforced on every read (a server that drips its "
        "answer a byte at a time is cut here); default connect_timeout + 2 x read_timeout")
    max_body_bytes: int = Field(default=20_000_000, gt=0, description="Bodies are cut here")
    excerpt_bytes: int = Field(default=65_536, gt=0, description="Body bytes kept as evidence")
    max_requests: int = Field(default=5_000, gt=0, description="Hard cap on requests in one run")
    evidence_store_bytes: int = Field(
        default=256_000_000, ge=0, description="Body bytes (uncompressed) that evidence.jsonl "
        "stores in full, compressed, per run, so that the run can be judged again (oupcheck "
        "rejudge); past it a body is stored cut and marked body_stored_truncated")

    @property
    def deadline(self) -> float:
        return self.exchange_deadline or self.connect_timeout + 2 * self.read_timeout


class Identity(Strict):
    """A user of the platform, for the authorisation probes (OWASP API1 and API5)."""
    credential: str = Field(description="id of an entry in 'credentials'")
    owns: list[str] = Field(default_factory=list, description="URLs (or paths under the "
                            "interface base) that only this identity may read")
    may_write: bool = Field(default=False, description="false: every write by this identity "
                            "must be refused (function-level authorisation)")


class TLSSettings(Strict):
    ca_file: str | None = Field(default=None, description="PEM file of an extra trust anchor "
                                "(a private CA); used by the HTTP probes and the TLS scan")
    verify: bool = Field(default=True, description="false: HTTP probes do not verify the "
                         "certificate (the TLS rows still judge it)")
    server_name: str | None = Field(default=None, description="SNI name, if not the URL host")
    scan_file: str | None = Field(default=None, description="Judge this recorded TLS scan "
                                  "(sslyze JSON, or an evidence.jsonl holding one) instead of "
                                  "scanning: re-evaluation without the platform")


class TargetFile(Strict):
    name: str
    interfaces: list[Interface] = Field(min_length=1)
    credentials: list[Credential] = Field(default_factory=list)
    claims: Claims = Field(default_factory=Claims)
    writes_allowed: bool = Field(default=False, description="Allow create/delete checks")
    allows_load: bool = Field(default=False, description="oupcheck certify runs the scheme's "
                              "load pillars (a step-load capacity search) only when true")
    limits: Limits = Field(default_factory=Limits)
    tls: TLSSettings = Field(default_factory=TLSSettings)
    plain_http_url: str | None = Field(default=None, description="The plain-HTTP address of the "
                                       "platform (checked for a redirect to HTTPS); default: "
                                       "http://HOST/ of the HTTPS interface")
    allowed_origins: list[str] = Field(default_factory=list, description="Origins of the "
                                       "intended browser clients (judges the CORS allowlist)")
    identities: list[Identity] = Field(default_factory=list, description="Two or more users "
                                       "with their own objects (authorisation probes)")

    @field_validator("plain_http_url")
    @classmethod
    def _plain(cls, v: str | None) -> str | None:
        return v if v is None else check_url(v, schemes=("http",))

    @model_validator(mode="after")
    def _refs(self) -> "TargetFile":
        ids = {c.id for c in self.credentials}
        for i in self.interfaces:
            if i.credential and i.credential not in ids:
                raise ValueError(f"interface credential {i.credential!r} is not in 'credentials'")
        for ident in self.identities:
            if ident.credential not in ids:
                raise ValueError(f"identity credential {ident.credential!r} is not in "
                                 "'credentials'")
        return self


class Target(BaseModel):
    """A loaded target, with secrets resolved from the environment."""
    spec: TargetFile
    source: str
    secrets: dict[str, str] = Field(default_factory=dict, description="env name -> value")

    def interface(self, kind: str | None) -> Interface | None:
        for i in self.spec.interfaces:
            if kind is None or i.kind == kind:
                return i
        return None

    def credential(self, cid: str | None) -> Credential | None:
        return next((c for c in self.spec.credentials if c.id == cid), None)


def from_url(url: str, kind: str | None) -> Target:
    try:
        check_url(url, schemes=("http", "https", "mqtt", "mqtts"))
    except ValueError as exc:
        raise UsageError(str(exc), field="--target") from None
    if url.startswith(("mqtt://", "mqtts://")):
        kind = "mqtt"
    elif kind == "mqtt":
        raise UsageError(f"an MQTT interface needs an mqtt:// or mqtts:// URL, not {url}",
                         field="--target")
    spec = TargetFile(name=url, interfaces=[Interface(kind=kind or "http", url=url)])
    return Target(spec=spec, source=url)


def load_target(ref: str, kind: str | None = None) -> Target:
    if "://" in ref:
        return from_url(ref, kind)
    path = Path(ref)
    if not path.exists():
        raise UsageError("target is neither a URL (http://...) nor an existing file",
                         source=ref, field="--target")
    spec, lines = yamlsrc.read_as(path, TargetFile, "a target file", source=ref)
    if spec.tls.ca_file:
        ca = Path(spec.tls.ca_file)
        if not ca.is_absolute():
            ca = path.parent / ca
        if not ca.is_file():
            raise UsageError(f"CA file {spec.tls.ca_file} does not exist", source=ref,
                             line=yamlsrc.line_for(lines, ("tls", "ca_file")), field="tls.ca_file")
        spec.tls.ca_file = str(ca.resolve())
    if spec.tls.scan_file:
        sf = Path(spec.tls.scan_file)
        sf = sf if sf.is_absolute() else path.parent / sf
        if not sf.is_file():
            raise UsageError(f"scan file {spec.tls.scan_file} does not exist", source=ref,
                             line=yamlsrc.line_for(lines, ("tls", "scan_file")),
                             field="tls.scan_file")
        spec.tls.scan_file = str(sf.resolve())
    secrets: dict[str, str] = {}
    for i, cred in enumerate(spec.credentials):
        for env in cred.env_names():
            val = os.environ.get(env)
            if not val:
                raise UsageError(f"environment variable {env} is not set",
                                 source=ref, line=yamlsrc.line_for(lines, ("credentials", i)),
                                 field=f"credentials[{i}]")
            secrets[env] = val
    return Target(spec=spec, source=ref, secrets=secrets)


def dump_target(spec: TargetFile) -> str:
    import yaml
    return yaml.safe_dump(spec.model_dump(mode="json", exclude_defaults=True), sort_keys=False,
                          allow_unicode=True)
