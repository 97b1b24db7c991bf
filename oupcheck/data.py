"""Published files the checks need (OGC schemas, JSON-LD contexts...).

Loaded, in order, from a data directory the user gives (``--data-dir`` or
``OUPCHECK_DATA_DIR``), from the local cache, or downloaded from the
published URL (bounded) into the cache. Nothing is bundled in the repo.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import requests
import yaml

from .profile import Resource

DOWNLOAD_TIMEOUT = (5, 20)
MAX_BYTES = 5_000_000


class DataUnavailable(Exception):
    pass


def default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "oupcheck"


class DataFiles:
    def __init__(self, resources: dict[str, Resource], data_dirs: list[Path] | None = None,
                 cache_dir: Path | None = None, allow_download: bool = True):
        self.resources = resources
        env = os.environ.get("OUPCHECK_DATA_DIR")
        self.data_dirs = list(data_dirs or []) + ([Path(env)] if env else [])
        self.cache_dir = cache_dir or default_cache()
        self.allow_download = allow_download
        self._memo: dict[str, Any] = {}
        self.used: dict[str, str] = {}  # url -> where it was read from (for the report)

    def url(self, resource: str, name: str) -> str:
        return self.resources[resource].url + name

    def text(self, url: str) -> str:
        for key, res in self.resources.items():
            if url.startswith(res.url):
                rel = url[len(res.url):]
                for d in self.data_dirs:
                    p = d / res.local / rel
                    if p.is_file():
                        self.used[url] = str(p)
                        return p.read_text(encoding="utf-8")
        cached = self.cache_dir / hashlib.sha256(url.encode()).hexdigest()[:32]
        if cached.is_file():
            self.used[url] = f"cache {cached}"
            return cached.read_text(encoding="utf-8")
        if not self.allow_download:
            raise DataUnavailable(f"{url} is not in the data directories and downloads are off")
        try:
            r = requests.get(url, timeout=DOWNLOAD_TIMEOUT, stream=True)
            r.raise_for_status()
            raw = r.raw.read(MAX_BYTES + 1, decode_content=True)
        except (requests.RequestException, OSError) as exc:
            raise DataUnavailable(f"cannot load {url}: {type(exc).__name__}; give a local copy "
                                  "with --data-dir or OUPCHECK_DATA_DIR") from None
        if len(raw) > MAX_BYTES:
            raise DataUnavailable(f"{url} is larger than {MAX_BYTES} bytes")
        text = raw.decode("utf-8")
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            cached.write_text(text, encoding="utf-8")
        except OSError:
            pass
        self.used[url] = "downloaded"
        return text

    def document(self, url: str) -> Any:
        if url not in self._memo:
            text = self.text(url)
            self._memo[url] = (yaml.safe_load(text) if url.endswith((".yaml", ".yml"))
                               else json.loads(text))
        return self._memo[url]
